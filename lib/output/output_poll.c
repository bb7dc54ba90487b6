/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pollable subscription (see output_poll.h and lightstream/subscription.h).
 *
 * Waking the consumer costs a syscall, so it happens only when there is
 * something new to do: the queue went from empty to non-empty, or a
 * subscription without a start saw a keyframe (it may start now). A flag
 * remembers that the eventfd holds a count; take() reads it back once it
 * leaves nothing waiting, so the relay writes at most once per batch the
 * consumer takes. A notifier shared by many subscriptions (ls_notifier_create)
 * has one flag for all: one write per batch whatever their number, read back
 * by the consumer's ack.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lib/flv/flv.h"
#include "lib/output/output_poll.h"
#include "lib/util/clock.h"

/* ---- notifiers ------------------------------------------------------------- */

int ls_notifier_create(struct ls_notifier **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    struct ls_notifier *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (n->efd < 0) {
        int err = -errno;
        free(n);
        return err;
    }
    atomic_init(&n->refs, 1);
    atomic_init(&n->signalled, false);
    *out = n;
    return 0;
}

static struct ls_notifier *notifier_ref(struct ls_notifier *n)
{
    atomic_fetch_add_explicit(&n->refs, 1, memory_order_relaxed);
    return n;
}

void ls_notifier_destroy(struct ls_notifier **np)
{
    struct ls_notifier *n = np ? *np : NULL;
    if (!n)
        return;
    if (atomic_fetch_sub_explicit(&n->refs, 1, memory_order_acq_rel) == 1) {
        close(n->efd);
        free(n);
    }
    *np = NULL;
}

int ls_notifier_fd(const struct ls_notifier *n)
{
    return n ? n->efd : -EINVAL;
}

/* Read the count back first, then rearm: a wake between the two finds the flag still
 * set and does not write, but its tag is taken by the takes that follow the ack. */
void ls_notifier_ack(struct ls_notifier *n)
{
    if (!n)
        return;
    uint64_t count;
    if (read(n->efd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        return;
    atomic_store(&n->signalled, false);
}

/* Write once until the consumer reads it back; the writes of every subscription sharing
 * the notifier are one. */
static void notify(struct ls_notifier *n)
{
    if (atomic_exchange(&n->signalled, true))
        return;
    uint64_t one = 1;
    /* Cannot fail short of a counter at 2^64-2: it is read back at every drain. */
    if (write(n->efd, &one, sizeof(one)) != sizeof(one))
        atomic_store(&n->signalled, false);
}

/* ---- subscriptions --------------------------------------------------------- */

int ls_poll_create(struct ls_subscription **out, const struct ls_output_host *host, void *owner,
                   int id, const struct ls_output_settings *s, struct ls_notifier *n)
{
    *out = NULL;
    struct ls_subscription *sub = calloc(1, sizeof(*sub));
    if (!sub)
        return -ENOMEM;
    int err = ls_output_create(&sub->out, host, id, NULL, NULL, NULL, s);
    if (err < 0)
        goto fail;
    sub->shared = n != NULL;
    if (n)
        sub->n = notifier_ref(n);
    else if ((err = ls_notifier_create(&sub->n)) < 0)
        goto fail;
    sub->owner = owner;
    sub->out->st.state = LS_STATE_CONNECTING;
    sub->out->started_ms = ls_now_ms();
    *out = sub;
    return 0;
fail:
    ls_output_destroy(&sub->out);
    free(sub);
    return err;
}

void ls_poll_destroy(struct ls_subscription **subp)
{
    struct ls_subscription *sub = *subp;
    if (!sub)
        return;
    ls_notifier_destroy(&sub->n);
    ls_output_destroy(&sub->out);
    free(sub);
    *subp = NULL;
}

/* o->lock held. */
static void wake(struct ls_subscription *sub)
{
    sub->wakes++;
    notify(sub->n);
}

/* o->lock held: the consumer has nothing left to do until the next wake, unless one
 * came since @p wakes was read (a keyframe while it tried to start: it may start now).
 * A shared notifier is the consumer's to ack. */
static void settle(struct ls_subscription *sub, unsigned wakes)
{
    if (sub->shared || sub->wakes != wakes || !atomic_load(&sub->n->signalled))
        return;
    ls_notifier_ack(sub->n);
}

void ls_poll_push(struct ls_subscription *sub, struct ls_item *item)
{
    struct ls_output *o = sub->out;
    pthread_mutex_lock(&o->lock);
    switch (ls_tag_queue_push(&o->q, item)) {
    case LS_QUEUE_QUEUED:
        if (ls_tag_queue_len(&o->q) == 1)
            wake(sub);
        break;
    case LS_QUEUE_UNSYNCED:
        /* take() syncs: a keyframe (or any tag of a stream without video) may allow it. */
        if (item->keyframe || !o->q.has_video)
            wake(sub);
        break;
    case LS_QUEUE_DROPPED:
    case LS_QUEUE_SKIPPED:
        break;
    }
    o->st.queue_bytes = (uint32_t)ls_tag_queue_bytes(&o->q);
    pthread_mutex_unlock(&o->lock);
}

void ls_poll_unsync(struct ls_subscription *sub)
{
    struct ls_output *o = sub->out;
    pthread_mutex_lock(&o->lock);
    ls_tag_queue_end(&o->q);
    o->st.queue_bytes = 0;
    o->st.state = LS_STATE_CONNECTING;
    pthread_mutex_unlock(&o->lock);
}

/* No start yet: ask the host for one (outside o->lock: the host takes its own lock first). */
static void try_sync(struct ls_subscription *sub)
{
    struct ls_output *o = sub->out;
    if (!o->host.sync)
        return;
    if (o->host.sync(o->host.host, o, &sub->has_audio, &sub->has_video) < 0)
        return;
    sub->need_header = true;
    sub->have_base = false;
    pthread_mutex_lock(&o->lock);
    o->st.state = LS_STATE_STREAMING;
    o->up_since_ms = ls_now_ms();
    pthread_mutex_unlock(&o->lock);
}

static void file_header(struct ls_subscription *sub, struct ls_sub_tag *t)
{
    *t = (struct ls_sub_tag){.flags = LS_TAG_FILE_HEADER, .head_size = LS_FLV_FILE_HEADER_SIZE};
    ls_flv_file_header(t->head, sub->has_audio, sub->has_video);
    sub->need_header = false;
}

/* A queued item as this subscription's tag; the item's reference passes to @p t. */
static void tag_of(struct ls_subscription *sub, struct ls_item *item, struct ls_sub_tag *t)
{
    if (!sub->have_base && !ls_item_is_header(item)) {
        sub->base_ms = item->dts_ms;
        sub->have_base = true;
    }
    int64_t delta = sub->have_base ? item->dts_ms - sub->base_ms : 0;
    t->flags = ls_output_tag_flags(item);
    t->ts_ms = (uint32_t)(delta < 0 ? 0 : delta);
    t->head_size = LS_FLV_TAG_HEADER_SIZE;
    ls_flv_tag_header(t->head, item->tag_type, item->size, t->ts_ms);
    t->trailer_size = LS_FLV_PREV_SIZE;
    ls_flv_prev_size(t->trailer, item->size);
    t->body = item->body;
    t->body_size = item->size;
    t->body_ref = (struct ls_tag_body *)item;
}

int ls_subscription_take(struct ls_subscription *sub, struct ls_sub_tag *out, size_t max)
{
    if (!sub || (!out && max))
        return -EINVAL;
    struct ls_output *o = sub->out;
    pthread_mutex_lock(&o->lock);
    unsigned wakes = sub->wakes;
    bool synced = ls_tag_queue_synced(&o->q);
    pthread_mutex_unlock(&o->lock);
    if (!synced)
        try_sync(sub);
    size_t n = 0;
    if (sub->need_header && n < max)
        file_header(sub, &out[n++]);
    int64_t now_us = ls_now_us();
    pthread_mutex_lock(&o->lock);
    struct ls_item *item;
    while (n < max && (item = ls_tag_queue_pop(&o->q))) {
        tag_of(sub, item, &out[n++]);
        ls_output_count_write(o, item, LS_FLV_TAG_HEADER_SIZE + item->size + LS_FLV_PREV_SIZE,
                              now_us);
    }
    o->st.queue_bytes = (uint32_t)ls_tag_queue_bytes(&o->q);
    if (!ls_tag_queue_len(&o->q) && !sub->need_header)
        settle(sub, wakes);
    pthread_mutex_unlock(&o->lock);
    return (int)n;
}

int ls_subscription_fd(const struct ls_subscription *sub)
{
    return sub ? sub->n->efd : -EINVAL;
}

void ls_tag_body_release(struct ls_tag_body *body)
{
    struct ls_item *item = (struct ls_item *)body;
    ls_item_unref(&item);
}

void ls_sub_tag_set_timestamp(struct ls_sub_tag *tag, uint32_t ts_ms)
{
    if (!tag || (tag->flags & LS_TAG_FILE_HEADER))
        return;
    tag->ts_ms = ts_ms;
    /* Only the timestamp changes: the type and size are the tag's. */
    uint8_t type = tag->head[0];
    uint32_t size = tag->body_size;
    ls_flv_tag_header(tag->head, type, size, ts_ms);
}

int ls_subscription_get_stats(struct ls_subscription *sub, struct ls_output_stats *out)
{
    if (!sub || !out)
        return -EINVAL;
    ls_output_get_stats(sub->out, out);
    return 0;
}

int ls_subscription_backlog(struct ls_subscription *sub, size_t *queued_bytes, uint64_t *skips)
{
    if (!sub)
        return -EINVAL;
    struct ls_output *o = sub->out;
    pthread_mutex_lock(&o->lock);
    if (queued_bytes)
        *queued_bytes = ls_tag_queue_bytes(&o->q);
    if (skips)
        *skips = ls_tag_queue_skips(&o->q);
    pthread_mutex_unlock(&o->lock);
    return 0;
}
