/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An output's tag queue (see queue.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/output/queue.h"

void ls_tag_queue_init(struct ls_tag_queue *q, size_t max_bytes)
{
    memset(q, 0, sizeof(*q));
    q->max_bytes = max_bytes;
}

static void clear(struct ls_tag_queue *q)
{
    while (q->len) {
        ls_item_unref(&q->ring[q->head]);
        q->head = (q->head + 1) % q->cap;
        q->len--;
    }
    q->head = 0;
    q->bytes = 0;
}

void ls_tag_queue_finish(struct ls_tag_queue *q)
{
    clear(q);
    free(q->ring);
    q->ring = NULL;
    q->cap = 0;
}

void ls_tag_queue_begin(struct ls_tag_queue *q, bool has_video)
{
    clear(q);
    q->synced = true;
    q->skipping = false;
    q->has_video = has_video;
}

void ls_tag_queue_end(struct ls_tag_queue *q)
{
    clear(q);
    q->synced = false;
}

void ls_tag_queue_skip_to_keyframe(struct ls_tag_queue *q)
{
    q->skipping = true;
}

static int grow(struct ls_tag_queue *q)
{
    size_t cap = q->cap ? q->cap * 2 : 64;
    struct ls_item **ring = malloc(cap * sizeof(*ring));
    if (!ring)
        return -ENOMEM;
    for (size_t i = 0; i < q->len; i++)
        ring[i] = q->ring[(q->head + i) % q->cap];
    free(q->ring);
    q->ring = ring;
    q->cap = cap;
    q->head = 0;
    return 0;
}

int ls_tag_queue_push_start(struct ls_tag_queue *q, struct ls_item *item)
{
    if (q->len == q->cap && grow(q) < 0) {
        q->dropped++;
        return -ENOMEM;
    }
    q->ring[(q->head + q->len) % q->cap] = ls_item_ref(item);
    q->len++;
    q->bytes += item->size;
    return 0;
}

/* Drop queued media, keep queued headers: they may be needed by what follows. */
static void drop_media(struct ls_tag_queue *q)
{
    size_t kept = 0, n = q->len;
    for (size_t i = 0; i < n; i++) {
        struct ls_item *item = q->ring[(q->head + i) % q->cap];
        if (ls_item_is_header(item)) {
            q->ring[(q->head + kept++) % q->cap] = item;
        } else {
            q->bytes -= item->size;
            q->dropped++;
            ls_item_unref(&item);
        }
    }
    q->len = kept;
}

/* A stream with video resumes at a keyframe; audio alone once half the room is free. */
static bool resumes(const struct ls_tag_queue *q, const struct ls_item *item)
{
    if (q->has_video)
        return item->kind == LS_ITEM_VIDEO && item->keyframe;
    return q->bytes < q->max_bytes / 2;
}

enum ls_queue_push ls_tag_queue_push(struct ls_tag_queue *q, struct ls_item *item)
{
    if (!q->synced)
        return LS_QUEUE_UNSYNCED;
    if (ls_item_is_header(item))
        return ls_tag_queue_push_start(q, item) == 0 ? LS_QUEUE_QUEUED : LS_QUEUE_DROPPED;
    bool fits = q->bytes + item->size <= q->max_bytes;
    if (q->skipping && (!resumes(q, item) || !fits)) {
        q->dropped++;
        return LS_QUEUE_DROPPED;
    }
    if (!fits) {
        q->skipping = true;
        q->skips++;
        q->dropped++;
        drop_media(q);
        return LS_QUEUE_SKIPPED;
    }
    q->skipping = false;
    return ls_tag_queue_push_start(q, item) == 0 ? LS_QUEUE_QUEUED : LS_QUEUE_DROPPED;
}

struct ls_item *ls_tag_queue_pop(struct ls_tag_queue *q)
{
    if (!q->len)
        return NULL;
    struct ls_item *item = q->ring[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    q->bytes -= item->size;
    return item;
}

size_t ls_tag_queue_len(const struct ls_tag_queue *q)
{
    return q->len;
}

size_t ls_tag_queue_bytes(const struct ls_tag_queue *q)
{
    return q->bytes;
}

bool ls_tag_queue_synced(const struct ls_tag_queue *q)
{
    return q->synced;
}

bool ls_tag_queue_skipping(const struct ls_tag_queue *q)
{
    return q->skipping;
}

uint64_t ls_tag_queue_dropped(const struct ls_tag_queue *q)
{
    return q->dropped;
}

uint64_t ls_tag_queue_skips(const struct ls_tag_queue *q)
{
    return q->skips;
}
