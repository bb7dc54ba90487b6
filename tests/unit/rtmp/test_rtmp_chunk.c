/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTMP chunk headers against the specification's bytes (section 5.3.1), and
 * the chunk reader over streams built by hand: all four header types, chunks
 * of two messages interleaved, extended timestamps, Set Chunk Size and Abort,
 * any split of the input; hostile streams end in an error, never a crash.
 */
#include <errno.h>
#include <stdlib.h>

#include "lib/output/rtmp_chunk.h"
#include "tests/unit/test.h"

static void test_header_bytes(void)
{
    uint8_t h[LS_RTMP_HEADER_MAX];
    struct ls_rtmp_msg m = {.csid = 3, .type = 20, .stream_id = 1, .timestamp = 0x123456, .size = 300};
    static const uint8_t want[] = {0x03, 0x12, 0x34, 0x56, 0x00, 0x01, 0x2c, 0x14, 1, 0, 0, 0};
    CHECK_EQ_INT(ls_rtmp_header(h, &m), sizeof(want));
    CHECK(memcmp(h, want, sizeof(want)) == 0);
    CHECK_EQ_INT(ls_rtmp_cont_header(h, &m), 1);
    CHECK_EQ_INT(h[0], 0xc3);

    m.timestamp = 0x01000000; /* extended: 0xffffff in the field, the value after */
    m.csid = 100;             /* two-byte basic header */
    CHECK_EQ_INT(ls_rtmp_header(h, &m), 2 + 11 + 4);
    CHECK(h[0] == 0x00 && h[1] == 36 && h[2] == 0xff && h[3] == 0xff && h[4] == 0xff);
    CHECK(h[13] == 1 && h[14] == 0 && h[15] == 0 && h[16] == 0);
    m.csid = 6;
    CHECK_EQ_INT(ls_rtmp_cont_header(h, &m), 5);
    CHECK(h[0] == 0xc6 && h[1] == 1 && h[4] == 0);

    CHECK_EQ_INT(ls_rtmp_chunk_count(0, 128), 1);
    CHECK_EQ_INT(ls_rtmp_chunk_count(128, 128), 1);
    CHECK_EQ_INT(ls_rtmp_chunk_count(129, 128), 2);
}

/* --- a stream built by hand --------------------------------------------- */

struct stream {
    uint8_t b[1 << 18];
    size_t n;
};

static void put(struct stream *s, const void *p, size_t n)
{
    memcpy(s->b + s->n, p, n);
    s->n += n;
}

static void be(struct stream *s, uint32_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        s->b[s->n++] = (uint8_t)(v >> (8 * i));
}

/* A chunk header of type @p fmt (csid < 64); @p ts is the timestamp or delta field. */
static void chunk(struct stream *s, unsigned fmt, unsigned csid, uint32_t ts, uint32_t size,
                  uint8_t type, uint32_t sid)
{
    s->b[s->n++] = (uint8_t)(fmt << 6 | csid);
    bool ext = ts >= 0xffffff;
    if (fmt < 3) {
        be(s, ext ? 0xffffff : ts, 3);
        if (fmt < 2) {
            be(s, size, 3);
            s->b[s->n++] = type;
        }
        if (fmt == 0)
            for (int i = 0; i < 4; i++)
                s->b[s->n++] = (uint8_t)(sid >> (8 * i));
    }
    if (ext)
        be(s, ts, 4);
}

struct got {
    int n;
    struct ls_rtmp_msg m[16];
    uint8_t first[16], last[16];
    uint32_t sum[16];
};

static int on_msg(void *opaque, const struct ls_rtmp_msg *m, const uint8_t *payload)
{
    struct got *g = opaque;
    if (g->n == 16)
        return -ENOSPC;
    g->m[g->n] = *m;
    uint32_t sum = 0;
    for (uint32_t i = 0; i < m->size; i++)
        sum = sum * 31 + payload[i];
    g->sum[g->n] = sum;
    g->first[g->n] = m->size ? payload[0] : 0;
    g->last[g->n] = m->size ? payload[m->size - 1] : 0;
    g->n++;
    return 0;
}

static uint32_t sum_of(const uint8_t *p, uint32_t n)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i < n; i++)
        sum = sum * 31 + p[i];
    return sum;
}

/* Feed in pieces of @p step bytes (0: random sizes). */
static int feed_split(struct ls_rtmp_reader *r, const struct stream *s, size_t step, struct got *g)
{
    size_t at = 0;
    while (at < s->n) {
        size_t k = step ? step : 1 + (size_t)(rand() % 300);
        if (k > s->n - at)
            k = s->n - at;
        int err = ls_rtmp_reader_feed(r, s->b + at, k, on_msg, g);
        if (err < 0)
            return err;
        at += k;
    }
    return 0;
}

static void test_reader_stream(void)
{
    static struct stream s;
    s.n = 0;
    uint8_t a[300], b[200];
    for (int i = 0; i < 300; i++)
        a[i] = (uint8_t)(i * 7 + 1);
    for (int i = 0; i < 200; i++)
        b[i] = (uint8_t)(i * 13 + 5);
    /* A (300 B, csid 4) and B (200 B, csid 5) interleaved in 128-byte chunks. */
    chunk(&s, 0, 4, 1000, 300, 9, 1);
    put(&s, a, 128);
    chunk(&s, 0, 5, 0x1000000, 200, 8, 1); /* extended timestamp */
    put(&s, b, 128);
    chunk(&s, 3, 4, 0, 0, 0, 0);
    put(&s, a + 128, 128);
    chunk(&s, 3, 5, 0x1000000, 0, 0, 0); /* repeats the extended timestamp */
    put(&s, b + 128, 72);
    chunk(&s, 3, 4, 0, 0, 0, 0);
    put(&s, a + 256, 44);
    /* Type 1 (delta 40, new size and type), type 2 (delta 20), type 3 starting a new message. */
    chunk(&s, 1, 4, 40, 10, 18, 0);
    put(&s, a, 10);
    chunk(&s, 2, 4, 20, 0, 0, 0);
    put(&s, b, 10);
    chunk(&s, 3, 4, 0, 0, 0, 0);
    put(&s, a + 1, 10);
    /* Set Chunk Size 1000, then a 900-byte message in one chunk; an empty message. */
    chunk(&s, 0, 2, 0, 4, 1, 0);
    be(&s, 1000, 4);
    chunk(&s, 0, 6, 5, 300, 20, 0);
    put(&s, a, 300);
    chunk(&s, 0, 7, 6, 0, 20, 0);

    for (size_t step = 0; step <= 7; step++) {
        struct ls_rtmp_reader r;
        ls_rtmp_reader_init(&r);
        struct got g = {0};
        CHECK_EQ_INT(feed_split(&r, &s, step ? step : 0, &g), 0);
        CHECK_EQ_INT(g.n, 8);
        /* B completes first (its last chunk comes before A's). */
        CHECK(g.m[0].csid == 5 && g.m[0].type == 8 && g.m[0].size == 200);
        CHECK_EQ_INT(g.m[0].timestamp, 0x1000000);
        CHECK_EQ_INT(g.sum[0], sum_of(b, 200));
        CHECK(g.m[1].csid == 4 && g.m[1].type == 9 && g.m[1].stream_id == 1);
        CHECK_EQ_INT(g.m[1].timestamp, 1000);
        CHECK_EQ_INT(g.sum[1], sum_of(a, 300));
        CHECK(g.m[2].type == 18 && g.m[2].size == 10 && g.m[2].stream_id == 1);
        CHECK_EQ_INT(g.m[2].timestamp, 1040);
        CHECK_EQ_INT(g.sum[2], sum_of(a, 10));
        CHECK_EQ_INT(g.m[3].timestamp, 1060);
        CHECK_EQ_INT(g.sum[3], sum_of(b, 10));
        CHECK_EQ_INT(g.m[4].timestamp, 1080); /* type 3 for a new message repeats the delta */
        CHECK_EQ_INT(g.sum[4], sum_of(a + 1, 10));
        CHECK(g.m[5].type == 1);
        CHECK_EQ_INT(r.chunk_size, 1000);
        CHECK(g.m[6].csid == 6 && g.m[6].size == 300);
        CHECK_EQ_INT(g.sum[6], sum_of(a, 300));
        CHECK(g.m[7].csid == 7 && g.m[7].size == 0);
        CHECK_EQ_INT(r.total, s.n);
        ls_rtmp_reader_finish(&r);
    }
}

/* What our writer frames, the reader reads back: sizes around the chunk size. */
static void test_writer_reader(void)
{
    static struct stream s;
    static uint8_t payload[70000];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 2654435761u >> 13);
    static const uint32_t sizes[] = {0, 1, 127, 128, 129, 4096, 70000};
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        s.n = 0;
        struct ls_rtmp_msg m = {.csid = 6, .type = 9, .stream_id = 1, .timestamp = 0xfffffe + (uint32_t)k,
                                .size = sizes[k]};
        uint8_t h[LS_RTMP_HEADER_MAX];
        put(&s, h, ls_rtmp_header(h, &m));
        for (uint32_t at = 0; at < m.size; at += 128) {
            if (at) {
                uint8_t c[LS_RTMP_CONT_MAX];
                put(&s, c, ls_rtmp_cont_header(c, &m));
            }
            put(&s, payload + at, m.size - at < 128 ? m.size - at : 128);
        }
        struct ls_rtmp_reader r;
        ls_rtmp_reader_init(&r);
        r.chunk_size = 128;
        struct got g = {0};
        int err = feed_split(&r, &s, 0, &g);
        if (m.size > LS_RTMP_READ_MSG_MAX) {
            CHECK_EQ_INT(err, -EMSGSIZE);
        } else {
            CHECK_EQ_INT(err, 0);
            CHECK_EQ_INT(g.n, 1);
            CHECK_EQ_INT(g.m[0].timestamp, m.timestamp);
            CHECK_EQ_INT(g.m[0].size, m.size);
            CHECK_EQ_INT(g.sum[0], sum_of(payload, m.size));
        }
        ls_rtmp_reader_finish(&r);
    }
}

static void test_hostile(void)
{
    static const uint8_t filler[128];
    struct ls_rtmp_reader r;
    struct got g = {0};
    static struct stream s;
    /* A type-3 chunk for a stream never started. */
    s.n = 0;
    chunk(&s, 3, 9, 0, 0, 0, 0);
    ls_rtmp_reader_init(&r);
    CHECK_EQ_INT(feed_split(&r, &s, 1, &g), -EBADMSG);
    CHECK_EQ_INT(ls_rtmp_reader_feed(&r, s.b, 1, on_msg, &g), -EBADMSG); /* sticky */
    ls_rtmp_reader_finish(&r);
    /* A message over the limit. */
    s.n = 0;
    chunk(&s, 0, 3, 0, LS_RTMP_READ_MSG_MAX + 1, 20, 0);
    ls_rtmp_reader_init(&r);
    CHECK_EQ_INT(feed_split(&r, &s, 0, &g), -EMSGSIZE);
    ls_rtmp_reader_finish(&r);
    /* More chunk streams in flight than the table holds. */
    s.n = 0;
    for (unsigned c = 2; c < 2 + LS_RTMP_READ_STREAMS + 1; c++) {
        chunk(&s, 0, c, 0, 200, 20, 0); /* one full chunk of each: all in flight */
        put(&s, filler, 128);
    }
    ls_rtmp_reader_init(&r);
    CHECK_EQ_INT(feed_split(&r, &s, 0, &g), -EBADMSG);
    ls_rtmp_reader_finish(&r);
    /* Set Chunk Size 0. */
    s.n = 0;
    chunk(&s, 0, 2, 0, 4, 1, 0);
    be(&s, 0, 4);
    ls_rtmp_reader_init(&r);
    CHECK_EQ_INT(feed_split(&r, &s, 0, &g), -EBADMSG);
    ls_rtmp_reader_finish(&r);
    /* A new header in the middle of a message. */
    s.n = 0;
    chunk(&s, 0, 3, 0, 200, 20, 0);
    put(&s, filler, 128);
    chunk(&s, 0, 3, 0, 10, 20, 0);
    ls_rtmp_reader_init(&r);
    CHECK_EQ_INT(feed_split(&r, &s, 0, &g), -EBADMSG);
    ls_rtmp_reader_finish(&r);
    /* Abort drops a partial message; the stream goes on. */
    s.n = 0;
    chunk(&s, 0, 3, 0, 200, 20, 0);
    put(&s, filler, 128);
    chunk(&s, 0, 2, 0, 4, 2, 0);
    be(&s, 3, 4);
    chunk(&s, 0, 3, 0, 1, 20, 0);
    put(&s, "z", 1);
    ls_rtmp_reader_init(&r);
    memset(&g, 0, sizeof(g));
    CHECK_EQ_INT(feed_split(&r, &s, 0, &g), 0);
    CHECK_EQ_INT(g.n, 2);
    CHECK(g.m[1].size == 1 && g.first[1] == 'z');
    ls_rtmp_reader_finish(&r);
}

int main(void)
{
    srand(7);
    test_header_bytes();
    test_reader_stream();
    test_writer_reader();
    test_hostile();
    return test_done("test_rtmp_chunk");
}
