/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Timestamp repair: turns camera timestamps (any origin, any time base,
 * wrapping, jumping, going backwards) into FLV milliseconds that start near
 * 0, never decrease, and keep audio and video on one clock. Pure. See
 * docs/timestamps.md for the rules.
 */
#ifndef LS_LIB_TIMESTAMP_H
#define LS_LIB_TIMESTAMP_H

#include <stdbool.h>
#include <stdint.h>

#include "lightstream/relay.h" /* struct ls_ts_repairs */

enum ls_ts_stream {
    LS_TS_VIDEO = 0,
    LS_TS_AUDIO = 1,
    LS_TS_NSTREAMS = 2,
};

/** Marks a packet without timestamp (FFmpeg's AV_NOPTS_VALUE has the same value). */
#define LS_TS_NONE INT64_MIN

/** How many recent DTS steps the typical step of a stream is the median of. */
#define LS_TS_STEPS 7

struct ls_ts_stream_state {
    bool started;
    int64_t last_in;      /**< last input DTS, in ms, after unwrapping */
    int64_t last_out;     /**< last output DTS, ms */
    int64_t offset;       /**< out = in + offset */
    int64_t delta;        /**< typical DTS step of this stream (ms), for made-up timestamps */
    int64_t wrap_add;     /**< ticks added to undo 32-bit wraps */
    int64_t last_ticks;   /**< last raw input, in ticks */
    /* Private to timestamp.c. */
    bool have_in;         /**< last_in and offset come from a real input timestamp */
    bool have_ticks;      /**< last_ticks is valid for wrap detection */
    bool resync;          /**< spliced: the next real timestamp has a new origin */
    bool made_up;         /**< the last packet had no timestamp: the next step spans two */
    int64_t home_offset;  /**< the last offset that held for LS_TS_STEPS packets */
    uint32_t run;         /**< packets mapped with the current offset */
    int tb_num, tb_den;   /**< time base of last_ticks */
    uint32_t steps[LS_TS_STEPS]; /**< recent normal DTS steps (ms), ring buffer */
    uint32_t nsteps;      /**< filled entries of steps[] */
    uint32_t step_pos;    /**< next entry of steps[] to overwrite */
};

struct ls_ts {
    uint32_t jump_threshold_ms;
    struct ls_ts_stream_state st[LS_TS_NSTREAMS];
    struct ls_ts_repairs repairs;
    bool splice_pending;  /**< a reconnect happened: rebase every stream's next packet */
};

/** Start a fresh timeline; the first packet maps to 0. A threshold of 0 means 1000 ms. */
void ls_ts_init(struct ls_ts *ts, uint32_t jump_threshold_ms);

/**
 * Map one packet's DTS to output milliseconds.
 *
 * @param dts the input DTS in units of @p tb_num / @p tb_den seconds, or LS_TS_NONE
 * @return the output DTS in ms: >= 0, never below the previous output of this
 *         stream, strictly above it for video, and near the other stream's clock.
 *         Every correction is counted in ts->repairs.
 */
int64_t ls_ts_map(struct ls_ts *ts, enum ls_ts_stream s, int64_t dts, int tb_num, int tb_den);

/**
 * Ticks of @p tb_num / @p tb_den s to ms, rounded down, saturated to about ±2^52 ms, the
 * way ls_ts_map() converts (a time base of 0 or less is taken as 1/1000 s). The composition
 * time of a frame is the difference of its PTS and DTS converted this way, so that
 * DTS + composition time is exactly its PTS in ms.
 */
int64_t ls_ts_ticks_to_ms(int64_t ticks, int tb_num, int tb_den);

/**
 * The input reconnected: its next timestamps have a new origin. The next
 * packet of each stream continues just after that stream's last output
 * (counted once in repairs.reconnect).
 */
void ls_ts_splice(struct ls_ts *ts);

#endif
