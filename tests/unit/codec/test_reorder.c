/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * DTS from PTS (lib/reorder.c): decode orders generated for many GOP
 * structures, frame rates and origins, checked against properties — DTS
 * strictly increasing and never above the PTS, PTS untouched, and the ideal
 * DTS of a decoder's reorder buffer (DTS of decode index n = the (n - depth)th
 * smallest PTS, one nominal step apart below the first frame).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/codec/reorder.h"
#include "tests/unit/test.h"

#define NF 120           /* frames per run */
#define JUMP 90000       /* 1 s at 90 kHz, the remuxer's default */

static uint64_t rng = 0x9e3779b97f4a7c15u;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* B-frames per group (flat: B1 B2 .. after the P; pyramid: 2^levels - 1 in
 * hierarchical order); every idr_every-th group has none (closed GOP: the
 * IDR after it shows after everything before). Groups without idr_every are
 * open-GOP-like: the I/P is decoded before the B-frames shown before it. */
struct shape {
    const char *name;
    int b;
    bool pyramid;
    int depth;
    int idr_every;
};
static const struct shape shapes[] = {
    {"IPPP", 0, false, 0, 0},         {"IBBP", 2, false, 1, 0},
    {"IBBBP", 3, false, 1, 0},        {"IBBP closed GOP", 2, false, 1, 3},
    {"pyramid 3", 3, true, 2, 0},     {"pyramid 3 closed GOP", 3, true, 2, 4},
    {"pyramid 7", 7, true, 3, 0},
};

static void pyramid(int *disp, int *n, int lo, int hi)
{
    if (lo > hi)
        return;
    int mid = (lo + hi) / 2;
    disp[(*n)++] = mid;
    pyramid(disp, n, lo, mid - 1);
    pyramid(disp, n, mid + 1, hi);
}

/* Display index of each frame in decode order; a permutation of 0..n-1. */
static int gen(const struct shape *s, int *disp)
{
    int n = 0, base = 0;
    disp[n++] = 0;
    for (int g = 1; n + s->b + 1 <= NF; g++) {
        int b = s->idr_every && g % s->idr_every == 0 ? 0 : s->b;
        disp[n++] = base + b + 1;
        if (s->pyramid)
            pyramid(disp, &n, base + 1, base + b);
        else
            for (int i = 1; i <= b; i++)
                disp[n++] = base + i;
        base += b + 1;
    }
    return n;
}

struct cfg {
    const struct shape *s;
    int64_t period, origin;
    int declared; /* -1: not declared */
    bool vfr;     /* steps between p/2 and 3p/2 instead of p */
};

static void say(const struct cfg *c, const char *what, int n)
{
    fprintf(stderr, "  %s, period %" PRId64 ", origin %" PRId64 ", declared %d%s: %s at frame %d\n",
            c->s->name, c->period, c->origin, c->declared, c->vfr ? ", vfr" : "", what, n);
}

/* One run: each property checked once, the first frame that breaks it reported. */
static void run(const struct cfg *c)
{
    int disp[NF], n = gen(c->s, disp), depth = c->s->depth;
    int64_t t[NF]; /* presentation time of display index i */
    t[0] = c->origin;
    for (int i = 1; i < n; i++)
        t[i] = t[i - 1] + (c->vfr ? c->period / 2 + (int64_t)(rnd() % (uint64_t)c->period) : c->period);
    struct ls_reorder ro;
    ls_reorder_init(&ro);
    ls_reorder_set_declared(&ro, c->declared);
    int eff = c->declared > depth ? c->declared : depth;
    bool learns = depth > (c->declared > 0 ? c->declared : 0);
    int ideal = learns ? 1 + 2 * (c->s->b + 1) : 0; /* from here on: the ideal DTS */
    int gop1 = 1 + c->s->b + 1;                      /* the first group ends here */
    enum { INC, LE, PTS, IDEAL, LATE, NPROP };
    static const char *const what[NPROP] = {"DTS not increasing", "DTS above PTS", "PTS moved",
                                            "DTS not the ideal one", "raised/moved after group 1"};
    int bad[NPROP] = {-1, -1, -1, -1, -1};
#define FIRST(k, cond) if ((cond) && bad[k] < 0) bad[k] = i
    uint64_t raised_gop1 = 0, moved_gop1 = 0;
    int64_t last = 0;
    for (int i = 0; i < n; i++) {
        int64_t pts = t[disp[i]];
        struct ls_reorder_ts o = ls_reorder_push(&ro, pts, c->period, JUMP);
        int64_t want = i >= eff ? t[i - eff] : t[0] - (eff - i) * c->period;
        FIRST(INC, i && o.dts <= last);
        FIRST(LE, o.dts > o.pts);
        FIRST(PTS, o.pts != pts && !learns);
        FIRST(IDEAL, i >= ideal && o.dts != want);
        if (i == gop1 - 1)
            raised_gop1 = ro.raised, moved_gop1 = ro.moved;
        FIRST(LATE, i >= gop1 && (ro.raised != raised_gop1 || ro.moved != moved_gop1));
        last = o.dts;
    }
#undef FIRST
    for (int k = 0; k < NPROP; k++) {
        CHECK(bad[k] < 0);
        if (bad[k] >= 0)
            say(c, what[k], bad[k]);
    }
    CHECK_EQ_INT(ro.depth, eff);
    if (learns) /* each level of a pyramid is learnt when first seen */
        CHECK(ro.raised >= 1 && ro.raised <= (uint64_t)(depth - (c->declared > 0 ? c->declared : 0)));
    else
        CHECK(ro.raised == 0 && ro.moved == 0);
}

static void test_structures(void)
{
    const int64_t periods[] = {3600, 3003, 45000, 1500, 1};
    for (size_t si = 0; si < sizeof(shapes) / sizeof(shapes[0]); si++)
        for (size_t pi = 0; pi < sizeof(periods) / sizeof(periods[0]); pi++) {
            int64_t p = periods[pi];
            const int64_t origins[] = {0, 1234567, -987654321, (int64_t)(rnd() >> 2),
                                       -(int64_t)(rnd() >> 2), INT64_MAX - 2 * NF * p,
                                       INT64_MIN + 4 * p}; /* declared 4: first DTS INT64_MIN */
            const struct shape *s = &shapes[si];
            for (size_t oi = 0; oi < sizeof(origins) / sizeof(origins[0]); oi++) {
                int declared[] = {s->depth, -1, s->depth - 1, s->depth + 1};
                for (int di = 0; di < 4; di++) {
                    if (declared[di] < -1 || (p == 1 && di))
                        continue;
                    run(&(struct cfg){s, p, origins[oi], declared[di], false});
                    /* Steps up to 1.5 p: only where a group stays within the jump. */
                    if (p > 2 && 2 * (s->b + 1) * p <= JUMP)
                        run(&(struct cfg){s, p, origins[oi], declared[di], true});
                }
            }
        }
}

/* Push frames of display indices @p disp (times origin + i * p), outputs in @p out. */
static void push_all(struct ls_reorder *ro, const int *disp, int n, int64_t origin, int64_t p,
                     struct ls_reorder_ts *out)
{
    for (int i = 0; i < n; i++)
        out[i] = ls_reorder_push(ro, origin + disp[i] * p, p, JUMP);
}

/* A jump by more than the threshold at a new IDR, forward and back: a new
 * timeline with the ideal DTS from its first frame, nothing raised or moved. */
static void test_jumps(void)
{
    const int64_t jumps[] = {2 * JUMP, -2 * JUMP, 3600LL * 90000, -3600LL * 90000, INT64_MAX / 4};
    for (size_t si = 0; si < sizeof(shapes) / sizeof(shapes[0]); si++)
        for (size_t ji = 0; ji < sizeof(jumps) / sizeof(jumps[0]); ji++) {
            const struct shape *s = &shapes[si];
            int disp[NF], n = gen(s, disp);
            struct ls_reorder_ts a[NF], b[NF];
            struct ls_reorder ro;
            ls_reorder_init(&ro);
            ls_reorder_set_declared(&ro, s->depth);
            int64_t p = 3600, o1 = 1000000, o2 = o1 + (n - 1) * p + jumps[ji];
            push_all(&ro, disp, n, o1, p, a);
            push_all(&ro, disp, n, o2, p, b);
            int bad = 0;
            for (int i = 0; i < n; i++) {
                int64_t want = o2 + (i - s->depth) * p;
                bad += b[i].dts != want || b[i].pts != o2 + disp[i] * p;
                bad += b[i].pts - b[i].dts > (s->depth + s->b + 1) * p;
            }
            CHECK_EQ_INT(bad, 0);
            CHECK(ro.raised == 0 && ro.moved == 0);
            CHECK_EQ_INT(ro.depth, s->depth);
        }
}

/* A jump in the middle of a group (every later frame shifted): a new timeline
 * at that frame; no depth raise, no huge composition time, order kept. */
static void test_jump_mid_group(void)
{
    const struct shape *s = &shapes[6]; /* pyramid 7 */
    int disp[NF], n = gen(s, disp);
    struct ls_reorder ro;
    ls_reorder_init(&ro);
    ls_reorder_set_declared(&ro, s->depth);
    int64_t p = 3003, shift = 0, last = 0;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        if (i == 10)
            shift = -50 * JUMP;
        int64_t pts = disp[i] * p + shift;
        struct ls_reorder_ts o = ls_reorder_push(&ro, pts, p, JUMP);
        if (i == 10)
            CHECK_EQ_INT(o.dts, pts - s->depth * p); /* restarted there */
        else
            bad += i && o.dts <= last;
        bad += o.dts > o.pts || o.pts - o.dts > 2 * (s->b + 1) * p;
        last = o.dts;
    }
    CHECK_EQ_INT(bad, 0);
    CHECK_EQ_INT(ro.raised, 0);
    CHECK_EQ_INT(ro.depth, s->depth);
}

/* restart() keeps the learnt depth: the new timeline is ideal from its first frame. */
static void test_restart_keeps_depth(void)
{
    int disp[NF], n = gen(&shapes[1], disp); /* IBBP */
    struct ls_reorder_ts a[NF], b[NF];
    struct ls_reorder ro;
    ls_reorder_init(&ro);
    push_all(&ro, disp, n, 0, 3600, a);
    uint64_t raised = ro.raised, moved = ro.moved;
    CHECK_EQ_INT(raised, 1);
    ls_reorder_restart(&ro);
    push_all(&ro, disp, n, 77 * 3600, 3600, b); /* not a jump: only restart() says so */
    CHECK_EQ_INT(b[0].dts, 76 * 3600);
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += b[i].dts != (76 + i) * 3600 || b[i].pts != (77 + disp[i]) * 3600;
    CHECK_EQ_INT(bad, 0);
    CHECK(ro.raised == raised && ro.moved == moved && ro.depth == 1);
}

/* A new SPS with a smaller depth: pending slots are skipped, the DTS never goes back. */
static void test_declared_smaller(void)
{
    int disp[NF], n = gen(&shapes[6], disp), d2[NF], n2 = gen(&shapes[1], d2);
    struct ls_reorder_ts a[NF], b[NF];
    struct ls_reorder ro;
    ls_reorder_init(&ro);
    ls_reorder_set_declared(&ro, 3);
    push_all(&ro, disp, n, 0, 3600, a);
    ls_reorder_set_declared(&ro, 1);
    CHECK_EQ_INT(ro.depth, 1);
    CHECK_EQ_INT(ro.npend, 1);
    push_all(&ro, d2, n2, n * 3600, 3600, b); /* IBBP from an IDR shown after all */
    int bad = b[0].dts <= a[n - 1].dts;
    for (int i = 0; i < n2; i++)
        bad += b[i].dts != (n - 1 + i) * 3600 || b[i].pts != (n + d2[i]) * 3600;
    CHECK_EQ_INT(bad, 0);
    CHECK(ro.raised == 0 && ro.moved == 0);
}

/* Extreme inputs: no overflow (UBSan), DTS never above the PTS, increasing within a
 * timeline (a fresh one restarts the history: nhist 1) unless pinned at INT64_MAX. */
static void test_extremes(void)
{
    const int64_t ticks[] = {0, 1, 3600, -5, INT64_MAX, INT64_MIN};
    const int64_t vals[] = {INT64_MIN + 1, INT64_MIN + 10, INT64_MAX, INT64_MAX - 1, 0, -1};
    struct ls_reorder ro;
    ls_reorder_init(&ro);
    int bad = 0;
    int64_t last = 0;
    for (int i = 0; i < 20000; i++) {
        uint64_t r = rnd();
        if (r % 97 == 0)
            ls_reorder_set_declared(&ro, (int)(r >> 8) % 40 - 2);
        if (r % 89 == 0)
            ls_reorder_restart(&ro);
        int64_t pts = r % 7 < 2 ? vals[(r >> 3) % 6] : (int64_t)rnd() >> (r >> 10) % 64;
        struct ls_reorder_ts o = ls_reorder_push(&ro, pts, ticks[(r >> 16) % 6],
                                                 r % 5 ? JUMP : ticks[(r >> 20) % 6]);
        bad += o.dts > o.pts || o.pts < pts;
        bad += ro.nhist > 1 && o.dts <= last && last != INT64_MAX;
        last = o.dts;
    }
    CHECK_EQ_INT(bad, 0);
    /* The first DTS of a timeline near INT64_MIN saturates; the next must not overflow. */
    ls_reorder_init(&ro);
    ls_reorder_set_declared(&ro, 1);
    struct ls_reorder_ts o1 = ls_reorder_push(&ro, INT64_MIN + 10, 3600, JUMP);
    struct ls_reorder_ts o2 = ls_reorder_push(&ro, INT64_MIN + 3610, 3600, JUMP);
    CHECK(o1.dts == INT64_MIN && o2.dts == INT64_MIN + 10 && o2.pts == INT64_MIN + 3610);
}

/* A timeline that begins with an open GOP: the I-frame is shown after the B-frames
 * decoded next (a CRA or IDR_W_RADL with leading pictures, a restart at a P after a
 * jump). The first DTS was given before those frames came, so they are shown just
 * after it (moved, counted), in order; from the next group on, nothing moves. */
static void test_open_gop_start(void)
{
    static const int disp[] = {3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10}; /* I3 B0 B1 B2 P7 .. */
    struct ls_reorder_ts o[12];
    struct ls_reorder ro;
    ls_reorder_init(&ro);
    ls_reorder_set_declared(&ro, 1);
    push_all(&ro, disp, 12, 0, 3600, o);
    int bad = 0;
    for (int i = 0; i < 12; i++)
        bad += o[i].dts > o[i].pts || (i && o[i].dts <= o[i - 1].dts);
    CHECK_EQ_INT(bad, 0);
    /* the leading frames keep their order, before the I-frame */
    CHECK(o[1].pts < o[2].pts && o[2].pts < o[3].pts && o[3].pts < o[0].pts);
    CHECK_EQ_INT(ro.moved, 3);
    for (int i = 4; i < 12; i++)
        bad += o[i].pts != disp[i] * 3600;
    CHECK_EQ_INT(bad, 0);
}

int main(void)
{
    test_structures();
    test_jumps();
    test_jump_mid_group();
    test_restart_keeps_depth();
    test_declared_smaller();
    test_extremes();
    test_open_gop_start();
    return test_done("test_reorder");
}
