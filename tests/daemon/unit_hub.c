/*
 * Unit tests of the HTTP-FLV hub's pure part (daemon/hub_tag.c): a tag's
 * chunk framing, a viewer's queue of tags (references, growth, giving its ring
 * back, its bound), and the count of tags a connection still holds.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/hub_tag.h"
#include "tests/unit/test.h"

/* A fake FLV tag of @p size bytes with timestamp @p ts (contents: the byte values). */
static struct lsd_tag *make(size_t size, uint32_t ts)
{
    uint8_t *buf = malloc(size);
    for (size_t i = 0; i < size; i++)
        buf[i] = (uint8_t)i;
    struct lsd_tag *t = lsd_tag_new(NULL, buf, size, 0);
    free(buf);
    if (t && size >= 11)
        lsd_tag_set_ts(t, ts);
    return t;
}

static void test_tag_chunk(void)
{
    /* The piece, in one block after its chunk-size line and before its CRLF. */
    struct lsd_tag *t = make(300, 0);
    CHECK(t != NULL);
    CHECK_EQ_INT(t->size, 300);
    CHECK_EQ_INT(t->chunk_size, 5 + 300 + 2);
    CHECK_EQ_MEM(t->chunk, "12c\r\n", 5);
    CHECK(t->chunk + 5 == t->data);
    CHECK_EQ_MEM(t->data + 300, "\r\n", 2);
    CHECK_EQ_INT(t->data[299], (uint8_t)299);
    lsd_tag_unref(t);

    /* The 13-byte file header; a 16 MiB tag (the largest FLV allows). */
    t = make(13, 0);
    CHECK_EQ_MEM(t->chunk, "d\r\n", 3);
    CHECK_EQ_INT(t->chunk_size, 3 + 13 + 2);
    lsd_tag_unref(t);
    t = make((16u << 20) + 15, 0);
    CHECK(t != NULL);
    CHECK_EQ_MEM(t->chunk, "100000f\r\n", 9);
    CHECK_EQ_INT(t->chunk_size, 9 + (16u << 20) + 15 + 2);
    lsd_tag_unref(t);
}

static void test_tag_timestamp(void)
{
    struct lsd_tag *t = make(40, 0x12345678);
    CHECK_EQ_INT(lsd_tag_ts(t), 0x12345678);
    CHECK_EQ_INT(t->data[4], 0x34);
    CHECK_EQ_INT(t->data[7], 0x12); /* TimestampExtended */
    /* A copy is independent: retiming it leaves the original alone. */
    struct lsd_tag *c = lsd_tag_copy(t);
    CHECK_EQ_INT(c->refs, 1);
    lsd_tag_set_ts(c, 40);
    CHECK_EQ_INT(lsd_tag_ts(c), 40);
    CHECK_EQ_INT(lsd_tag_ts(t), 0x12345678);
    CHECK_EQ_MEM(c->chunk, t->chunk, 4 + 4);
    CHECK_EQ_MEM(c->data + 8, t->data + 8, 40 - 8 + 2);
    lsd_tag_unref(c);
    lsd_tag_unref(t);
}

static void test_queue(void)
{
    struct lsd_tag_queue q = {0};
    struct lsd_tag *a = make(100, 0), *b = make(200, 0);
    CHECK(lsd_tag_queue_peek(&q) == NULL);
    CHECK(lsd_tag_queue_pop(&q) == NULL);
    CHECK_EQ_INT(lsd_tag_queue_push(&q, a), 0);
    CHECK_EQ_INT(lsd_tag_queue_push(&q, b), 0);
    CHECK_EQ_INT(lsd_tag_queue_push(&q, a), 0);
    CHECK_EQ_INT(a->refs, 3);
    CHECK_EQ_INT(q.count, 3);
    CHECK_EQ_INT(q.bytes, 400);
    CHECK(lsd_tag_queue_peek(&q) == a);
    /* FIFO, and the popped reference is the caller's. */
    struct lsd_tag *t = lsd_tag_queue_pop(&q);
    CHECK(t == a);
    lsd_tag_unref(t);
    CHECK(lsd_tag_queue_pop(&q) == b);
    lsd_tag_unref(b);
    CHECK_EQ_INT(q.bytes, 100);
    /* Wrap around and grow: 1000 pushes, interleaved pops, order kept. */
    size_t pushed = 0, popped = 0;
    struct lsd_tag *tags[3] = {a, b, a};
    for (int round = 0; round < 1000; round++) {
        CHECK_EQ_INT(lsd_tag_queue_push(&q, tags[pushed++ % 3]), 0);
        if (round % 3 == 0) {
            t = lsd_tag_queue_pop(&q);
            CHECK(t == (popped == 0 ? a : tags[(popped - 1) % 3]));
            popped++;
            lsd_tag_unref(t);
        }
    }
    CHECK_EQ_INT(q.count, 1 + 1000 - 334);
    CHECK(lsd_tag_queue_memory(&q) >= q.count * sizeof(void *));
    /* Drained, it gives its big ring back. */
    size_t big = lsd_tag_queue_memory(&q);
    while ((t = lsd_tag_queue_pop(&q)))
        lsd_tag_unref(t);
    CHECK(lsd_tag_queue_memory(&q) < big);
    CHECK_EQ_INT(q.bytes, 0);
    CHECK_EQ_INT(a->refs, 1);
    CHECK_EQ_INT(b->refs, 1);
    /* Bounded: the ring never grows past LSD_TAG_QUEUE_MAX entries. */
    int err = 0;
    for (int i = 0; i < LSD_TAG_QUEUE_MAX && !err; i++)
        err = lsd_tag_queue_push(&q, a);
    CHECK_EQ_INT(err, 0);
    CHECK_EQ_INT(lsd_tag_queue_push(&q, a), -ENOSPC);
    CHECK_EQ_INT(lsd_tag_queue_memory(&q), LSD_TAG_QUEUE_MAX * sizeof(void *));
    /* Clear drops every reference. */
    lsd_tag_queue_clear(&q);
    CHECK_EQ_INT(a->refs, 1);
    CHECK_EQ_INT(q.count, 0);
    CHECK_EQ_INT(lsd_tag_queue_memory(&q), 0);
    lsd_tag_unref(a);
    lsd_tag_unref(b);
}

static void test_inflight(void)
{
    struct lsd_inflight f = {0};
    lsd_inflight_add(&f, 100);
    lsd_inflight_add(&f, 50);
    lsd_inflight_add(&f, 10);
    /* Output also holds 20 bytes of reply head: nothing written yet. */
    lsd_inflight_settle(&f, 180);
    CHECK_EQ_INT(f.count, 3);
    lsd_inflight_settle(&f, 160);
    CHECK_EQ_INT(f.count, 3);
    /* The first one half written: still held. */
    lsd_inflight_settle(&f, 110);
    CHECK_EQ_INT(f.count, 3);
    /* The first one out. */
    lsd_inflight_settle(&f, 60);
    CHECK_EQ_INT(f.count, 2);
    CHECK_EQ_INT(f.bytes, 60);
    /* All out. */
    lsd_inflight_settle(&f, 0);
    CHECK_EQ_INT(f.count, 0);
    CHECK_EQ_INT(f.bytes, 0);
    /* Around the ring, full, then one out. */
    for (int i = 0; i < LSD_INFLIGHT_MAX + 5; i++) {
        lsd_inflight_add(&f, 7);
        if (i < 5)
            lsd_inflight_settle(&f, 0);
    }
    CHECK_EQ_INT(f.count, LSD_INFLIGHT_MAX);
    lsd_inflight_settle(&f, 7 * (LSD_INFLIGHT_MAX - 1));
    CHECK_EQ_INT(f.count, LSD_INFLIGHT_MAX - 1);
}

int main(void)
{
    test_tag_chunk();
    test_tag_timestamp();
    test_queue();
    test_inflight();
    return test_done("unit_hub");
}
