/*
 * Between relays.c (the registry) and relay_instance.c (the library relay
 * that runs a spec).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_RELAYS_PRIVATE_H
#define LSD_RELAYS_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

struct lsd_relay;
struct lsd_server;

/** lib_output_ids[i] of a file output refused when the instance started (recordings.h). */
#define LSD_OUTPUT_REFUSED (-2)

/** Make and start a library relay for r's spec (no-op when one runs). @return 0 or -errno */
int lsd_relay_instance_start(struct lsd_server *s, struct lsd_relay *r);
/** Detach r's library relay (if any) and have the worker destroy it. */
void lsd_relay_instance_stop(struct lsd_server *s, struct lsd_relay *r);
/** Add spec output @p index to the running instance, if any. */
int lsd_relay_instance_add_output(struct lsd_server *s, struct lsd_relay *r, size_t index);
/** Remove the running instance's output for spec output @p index (off the loop). */
void lsd_relay_instance_remove_output(struct lsd_server *s, struct lsd_relay *r, size_t index);

/** Remove relays whose lease has run out (the 1 s tick). */
void lsd_relays_expire(struct lsd_server *s);
/** At exit: every relay stopped and freed (worker jobs queued). */
void lsd_relays_destroy_all(struct lsd_server *s);
/** Restore the relays of the state file. */
int lsd_relays_restore(struct lsd_server *s);
/** A fresh unused id into @p out. @return 0 or -errno */
int lsd_relay_make_id(struct lsd_server *s, char *out, size_t size);

#endif
