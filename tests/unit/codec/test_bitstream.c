/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Annex B splitting, emulation prevention removal and the bit reader,
 * including a comparison against a naive reference splitter on generated
 * buffers full of zeros and ones (where start code bugs hide).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/util/bitstream.h"
#include "tests/unit/codec/nal_writer.h"
#include "tests/unit/test.h"

#define MAX_NALS 64

struct split {
    struct ls_nal nal[MAX_NALS];
    size_t n;
};

static struct split split_all(const uint8_t *buf, size_t size)
{
    struct split s = { .n = 0 };
    size_t pos = 0;
    struct ls_nal nal;
    while (s.n < MAX_NALS && ls_annexb_next(buf, size, &pos, &nal))
        s.nal[s.n++] = nal;
    return s;
}

static bool nal_is(const struct ls_nal *nal, const uint8_t *want, size_t n)
{
    return nal->size == n && !memcmp(nal->data, want, n);
}

#define NAL_IS(nal, ...)                                                         \
    nal_is((nal), (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void test_annexb_basic(void)
{
    /* 4-byte then 3-byte start code. */
    const uint8_t a[] = { 0, 0, 0, 1, 0x67, 0xaa, 0, 0, 1, 0x68, 0xbb };
    struct split s = split_all(a, sizeof(a));
    CHECK_EQ_INT(s.n, 2);
    CHECK(NAL_IS(&s.nal[0], 0x67, 0xaa));
    CHECK(NAL_IS(&s.nal[1], 0x68, 0xbb));

    /* Garbage before the first start code is skipped. */
    const uint8_t b[] = { 0xff, 0x12, 0x00, 0x01, 0x00, 0, 0, 1, 0x09, 0xf0 };
    s = split_all(b, sizeof(b));
    CHECK_EQ_INT(s.n, 1);
    CHECK(NAL_IS(&s.nal[0], 0x09, 0xf0));

    /* Nothing without a start code, nothing from an empty or NULL buffer. */
    const uint8_t c[] = { 0x67, 0x42, 0x00, 0x00, 0x02, 0x00, 0x01 };
    CHECK_EQ_INT(split_all(c, sizeof(c)).n, 0);
    CHECK_EQ_INT(split_all(c, 0).n, 0);
    CHECK_EQ_INT(split_all(NULL, 10).n, 0);
}

static void test_annexb_edges(void)
{
    /* Empty NAL units (back-to-back start codes, zero-only payloads) are skipped. */
    const uint8_t a[] = { 0, 0, 1, 0, 0, 1, 0x65, 0x01, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1 };
    struct split s = split_all(a, sizeof(a));
    CHECK_EQ_INT(s.n, 1);
    CHECK(NAL_IS(&s.nal[0], 0x65, 0x01));

    /* trailing_zero_8bits are not part of the NAL, at the end or mid-stream. */
    const uint8_t b[] = { 0, 0, 1, 0x67, 0xaa, 0, 0, 0, 0, 0, 1, 0x68, 0, 0 };
    s = split_all(b, sizeof(b));
    CHECK_EQ_INT(s.n, 2);
    CHECK(NAL_IS(&s.nal[0], 0x67, 0xaa));
    CHECK(NAL_IS(&s.nal[1], 0x68));

    /* A start code at the very end, and a truncated one. */
    const uint8_t c[] = { 0, 0, 1, 0x67, 0, 0, 1 };
    s = split_all(c, sizeof(c));
    CHECK_EQ_INT(s.n, 1);
    CHECK(NAL_IS(&s.nal[0], 0x67));
    const uint8_t d[] = { 0, 0, 1, 0x41, 0x9a, 0, 0 };
    s = split_all(d, sizeof(d));
    CHECK_EQ_INT(s.n, 1);
    CHECK(NAL_IS(&s.nal[0], 0x41, 0x9a));

    /* Escaped zeros inside a NAL stay as they are. */
    const uint8_t e[] = { 0, 0, 1, 0x67, 0, 0, 3, 1, 0x80 };
    s = split_all(e, sizeof(e));
    CHECK_EQ_INT(s.n, 1);
    CHECK(NAL_IS(&s.nal[0], 0x67, 0, 0, 3, 1, 0x80));

    /* The cursor ends at the size and stays there. */
    size_t pos = 0;
    struct ls_nal nal;
    while (ls_annexb_next(e, sizeof(e), &pos, &nal))
        ;
    CHECK_EQ_INT(pos, sizeof(e));
    CHECK(!ls_annexb_next(e, sizeof(e), &pos, &nal));
    pos = sizeof(e) + 5;
    CHECK(!ls_annexb_next(e, sizeof(e), &pos, &nal));
}

/* A deliberately naive splitter: every 00 00 01, zeros trimmed, empties dropped. */
static struct split reference_split(const uint8_t *buf, size_t size)
{
    struct split s = { .n = 0 };
    size_t starts[1024], n = 0;
    for (size_t i = 0; i + 3 <= size && n < 1024; i++)
        if (buf[i] == 0 && buf[i + 1] == 0 && buf[i + 2] == 1)
            starts[n++] = i;
    for (size_t k = 0; k < n && s.n < MAX_NALS; k++) {
        size_t begin = starts[k] + 3, end = k + 1 < n ? starts[k + 1] : size;
        while (end > begin && buf[end - 1] == 0)
            end--;
        if (end > begin)
            s.nal[s.n++] = (struct ls_nal){ buf + begin, end - begin };
    }
    return s;
}

static uint32_t xorshift(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static void test_annexb_against_reference(void)
{
    uint32_t rng = 0x12345678;
    uint8_t buf[200];
    int mismatches = 0;
    for (int iter = 0; iter < 20000; iter++) {
        size_t size = xorshift(&rng) % sizeof(buf);
        /* Mostly 0 and 1 so that start codes, runs of zeros and 00 00 03 abound. */
        for (size_t i = 0; i < size; i++) {
            uint32_t r = xorshift(&rng) % 8;
            buf[i] = r < 4 ? 0 : r < 6 ? 1 : r < 7 ? 3 : (uint8_t)xorshift(&rng);
        }
        struct split got = split_all(buf, size), want = reference_split(buf, size);
        bool same = got.n == want.n;
        for (size_t k = 0; same && k < got.n; k++)
            same = got.nal[k].data == want.nal[k].data && got.nal[k].size == want.nal[k].size;
        mismatches += !same;
    }
    CHECK_EQ_INT(mismatches, 0);
}

static size_t unescape(const uint8_t *src, size_t n, uint8_t *dst)
{
    return ls_nal_unescape(dst, src, n);
}

#define UNESCAPES_TO(in, ...)                                                     \
    do {                                                                          \
        const uint8_t want_[] = { __VA_ARGS__ };                                  \
        uint8_t out_[sizeof(in)];                                                 \
        size_t n_ = unescape(in, sizeof(in), out_);                               \
        CHECK_EQ_INT(n_, sizeof(want_));                                          \
        if (n_ == sizeof(want_))                                                  \
            CHECK_EQ_MEM(out_, want_, n_);                                        \
    } while (0)

static void test_unescape(void)
{
    const uint8_t a[] = { 0x67, 0, 0, 3, 1, 0x42 };
    UNESCAPES_TO(a, 0x67, 0, 0, 1, 0x42);
    const uint8_t b[] = { 0, 0, 3, 0, 0, 3, 0 };
    UNESCAPES_TO(b, 0, 0, 0, 0, 0);
    const uint8_t c[] = { 0, 3, 0, 0x10, 3 };   /* one zero is not enough */
    UNESCAPES_TO(c, 0, 3, 0, 0x10, 3);
    const uint8_t d[] = { 0, 0, 3, 3, 0, 0 };   /* the second 03 is data */
    UNESCAPES_TO(d, 0, 0, 3, 0, 0);
    const uint8_t e[] = { 0x40, 0, 0, 3 };      /* cabac_zero_word at the end */
    UNESCAPES_TO(e, 0x40, 0, 0);
    uint8_t out[1];
    CHECK_EQ_INT(ls_nal_unescape(out, a, 0), 0);
}

/* Escaping any RBSP as an encoder would and unescaping it gives it back. */
static void test_unescape_roundtrip(void)
{
    uint32_t rng = 99;
    int failures = 0;
    for (int iter = 0; iter < 2000; iter++) {
        struct nal_writer w;
        nw_init(&w);
        size_t n = 1 + xorshift(&rng) % 64;
        uint8_t rbsp[64];
        for (size_t i = 0; i < n; i++) {
            uint32_t r = xorshift(&rng) % 4;
            rbsp[i] = r < 2 ? 0 : r < 3 ? (uint8_t)(xorshift(&rng) % 4) : (uint8_t)xorshift(&rng);
            nw_u(&w, rbsp[i], 8);
        }
        size_t size;
        /* nw_finish appends the 0x80 stop byte; it is data like any other. */
        const uint8_t *nal = nw_finish(&w, NULL, 0, &size);
        uint8_t out[NW_CAP];
        size_t m = ls_nal_unescape(out, nal, size);
        failures += m != n + 1 || memcmp(out, rbsp, n) != 0 || out[n] != 0x80;
    }
    CHECK_EQ_INT(failures, 0);
}

static void test_bits(void)
{
    const uint8_t buf[] = { 0xa5, 0x0f, 0xff, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a };
    struct ls_bitreader br;
    ls_br_init(&br, buf, sizeof(buf));
    CHECK_EQ_INT(ls_br_bits(&br, 0), 0);
    CHECK_EQ_INT(ls_br_bits(&br, 1), 1);
    CHECK_EQ_INT(ls_br_bits(&br, 3), 2);
    CHECK_EQ_INT(ls_br_bits(&br, 8), 0x50);      /* unaligned byte: 0101 0000 */
    CHECK_EQ_INT(ls_br_bits(&br, 4), 0xf);
    CHECK_EQ_INT(ls_br_bits(&br, 16), 0xff00);   /* aligned fast path */
    CHECK_EQ_INT(ls_br_bits(&br, 32), 0x12345678);
    CHECK(!br.overrun);
    ls_br_skip(&br, 4);
    CHECK_EQ_INT(ls_br_bits(&br, 4), 0xa);
    CHECK(!br.overrun);
    CHECK_EQ_INT(br.pos, br.size_bits);
    /* Past the end: zeros, a latched flag, and the cursor stays put. */
    CHECK_EQ_INT(ls_br_bits(&br, 8), 0);
    CHECK(br.overrun);
    CHECK_EQ_INT(br.pos, br.size_bits);

    /* A read straddling the end returns the bits that exist, zero-filled. */
    ls_br_init(&br, buf, 1);
    ls_br_skip(&br, 4);
    CHECK_EQ_INT(ls_br_bits(&br, 8), 0x50);
    CHECK(br.overrun);

    ls_br_init(&br, buf, sizeof(buf));
    CHECK_EQ_INT(ls_br_bits(&br, 33), 0);
    CHECK(br.overrun);
    ls_br_init(&br, buf, sizeof(buf));
    ls_br_skip(&br, SIZE_MAX);
    CHECK(br.overrun);
    CHECK_EQ_INT(br.pos, br.size_bits);
    ls_br_skip(&br, 1);
    CHECK_EQ_INT(br.pos, br.size_bits);

    ls_br_init(&br, NULL, 100);
    CHECK_EQ_INT(ls_br_bits(&br, 1), 0);
    CHECK(br.overrun);
}

static void test_exp_golomb(void)
{
    static const uint32_t ue[] = { 0, 1, 2, 3, 7, 8, 254, 255, 65535, 1u << 20,
                                   0x7fffffffu, 0xfffffffeu };
    static const int32_t se[] = { 0, 1, -1, 2, -2, 100, -100, 32767, -32768,
                                  INT32_MAX, -INT32_MAX };
    struct nal_writer w;
    nw_init(&w);
    for (size_t i = 0; i < sizeof(ue) / sizeof(ue[0]); i++)
        nw_ue(&w, ue[i]);
    for (size_t i = 0; i < sizeof(se) / sizeof(se[0]); i++)
        nw_se(&w, se[i]);
    struct ls_bitreader br;
    ls_br_init(&br, w.rbsp, (w.bits + 7) / 8);
    for (size_t i = 0; i < sizeof(ue) / sizeof(ue[0]); i++)
        CHECK_EQ_INT(ls_br_ue(&br), ue[i]);
    for (size_t i = 0; i < sizeof(se) / sizeof(se[0]); i++)
        CHECK_EQ_INT(ls_br_se(&br), se[i]);
    CHECK(!br.overrun);
    CHECK_EQ_INT(br.pos, w.bits);

    /* Known codes: 1 → 0, 010 → 1, 011 → 2, 00100 → 3; se 010 → +1, 011 → -1. */
    const uint8_t codes[] = { 0xa6, 0x42, 0x80 }; /* 1 010 011 00100 00101 */
    ls_br_init(&br, codes, sizeof(codes));
    CHECK_EQ_INT(ls_br_ue(&br), 0);
    CHECK_EQ_INT(ls_br_ue(&br), 1);
    CHECK_EQ_INT(ls_br_ue(&br), 2);
    CHECK_EQ_INT(ls_br_ue(&br), 3);
    CHECK_EQ_INT(ls_br_se(&br), -2); /* 00101 → 4 → -2 */
    CHECK(!br.overrun);

    /* 32 leading zeros cannot be a 32-bit value. */
    const uint8_t zeros[] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff };
    ls_br_init(&br, zeros, sizeof(zeros));
    CHECK_EQ_INT(ls_br_ue(&br), UINT32_MAX);
    CHECK(br.overrun);
    ls_br_init(&br, zeros, sizeof(zeros));
    CHECK_EQ_INT(ls_br_se(&br), 0);
    CHECK(br.overrun);

    /* Running out inside the prefix or the suffix is an overrun, never a read past. */
    const uint8_t cut[] = { 0x00, 0x01 }; /* 15 zeros, 1, then 15 missing bits */
    ls_br_init(&br, cut, sizeof(cut));
    ls_br_ue(&br);
    CHECK(br.overrun);
    ls_br_init(&br, cut, 1);
    CHECK_EQ_INT(ls_br_ue(&br), UINT32_MAX);
    CHECK(br.overrun);
}

static void test_bytewriter(void)
{
    uint8_t buf[6];
    struct ls_bytewriter bw;
    ls_bw_init(&bw, buf, sizeof(buf));
    ls_bw_u8(&bw, 0x01);
    ls_bw_be16(&bw, 0x0203);
    ls_bw_be16(&bw, 0x0405);
    CHECK(!bw.overflow);
    ls_bw_be16(&bw, 0x0607); /* one byte short: nothing written */
    CHECK(bw.overflow);
    CHECK_EQ_INT(bw.size, 5);
    ls_bw_u8(&bw, 0x06);     /* stays failed */
    CHECK_EQ_INT(bw.size, 5);
    CHECK_EQ_MEM(buf, ((const uint8_t[]){ 1, 2, 3, 4, 5 }), 5);
    ls_bw_init(&bw, NULL, 10);
    ls_bw_be32(&bw, 1);
    CHECK(bw.overflow);
}

int main(void)
{
    test_annexb_basic();
    test_annexb_edges();
    test_annexb_against_reference();
    test_unescape();
    test_unescape_roundtrip();
    test_bits();
    test_exp_golomb();
    test_bytewriter();
    return test_done("codec-bitstream");
}
