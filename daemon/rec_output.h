/*
 * A relay's recording as the daemon runs it: the `mp4:` output made from the
 * spec's "recording" object, writing recordings_dir/<relay id>/<relay id>-<UTC
 * start>.mp4, and what the loop learns of it from the library's events (the
 * segment being written, which is never deleted).
 *
 * Loop thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_REC_OUTPUT_H
#define LSD_REC_OUTPUT_H

#include <stddef.h>

#include "lightstream/lightstream.h"

struct ls_event;
struct lsd_relay;
struct lsd_server;

/**
 * The folder of relay @p id's recordings: <recordings_dir>/<id>, into @p out.
 * @return 0 or -ENAMETOOLONG
 */
int lsd_rec_dir(const struct lsd_server *s, const char *id, char *out, size_t size);

/**
 * Add the recording output to r's running library relay when its spec asks
 * for one (the folder is made if missing). A failure is logged and returned;
 * the relay goes on without recording.
 * @return 0 (also when recording is off) or -errno
 */
int lsd_rec_attach(struct lsd_server *s, struct lsd_relay *r);

/** A library event about r's recording output (segment opened/closed, paused, resumed). */
void lsd_rec_on_event(struct lsd_server *s, struct lsd_relay *r, const struct ls_event *ev,
                      const char *message);

#endif
