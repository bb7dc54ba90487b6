/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pollable subscription through its API only (output_poll.h and
 * lightstream/subscription.h), with a host standing in for the relay: its
 * "GOP cache" is a list of tags and its fan-out lock a mutex of the test.
 *
 * - the descriptor: not readable with nothing to do; readable once a start
 *   is possible or tags wait; one eventfd write per batch, not per tag (the
 *   kernel's eventfd-count in /proc/self/fdinfo says how many);
 * - the start: file header, then the host's start, first media tag at 0 ms,
 *   headers and trailers right for each body, bodies shared (not copied);
 * - overflow: media dropped, a skip counted, resumption at a keyframe;
 * - a restart: a new file header and a new timeline;
 * - references: every body released balances, also after the subscription
 *   is gone;
 * - a notifier shared by many subscriptions: one write for all of them,
 *   rearmed by the consumer's ack, never a lost wake-up;
 * - an event loop: a producer thread and a poll() consumer, every tag once,
 *   in order.
 */
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "lib/flv/flv.h"
#include "lib/output/output_poll.h"
#include "tests/unit/test.h"

struct host {
    pthread_mutex_t fan_lock;
    struct ls_item *start[8]; /* what a new subscriber gets: headers and the GOP */
    int n_start;
    bool ready;
};

static int host_sync(void *opaque, struct ls_output *o, bool *has_audio, bool *has_video)
{
    struct host *h = opaque;
    pthread_mutex_lock(&h->fan_lock);
    if (!h->ready) {
        pthread_mutex_unlock(&h->fan_lock);
        return -EAGAIN;
    }
    *has_audio = true;
    *has_video = true;
    ls_output_sync_begin(o, true, false);
    for (int i = 0; i < h->n_start; i++)
        ls_output_sync_item(o, h->start[i]);
    pthread_mutex_unlock(&h->fan_lock);
    return 0;
}

static struct ls_item *tag(enum ls_item_kind kind, bool key, int64_t dts, uint32_t size)
{
    struct ls_item *it = ls_item_new(kind, size);
    memset(it->body, (int)(dts & 0xff), size);
    it->keyframe = key;
    it->dts_ms = dts;
    return it;
}

static void push(struct host *h, struct ls_subscription *sub, struct ls_item *it)
{
    pthread_mutex_lock(&h->fan_lock);
    ls_poll_push(sub, it);
    pthread_mutex_unlock(&h->fan_lock);
}

static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* The eventfd's counter as the kernel shows it: how many writes since the last read. */
static long long eventfd_count(int fd)
{
    char path[64], line[128];
    long long count = -1;
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "eventfd-count: %llx", &count) == 1)
            break;
    fclose(f);
    return count;
}

static void host_init(struct host *h)
{
    memset(h, 0, sizeof(*h));
    pthread_mutex_init(&h->fan_lock, NULL);
    h->start[h->n_start++] = tag(LS_ITEM_METADATA, false, 0, 30);
    h->start[h->n_start++] = tag(LS_ITEM_VIDEO_SEQ, false, 0, 20);
    h->start[h->n_start++] = tag(LS_ITEM_AUDIO_SEQ, false, 0, 4);
    h->start[h->n_start++] = tag(LS_ITEM_VIDEO, true, 1000, 500);
    h->start[h->n_start++] = tag(LS_ITEM_AUDIO, false, 1010, 40);
}

static void host_finish(struct host *h)
{
    for (int i = 0; i < h->n_start; i++) {
        CHECK_EQ_INT(atomic_load(&h->start[i]->refs), 1); /* every reference given back */
        ls_item_unref(&h->start[i]);
    }
    pthread_mutex_destroy(&h->fan_lock);
}

static struct ls_subscription *subscribe_with(struct host *h, uint32_t queue_max,
                                             struct ls_notifier *n)
{
    struct ls_output_settings s = {.queue_max_bytes = queue_max, .start_with_gop_cache = true};
    struct ls_output_host oh = {.sync = host_sync, .host = h};
    struct ls_subscription *sub = NULL;
    CHECK_EQ_INT(ls_poll_create(&sub, &oh, h, 1, &s, n), 0);
    return sub;
}

static struct ls_subscription *subscribe(struct host *h, uint32_t queue_max)
{
    return subscribe_with(h, queue_max, NULL);
}

static void release_all(struct ls_sub_tag *t, int n)
{
    for (int i = 0; i < n; i++)
        ls_tag_body_release(t[i].body_ref);
}

/* The bytes of a taken tag are an FLV tag of its body at its timestamp. */
static void check_tag(const struct ls_sub_tag *t, const struct ls_item *it, uint32_t ts)
{
    uint8_t hdr[LS_FLV_TAG_HEADER_SIZE], prev[LS_FLV_PREV_SIZE];
    ls_flv_tag_header(hdr, it->tag_type, it->size, ts);
    ls_flv_prev_size(prev, it->size);
    CHECK_EQ_INT(t->head_size, LS_FLV_TAG_HEADER_SIZE);
    CHECK_EQ_MEM(t->head, hdr, sizeof(hdr));
    CHECK_EQ_INT(t->trailer_size, LS_FLV_PREV_SIZE);
    CHECK_EQ_MEM(t->trailer, prev, sizeof(prev));
    CHECK(t->body == it->body); /* shared, not copied */
    CHECK_EQ_INT(t->body_size, it->size);
    CHECK_EQ_INT(t->ts_ms, ts);
}

static void test_start_and_descriptor(void)
{
    struct host h;
    host_init(&h);
    struct ls_subscription *sub = subscribe(&h, 1 << 20);
    int fd = ls_subscription_fd(sub);
    struct ls_sub_tag t[16];
    CHECK(fd >= 0);
    CHECK(!readable(fd));
    CHECK_EQ_INT(ls_subscription_take(sub, t, 16), 0); /* the host has no start yet */
    h.ready = true;
    struct ls_item *key = tag(LS_ITEM_VIDEO, true, 1040, 300);
    push(&h, sub, key); /* a keyframe: it may start now */
    CHECK(readable(fd));
    int n = ls_subscription_take(sub, t, 16);
    CHECK_EQ_INT(n, 1 + h.n_start);
    CHECK_EQ_INT(t[0].flags, LS_TAG_FILE_HEADER);
    uint8_t fh[LS_FLV_FILE_HEADER_SIZE];
    ls_flv_file_header(fh, true, true);
    CHECK_EQ_INT(t[0].head_size, sizeof(fh));
    CHECK_EQ_MEM(t[0].head, fh, sizeof(fh));
    CHECK(t[0].body == NULL && t[0].body_ref == NULL && t[0].trailer_size == 0);
    CHECK_EQ_INT(t[1].flags, LS_TAG_METADATA);
    CHECK_EQ_INT(t[2].flags, LS_TAG_VIDEO | LS_TAG_SEQUENCE_HEADER);
    CHECK_EQ_INT(t[3].flags, LS_TAG_AUDIO | LS_TAG_SEQUENCE_HEADER);
    CHECK_EQ_INT(t[4].flags, LS_TAG_VIDEO | LS_TAG_KEYFRAME);
    for (int i = 0; i < h.n_start && i + 1 < n; i++) /* headers at 0, then its own timeline */
        check_tag(&t[i + 1], h.start[i], i < 3 ? 0 : (uint32_t)(h.start[i]->dts_ms - 1000));
    release_all(t, n);
    CHECK(!readable(fd)); /* drained: quiet again */

    /* Ten tags while the consumer sleeps: one write, one wake. */
    struct ls_item *p[10];
    for (int i = 0; i < 10; i++) {
        p[i] = tag(LS_ITEM_VIDEO, false, 1080 + 40 * i, 100);
        push(&h, sub, p[i]);
    }
    CHECK(readable(fd));
    CHECK_EQ_INT(eventfd_count(fd), 1);
    n = ls_subscription_take(sub, t, 4); /* part of them: it stays readable */
    CHECK_EQ_INT(n, 4);
    CHECK(readable(fd));
    n += ls_subscription_take(sub, t + 4, 16);
    CHECK_EQ_INT(n, 10);
    CHECK(!readable(fd));
    for (int i = 0; i < 10; i++)
        check_tag(&t[i], p[i], (uint32_t)(80 + 40 * i));

    struct ls_output_stats st;
    CHECK_EQ_INT(ls_subscription_get_stats(sub, &st), 0);
    CHECK_EQ_INT(st.state, LS_STATE_STREAMING);
    CHECK_EQ_INT(st.video_frames_out, 11); /* the GOP keyframe and ten frames: the keyframe that woke it came before its start */
    CHECK_EQ_INT(st.queue_bytes, 0);
    CHECK_EQ_STR(st.target, "subscription");

    /* Released after the subscription is gone: the bodies outlive it. */
    ls_poll_destroy(&sub);
    CHECK(sub == NULL);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ_INT(atomic_load(&p[i]->refs), 2);
        ls_tag_body_release(t[i].body_ref);
        CHECK_EQ_INT(atomic_load(&p[i]->refs), 1);
        ls_item_unref(&p[i]);
    }
    CHECK_EQ_INT(atomic_load(&key->refs), 1);
    ls_item_unref(&key);
    host_finish(&h);
}

static void test_overflow_and_restart(void)
{
    struct host h;
    host_init(&h);
    h.ready = true;
    struct ls_subscription *sub = subscribe(&h, 2000);
    struct ls_sub_tag t[64];
    int n = ls_subscription_take(sub, t, 64);
    CHECK_EQ_INT(n, 1 + h.n_start);
    release_all(t, n);
    /* The consumer does not take: 10 frames of 300 bytes overflow 2000. */
    struct ls_item *it[13];
    for (int i = 0; i < 10; i++) {
        it[i] = tag(LS_ITEM_VIDEO, false, 1040 + 40 * i, 300);
        push(&h, sub, it[i]);
    }
    it[10] = tag(LS_ITEM_VIDEO_SEQ, false, 1440, 20);  /* headers pass while skipping */
    it[11] = tag(LS_ITEM_VIDEO, false, 1440, 300);     /* not a keyframe: dropped */
    it[12] = tag(LS_ITEM_VIDEO, true, 1480, 300);      /* resumes here */
    for (int i = 10; i < 13; i++)
        push(&h, sub, it[i]);
    size_t queued = 0;
    uint64_t skips = 0;
    CHECK_EQ_INT(ls_subscription_backlog(sub, &queued, &skips), 0);
    CHECK_EQ_INT(skips, 1);
    CHECK_EQ_INT(queued, 20 + 300); /* the header kept and the keyframe it resumed at */
    n = ls_subscription_take(sub, t, 64);
    struct ls_output_stats st;
    ls_subscription_get_stats(sub, &st);
    CHECK_EQ_INT(st.skips, 1);
    CHECK(st.dropped_frames >= 5);
    CHECK(n >= 2);
    if (n >= 2) {
        CHECK(t[n - 2].body == it[10]->body);
        CHECK(t[n - 1].body == it[12]->body);
        CHECK_EQ_INT(t[n - 1].ts_ms, 480); /* still on its timeline */
    }
    release_all(t, n);

    /* The stream ends and starts again: a new file header, a new timeline. */
    ls_poll_unsync(sub);
    ls_subscription_get_stats(sub, &st);
    CHECK_EQ_INT(st.state, LS_STATE_CONNECTING);
    for (int i = 0; i < h.n_start; i++)
        h.start[i]->dts_ms += 50000;
    n = ls_subscription_take(sub, t, 64);
    CHECK_EQ_INT(n, 1 + h.n_start);
    CHECK_EQ_INT(t[0].flags, LS_TAG_FILE_HEADER);
    CHECK_EQ_INT(t[4].ts_ms, 0);
    CHECK_EQ_INT(t[5].ts_ms, 10);
    release_all(t, n);
    ls_poll_destroy(&sub);
    for (int i = 0; i < 13; i++) {
        CHECK_EQ_INT(atomic_load(&it[i]->refs), 1);
        ls_item_unref(&it[i]);
    }
    host_finish(&h);
}

static void test_set_timestamp(void)
{
    struct host h;
    host_init(&h);
    h.ready = true;
    struct ls_subscription *sub = subscribe(&h, 1 << 20);
    struct ls_sub_tag t[16];
    int n = ls_subscription_take(sub, t, 16);
    CHECK_EQ_INT(n, 1 + h.n_start);
    uint8_t before[LS_FLV_FILE_HEADER_SIZE];
    memcpy(before, t[0].head, sizeof(before));
    ls_sub_tag_set_timestamp(&t[0], 5); /* the file header has no time */
    CHECK_EQ_MEM(t[0].head, before, sizeof(before));
    ls_sub_tag_set_timestamp(&t[4], 0x12345678);
    check_tag(&t[4], h.start[3], 0x12345678);
    release_all(t, n);
    ls_poll_destroy(&sub);
    host_finish(&h);
}

static void test_shared_notifier(void)
{
    struct host h;
    host_init(&h);
    h.ready = true;
    struct ls_notifier *n = NULL;
    CHECK_EQ_INT(ls_notifier_create(&n), 0);
    int fd = ls_notifier_fd(n);
    struct ls_subscription *sub[3];
    for (int i = 0; i < 3; i++) {
        sub[i] = subscribe_with(&h, 1 << 20, n);
        CHECK_EQ_INT(ls_subscription_fd(sub[i]), fd);
    }
    struct ls_sub_tag t[16];
    for (int i = 0; i < 3; i++) {
        int k = ls_subscription_take(sub[i], t, 16);
        CHECK_EQ_INT(k, 1 + h.n_start);
        release_all(t, k);
    }
    CHECK(!readable(fd));
    /* A tag to each: one write for the three. */
    struct ls_item *it[4];
    for (int k = 0; k < 4; k++)
        it[k] = tag(LS_ITEM_AUDIO, false, 1040 + 20 * k, 10);
    for (int i = 0; i < 3; i++)
        push(&h, sub[i], it[0]);
    CHECK_EQ_INT(eventfd_count(fd), 1);
    /* A take does not rearm a shared notifier: the consumer's ack does. */
    CHECK_EQ_INT(ls_subscription_take(sub[0], t, 16), 1);
    release_all(t, 1);
    CHECK(readable(fd));
    ls_notifier_ack(n);
    CHECK(!readable(fd));
    /* Taken after the ack: the tags that came before it are there. */
    for (int i = 1; i < 3; i++) {
        CHECK_EQ_INT(ls_subscription_take(sub[i], t, 16), 1);
        release_all(t, 1);
    }
    /* After the ack, the next tag of any one wakes it again. */
    push(&h, sub[2], it[1]);
    CHECK(readable(fd));
    CHECK_EQ_INT(eventfd_count(fd), 1);
    push(&h, sub[1], it[2]);
    push(&h, sub[2], it[3]); /* its queue was not empty: no new reason */
    CHECK_EQ_INT(eventfd_count(fd), 1);
    ls_notifier_destroy(&n); /* the subscriptions keep it */
    CHECK(n == NULL && readable(fd));
    for (int i = 0; i < 3; i++)
        ls_poll_destroy(&sub[i]); /* the last one frees it (ASan: no leak) */
    for (int k = 0; k < 4; k++) {
        CHECK_EQ_INT(atomic_load(&it[k]->refs), 1);
        ls_item_unref(&it[k]);
    }
    host_finish(&h);
}

/* ---- an event loop --------------------------------------------------------- */

#define LOOP_TAGS 2000

struct producer {
    struct host *h;
    struct ls_subscription *sub;
    struct ls_item *items[LOOP_TAGS];
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    for (int i = 0; i < LOOP_TAGS; i++) {
        push(p->h, p->sub, p->items[i]);
        if (i % 50 == 0)
            usleep(1000); /* let the consumer drain now and then: many wakes, not one */
    }
    return NULL;
}

static void test_event_loop(void)
{
    struct host h;
    host_init(&h);
    h.ready = true;
    struct producer p = {.h = &h, .sub = subscribe(&h, 64 << 20)};
    for (int i = 0; i < LOOP_TAGS; i++)
        p.items[i] = tag(i % 2 ? LS_ITEM_AUDIO : LS_ITEM_VIDEO, i % 50 == 0, 1040 + 20 * i, 64);
    /* Start it before the producer: its first tag is then the next in the queue. */
    struct ls_sub_tag t[8];
    int n = ls_subscription_take(p.sub, t, 8);
    CHECK_EQ_INT(n, 1 + h.n_start);
    release_all(t, n);
    pthread_t thread;
    pthread_create(&thread, NULL, produce, &p);
    int got = 0, wakes = 0, empty = 0;
    bool in_order = true;
    while (got < LOOP_TAGS) {
        struct pollfd pfd = {.fd = ls_subscription_fd(p.sub), .events = POLLIN};
        if (poll(&pfd, 1, 2000) != 1)
            break; /* nothing for 2 s: lost wake-up */
        wakes++;
        n = ls_subscription_take(p.sub, t, 8);
        empty += n == 0;
        for (int i = 0; i < n; i++, got++)
            in_order = in_order && t[i].body == p.items[got]->body;
        release_all(t, n);
    }
    pthread_join(thread, NULL);
    CHECK_EQ_INT(got, LOOP_TAGS);
    CHECK(in_order);
    CHECK(wakes > 1);
    CHECK(empty < wakes / 10 + 2); /* readable means something to take */
    fprintf(stderr, "event loop: %d tags in %d wakes (%d empty)\n", got, wakes, empty);
    ls_poll_destroy(&p.sub);
    for (int i = 0; i < LOOP_TAGS; i++) {
        CHECK_EQ_INT(atomic_load(&p.items[i]->refs), 1);
        ls_item_unref(&p.items[i]);
    }
    host_finish(&h);
}

int main(void)
{
    test_start_and_descriptor();
    test_overflow_and_restart();
    test_set_timestamp();
    test_shared_notifier();
    test_event_loop();
    return test_done("test_poll");
}
