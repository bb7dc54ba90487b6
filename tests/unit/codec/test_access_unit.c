/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Access units from depacketised RTP payloads (lib/access_unit.c), for H.264
 * and H.265 alike: each scenario is a list of packets and where the units
 * must start; every unit must be the byte-exact concatenation of its packets
 * with the timestamp of its first timed packet.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/codec/access_unit.h"
#include "tests/unit/test.h"

#define NONE INT64_MIN

/* The NAL units used, as hex (header first). */
struct nals {
    enum ls_codec codec;
    const char *sps, *pps, *aud, *sei, *idr, *first, *next, *tail;
};
static const struct nals h264 = {
    LS_CODEC_H264,
    "6742c00dda05", "68ce0fc8", "09f0", "0605ff80",
    "65888400aa",   /* IDR, first_mb_in_slice 0 (ue "1") */
    "419a22bc",     /* P slice, first_mb_in_slice 0 */
    "41402233",     /* P slice, first_mb_in_slice 1 (ue "010"): same picture */
    "0c00ff",       /* filler data: never opens a unit */
};
static const struct nals h265 = {
    LS_CODEC_H265,
    "420101016000", "4401c073", "460150", "4e010580",
    "2601ac74aa",   /* IDR_W_RADL, first_slice_segment_in_pic_flag 1 */
    "0201d011",     /* TRAIL_R, first slice segment */
    "02014011",     /* TRAIL_R, a later slice segment */
    "5001aa80",     /* suffix SEI: after the slices of its picture */
};

struct pk {
    const char *hex; /* NULL ends the list */
    int sc;          /* start code length: 4, 3, or 0 for an FU continuation */
    int64_t pts;
    bool starts;     /* a new unit starts with this packet */
};

#define MAXU 16
struct units {
    int n;
    uint8_t data[MAXU][256];
    size_t size[MAXU];
    int64_t pts[MAXU];
};

static void keep(struct units *u, const struct ls_au *au)
{
    if (u->n < MAXU && au->size <= sizeof(u->data[0])) {
        memcpy(u->data[u->n], au->data, au->size);
        u->size[u->n] = au->size;
        u->pts[u->n] = au->pts;
    }
    u->n++;
}

static size_t build(uint8_t *out, const struct pk *p)
{
    static const uint8_t sc[4] = {0, 0, 0, 1};
    memcpy(out, sc + 4 - p->sc, (size_t)p->sc);
    return (size_t)p->sc + test_unhex(p->hex, out + p->sc, 200);
}

/* Push @p p, flush, and compare with the units the list marks (@p line: the caller's).
 * Each packet returns 1 exactly when it starts a unit after the first. */
static void expect(enum ls_codec codec, const struct pk *p, int line)
{
    struct ls_au_assembler a;
    ls_au_init(&a, codec);
    struct units got = {0}, want = {0};
    int bad_ret = 0, before = test_failures;
    for (int i = 0; p[i].hex; i++) {
        uint8_t buf[256];
        size_t n = build(buf, &p[i]);
        if (p[i].starts || i == 0) {
            want.pts[want.n] = p[i].pts;
            want.size[want.n++] = 0;
        }
        struct units *w = &want;
        memcpy(w->data[w->n - 1] + w->size[w->n - 1], buf, n);
        w->size[w->n - 1] += n;
        if (w->pts[w->n - 1] == NONE)
            w->pts[w->n - 1] = p[i].pts;
        struct ls_au au;
        uint8_t *exact = malloc(n); /* ASan sees any read past the packet */
        CHECK(exact != NULL);
        if (!exact)
            break;
        memcpy(exact, buf, n);
        int ret = ls_au_push(&a, exact, n, p[i].pts, &au);
        free(exact);
        bad_ret += ret != (p[i].starts && i > 0);
        if (ret == 1)
            keep(&got, &au);
    }
    struct ls_au au;
    CHECK_EQ_INT(ls_au_flush(&a, &au), 1);
    keep(&got, &au);
    CHECK_EQ_INT(ls_au_flush(&a, &au), 0); /* nothing left */
    CHECK_EQ_INT(bad_ret, 0);
    CHECK_EQ_INT(got.n, want.n);
    for (int k = 0; k < got.n && k < want.n; k++) {
        CHECK_EQ_INT(got.size[k], want.size[k]);
        CHECK_EQ_MEM(got.data[k], want.data[k], want.size[k]);
        CHECK_EQ_INT(got.pts[k], want.pts[k]);
    }
    if (test_failures > before)
        fprintf(stderr, "  (scenario at line %d, %s)\n", line, codec == LS_CODEC_H265 ? "h265" : "h264");
    ls_au_finish(&a);
}

static void scenarios(const struct nals *c)
{
    /* Single NAL packets; a unit ends when the timestamp changes. */
    expect(c->codec, (struct pk[]){{c->sps, 4, 0, 1}, {c->pps, 4, 0, 0}, {c->idr, 4, 0, 0},
                                   {c->first, 4, 3600, 1}, {c->first, 3, 7200, 1}, {NULL}}, __LINE__);
    /* An FU: the start with a start code, continuations without (one looks like an
     * escaped 00 00 03), the next unit by timestamp. */
    expect(c->codec, (struct pk[]){{c->idr, 4, 90, 1}, {"11223344", 0, 90, 0}, {"000003ff", 0, 90, 0},
                                   {"8899", 0, 90, 0}, {c->first, 4, 3690, 1}, {"ab80", 0, 3690, 0},
                                   {NULL}}, __LINE__);
    /* An aggregate (STAP/AP) with the parameter sets, then the slice. */
    char stap[64];
    snprintf(stap, sizeof(stap), "%s00000001%s", c->sps, c->pps);
    expect(c->codec, (struct pk[]){{stap, 4, 0, 1}, {c->idr, 4, 0, 0}, {c->first, 4, 3600, 1},
                                   {NULL}}, __LINE__);
    /* Two pictures with the same timestamp: split by the first slice of the second,
     * by an AUD, by a parameter set; an SEI after a slice stays with that picture
     * (cameras send SEI after their slices), the next first slice splits. */
    expect(c->codec, (struct pk[]){{c->idr, 4, 5, 1}, {c->first, 4, 5, 1}, {c->aud, 4, 5, 1},
                                   {c->first, 4, 5, 0}, {c->sps, 4, 5, 1}, {c->pps, 4, 5, 0},
                                   {c->idr, 4, 5, 0}, {c->sei, 3, 5, 0}, {c->first, 3, 5, 1},
                                   {NULL}}, __LINE__);
    /* One picture of several slices, with trailing non-VCL data and a lone start code: one unit. */
    expect(c->codec, (struct pk[]){{c->aud, 4, 9, 1}, {c->sei, 4, 9, 0}, {c->first, 4, 9, 0},
                                   {c->next, 4, 9, 0}, {"0102", 0, 9, 0}, {c->next, 3, 9, 0},
                                   {c->tail, 4, 9, 0}, {"", 4, 9, 0}, {c->first, 4, 9, 1}, {NULL}},
           __LINE__);
    /* Parameter sets before any slice do not split; without timestamps the NAL
     * units alone decide; a timed packet gives the unit its timestamp. */
    expect(c->codec, (struct pk[]){{c->sps, 4, NONE, 1}, {c->pps, 4, NONE, 0}, {c->idr, 4, NONE, 0},
                                   {c->first, 4, NONE, 1}, {c->next, 4, 40, 0}, {c->next, 4, NONE, 0},
                                   {c->first, 4, 80, 1}, {"00", 0, NONE, 0}, {NULL}}, __LINE__);
    /* Extreme timestamps are plain values. */
    expect(c->codec, (struct pk[]){{c->idr, 4, INT64_MIN + 1, 1}, {c->first, 4, INT64_MAX, 1},
                                   {c->first, 4, -1, 1}, {NULL}}, __LINE__);
    /* An aggregate that ends with the slice: the next picture's first slice, same
     * timestamp, still opens a new unit (the slice is inside, not first). */
    char stap_idr[64];
    snprintf(stap_idr, sizeof(stap_idr), "%s00000001%s00000001%s", c->sps, c->pps, c->idr);
    expect(c->codec, (struct pk[]){{stap_idr, 4, 7, 1}, {c->first, 4, 7, 1}, {NULL}}, __LINE__);
}

/* A unit past LS_AU_MAX_BYTES is dropped with -EMSGSIZE when it closes; the next is whole. */
static void test_oversized(enum ls_codec codec, size_t first, size_t rest)
{
    size_t big_n = (first > rest ? first : rest) + 8;
    uint8_t *big = calloc(1, big_n);
    int before = test_failures;
    CHECK(big != NULL);
    if (!big)
        return;
    big[0] = 0x11;
    static const uint8_t idr[] = {0, 0, 0, 1, 0x65, 0x88, 0x84};
    static const uint8_t p0[] = {0, 0, 1, 0x02, 0x01, 0xd0, 0x11};
    struct ls_au_assembler a;
    ls_au_init(&a, codec);
    struct ls_au au = {0};
    CHECK_EQ_INT(ls_au_push(&a, idr, sizeof(idr), 0, &au), 0);
    ls_au_reset(&a); /* forgotten: the oversized unit below is the first */
    CHECK_EQ_INT(ls_au_push(&a, big, first, 100, &au), 0);
    int ret = 0;
    for (size_t sent = first; sent <= LS_AU_MAX_BYTES && ret == 0; sent += rest)
        ret = ls_au_push(&a, big, rest, 100, &au);
    CHECK_EQ_INT(ret, 0);
    /* The next unit closes the oversized one, which is dropped. */
    CHECK_EQ_INT(ls_au_push(&a, p0, sizeof(p0), 200, &au), -EMSGSIZE);
    CHECK_EQ_INT(ls_au_push(&a, big, 5, 200, &au), 0);
    CHECK_EQ_INT(ls_au_push(&a, idr, sizeof(idr), 300, &au), 1);
    CHECK_EQ_INT(au.size, sizeof(p0) + 5);
    CHECK_EQ_INT(au.pts, 200);
    if (au.size == sizeof(p0) + 5)
        CHECK_EQ_MEM(au.data, p0, sizeof(p0));
    /* Oversized again, then the end of the stream: nothing handed out, then fine. */
    CHECK_EQ_INT(ls_au_push(&a, big, first, 400, &au), 1);
    for (size_t sent = first; sent <= LS_AU_MAX_BYTES; sent += rest)
        ls_au_push(&a, big, rest, 400, &au);
    CHECK_EQ_INT(ls_au_flush(&a, &au), 0);
    CHECK_EQ_INT(ls_au_push(&a, idr, sizeof(idr), 500, &au), 0);
    CHECK_EQ_INT(ls_au_flush(&a, &au), 1);
    CHECK(au.size == sizeof(idr) && au.pts == 500);
    if (test_failures > before)
        fprintf(stderr, "  (oversized: first packet %zu bytes, then %zu)\n", first, rest);
    ls_au_finish(&a);
    free(big);
}

/* reset() forgets the unit being built (and its timestamp); empty input is ignored. */
static void test_reset_and_empty(void)
{
    static const uint8_t idr[] = {0, 0, 0, 1, 0x65, 0x88, 0x84};
    static const uint8_t p0[] = {0, 0, 0, 1, 0x41, 0x9a, 0x22};
    struct ls_au_assembler a;
    ls_au_init(&a, LS_CODEC_H264);
    struct ls_au au = {0};
    CHECK_EQ_INT(ls_au_flush(&a, &au), 0);
    CHECK_EQ_INT(ls_au_push(&a, NULL, 5, 0, &au), 0);
    CHECK_EQ_INT(ls_au_push(&a, idr, 0, 0, &au), 0);
    CHECK_EQ_INT(ls_au_flush(&a, &au), 0);
    CHECK_EQ_INT(ls_au_push(&a, idr, sizeof(idr), 10, &au), 0);
    ls_au_reset(&a);
    CHECK_EQ_INT(ls_au_push(&a, p0, sizeof(p0), 20, &au), 0);
    CHECK_EQ_INT(ls_au_push(&a, p0 + 4, 3, NONE, &au), 0);
    CHECK_EQ_INT(ls_au_flush(&a, &au), 1);
    CHECK_EQ_INT(au.size, sizeof(p0) + 3);
    CHECK_EQ_INT(au.pts, 20);
    CHECK_EQ_MEM(au.data, p0, sizeof(p0));
    ls_au_finish(&a);
    ls_au_init(&a, LS_CODEC_H264); /* again after finish */
    CHECK_EQ_INT(ls_au_push(&a, idr, sizeof(idr), 30, &au), 0);
    CHECK_EQ_INT(ls_au_push(&a, p0, sizeof(p0), 30, &au), 1);
    CHECK(au.size == sizeof(idr) && au.pts == 30);
    ls_au_finish(&a);
}

int main(void)
{
    scenarios(&h264);
    scenarios(&h265);
    test_reset_and_empty();
    /* A unit that grows past the limit, and one whose first packet alone is past it. */
    test_oversized(LS_CODEC_H265, 12u << 20, 12u << 20);
    test_oversized(LS_CODEC_H265, LS_AU_MAX_BYTES + 1, 1);
    return test_done("test_access_unit");
}
