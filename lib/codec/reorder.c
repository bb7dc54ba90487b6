/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Decode timestamps from presentation timestamps (see reorder.h and
 * docs/timestamps.md). Why a window of pending PTS values: in decode order,
 * a frame can be decoded at the earliest presentation time not yet used by
 * a decoded frame, delayed by the depth so that frames decoded early (the P
 * before its B-frames) still have one to take. That is what a decoder's
 * reorder buffer does in reverse, so the result holds for any structure the
 * depth describes, B-pyramids included, with no frame held back.
 */
#include <string.h>

#include "lib/codec/reorder.h"
#include "lib/util/sat.h"

static int clamp_depth(int d)
{
    return d < 0 ? 0 : d > LS_REORDER_MAX ? LS_REORDER_MAX : d;
}

void ls_reorder_init(struct ls_reorder *ro)
{
    memset(ro, 0, sizeof(*ro));
    ro->declared = -1;
}

/* The depth the stream needs: what it declares, or more if it shows more. */
static int wanted(const struct ls_reorder *ro)
{
    int d = ro->declared > ro->measured ? ro->declared : ro->measured;
    return clamp_depth(d);
}

/* Drop the smallest pending values: a smaller depth skips those DTS slots. */
static void shrink(struct ls_reorder *ro, int depth)
{
    int drop = ro->npend - depth;
    if (drop <= 0)
        return;
    memmove(ro->pend, ro->pend + drop, (size_t)depth * sizeof(ro->pend[0]));
    ro->npend = depth;
}

void ls_reorder_set_declared(struct ls_reorder *ro, int depth)
{
    ro->declared = depth < 0 ? -1 : clamp_depth(depth);
    /* A declared depth describes the new encoder configuration; a measured one is all
     * there is when the SPS says nothing, so it is kept then. */
    if (ro->declared >= 0)
        ro->measured = ro->window_max = ro->window_frames = 0;
    int want = wanted(ro);
    if (want < ro->depth) {
        shrink(ro, want);
        ro->depth = want;
    }
}

void ls_reorder_restart(struct ls_reorder *ro)
{
    ro->started = false;
}

static void pend_insert(struct ls_reorder *ro, int64_t v)
{
    int i = ro->npend;
    for (; i > 0 && ro->pend[i - 1] > v; i--)
        ro->pend[i] = ro->pend[i - 1];
    ro->pend[i] = v;
    ro->npend++;
}

static int64_t pend_pop(struct ls_reorder *ro)
{
    int64_t v = ro->pend[0];
    ro->npend--;
    memmove(ro->pend, ro->pend + 1, (size_t)ro->npend * sizeof(ro->pend[0]));
    return v;
}

static void hist_add(struct ls_reorder *ro, int64_t pts)
{
    ro->hist[ro->hist_pos] = pts;
    ro->hist_pos = (ro->hist_pos + 1) % LS_REORDER_HIST;
    if (ro->nhist < LS_REORDER_HIST)
        ro->nhist++;
}

/* Frames decoded before this one that are presented after it: its reorder depth. */
static int inversions(const struct ls_reorder *ro, int64_t pts)
{
    int n = 0;
    for (int i = 0; i < ro->nhist; i++)
        n += ro->hist[i] > pts;
    return n;
}

/*
 * The measured depth is the largest seen over the last LS_REORDER_WINDOW
 * frames. A real structure shows its depth at every group of pictures and
 * keeps it; a timestamp glitch (a step back that reads like reordering)
 * raises it once and it falls back a window later, instead of delaying the
 * stream's presentation for good.
 */
static void measure(struct ls_reorder *ro, int inv)
{
    inv = clamp_depth(inv);
    if (inv > ro->measured)
        ro->measured = inv;
    if (inv > ro->window_max)
        ro->window_max = inv;
    if (++ro->window_frames < LS_REORDER_WINDOW)
        return;
    ro->measured = ro->window_max;
    ro->window_max = 0;
    ro->window_frames = 0;
    int want = wanted(ro);
    if (want < ro->depth) {
        shrink(ro, want); /* skips DTS slots: the DTS jumps ahead, never back */
        ro->depth = want;
    }
}

/* A fresh timeline: the frames before this one would have taken the DTS slots
 * just below it, one nominal step apart. */
static void start(struct ls_reorder *ro, int64_t pts, int64_t step)
{
    ro->depth = wanted(ro);
    ro->npend = 0;
    for (int k = ro->depth; k > 0; k--)
        ro->pend[ro->npend++] = ls_sat_add(pts, -ls_sat_mul(k, step));
    ro->nhist = ro->hist_pos = 0;
    ro->max_pts = pts;
    ro->started = true;
}

/*
 * The depth must grow to @p depth: the pending set becomes what it would be
 * had the depth been known from the start — the largest recent PTS values
 * (the frames decoded early are those presented late), padded below.
 */
static void grow(struct ls_reorder *ro, int depth, int64_t step)
{
    int64_t top[LS_REORDER_MAX]; /* the largest values seen, ascending */
    int n = 0;
    for (int i = 0; i < ro->nhist; i++) {
        int64_t v = ro->hist[i];
        int j;
        if (n < depth) {
            for (j = n++; j > 0 && top[j - 1] > v; j--)
                top[j] = top[j - 1];
        } else if (depth > 0 && v > top[0]) {
            for (j = 0; j + 1 < depth && top[j + 1] < v; j++)
                top[j] = top[j + 1];
        } else {
            continue;
        }
        top[j] = v;
    }
    int64_t low = n ? top[0] : ro->max_pts;
    ro->npend = 0;
    for (int k = depth - n; k > 0; k--)
        ro->pend[ro->npend++] = ls_sat_add(low, -ls_sat_mul(k, step));
    for (int i = 0; i < n; i++)
        ro->pend[ro->npend++] = top[i];
    ro->depth = depth;
}

static bool discontinuity(const struct ls_reorder *ro, int64_t pts, int64_t jump, int64_t step)
{
    /* A P-frame comes as many frames ahead of the newest PTS as there are B-frames
     * before it, and a B-frame as many behind: at low frame rates that is more than the
     * jump threshold, and must not read as a discontinuity. */
    int64_t j = ls_sat_mul(LS_REORDER_MAX + 2, step);
    j = jump > j ? jump : j;
    return pts > ls_sat_add(ro->max_pts, j) || pts < ls_sat_add(ro->last_dts, -j);
}

struct ls_reorder_ts ls_reorder_push(struct ls_reorder *ro, int64_t pts, int64_t frame_ticks,
                                     int64_t jump_ticks)
{
    int64_t step = frame_ticks > 0 ? frame_ticks : ro->step > 0 ? ro->step : 1;
    bool fresh = !ro->started || discontinuity(ro, pts, jump_ticks, step);
    if (fresh) {
        start(ro, pts, step);
    } else {
        measure(ro, inversions(ro, pts));
        int want = wanted(ro);
        if (want > ro->depth) {
            if (ro->measured > ro->depth)
                ro->raised++;
            grow(ro, want, step);
        }
    }
    hist_add(ro, pts);
    if (pts > ro->max_pts)
        ro->max_pts = pts;
    pend_insert(ro, pts);
    struct ls_reorder_ts out = { pend_pop(ro), pts };
    if (!fresh && out.dts <= ro->last_dts)
        out.dts = ls_sat_add(ro->last_dts, 1); /* the depth was learnt late: squeeze */
    else if (!fresh)
        ro->step = ls_sat_sub(out.dts, ro->last_dts);
    if (out.pts < out.dts) {
        out.pts = out.dts;
        ro->moved++;
    }
    ro->last_dts = out.dts;
    return out;
}
