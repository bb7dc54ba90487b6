/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Audio and video tags in timestamp order. A camera's streams arrive in
 * their own rhythm (a video frame is complete only when the next one starts;
 * audio comes in bursts), but FLV readers and RTMP servers expect the tags of
 * the whole stream in non-decreasing timestamp order. This holds each tag
 * until the other stream has reached its timestamp: normally one frame of the
 * slower stream (a video frame is complete when the next one starts), at
 * most one frame of each stream plus 10 ms (counted in the holding stream's
 * own time, so a stream that goes silent holds nothing back for long). A tag that comes after the
 * other stream already passed its time is moved up to the last timestamp
 * sent (counted). Headers (metadata, sequence headers) are never overtaken:
 * everything held goes out before them. Pure: no I/O, no threads.
 */
#ifndef LS_LIB_INTERLEAVE_H
#define LS_LIB_INTERLEAVE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/media.h"
#include "lib/remux.h" /* ls_emit_fn */

/** Tags held per stream at most; past it the oldest goes out whatever the other stream does. */
#define LS_INTERLEAVE_MAX 256

struct ls_interleave_queue {
    struct ls_item *item[LS_INTERLEAVE_MAX];
    unsigned head, n;
    bool expected;     /**< the session has this stream */
    bool seen;         /**< a tag of it came in this session */
    int64_t newest;    /**< timestamp of its last tag in */
    int64_t step;      /**< its typical timestamp step (ms) */
};

struct ls_interleave {
    bool enabled;
    ls_emit_fn emit;
    void *opaque;
    struct ls_interleave_queue q[2]; /**< [0] video, [1] audio */
    bool sent_any;
    int64_t last_sent;               /**< timestamp of the last tag sent */
    uint64_t moved;                  /**< tags moved up to keep the order */
};

/**
 * Set up in place. With @p enabled false every tag goes straight through
 * (lowest latency, arrival order).
 */
void ls_interleave_init(struct ls_interleave *il, bool enabled, ls_emit_fn emit, void *opaque);

/** Drop every held tag (without sending them). */
void ls_interleave_finish(struct ls_interleave *il);

/** A session begins with these streams; held tags of the previous one must be flushed first. */
void ls_interleave_begin(struct ls_interleave *il, bool video, bool audio);

/**
 * Take one tag (the callee takes its own reference). Sends whatever is due.
 * @return 0, or the first error of the emit callback (the tags are sent anyway).
 */
int ls_interleave_push(struct ls_interleave *il, struct ls_item *item);

/**
 * How far (ms, in its own stream's time) a tag may wait for the other stream: one frame of
 * each stream plus 10 ms, from the typical steps seen (40 and 21 ms until then).
 */
int64_t ls_interleave_bound(const struct ls_interleave *il);

/** Send everything held, in timestamp order (end of a session). */
int ls_interleave_flush(struct ls_interleave *il);

#endif
