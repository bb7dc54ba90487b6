/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Audio/video interleaving by timestamp (see interleave.h). Each stream has
 * a FIFO of held tags; the tag with the smallest timestamp at the heads goes
 * out once nothing of the other stream can come before it: the other stream
 * has a tag held, or already went past it, or is absent, or is later than
 * the bound, measured as how far the holding stream has run ahead of the tag.
 * The bound learns: how late one stream's tags come behind the other's is
 * tracked as a decaying peak, so a camera whose video trails its audio by
 * more than the reorder depth explains is waited for, not reported late.
 * A generous bound costs nothing while both streams flow (a tag goes out as
 * soon as the other stream reaches it); it only sets how long a stream that
 * stops holds the other back, once.
 */
#include <string.h>

#include "lib/stream/interleave.h"

#define VIDEO 0
#define AUDIO 1
#define DEFAULT_VIDEO_STEP 40 /* 25 fps */
#define DEFAULT_AUDIO_STEP 21 /* AAC at 48 kHz */
#define MAX_STEP 1000         /* a slower stream than 1 frame/s waits no longer than that */
#define MAX_LAG 2000          /* nor a later one longer than this */
#define SLACK_MS 100           /* scheduling jitter of cameras and of this machine */
#define PEAK_DECAY 2048       /* the peak loses 1/2048 per tag: halves in ~20 s at 70 tags/s */

void ls_interleave_init(struct ls_interleave *il, bool enabled, ls_emit_fn emit, void *opaque)
{
    memset(il, 0, sizeof(*il));
    il->enabled = enabled;
    il->emit = emit;
    il->opaque = opaque;
    il->q[VIDEO].step = DEFAULT_VIDEO_STEP;
    il->q[AUDIO].step = DEFAULT_AUDIO_STEP;
    il->lag_hint = DEFAULT_VIDEO_STEP;
}

static struct ls_item *queue_pop(struct ls_interleave_queue *q)
{
    struct ls_item *item = q->item[q->head];
    q->head = (q->head + 1) % LS_INTERLEAVE_MAX;
    q->n--;
    return item;
}

static struct ls_item *queue_head(const struct ls_interleave_queue *q)
{
    return q->n ? q->item[q->head] : NULL;
}

void ls_interleave_finish(struct ls_interleave *il)
{
    for (int s = 0; s < 2; s++)
        while (il->q[s].n) {
            struct ls_item *item = queue_pop(&il->q[s]);
            ls_item_unref(&item);
        }
}

void ls_interleave_begin(struct ls_interleave *il, bool video, bool audio)
{
    ls_interleave_finish(il);
    il->q[VIDEO].expected = video;
    il->q[AUDIO].expected = audio;
    il->q[VIDEO].seen = il->q[AUDIO].seen = false;
}

void ls_interleave_set_lag(struct ls_interleave *il, int64_t ms)
{
    il->lag_hint = ms < 0 ? 0 : ms > MAX_LAG ? MAX_LAG : ms;
}

/* How far the session has run: the longer of the two streams' runs since their first tag. */
static int64_t session_run(const struct ls_interleave *il)
{
    int64_t run = 0;
    for (int s = 0; s < 2; s++)
        if (il->q[s].seen && il->q[s].newest - il->q[s].first > run)
            run = il->q[s].newest - il->q[s].first;
    return run;
}

int64_t ls_interleave_bound(const struct ls_interleave *il)
{
    int64_t v = il->q[VIDEO].step, a = il->q[AUDIO].step, peak = il->lag_peak16 / 16;
    int64_t lag = il->lag_hint > peak ? il->lag_hint : peak;
    int64_t bound = (v > a ? v : a) + lag + SLACK_MS;
    /* A session's first seconds: the peak has learnt nothing yet, and an encoder with
     * look-ahead (B-frames) on a loaded host sends its first frames latest of all. */
    if (session_run(il) < LS_INTERLEAVE_WARMUP && bound < LS_INTERLEAVE_START_WAIT)
        bound = LS_INTERLEAVE_START_WAIT;
    return bound;
}

/* Send one tag as it is; the callee takes its own reference. */
static int send(struct ls_interleave *il, struct ls_item *item)
{
    if (il->sent_any && item->dts_ms < il->last_sent) {
        if (!ls_item_is_header(item))
            il->late++;
    } else {
        il->last_sent = item->dts_ms;
    }
    il->sent_any = true;
    return il->emit(il->opaque, item);
}

static int send_owned(struct ls_interleave *il, struct ls_item *item, int err)
{
    int e = send(il, item);
    ls_item_unref(&item);
    return err ? err : e;
}

/* The stream whose held head goes first: the smaller timestamp; at the same one a
 * header (decoders need it before frames), then video. -1 when nothing is held. */
static int earliest(const struct ls_interleave *il)
{
    const struct ls_item *v = queue_head(&il->q[VIDEO]), *a = queue_head(&il->q[AUDIO]);
    if (!v || !a)
        return v ? VIDEO : a ? AUDIO : -1;
    if (a->dts_ms != v->dts_ms)
        return a->dts_ms < v->dts_ms ? AUDIO : VIDEO;
    return ls_item_is_header(a) && !ls_item_is_header(v) ? AUDIO : VIDEO;
}

/* Can the head of stream @p s go out, or may the other stream still come before it? */
static bool due(const struct ls_interleave *il, int s, const struct ls_item *head)
{
    const struct ls_interleave_queue *q = &il->q[s], *o = &il->q[s ^ 1];
    if (o->n || !o->expected)
        return true;
    if (o->seen) {
        if (o->newest >= head->dts_ms)
            return true;
        /* The other stream is later than the bound, or has stopped: wait no more. Measured
         * from its last tag, so a stopped stream holds this one back once, not for good. */
        return q->newest - o->newest > ls_interleave_bound(il);
    }
    /* The other stream has not begun (a camera's audio often starts after its video). */
    return q->seen && q->newest - q->first > LS_INTERLEAVE_START_WAIT;
}

static int release(struct ls_interleave *il, bool all)
{
    int err = 0, s;
    while ((s = earliest(il)) >= 0) {
        if (!all && !due(il, s, queue_head(&il->q[s])))
            break;
        err = send_owned(il, queue_pop(&il->q[s]), err);
    }
    return err;
}

int ls_interleave_flush(struct ls_interleave *il)
{
    return release(il, true);
}

/* A media tag of stream @p s came: its step, and how far behind the other stream it is. */
static void note(struct ls_interleave *il, int s, int64_t dts)
{
    struct ls_interleave_queue *q = &il->q[s];
    const struct ls_interleave_queue *o = &il->q[s ^ 1];
    int64_t step = dts - q->newest;
    if (q->seen && step > 0)
        q->step = step < MAX_STEP ? step : MAX_STEP;
    if (!q->seen)
        q->first = dts;
    if (!q->seen || dts > q->newest)
        q->newest = dts;
    q->seen = true;
    il->lag_peak16 -= il->lag_peak16 / PEAK_DECAY;
    if (o->seen && o->newest > dts) {
        int64_t behind = o->newest - dts;
        behind = behind < MAX_LAG ? behind : MAX_LAG;
        if (behind * 16 > il->lag_peak16)
            il->lag_peak16 = behind * 16;
    }
}

/* Headers travel with their stream; the metadata with video when there is video. */
static int stream_of(const struct ls_interleave *il, const struct ls_item *item)
{
    switch (item->kind) {
    case LS_ITEM_AUDIO:
    case LS_ITEM_AUDIO_SEQ:
        return AUDIO;
    case LS_ITEM_METADATA:
        return il->q[VIDEO].expected || !il->q[AUDIO].expected ? VIDEO : AUDIO;
    default:
        return VIDEO;
    }
}

int ls_interleave_push(struct ls_interleave *il, struct ls_item *item)
{
    if (!il->enabled)
        return il->emit(il->opaque, item);
    int s = stream_of(il, item);
    struct ls_interleave_queue *q = &il->q[s];
    int err = 0;
    if (q->n == LS_INTERLEAVE_MAX)
        err = send_owned(il, queue_pop(q), 0);
    if (!ls_item_is_header(item))
        note(il, s, item->dts_ms);
    q->item[(q->head + q->n) % LS_INTERLEAVE_MAX] = ls_item_ref(item);
    q->n++;
    int e = release(il, false);
    return err ? err : e;
}
