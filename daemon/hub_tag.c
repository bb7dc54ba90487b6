/*
 * The HTTP-FLV hub's tags and a viewer's queue of them: see hub_tag.h for why
 * a tag carries its own chunk framing and why a backlog is a queue of
 * pointers rather than an evbuffer.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/hub_tag.h"

/* A queue's smallest ring, kept while it is empty: a viewer that keeps up
 * empties its queue at every loop turn, and should not pay a malloc for it. */
#define QUEUE_MIN_CAP 64

/* ---- tags ------------------------------------------------------------------ */

struct lsd_tag *lsd_tag_new(struct lsd_hub *hub, const uint8_t *data, size_t size, unsigned flags)
{
    if (size > SIZE_MAX - sizeof(struct lsd_tag) - LSD_CHUNK_HEAD_MAX - LSD_CHUNK_TAIL)
        return NULL;
    struct lsd_tag *t = malloc(sizeof(*t) + LSD_CHUNK_HEAD_MAX + size + LSD_CHUNK_TAIL);
    if (!t)
        return NULL;
    char line[LSD_CHUNK_HEAD_MAX + 1];
    int n = snprintf(line, sizeof(line), "%zx\r\n", size);
    t->hub = hub;
    t->refs = 1;
    t->flags = flags;
    t->size = size;
    t->data = t->mem + LSD_CHUNK_HEAD_MAX;
    memcpy(t->data - n, line, (size_t)n);
    memcpy(t->data, data, size);
    memcpy(t->data + size, "\r\n", LSD_CHUNK_TAIL);
    t->chunk = t->data - n;
    t->chunk_size = (size_t)n + size + LSD_CHUNK_TAIL;
    return t;
}

struct lsd_tag *lsd_tag_copy(const struct lsd_tag *t)
{
    return lsd_tag_new(t->hub, t->data, t->size, t->flags);
}

void lsd_tag_unref(struct lsd_tag *t)
{
    if (t && --t->refs == 0)
        free(t);
}

uint32_t lsd_tag_ts(const struct lsd_tag *t)
{
    const uint8_t *p = t->data;
    return (uint32_t)p[7] << 24 | (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
}

void lsd_tag_set_ts(struct lsd_tag *t, uint32_t ts)
{
    uint8_t *p = t->data;
    p[4] = (uint8_t)(ts >> 16);
    p[5] = (uint8_t)(ts >> 8);
    p[6] = (uint8_t)ts;
    p[7] = (uint8_t)(ts >> 24); /* TimestampExtended */
}

/* ---- a viewer's queue ------------------------------------------------------ */

/* A new ring of @p cap entries holding the queue's tags from index 0. */
static int queue_resize(struct lsd_tag_queue *q, size_t cap)
{
    struct lsd_tag **ring = malloc(cap * sizeof(*ring));
    if (!ring)
        return -ENOMEM;
    for (size_t i = 0; i < q->count; i++)
        ring[i] = q->ring[(q->head + i) & (q->cap - 1)];
    free(q->ring);
    q->ring = ring;
    q->cap = cap;
    q->head = 0;
    return 0;
}

int lsd_tag_queue_push(struct lsd_tag_queue *q, struct lsd_tag *t)
{
    if (q->count >= LSD_TAG_QUEUE_MAX)
        return -ENOSPC;
    if (q->count == q->cap) {
        int err = queue_resize(q, q->cap ? q->cap * 2 : QUEUE_MIN_CAP);
        if (err < 0)
            return err;
    }
    q->ring[(q->head + q->count) & (q->cap - 1)] = t;
    q->count++;
    q->bytes += t->size;
    t->refs++;
    return 0;
}

struct lsd_tag *lsd_tag_queue_peek(const struct lsd_tag_queue *q)
{
    return q->count ? q->ring[q->head] : NULL;
}

struct lsd_tag *lsd_tag_queue_pop(struct lsd_tag_queue *q)
{
    if (!q->count)
        return NULL;
    struct lsd_tag *t = q->ring[q->head];
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
    q->bytes -= t->size;
    /* A backlog that drained gives its ring back (a failed shrink keeps the big one). */
    if (!q->count && q->cap > QUEUE_MIN_CAP)
        queue_resize(q, QUEUE_MIN_CAP);
    return t;
}

void lsd_tag_queue_clear(struct lsd_tag_queue *q)
{
    struct lsd_tag *t;
    while (q->count) {
        t = q->ring[q->head];
        q->head = (q->head + 1) & (q->cap - 1);
        q->count--;
        lsd_tag_unref(t);
    }
    free(q->ring);
    *q = (struct lsd_tag_queue){0};
}

size_t lsd_tag_queue_memory(const struct lsd_tag_queue *q)
{
    return q->cap * sizeof(*q->ring);
}

/* ---- what a connection holds ----------------------------------------------- */

void lsd_inflight_add(struct lsd_inflight *f, size_t len)
{
    if (f->count >= LSD_INFLIGHT_MAX)
        return; /* the caller's bug; never overwrite the ring */
    f->len[(f->first + f->count) % LSD_INFLIGHT_MAX] = (uint32_t)len;
    f->count++;
    f->bytes += len;
}

void lsd_inflight_settle(struct lsd_inflight *f, size_t out_len)
{
    /* The oldest is written out when the newer ones alone cover what is left. */
    while (f->count && f->bytes - f->len[f->first] >= out_len) {
        f->bytes -= f->len[f->first];
        f->first = (f->first + 1) % LSD_INFLIGHT_MAX;
        f->count--;
    }
}
