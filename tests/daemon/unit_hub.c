/*
 * Unit tests of the HTTP-FLV hub's pure part (daemon/hub_tag.c): a taken
 * tag's head and tail pieces (chunk framing around the library's header and
 * trailer), a viewer's timeline across subscriptions, and the count of tags a
 * connection still holds.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/hub_tag.h"
#include "tests/unit/test.h"

/* A taken tag as the library gives it: an 11-byte header of @p ts, a body of @p size. */
static struct ls_sub_tag make(uint32_t size, uint32_t ts, unsigned flags)
{
    struct ls_sub_tag t = {.flags = flags, .head_size = 11, .trailer_size = 4,
                           .body_size = size, .head = {9, 0, 0, 0}};
    t.head[1] = (uint8_t)(size >> 16);
    t.head[2] = (uint8_t)(size >> 8);
    t.head[3] = (uint8_t)size;
    ls_sub_tag_set_timestamp(&t, ts);
    uint32_t prev = size + 11;
    t.trailer[0] = (uint8_t)(prev >> 24);
    t.trailer[1] = (uint8_t)(prev >> 16);
    t.trailer[2] = (uint8_t)(prev >> 8);
    t.trailer[3] = (uint8_t)prev;
    return t;
}

static uint32_t ts_of(const struct ls_sub_tag *t)
{
    const uint8_t *p = t->head;
    return (uint32_t)p[7] << 24 | (uint32_t)p[4] << 16 | (uint32_t)p[5] << 8 | p[6];
}

static void test_framing(void)
{
    /* A 300-byte body: the chunk holds 11 + 300 + 4 = 315 = 0x13b bytes. */
    struct ls_sub_tag t = make(300, 0, LS_TAG_VIDEO);
    uint8_t head[LSD_TAG_HEAD_MAX], tail[LSD_TAG_TAIL_MAX];
    CHECK_EQ_INT(lsd_tag_flv_size(&t), 315);
    size_t n = lsd_tag_head(&t, true, head);
    CHECK_EQ_INT(n, 5 + 11);
    CHECK_EQ_MEM(head, "13b\r\n", 5);
    CHECK_EQ_MEM(head + 5, t.head, 11);
    n = lsd_tag_tail(&t, true, tail);
    CHECK_EQ_INT(n, 6);
    CHECK_EQ_MEM(tail, t.trailer, 4);
    CHECK_EQ_MEM(tail + 4, "\r\n", 2);
    /* HTTP/1.0: the FLV bytes alone. */
    CHECK_EQ_INT(lsd_tag_head(&t, false, head), 11);
    CHECK_EQ_MEM(head, t.head, 11);
    CHECK_EQ_INT(lsd_tag_tail(&t, false, tail), 4);

    /* The file header: 13 bytes, no body, no trailer; the largest head. */
    struct ls_sub_tag fh = {.flags = LS_TAG_FILE_HEADER, .head_size = 13, .head = "FLV\1\5"};
    CHECK_EQ_INT(lsd_tag_head(&fh, true, head), 3 + 13);
    CHECK_EQ_MEM(head, "d\r\nFLV", 6);
    CHECK_EQ_INT(lsd_tag_tail(&fh, true, tail), 2);
    CHECK_EQ_MEM(tail, "\r\n", 2);

    /* The largest FLV tag: 16 MiB - 1 of body. */
    t = make((16u << 20) - 1, 0, LS_TAG_VIDEO);
    CHECK_EQ_INT(lsd_tag_head(&t, true, head), 9 + 11);
    CHECK_EQ_MEM(head, "100000e\r\n", 9);
}

static void test_timeline(void)
{
    struct lsd_timeline tl = {0};
    /* The first subscription keeps its times. */
    struct ls_sub_tag t = make(10, 0, LS_TAG_VIDEO | LS_TAG_KEYFRAME);
    lsd_timeline_apply(&tl, &t);
    CHECK_EQ_INT(ts_of(&t), 0);
    t = make(10, 5000, LS_TAG_VIDEO);
    lsd_timeline_apply(&tl, &t);
    CHECK_EQ_INT(ts_of(&t), 5000);
    CHECK_EQ_INT(t.ts_ms, 5000);
    /* A new one (the relay restarted) continues 40 ms after the last time sent. */
    lsd_timeline_restart(&tl);
    struct ls_sub_tag meta = make(10, 0, LS_TAG_METADATA);
    lsd_timeline_apply(&tl, &meta);
    CHECK_EQ_INT(ts_of(&meta), 0); /* onMetaData keeps its own */
    t = make(10, 0, LS_TAG_VIDEO | LS_TAG_SEQUENCE_HEADER);
    lsd_timeline_apply(&tl, &t);
    CHECK_EQ_INT(ts_of(&t), 5040);
    t = make(10, 0, LS_TAG_VIDEO | LS_TAG_KEYFRAME);
    lsd_timeline_apply(&tl, &t);
    CHECK_EQ_INT(ts_of(&t), 5040);
    t = make(10, 1000, LS_TAG_AUDIO);
    lsd_timeline_apply(&tl, &t);
    CHECK_EQ_INT(ts_of(&t), 6040);
    CHECK_EQ_INT(t.ts_ms, 6040);
    /* Past 24 bits the extended byte carries on. */
    t = make(10, 0x01000000, LS_TAG_AUDIO);
    lsd_timeline_apply(&tl, &t);
    CHECK_EQ_INT(ts_of(&t), 0x01000000 + 5040);
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
    test_framing();
    test_timeline();
    test_inflight();
    return test_done("unit_hub");
}
