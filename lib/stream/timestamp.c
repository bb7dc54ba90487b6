/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Timestamp repair. Cameras send DTS with any origin, wrapping 32-bit RTP
 * clocks, jumps, steps back and holes; FLV wants milliseconds from near 0
 * that never go back. The design, per packet of stream s (o is the other):
 *
 * - Input ticks are unwrapped (a step back by about 2^32 ticks that is a
 *   small step modulo 2^32 adds 2^32; a step forward by about 2^32 after
 *   that takes it back), then floored to ms. Flooring absolute values (not
 *   summing steps) keeps rounding from drifting.
 * - Each stream maps out = in + offset. The first packet of the first stream
 *   gets 0; the first of the second stream uses the other's offset when that
 *   lands within the jump threshold of the other's clock, else it starts at
 *   the other's clock.
 * - Within the threshold the mapping is kept: a gap forward stays a gap, a
 *   step back is squeezed (1 ms after the previous packet of its stream:
 *   FLV allows equal audio timestamps, FFmpeg's muxers do not). A glitch of one packet
 *   thus costs a stutter, never a lasting audio/video offset.
 * - Past the threshold (forward, or back beyond it), after a splice, or on
 *   the first real timestamp after made-up ones, the stream "rebases": it
 *   takes the other stream's mapping if that places it within the threshold
 *   of its last output (both streams jumped, or the glitch is over:
 *   alignment is exact again), else keeps its own when that does (a small
 *   step back, squeezed), else continues at last_out + its typical step.
 *   Only rebasing changes an offset.
 * - A missing timestamp is made up as last_out + typical step.
 * - A stream that would fall more than twice the threshold behind the other's
 *   clock is moved forward to it, so independent repairs of the two streams
 *   cannot pull them apart without bound. The leading stream is never held
 *   back: the other may simply have stopped (a camera's audio can).
 * - The typical step is the median of the last LS_TS_STEPS normal steps.
 * - Internal values saturate (inputs at ±2^52 ms, outputs at 2^62 ms), so no
 *   input, however absurd, overflows.
 * docs/timestamps.md gives the rules for users.
 */
#include <string.h>

#include "lib/util/sat.h"
#include "lib/stream/timestamp.h"

#define TS_DEFAULT_THRESHOLD_MS 1000
#define TS_DEFAULT_VIDEO_STEP 40 /* 25 fps */
#define TS_DEFAULT_AUDIO_STEP 21 /* 1024 AAC samples at 48 kHz */
#define TS_IN_LIMIT ((int64_t)1 << 52)
#define TS_OUT_MAX ((int64_t)1 << 62)
#define TS_WRAP ((int64_t)1 << 32)

/* Where a packet goes, and how it got there. */
struct ts_place {
    int64_t out;
    int64_t offset; /* the stream's mapping from now on */
    bool counted;   /* a repair counter already took this packet */
};

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* floor(ticks * num / den) in ms, saturated to ±TS_IN_LIMIT, with no
 * intermediate overflow: num * 1000 < 2^41 and the remainder term is split
 * so that each product stays below 2^62. */
int64_t ls_ts_ticks_to_ms(int64_t ticks, int num, int den)
{
    if (num <= 0 || den <= 0) {
        num = 1;
        den = 1000;
    }
    int64_t mul = (int64_t)num * 1000;
    int64_t q = ticks / den, r = ticks % den;
    if (r < 0) {
        r += den;
        q--;
    }
    if (q > TS_IN_LIMIT / mul)
        return TS_IN_LIMIT;
    if (q < -(TS_IN_LIMIT / mul))
        return -TS_IN_LIMIT;
    int64_t frac = r * (mul / den) + r * (mul % den) / den;
    return clamp64(q * mul + frac, -TS_IN_LIMIT, TS_IN_LIMIT);
}

/* Each stream's timestamps strictly increase. Equal audio timestamps are legal FLV, but
 * FFmpeg's muxers refuse them ("non monotonically increasing dts"), and short G.711 packets
 * (a camera's payloader under load) can round to the same millisecond. */
static int64_t min_step(enum ls_ts_stream s)
{
    (void)s;
    return 1;
}

static int64_t threshold(const struct ls_ts *ts)
{
    return ts->jump_threshold_ms;
}

static void init_stream(struct ls_ts_stream_state *st, int64_t delta)
{
    memset(st, 0, sizeof(*st));
    st->delta = delta;
}

void ls_ts_init(struct ls_ts *ts, uint32_t jump_threshold_ms)
{
    if (!ts)
        return;
    memset(ts, 0, sizeof(*ts));
    /* 0 would make every forward step a jump: take the default instead. */
    ts->jump_threshold_ms = jump_threshold_ms ? jump_threshold_ms : TS_DEFAULT_THRESHOLD_MS;
    init_stream(&ts->st[LS_TS_VIDEO], TS_DEFAULT_VIDEO_STEP);
    init_stream(&ts->st[LS_TS_AUDIO], TS_DEFAULT_AUDIO_STEP);
}

void ls_ts_splice(struct ls_ts *ts)
{
    if (!ts)
        return;
    bool any = false;
    for (int i = 0; i < LS_TS_NSTREAMS; i++) {
        struct ls_ts_stream_state *st = &ts->st[i];
        /* The new session's ticks say nothing about the old wraps. */
        st->have_ticks = false;
        st->wrap_add = 0;
        if (st->started) {
            st->resync = true;
            any = true;
        }
    }
    if (any) {
        ts->repairs.reconnect++;
        ts->splice_pending = true;
    }
}

/* Record a normal step and make the typical step their median: one dropped
 * frame or a burst of audio must not change it. */
static void learn_step(struct ls_ts_stream_state *st, int64_t step)
{
    st->steps[st->step_pos] = (uint32_t)step;
    st->step_pos = (st->step_pos + 1) % LS_TS_STEPS;
    if (st->nsteps < LS_TS_STEPS)
        st->nsteps++;
    uint32_t v[LS_TS_STEPS];
    for (uint32_t i = 0; i < st->nsteps; i++) {
        uint32_t x = st->steps[i], j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
    st->delta = v[st->nsteps / 2];
}

/* Has the 32-bit tick counter wrapped between @p last and @p raw? Returns
 * +1 for a wrap (raw went back by about 2^32), -1 for its reverse (raw went
 * forward by about 2^32: a late packet from before a wrap, or the end of a
 * false one), 0 otherwise. Only when the step modulo 2^32 is small. */
static int wrap_dir(const struct ls_ts *ts, int64_t last, int64_t raw, int num, int den)
{
    int64_t m = (int64_t)(((uint64_t)raw - (uint64_t)last) & 0xffffffffu);
    if (m >= TS_WRAP / 2)
        m -= TS_WRAP; /* the step modulo 2^32, in [-2^31, 2^31) */
    if (ls_ts_ticks_to_ms(m < 0 ? -m : m, num, den) > threshold(ts))
        return 0;
    if (raw < last && (uint64_t)last - (uint64_t)raw == (uint64_t)(TS_WRAP - m))
        return 1;
    if (raw > last && (uint64_t)raw - (uint64_t)last == (uint64_t)(TS_WRAP + m))
        return -1;
    return 0;
}

/* Raw ticks to unwrapped ticks: undo 32-bit RTP clock wraps that nobody
 * unwrapped (FFmpeg usually does). */
static int64_t unwrap(struct ls_ts *ts, struct ls_ts_stream_state *st, int64_t raw, int num,
                      int den)
{
    if (st->have_ticks && (st->tb_num != num || st->tb_den != den)) {
        st->have_ticks = false;
        st->wrap_add = 0;
    }
    int dir = st->have_ticks ? wrap_dir(ts, st->last_ticks, raw, num, den) : 0;
    if (dir > 0) {
        st->wrap_add = ls_sat_add(st->wrap_add, TS_WRAP);
        ts->repairs.wrap++;
    } else if (dir < 0 && st->wrap_add >= TS_WRAP) {
        st->wrap_add -= TS_WRAP;
    }
    st->last_ticks = raw;
    st->have_ticks = true;
    st->tb_num = num;
    st->tb_den = den;
    return ls_sat_add(raw, st->wrap_add);
}

/* The other stream's offset, when it describes the current input origin. */
static bool offset_usable(const struct ls_ts_stream_state *o)
{
    return o->started && o->have_in && !o->resync;
}

/* First packet of a stream: 0 for the very first, else on the other's clock. */
static int64_t start_out(const struct ls_ts *ts, enum ls_ts_stream s, int64_t in, bool have_in)
{
    const struct ls_ts_stream_state *o = &ts->st[s ^ 1];
    if (!o->started)
        return 0;
    if (have_in && offset_usable(o)) {
        int64_t cand = ls_sat_add(in, o->offset);
        int64_t skew = ls_sat_add(cand, -o->last_out);
        if (skew >= -threshold(ts) && skew <= threshold(ts))
            return cand > 0 ? cand : 0;
    }
    return o->last_out;
}

/* At a discontinuity, try a known mapping: it must place this packet within
 * the threshold of the stream's last output (squeezed if just before it). */
static bool try_mapping(const struct ls_ts *ts, enum ls_ts_stream s, int64_t in, int64_t offset,
                        struct ts_place *p)
{
    const struct ls_ts_stream_state *st = &ts->st[s];
    int64_t cand = ls_sat_add(in, offset), lo = st->last_out + min_step(s);
    int64_t d = ls_sat_add(cand, -st->last_out);
    if (d < -threshold(ts) || d > threshold(ts))
        return false;
    *p = (struct ts_place){ cand > lo ? cand : lo, offset, true };
    return true;
}

/* Continue a stream at a discontinuity (counted by the caller). Best on the
 * other's mapping (both jumped, or our glitch is over: aligned again), then
 * on our own established one (our glitch is over) or current one (a small
 * step back: squeezed); else one typical step after the last output. A
 * splice only trusts the other's new mapping. */
static struct ts_place rebase(const struct ls_ts *ts, enum ls_ts_stream s, int64_t in,
                              bool spliced)
{
    const struct ls_ts_stream_state *st = &ts->st[s], *o = &ts->st[s ^ 1];
    struct ts_place p;
    if (offset_usable(o) && try_mapping(ts, s, in, o->offset, &p))
        return p;
    if (!spliced && st->have_in &&
        (try_mapping(ts, s, in, st->home_offset, &p) || try_mapping(ts, s, in, st->offset, &p)))
        return p;
    int64_t out = st->last_out + st->delta;
    return (struct ts_place){ out, out - in, true };
}

static struct ts_place place_real(struct ls_ts *ts, enum ls_ts_stream s, int64_t in)
{
    struct ls_ts_stream_state *st = &ts->st[s];
    if (!st->started) {
        int64_t out = start_out(ts, s, in, true);
        return (struct ts_place){ out, out - in, false };
    }
    /* The splice and the made-up timestamps were counted already. */
    if (st->resync || !st->have_in)
        return rebase(ts, s, in, st->resync);
    int64_t step = in - st->last_in;
    struct ts_place p = { ls_sat_add(in, st->offset), st->offset, false };
    if (step > threshold(ts)) {
        ts->repairs.jump++;
        return rebase(ts, s, in, false);
    }
    if (step < 0 || p.out < st->last_out - threshold(ts)) {
        ts->repairs.backward++;
        return rebase(ts, s, in, false);
    }
    if (step > 0 && !st->made_up)
        learn_step(st, step);
    int64_t lo = st->last_out + min_step(s);
    if (p.out < lo) {
        /* The same DTS as the previous packet of the stream, or overtaken by a
         * made-up timestamp or a squeeze: just after the previous packet. */
        ts->repairs.equal++;
        p.out = lo;
        p.counted = true;
    }
    return p;
}

static struct ts_place place_missing(struct ls_ts *ts, enum ls_ts_stream s)
{
    struct ls_ts_stream_state *st = &ts->st[s];
    ts->repairs.missing++;
    int64_t out = st->started ? st->last_out + st->delta : start_out(ts, s, 0, false);
    return (struct ts_place){ out, st->offset, true };
}

/* A stream far behind the other moves up to the other's clock. Returns by
 * how much. */
static int64_t catch_up(struct ls_ts *ts, enum ls_ts_stream s, struct ts_place *p)
{
    const struct ls_ts_stream_state *o = &ts->st[s ^ 1];
    if (!o->started || p->out >= o->last_out - 2 * threshold(ts))
        return 0;
    if (!p->counted)
        ts->repairs.jump++;
    int64_t shift = o->last_out - p->out;
    p->out = o->last_out;
    return shift;
}

/* A mapping that held for a while becomes the one a glitch returns to. */
static void set_offset(struct ls_ts_stream_state *st, int64_t offset)
{
    if (!st->have_in || offset != st->offset)
        st->run = 0;
    if (!st->have_in)
        st->home_offset = offset;
    st->offset = offset;
    if (st->run < LS_TS_STEPS && ++st->run == LS_TS_STEPS)
        st->home_offset = offset;
}

int64_t ls_ts_map(struct ls_ts *ts, enum ls_ts_stream s, int64_t dts, int tb_num, int tb_den)
{
    if (!ts || (unsigned)s >= LS_TS_NSTREAMS)
        return 0;
    if (tb_num <= 0 || tb_den <= 0) {
        tb_num = 1;
        tb_den = 1000;
    }
    struct ls_ts_stream_state *st = &ts->st[s];
    bool have_in = dts != LS_TS_NONE;
    int64_t in = 0;
    struct ts_place p;
    if (have_in) {
        in = ls_ts_ticks_to_ms(unwrap(ts, st, dts, tb_num, tb_den), tb_num, tb_den);
        p = place_real(ts, s, in);
    } else {
        p = place_missing(ts, s);
    }
    int64_t shift = catch_up(ts, s, &p);
    p.out = clamp64(p.out, 0, TS_OUT_MAX);
    if (have_in) {
        if (shift)
            p.offset = p.out - in;
        set_offset(st, p.offset);
        st->last_in = in;
        st->have_in = true;
        st->resync = false;
    } else if (st->have_in && shift) {
        /* A made-up timestamp moved forward takes the mapping along. */
        set_offset(st, ls_sat_add(st->offset, shift));
    }
    st->started = true;
    st->made_up = !have_in;
    st->last_out = p.out;
    ts->splice_pending = ts->st[0].resync || ts->st[1].resync;
    return p.out;
}
