/*
 * The relay registry (relays.c): the calls that find, add, change and
 * remove relays (relay.h) and their outputs, persisting the state file. The
 * running library relay of each is relay_instance.c's (relays_private.h).
 *
 * Threads: the loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_RELAYS_H
#define LSD_RELAYS_H

#include <stdint.h>

#include "daemon/relay.h"

struct lsd_relay_spec;
struct lsd_server;

/** Find a relay by id, NULL if none. */
struct lsd_relay *lsd_relay_find(struct lsd_server *s, const char *id);

/**
 * Add a relay from a validated spec (ownership of @p spec's contents passes
 * to the registry on success; on error it stays the caller's), start it
 * unless it is on-demand, and persist the state.
 * @return 0, -EEXIST (duplicate id), -ENOSPC (relay limit), -ENOMEM, -EIO (state not saved:
 *         the relay is not added), or a library error from ls_relay_create.
 */
int lsd_relay_add(struct lsd_server *s, struct lsd_relay_spec *spec, struct lsd_relay **out);

/**
 * Replace a relay's spec (same id) and restart it. Once the spec is saved it
 * is the registry's and 0 is returned, even if the restart fails (that is
 * logged and shown in the relay's state). @return 0, -ENOMEM or -EIO (not
 * saved: nothing changed, @p spec stays the caller's).
 */
int lsd_relay_update(struct lsd_server *s, struct lsd_relay *r, struct lsd_relay_spec *spec);

/** Remove a relay: closes its viewers, stops it off the loop, persists. @return 0 or -EIO. */
int lsd_relay_remove(struct lsd_server *s, struct lsd_relay *r);

/** Add an RTMP/RTMPS/file output to a relay (running or not); persists. out_id: the spec's id. */
int lsd_relay_add_output(struct lsd_server *s, struct lsd_relay *r, const char *url, int *out_id);

/** Remove an output by its spec id; persists. @return 0, -ENOENT, -EIO. */
int lsd_relay_remove_output(struct lsd_server *s, struct lsd_relay *r, int output_id);

/** Push a relay's lease deadline to now + its lease (or @p seconds when > 0); persists. */
int lsd_relay_renew_lease(struct lsd_server *s, struct lsd_relay *r, uint32_t seconds);

/** Stop and start the relay again (e.g. after a source change made by an adapter). */
int lsd_relay_restart(struct lsd_server *s, struct lsd_relay *r);

/** Write the state file now (after a change made outside the functions above). */
int lsd_server_save(struct lsd_server *s);

#endif
