/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Audio/video interleaving by timestamp (see interleave.h). Each stream has
 * a FIFO of held tags; the tag with the smallest timestamp at the heads goes
 * out once nothing of the other stream can come before it: the other stream
 * has a tag held, or already went past it, or is absent, or is late by more
 * than the bound (ls_interleave_bound()), measured as how far the holding
 * stream has run ahead of the tag.
 */
#include <string.h>

#include "lib/interleave.h"

#define VIDEO 0
#define AUDIO 1
#define DEFAULT_VIDEO_STEP 40 /* 25 fps */
#define DEFAULT_AUDIO_STEP 21 /* AAC at 48 kHz */
#define MAX_STEP 1000         /* a slower stream than 1 frame/s waits no longer than that */
#define BOUND_SLACK_MS 10

void ls_interleave_init(struct ls_interleave *il, bool enabled, ls_emit_fn emit, void *opaque)
{
    memset(il, 0, sizeof(*il));
    il->enabled = enabled;
    il->emit = emit;
    il->opaque = opaque;
    il->q[VIDEO].step = DEFAULT_VIDEO_STEP;
    il->q[AUDIO].step = DEFAULT_AUDIO_STEP;
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

/* Send one tag, never below the last timestamp sent; the callee takes its own reference. */
static int send(struct ls_interleave *il, struct ls_item *item)
{
    if (il->sent_any && item->dts_ms < il->last_sent) {
        if (!ls_item_is_header(item))
            il->moved++;
        item->dts_ms = il->last_sent;
    }
    il->sent_any = true;
    il->last_sent = item->dts_ms;
    return il->emit(il->opaque, item);
}

static int send_owned(struct ls_interleave *il, struct ls_item *item, int err)
{
    int e = send(il, item);
    ls_item_unref(&item);
    return err ? err : e;
}

/* The stream whose held head has the smallest timestamp, -1 when nothing is held. */
static int earliest(const struct ls_interleave *il)
{
    const struct ls_item *v = queue_head(&il->q[VIDEO]), *a = queue_head(&il->q[AUDIO]);
    if (!v || !a)
        return v ? VIDEO : a ? AUDIO : -1;
    return a->dts_ms < v->dts_ms ? AUDIO : VIDEO;
}

int64_t ls_interleave_bound(const struct ls_interleave *il)
{
    int64_t v = il->q[VIDEO].step, a = il->q[AUDIO].step;
    /* One frame of the slower stream is the wait itself; a video frame is complete only
     * when the next one starts, so it arrives up to one more frame late: one frame of the
     * faster stream and a little jitter more, or audio would routinely overtake it. */
    return v + a + BOUND_SLACK_MS;
}

/* Can the head of stream @p s go out, or may the other stream still come before it? */
static bool due(const struct ls_interleave *il, int s, const struct ls_item *head)
{
    const struct ls_interleave_queue *q = &il->q[s], *o = &il->q[s ^ 1];
    if (o->n || !o->expected || q->n >= LS_INTERLEAVE_MAX)
        return true;
    if (o->seen && o->newest >= head->dts_ms)
        return true;
    return q->newest - head->dts_ms > ls_interleave_bound(il);
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

static void note(struct ls_interleave_queue *q, int64_t dts)
{
    int64_t step = dts - q->newest;
    if (q->seen && step > 0)
        q->step = step < MAX_STEP ? step : MAX_STEP;
    if (!q->seen || dts > q->newest)
        q->newest = dts;
    q->seen = true;
}

int ls_interleave_push(struct ls_interleave *il, struct ls_item *item)
{
    if (!il->enabled)
        return il->emit(il->opaque, item);
    if (ls_item_is_header(item)) {
        int err = release(il, true);
        int e = send(il, item);
        return err ? err : e;
    }
    int s = item->kind == LS_ITEM_AUDIO ? AUDIO : VIDEO;
    struct ls_interleave_queue *q = &il->q[s];
    int err = 0;
    if (q->n == LS_INTERLEAVE_MAX)
        err = send_owned(il, queue_pop(q), 0);
    note(q, item->dts_ms);
    q->item[(q->head + q->n) % LS_INTERLEAVE_MAX] = ls_item_ref(item);
    q->n++;
    int e = release(il, false);
    return err ? err : e;
}
