/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Audio and video tags in timestamp order. A camera's streams arrive in
 * their own rhythm — a video frame is complete only when the next one starts,
 * and with B-frames its DTS lags its PTS by the reorder depth; audio comes
 * in bursts — but FLV readers and RTMP servers expect the tags of the whole
 * stream in non-decreasing timestamp order. This holds each tag until the
 * other stream has reached its timestamp, within a bound counted in the
 * holding stream's own time from the other stream's last tag (so a stream
 * that stops holds the other back once, by the bound, then not at all; at a
 * session's start a stream waits up to LS_INTERLEAVE_START_WAIT for the
 * other to begin, and as long for a late tag until LS_INTERLEAVE_WARMUP). Timestamps are never changed: a tag later than the bound goes
 * out with its own timestamp, below the previous tag's, and is counted —
 * a stream's own timeline matters more to a decoder than the order across
 * streams. Each stream's tags, headers included, stay in their order.
 * Pure: no I/O, no threads.
 */
#ifndef LS_LIB_INTERLEAVE_H
#define LS_LIB_INTERLEAVE_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/flv/tag.h"
#include "lib/stream/remux.h" /* ls_emit_fn */

/** Tags held per stream at most; past it the oldest goes out whatever the other stream does. */
#define LS_INTERLEAVE_MAX 256
/** How long (ms, in its own time) a stream waits at a session's start for the other to begin. */
#define LS_INTERLEAVE_START_WAIT 1000
/** For this long (ms) into a session the bound is at least LS_INTERLEAVE_START_WAIT, while it learns. */
#define LS_INTERLEAVE_WARMUP 3000

struct ls_interleave_queue {
    struct ls_item *item[LS_INTERLEAVE_MAX];
    unsigned head, n;
    bool expected;     /**< the session has this stream */
    bool seen;         /**< a media tag of it came in this session */
    int64_t first;     /**< timestamp of its first media tag this session */
    int64_t newest;    /**< timestamp of its last media tag in */
    int64_t step;      /**< its typical timestamp step (ms) */
};

struct ls_interleave {
    bool enabled;
    ls_emit_fn emit;
    void *opaque;
    struct ls_interleave_queue q[2]; /**< [0] video, [1] audio */
    bool sent_any;
    int64_t last_sent;               /**< largest timestamp sent */
    int64_t lag_hint;                /**< how late video comes by construction (ms) */
    int64_t lag_peak16;              /**< largest lateness seen, decaying (1/16 ms) */
    uint64_t late;                   /**< media tags sent below the largest timestamp sent */
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
 * How late video comes by construction, in ms: (reorder depth + 1) frames —
 * the frame is complete when the next one starts, and its DTS lags its PTS
 * by the depth. Audio waits that long for it without counting as late.
 */
void ls_interleave_set_lag(struct ls_interleave *il, int64_t ms);

/**
 * Take one tag (the callee takes its own reference). Sends whatever is due.
 * @return 0, or the first error of the emit callback (the tags are sent anyway).
 */
int ls_interleave_push(struct ls_interleave *il, struct ls_item *item);

/**
 * How far (ms, in its own stream's time) a tag may wait for the other stream:
 * one frame of the slower stream, plus the larger of the video lag and the
 * lateness seen lately (decaying), plus 100 ms; at least
 * LS_INTERLEAVE_START_WAIT in a session's first LS_INTERLEAVE_WARMUP.
 */
int64_t ls_interleave_bound(const struct ls_interleave *il);

/** Send everything held, in timestamp order (end of a session). */
int ls_interleave_flush(struct ls_interleave *il);

#endif
