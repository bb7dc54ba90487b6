/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Audio/video interleaving (lib/interleave.c): camera-like arrival patterns
 * (late video, audio in bursts, a stream stopping or absent, headers in the
 * middle) checked against the contract — timestamps never changed, sent in
 * order except for tags counted `late`, per-stream FIFO (headers included),
 * every tag exactly once with balanced references, and a hold bounded by the
 * library's bound (ls_interleave_bound).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/stream/interleave.h"
#include "tests/unit/test.h"

#define MAXN 2048
/* The hold bound is the library's own (ls_interleave_bound: it learns how late streams come). */

struct world {
    struct ls_interleave il;
    struct ls_item *mine[MAXN]; /* every tag pushed, with our own reference */
    int n;
    struct ls_item *out[MAXN];  /* every tag sent, in order, with its timestamp then */
    int64_t out_dts[MAXN];
    int nout, scanned, fail_at;
    int ids[2][MAXN], pushed[2], sent[2]; /* per stream: [0] video, [1] audio */
    int64_t newest[2], first[2];
    bool seen[2], expected[2];
    int bad_hold;
};
static struct world w;

static int id_of(const struct ls_item *it)
{
    int32_t id;
    memcpy(&id, it->body, 4);
    return id;
}

static int64_t ts_of(const struct ls_item *it)
{
    int64_t ts;
    memcpy(&ts, it->body + 4, 8);
    return ts;
}

static int capture(void *opaque, struct ls_item *item)
{
    struct world *x = opaque;
    if (x->nout < MAXN) {
        x->out_dts[x->nout] = item->dts_ms;
        x->out[x->nout++] = ls_item_ref(item);
    }
    return x->nout == x->fail_at ? -EIO : 0;
}

static void begin(bool enabled, bool video, bool audio)
{
    memset(&w, 0, sizeof(w));
    ls_interleave_init(&w.il, enabled, capture, &w);
    ls_interleave_begin(&w.il, video, audio);
    w.expected[0] = video;
    w.expected[1] = audio;
}

static int stream(const struct ls_item *it)
{
    return ls_item_is_header(it) ? -1 : it->kind == LS_ITEM_AUDIO;
}

/* After each push: what is still held waits for nothing it may not wait for. */
static void check_hold(void)
{
    for (; w.scanned < w.nout; w.scanned++)
        if (stream(w.out[w.scanned]) >= 0)
            w.sent[stream(w.out[w.scanned])]++;
    for (int s = 0; s < 2; s++)
        for (int k = w.sent[s]; k < w.pushed[s]; k++) {
            int64_t ts = ts_of(w.mine[w.ids[s][k]]);
            /* nothing to wait for when the other is absent or already past it */
            bool other_passed = !w.expected[!s] || (w.seen[!s] && w.newest[!s] >= ts);
            bool both = w.sent[!s] < w.pushed[!s];
            /* waited too long: the other later than the bound after its last tag, or (not
             * begun) this stream LS_INTERLEAVE_START_WAIT past its first tag */
            bool over = w.seen[!s] ? w.newest[s] - w.newest[!s] > ls_interleave_bound(&w.il)
                                   : w.newest[s] - w.first[s] > LS_INTERLEAVE_START_WAIT;
            if ((over || other_passed || both) && !w.bad_hold++)
                fprintf(stderr, "  held too long: stream %d ts %" PRId64 " (own newest %" PRId64
                        ", other %" PRId64 "%s)\n", s, ts, w.newest[s], w.newest[!s],
                        both ? ", both streams held" : "");
        }
}

static int push_ret(enum ls_item_kind kind, int64_t ts)
{
    struct ls_item *it = ls_item_new(kind, 12);
    int32_t id = w.n;
    memcpy(it->body, &id, 4);
    memcpy(it->body + 4, &ts, 8);
    it->dts_ms = ts;
    w.mine[w.n++] = it;
    int s = stream(it);
    if (s >= 0) {
        w.ids[s][w.pushed[s]++] = id;
        if (!w.seen[s])
            w.first[s] = ts;
        if (!w.seen[s] || ts > w.newest[s])
            w.newest[s] = ts;
        w.seen[s] = true;
    }
    int ret = ls_interleave_push(&w.il, it);
    if (w.il.enabled)
        check_hold();
    return ret;
}

static void push(enum ls_item_kind kind, int64_t ts)
{
    CHECK_EQ_INT(push_ret(kind, ts), 0);
}

/* Headers travel in their stream's order: the metadata and video's with video. */
static int stream_any(const struct ls_item *it)
{
    if (it->kind == LS_ITEM_METADATA)
        return w.expected[0] || !w.expected[1] ? 0 : 1;
    return it->kind == LS_ITEM_AUDIO || it->kind == LS_ITEM_AUDIO_SEQ;
}

/* Flush, then the whole-session properties; @return the media tags sent late. */
static int finish(void)
{
    CHECK_EQ_INT(ls_interleave_flush(&w.il), 0);
    CHECK_EQ_INT(w.nout, w.n);
    CHECK_EQ_INT(w.bad_hold, 0);
    int pos[MAXN], bad_fifo = 0, bad_changed = 0, late = 0;
    int last_id[2] = {-1, -1};
    int64_t high = INT64_MIN;
    for (int i = 0; i < w.n; i++)
        pos[i] = -1;
    for (int k = 0; k < w.nout; k++) {
        const struct ls_item *it = w.out[k];
        int id = id_of(it), s = stream_any(it);
        CHECK(id >= 0 && id < w.n && pos[id] < 0 && it == w.mine[id]); /* once, the same tag */
        pos[id] = k;
        bad_changed += w.out_dts[k] != ts_of(it); /* timestamps are never rewritten */
        if (w.out_dts[k] < high)
            late += !ls_item_is_header(it); /* out of order: counted, media only */
        else
            high = w.out_dts[k];
        bad_fifo += id < last_id[s];
        last_id[s] = id;
    }
    CHECK_EQ_INT(bad_fifo, 0);
    CHECK_EQ_INT(bad_changed, 0);
    CHECK_EQ_INT(w.il.late, late);
    for (int k = 0; k < w.nout; k++)
        ls_item_unref(&w.out[k]);
    int bad_refs = 0;
    for (int i = 0; i < w.n; i++) {
        bad_refs += atomic_load(&w.mine[i]->refs) != 1; /* only ours is left */
        ls_item_unref(&w.mine[i]);
    }
    CHECK_EQ_INT(bad_refs, 0);
    ls_interleave_finish(&w.il);
    return late;
}

static uint64_t rng = 0x2545f4914f6cdd1du;
static int64_t rnd(int64_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return n > 0 ? (int64_t)(rng % (uint64_t)n) : 0;
}

/* A camera session: video at 25 fps arriving v_late (+ up to v_jit) ms after its
 * time, AAC at 48 kHz (21.33 ms) arriving in bursts every a_burst ms, each stream
 * between its start and stop, a video sequence header before every header_every-th
 * frame. */
struct scen {
    int64_t ms, v_late, v_jit, a_burst, v_start, v_stop, a_start, a_stop;
    bool video, audio;
    int header_every;
};

struct ev {
    int64_t wall, ts;
    int order; /* at the same time of arrival: by timestamp, a header before its frame */
    enum ls_item_kind kind;
};

static int by_arrival(const void *a, const void *b)
{
    const struct ev *x = a, *y = b;
    if (x->wall != y->wall)
        return x->wall < y->wall ? -1 : 1;
    return x->order - y->order;
}

static int play(const struct scen *s)
{
    static struct ev ev[MAXN];
    int n = 0;
    int64_t wall = 0;
    for (int64_t k = 0; s->video && k * 40 < s->ms && n < MAXN - 2; k++) {
        int64_t ts = k * 40;
        if (ts < s->v_start || ts >= s->v_stop)
            continue;
        int64_t arrive = ts + s->v_late + rnd(s->v_jit + 1);
        wall = arrive > wall ? arrive : wall; /* a stream arrives in order */
        if (s->header_every && k % s->header_every == 0)
            ev[n++] = (struct ev){wall, ts, (int)ts * 4, LS_ITEM_VIDEO_SEQ};
        ev[n++] = (struct ev){wall, ts, (int)ts * 4 + 1, LS_ITEM_VIDEO};
    }
    for (int64_t k = 0; s->audio && n < MAXN; k++) {
        int64_t ts = k * 1024 * 1000 / 48000;
        if (ts >= s->ms)
            break;
        if (ts < s->a_start || ts >= s->a_stop)
            continue;
        int64_t arrive = s->a_burst ? (ts / s->a_burst + 1) * s->a_burst : ts;
        ev[n++] = (struct ev){arrive, ts, (int)ts * 4 + 2, LS_ITEM_AUDIO};
    }
    qsort(ev, (size_t)n, sizeof(ev[0]), by_arrival);
    begin(true, s->video, s->audio);
    push(LS_ITEM_METADATA, 0);
    for (int i = 0; i < n; i++)
        push(ev[i].kind, ev[i].ts);
    return finish();
}

static void test_patterns(void)
{
    const int64_t T = 4000, NEVER = INT64_MAX;
    /* Video one frame late, audio as it comes: interleaved, nothing late. */
    CHECK_EQ_INT(play(&(struct scen){T, 40, 0, 0, 0, NEVER, 0, NEVER, true, true, 0}), 0);
    CHECK_EQ_INT(play(&(struct scen){T, 0, 0, 0, 0, NEVER, 0, NEVER, true, true, 25}), 0);
    /* Audio in bursts; audio stopping; video stopping; audio starting late. */
    play(&(struct scen){T, 40, 15, 100, 0, NEVER, 0, NEVER, true, true, 0});
    play(&(struct scen){T, 40, 0, 64, 0, NEVER, 0, 1500, true, true, 0});
    play(&(struct scen){T, 40, 0, 0, 0, 2000, 0, NEVER, true, true, 0});
    play(&(struct scen){T, 40, 10, 50, 0, NEVER, 1500, NEVER, true, true, 0});
    /* A session without audio: video waits for nothing; audio alone likewise. */
    CHECK_EQ_INT(play(&(struct scen){T, 80, 30, 0, 0, NEVER, 0, NEVER, true, false, 10}), 0);
    CHECK_EQ_INT(play(&(struct scen){T, 0, 0, 100, 0, NEVER, 0, NEVER, false, true, 0}), 0);
    for (int seed = 0; seed < 200; seed++) {
        struct scen s = {T, rnd(120), rnd(60), rnd(4) ? rnd(200) : 0, rnd(3) ? 0 : rnd(T),
                         rnd(3) ? NEVER : rnd(T), rnd(3) ? 0 : rnd(T), rnd(3) ? NEVER : rnd(T),
                         rnd(8) != 0, rnd(8) != 0, rnd(3) ? 0 : 1 + (int)rnd(30)};
        play(&s);
    }
}

/* Disabled: every tag straight through, as it came, untouched. */
static void test_disabled(void)
{
    begin(false, true, true);
    const int64_t ts[] = {0, 500, 40, 21, 21, 10, 80, 5};
    for (int i = 0; i < 8; i++)
        push(i % 3 == 0 ? LS_ITEM_VIDEO : i == 5 ? LS_ITEM_AUDIO_SEQ : LS_ITEM_AUDIO, ts[i]);
    CHECK_EQ_INT(w.nout, 8);
    for (int i = 0; i < w.nout; i++)
        CHECK(w.out[i] == w.mine[i] && w.out_dts[i] == ts[i]);
    CHECK_EQ_INT(w.il.late, 0);
    ls_interleave_finish(&w.il);
    for (int i = 0; i < w.n; i++) {
        ls_item_unref(&w.out[i]);
        CHECK_EQ_INT(atomic_load(&w.mine[i]->refs), 1);
        ls_item_unref(&w.mine[i]);
    }
}

/* A tag later than the bound goes out with its own timestamp, counted; a header waits in
 * its stream's order. */
static void test_late(void)
{
    begin(true, true, true);
    push(LS_ITEM_VIDEO, 0); /* held: audio has not begun */
    CHECK_EQ_INT(w.nout, 0);
    push(LS_ITEM_AUDIO, 0); /* video 0, audio 0 */
    CHECK_EQ_INT(w.nout, 2);
    /* Audio runs on, video does not come: once audio is the bound past video's last tag,
     * everything held goes out, and from then on audio waits no more. */
    int64_t bound = ls_interleave_bound(&w.il), t = 21;
    for (; t - 0 <= bound; t += 21)
        push(LS_ITEM_AUDIO, t);
    CHECK_EQ_INT(w.nout, 2);
    push(LS_ITEM_AUDIO, t);
    CHECK_EQ_INT(w.nout, 2 + (int)(t / 21));
    push(LS_ITEM_AUDIO, t + 21); /* at once */
    CHECK_EQ_INT(w.nout, 3 + (int)(t / 21));
    push(LS_ITEM_VIDEO, 10); /* after audio went past it: late, sent as it is */
    CHECK_EQ_INT(w.il.late, 1);
    CHECK_EQ_INT(w.out_dts[w.nout - 1], 10);
    CHECK(ls_interleave_bound(&w.il) > bound); /* it learnt how late video came */
    /* Back in step: a header waits in video's order, with its frame's timestamp. */
    int64_t a = t + 42, v = t + 50;
    push(LS_ITEM_AUDIO, a);         /* waits for video */
    push(LS_ITEM_VIDEO_SEQ, v);     /* lets audio a go: video will not go below v */
    CHECK_EQ_INT(w.out_dts[w.nout - 1], a);
    push(LS_ITEM_VIDEO, v);         /* both wait for audio to reach v */
    int n = w.nout;
    push(LS_ITEM_AUDIO, v + 5);     /* the header, then the frame */
    CHECK_EQ_INT(w.nout, n + 2);
    CHECK(w.out[n]->kind == LS_ITEM_VIDEO_SEQ && w.out[n + 1]->kind == LS_ITEM_VIDEO);
    CHECK_EQ_INT(finish(), 1);
}

/* In a session's first seconds a late stream is waited for LS_INTERLEAVE_START_WAIT (the
 * lateness peak has learnt nothing yet); after LS_INTERLEAVE_WARMUP, only the learnt bound. */
static void test_warmup(void)
{
    begin(true, true, true);
    push(LS_ITEM_VIDEO, 0);
    push(LS_ITEM_AUDIO, 0);
    CHECK_EQ_INT(ls_interleave_bound(&w.il), LS_INTERLEAVE_START_WAIT);
    int64_t t = 21;
    for (; t < 700; t += 21) /* audio runs 700 ms ahead of a video that trails it */
        push(LS_ITEM_AUDIO, t);
    push(LS_ITEM_VIDEO, 40);
    CHECK_EQ_INT(w.il.late, 0);
    /* Both flow, video 700 ms behind, past the warmup: the learnt peak covers it. */
    int64_t v = 80;
    for (; t < LS_INTERLEAVE_WARMUP + 2000; t += 21) {
        push(LS_ITEM_AUDIO, t);
        if (t - v > 700)
            push(LS_ITEM_VIDEO, v += 40);
    }
    CHECK(ls_interleave_bound(&w.il) < LS_INTERLEAVE_START_WAIT);
    CHECK(ls_interleave_bound(&w.il) > 700);
    CHECK_EQ_INT(w.il.late, 0);
    CHECK_EQ_INT(finish(), 0);
}

/* A stream that never comes: the other holds at most LS_INTERLEAVE_MAX tags (equal
 * timestamps never pass the bound in time), the oldest going out first. */
static void test_full(void)
{
    begin(true, true, true);
    for (int i = 0; i < LS_INTERLEAVE_MAX + 40; i++)
        push(LS_ITEM_AUDIO, 1000);
    CHECK_EQ_INT(w.nout, 40);
    CHECK_EQ_INT(finish(), 0);
}

/* An emit error is returned by the push that sent the tag; the tags go out anyway. */
static void test_emit_error(void)
{
    begin(true, true, true);
    w.fail_at = 2;
    CHECK_EQ_INT(push_ret(LS_ITEM_VIDEO, 0), 0);    /* held: audio has not begun */
    CHECK_EQ_INT(push_ret(LS_ITEM_AUDIO, 0), -EIO); /* video 0 sent, audio 0 refused */
    CHECK_EQ_INT(w.nout, 2);
    CHECK_EQ_INT(push_ret(LS_ITEM_AUDIO, 21), 0);
    CHECK_EQ_INT(push_ret(LS_ITEM_AUDIO, 42), 0);
    CHECK_EQ_INT(w.nout, 2);
    CHECK_EQ_INT(push_ret(LS_ITEM_VIDEO, 2000), 0); /* 21, 42, and video: audio stopped */
    CHECK_EQ_INT(w.nout, 5);
    w.fail_at = 0;
    CHECK_EQ_INT(finish(), 0);
}

int main(void)
{
    test_patterns();
    test_disabled();
    test_late();
    test_warmup();
    test_full();
    test_emit_error();
    return test_done("test_interleave");
}
