/*
 * The global recording budget (config recordings_max_mib): every relay's
 * segments together stay under it, the oldest deleted first, across relays,
 * by ls_retention_plan(). Each relay's own limits (its "recording" object)
 * are applied by the library as it records.
 *
 * Loop thread.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_REC_RETENTION_H
#define LSD_REC_RETENTION_H

#include <stdint.h>

struct lsd_relay;
struct lsd_server;

/** Apply the global budget now (after a segment closed). @return segments deleted, or -errno */
int lsd_rec_retention_run(struct lsd_server *s);

/** Delete one segment file of relay @p r (not the one being written). @return 0 or -errno
 *  (-EBUSY: it is being written; -ENOENT: no such segment) */
int lsd_rec_delete(struct lsd_server *s, const struct lsd_relay *r, const char *name);

#endif
