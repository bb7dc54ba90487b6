/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the DTS derivation (lib/reorder.c). Two modes, by bit 7 of
 * byte 0:
 *
 * Random (0): byte 0 = declared depth + 1, bytes 1-2 pick the frame period and
 * the jump threshold (extremes included), then records [op:1][value:4]: the
 * PTS moves by the signed value, or is an extreme one, with restarts and new
 * declared depths in between. Checked: the DTS never above the PTS, the PTS
 * never moved down, the DTS strictly increasing within a timeline (pinned at
 * INT64_MAX excepted), and a timeline restarts only at a PTS further than the
 * threshold from the recent ones.
 *
 * Structured (1): byte 1 = frame period, byte 2 = jitter and extra declared
 * depth, then frames [key:1][step:1]: display times step by step, decoded in
 * the order of i * 16 + key (key 0xff: a new segment — restart, jump forward
 * or back — with step saying which). Each segment starts with its earliest
 * frame (closed GOP) and declares at least its true reorder depth, so each
 * frame's DTS must be exactly the reorder buffer's: no frame moved, nothing
 * raised.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/codec/reorder.h"

#define MAXF 1024

static void check(bool ok)
{
    if (!ok)
        abort();
}

static int64_t rd32(const uint8_t *p)
{
    return (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
}

static const int64_t extremes[8] = {INT64_MIN + 1, INT64_MIN + 90000, -1, 0,
                                    1, INT64_MAX - 90000, INT64_MAX - 1, INT64_MAX};

static void random_mode(const uint8_t *data, size_t size)
{
    static const int64_t ticks[8] = {0, 1, 3600, 3003, 45000, -7, INT64_MAX, INT64_MIN};
    struct ls_reorder ro;
    ls_reorder_init(&ro);
    ls_reorder_set_declared(&ro, (data[0] & 0x1f) - 1);
    int64_t ft = ticks[data[1] & 7], jump = data[2] & 8 ? ticks[data[2] & 7] : 90000;
    int64_t pts = (int64_t)((uint64_t)data[1] << 56) >> 8, last = 0, max = 0;
    bool fresh_due = true;
    for (size_t pos = 3; pos + 5 <= size; pos += 5) {
        uint8_t op = data[pos];
        int64_t v = rd32(data + pos + 1);
        if ((op & 3) == 1) {
            pts = extremes[(op >> 2) & 7];
        } else {
            if ((op & 3) == 2) {
                ls_reorder_restart(&ro);
                fresh_due = true;
            } else if ((op & 3) == 3) {
                ls_reorder_set_declared(&ro, (int8_t)(op & 0xf0) >> 4);
            }
            pts = (int64_t)((uint64_t)pts + (uint64_t)v); /* wraps: any value is fair */
        }
        if (op & 0x80)
            ft = v;
        struct ls_reorder_ts o = ls_reorder_push(&ro, pts, ft, jump);
        check(o.dts <= o.pts && o.pts >= pts);
        bool fresh = ro.nhist == 1; /* a timeline starts: the history restarts with this frame */
        if (!fresh)
            check(o.dts > last || last == INT64_MAX);
        else if (!fresh_due && jump > 0) /* a discontinuity: further than the jump */
            check((__int128)pts > (__int128)max + jump || (__int128)pts < (__int128)last - jump);
        if (fresh || pts > max)
            max = pts;
        last = o.dts;
        fresh_due = false;
    }
}

struct seg {
    int64_t t[MAXF]; /* display times, ascending */
    int key[MAXF], order[MAXF], n;
};

/* Decode order: by key, then display index (an insertion sort, n <= MAXF). */
static void sort_order(struct seg *s)
{
    for (int i = 0; i < s->n; i++) {
        int v = i, j = i;
        for (; j > 0 && s->key[s->order[j - 1]] > s->key[v]; j--)
            s->order[j] = s->order[j - 1];
        s->order[j] = v;
    }
}

/* Run one segment; @return its last DTS. */
static int64_t run_segment(struct ls_reorder *ro, struct seg *s, int extra, int64_t ft,
                           int64_t jump)
{
    sort_order(s);
    int depth = 0;
    for (int i = 0; i < s->n; i++) { /* frames decoded before, shown after */
        int inv = 0;
        for (int j = 0; j < i; j++)
            inv += s->order[j] > s->order[i];
        depth = inv > depth ? inv : depth;
    }
    bool exact = depth + extra <= LS_REORDER_MAX;
    int declared = exact ? depth + extra : LS_REORDER_MAX;
    ls_reorder_set_declared(ro, declared);
    uint64_t moved = ro->moved, raised = ro->raised;
    int64_t last = 0, max = s->t[0];
    for (int i = 0; i < s->n; i++) {
        int64_t pts = s->t[s->order[i]];
        exact = exact && pts - max <= jump;
        max = pts > max ? pts : max;
        struct ls_reorder_ts o = ls_reorder_push(ro, pts, ft, jump);
        check(o.dts <= o.pts && (i == 0 || o.dts > last || ro->nhist == 1));
        int64_t want = i >= declared ? s->t[i - declared] : s->t[0] - (declared - i) * ft;
        if (exact)
            check(o.pts == pts && o.dts == want && ro->moved == moved && ro->raised == raised);
        last = o.dts;
    }
    return last;
}

static void structured_mode(const uint8_t *data, size_t size)
{
    static struct seg s;
    struct ls_reorder ro;
    ls_reorder_init(&ro);
    int64_t ft = 1 + (int64_t)data[1] * 256, unit = ft / 64 + 1, jump = 40 * ft + 16384;
    int r = 1 + (data[2] & 7), extra = (data[2] >> 3) % 3;
    int64_t origin = (int64_t)1 << 40, last = 0;
    s.n = 0;
    for (size_t pos = 3; pos + 2 <= size || s.n; pos += 2) {
        bool end = pos + 2 > size, brk = !end && data[pos] == 0xff;
        if (!end && !brk && s.n < MAXF) {
            s.t[s.n] = s.n ? s.t[s.n - 1] + 1 + data[pos + 1] * unit : origin;
            s.key[s.n] = s.n ? s.n * 16 + data[pos] % (16 * r + 1) : -1; /* closed start */
            s.n++;
            continue;
        }
        if (s.n) {
            last = run_segment(&ro, &s, extra, ft, jump);
            int64_t max = s.t[s.n - 1];
            uint8_t how = end ? 0 : data[pos + 1];
            int64_t more = (how >> 2) * ft;
            if ((how & 3) == 1)
                origin = max + jump + 20 * ft + 1 + more; /* a jump forward */
            else if ((how & 3) == 2)
                origin = last - jump - 20 * ft - 1 - more; /* a jump back */
            else
                origin = max - more, ls_reorder_restart(&ro);
            if ((how & 3) == 3)
                extra = (how >> 2) % 3;
            s.n = 0;
        }
        if (end)
            break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    if (data[0] & 0x80)
        structured_mode(data, size);
    else
        random_mode(data, size);
    return 0;
}
