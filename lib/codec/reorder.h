/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Decode timestamps from presentation timestamps. An RTP camera sends only
 * the presentation time of each access unit (in decode order); FLV needs a
 * decode time per frame and the composition offset PTS - DTS. With frames
 * reordered (B-frames) the DTS must lag the PTS by the reorder depth.
 *
 * Method (docs/timestamps.md): keep the PTS of the last @c depth frames that
 * have not been used as a DTS yet; each new frame adds its PTS and takes the
 * smallest pending one as its DTS. With the right depth this gives DTS that
 * strictly increase, never exceed the PTS, and lag it by exactly the depth in
 * steady state; with depth 0 the DTS is the PTS (no delay). The depth comes
 * from the SPS when it says, and is measured from the PTS order otherwise (or
 * when the SPS understates it). Pure: no I/O, no allocation.
 */
#ifndef LS_LIB_REORDER_H
#define LS_LIB_REORDER_H

#include <stdbool.h>
#include <stdint.h>

/** The largest reorder depth handled (H.264/H.265 allow at most 16 frames). */
#define LS_REORDER_MAX 16
/** How many recent frames the depth measurement looks back over. */
#define LS_REORDER_HIST 32
/** A measured depth not seen again within this many frames falls back (glitches). */
#define LS_REORDER_WINDOW 1024

struct ls_reorder {
    int depth;                         /**< depth in use (frames) */
    int declared;                      /**< depth the bitstream declares, -1 when it does not */
    int measured;                      /**< depth seen in the PTS order (see LS_REORDER_WINDOW) */
    int window_max;                    /**< largest depth seen in the current window */
    int window_frames;                 /**< frames of the current window */
    int npend;                         /**< entries of pend[] */
    int64_t pend[LS_REORDER_MAX + 1];  /**< pending PTS, ascending */
    int64_t hist[LS_REORDER_HIST];     /**< recent PTS in decode order (ring) */
    int nhist, hist_pos;
    int64_t last_dts;
    int64_t max_pts;                   /**< largest PTS since the timeline (re)started */
    int64_t step;                      /**< typical frame step, ticks (0: unknown) */
    bool started;
    uint64_t raised;                   /**< times the measured depth exceeded the depth in use */
    uint64_t moved;                    /**< frames whose PTS had to move (depth learnt late) */
};

/** Timestamps of one frame, in the same ticks as its input. */
struct ls_reorder_ts {
    int64_t dts;
    int64_t pts;
};

/** Initialise: depth unknown (0 until measured), no timeline. */
void ls_reorder_init(struct ls_reorder *ro);

/**
 * The depth the bitstream declares for the frames that follow (from a new or
 * changed SPS), or -1 when it says nothing. The measured depth is forgotten
 * (a new SPS may describe a new encoder configuration).
 */
void ls_reorder_set_declared(struct ls_reorder *ro, int depth);

/**
 * The next frame starts a new timeline (a reconnect, or a timestamp
 * discontinuity the caller saw). The depths are kept.
 */
void ls_reorder_restart(struct ls_reorder *ro);

/**
 * Derive one frame's DTS. Frames come in decode order.
 *
 * @param pts         the frame's presentation time, in ticks
 * @param frame_ticks the nominal frame period in ticks (from the SPS), 0 if unknown:
 *                    only the first frames of a timeline with B-frames use it
 * @param jump_ticks  a PTS this far outside the recent ones is a discontinuity: the
 *                    timeline restarts there (the caller's timestamp repair splices it)
 * @return the frame's DTS and PTS: the DTS strictly above the previous one of the
 *         same timeline, the PTS never below the DTS — moved up (counted in @c moved)
 *         only when the depth had to be learnt late, or when a timeline begins with
 *         frames shown before its first frame (leading pictures of an open GOP, a
 *         restart at a P-frame): those are shown just after the first DTS, in order
 */
struct ls_reorder_ts ls_reorder_push(struct ls_reorder *ro, int64_t pts, int64_t frame_ticks,
                                     int64_t jump_ticks);

#endif
