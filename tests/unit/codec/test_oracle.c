/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Oracle check for the decoder configuration records: the avcC/hvcC that
 * FFmpeg's MP4 muxer wrote must equal, byte for byte, the record we build
 * from the parameter sets of the same stream in Annex B form.
 *
 *   test_oracle avc|hev1|hvc1|hev1-sei <file.mp4> <file.h264|file.h265> [WxH fps]
 *
 * hev1-sei is for streams whose global headers carry SEI (x265's version
 * string, HRD's active parameter sets): FFmpeg copies those into hvcC as
 * extra arrays, which a record built from VPS/SPS/PPS cannot have, so they
 * are dropped from FFmpeg's record first and everything else must match.
 *
 * With WxH and fps it also checks what our SPS parser reads from the first
 * SPS against the size and rate the encoder was asked for.
 *
 * The MP4 is read with a small box walker of its own (ISO/IEC 14496-12),
 * independent of FFmpeg: moov/trak/mdia/minf/stbl/stsd/<entry>/avcC|hvcC.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/codec/avcc.h"
#include "lib/util/bitstream.h"
#include "lib/codec/h264.h"
#include "lib/codec/h265.h"
#include "lib/codec/hvcc.h"
#include "tests/unit/test.h"

#define MAX_SETS 16
#define RECORD_CAP 65536

struct span {
    const uint8_t *p;
    size_t size;
};

static uint8_t *read_all(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n);
    fclose(f);
    *size = len;
    return buf;
}

static uint64_t rb32(const uint8_t *p)
{
    return (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3];
}

/* Find the first box of @p type among the boxes filling @p in. */
static bool find_box(struct span in, const char *type, struct span *out)
{
    size_t i = 0;
    while (in.size - i >= 8) {
        const uint8_t *h = in.p + i;
        uint64_t size = rb32(h), hdr = 8;
        if (size == 1) {
            if (in.size - i < 16)
                return false;
            size = rb32(h + 8) << 32 | rb32(h + 12);
            hdr = 16;
        } else if (size == 0) {
            size = in.size - i; /* extends to the end of its parent */
        }
        if (size < hdr || size > in.size - i)
            return false;
        if (!memcmp(h + 4, type, 4)) {
            out->p = h + hdr;
            out->size = size - hdr;
            return true;
        }
        i += size;
    }
    return false;
}

/* Skip @p n bytes of fixed fields before a box's children. */
static bool skip_fields(struct span *s, size_t n)
{
    if (s->size < n)
        return false;
    s->p += n;
    s->size -= n;
    return true;
}

static bool find_record(struct span file, const char *entry, const char *record, struct span *out)
{
    static const char *const path[] = { "moov", "trak", "mdia", "minf", "stbl", "stsd" };
    struct span s = file;
    for (size_t i = 0; i < sizeof(path) / sizeof(path[0]); i++)
        if (!find_box(s, path[i], &s))
            return false;
    /* stsd: version/flags + entry_count; VisualSampleEntry: 78 bytes of fields. */
    return skip_fields(&s, 8) && find_box(s, entry, &s) && skip_fields(&s, 78) &&
           find_box(s, record, out);
}

/* Parameter sets of the stream, first occurrence of each distinct one, in order. */
struct param_sets {
    struct ls_nal nal[3][MAX_SETS];
    size_t n[3];
};

static void add_unique(struct param_sets *ps, int kind, struct ls_nal nal)
{
    for (size_t i = 0; i < ps->n[kind]; i++)
        if (ps->nal[kind][i].size == nal.size && !memcmp(ps->nal[kind][i].data, nal.data, nal.size))
            return;
    if (ps->n[kind] < MAX_SETS)
        ps->nal[kind][ps->n[kind]++] = nal;
}

/* 0 VPS, 1 SPS, 2 PPS, -1 anything else. */
static int param_kind(bool hevc, struct ls_nal nal)
{
    if (hevc) {
        switch (ls_h265_nal_type(nal.data, nal.size)) {
        case LS_H265_NAL_VPS: return 0;
        case LS_H265_NAL_SPS: return 1;
        case LS_H265_NAL_PPS: return 2;
        default: return -1;
        }
    }
    switch (ls_h264_nal_type(nal.data, nal.size)) {
    case LS_H264_NAL_SPS: return 1;
    case LS_H264_NAL_PPS: return 2;
    default: return -1;
    }
}

static void collect(const uint8_t *buf, size_t size, bool hevc, struct param_sets *ps)
{
    memset(ps, 0, sizeof(*ps));
    size_t pos = 0;
    struct ls_nal nal;
    while (ls_annexb_next(buf, size, &pos, &nal)) {
        int kind = param_kind(hevc, nal);
        if (kind >= 0)
            add_unique(ps, kind, nal);
    }
}

static void hex_diff(const uint8_t *got, size_t ngot, const uint8_t *want, size_t nwant)
{
    size_t n = ngot > nwant ? ngot : nwant;
    fprintf(stderr, "record differs (ours %zu bytes, ffmpeg %zu bytes):\n", ngot, nwant);
    for (size_t row = 0; row < n; row += 16) {
        bool same = row + 16 <= ngot && row + 16 <= nwant && !memcmp(got + row, want + row, 16);
        fprintf(stderr, "%c %04zx ours:", same ? ' ' : '!', row);
        for (size_t i = row; i < row + 16; i++)
            fprintf(stderr, i < ngot ? " %02x" : "   ", i < ngot ? got[i] : 0);
        fprintf(stderr, "\n%c %04zx ffm: ", same ? ' ' : '!', row);
        for (size_t i = row; i < row + 16; i++)
            fprintf(stderr, i < nwant ? "%02x%c" : "   ", i < nwant ? want[i] : 0,
                    i < ngot && i < nwant && got[i] != want[i] ? '*' : ' ');
        fputc('\n', stderr);
    }
}

/*
 * Copy an hvcC without its SEI arrays: the 22-byte header, numOfArrays, then
 * arrays of (type byte, numNalus, numNalus x (length, bytes)).
 */
static size_t drop_sei_arrays(const uint8_t *in, size_t size, uint8_t *out)
{
    if (size < 23)
        return 0;
    memcpy(out, in, 23);
    size_t i = 23, n = 23;
    unsigned kept = 0;
    for (unsigned a = 0; a < in[22]; a++) {
        size_t start = i;
        if (size - i < 3)
            return 0;
        unsigned type = in[i] & 0x3f, nalus = (unsigned)in[i + 1] << 8 | in[i + 2];
        i += 3;
        for (unsigned k = 0; k < nalus; k++) {
            if (size - i < 2 || size - i - 2 < ((size_t)in[i] << 8 | in[i + 1]))
                return 0;
            i += 2 + ((size_t)in[i] << 8 | in[i + 1]);
        }
        if (type == LS_H265_NAL_SEI_PREFIX || type == LS_H265_NAL_SEI_SUFFIX) {
            printf("dropped FFmpeg's SEI array (type %u, %u NAL units)\n", type, nalus);
            continue;
        }
        memcpy(out + n, in + start, i - start);
        n += i - start;
        kept++;
    }
    out[22] = (uint8_t)kept;
    return n;
}

static int build(const char *mode, const struct param_sets *ps, uint8_t *out, size_t cap)
{
    if (!strcmp(mode, "avc"))
        return ls_avcc_build(out, cap, ps->nal[1], ps->n[1], ps->nal[2], ps->n[2]);
    unsigned flags = !strcmp(mode, "hvc1") ? LS_HVCC_ARRAYS_COMPLETE : 0;
    return ls_hvcc_build_ex(out, cap, ps->nal[0], ps->n[0], ps->nal[1], ps->n[1], ps->nal[2],
                            ps->n[2], flags);
}

static void check_sps(bool hevc, const struct param_sets *ps, const char *size, const char *rate)
{
    unsigned w = 0, h = 0;
    CHECK(sscanf(size, "%ux%u", &w, &h) == 2);
    double fps = atof(rate);
    CHECK(ps->n[1] > 0);
    if (ps->n[1] == 0)
        return;
    const struct ls_nal *sps = &ps->nal[1][0];
    if (hevc) {
        struct ls_h265_sps s;
        CHECK_EQ_INT(ls_h265_parse_sps(sps->data, sps->size, &s), 0);
        CHECK_EQ_INT(s.width, w);
        CHECK_EQ_INT(s.height, h);
        CHECK(s.fps > fps - 0.001 && s.fps < fps + 0.001);
    } else {
        struct ls_h264_sps s;
        CHECK_EQ_INT(ls_h264_parse_sps(sps->data, sps->size, &s), 0);
        CHECK_EQ_INT(s.width, w);
        CHECK_EQ_INT(s.height, h);
        CHECK(s.fps > fps - 0.001 && s.fps < fps + 0.001);
    }
}

static void check_stream(const char *mode, struct span mp4, struct span annexb,
                         char **expect)
{
    bool hevc = strcmp(mode, "avc") != 0;
    const char *entry = !hevc ? "avc1" : !strcmp(mode, "hvc1") ? "hvc1" : "hev1";
    struct span want;
    bool found = find_record(mp4, entry, hevc ? "hvcC" : "avcC", &want);
    CHECK(found);
    if (!found)
        return;
    uint8_t *stripped = NULL;
    if (!strcmp(mode, "hev1-sei") && (stripped = malloc(want.size))) {
        want.size = drop_sei_arrays(want.p, want.size, stripped);
        want.p = stripped;
        CHECK(want.size > 0);
    }

    struct param_sets ps;
    collect(annexb.p, annexb.size, hevc, &ps);
    CHECK(ps.n[1] > 0 && ps.n[2] > 0 && (!hevc || ps.n[0] > 0));
    if (expect)
        check_sps(hevc, &ps, expect[0], expect[1]);

    uint8_t *got = malloc(RECORD_CAP);
    int n = got ? build(mode, &ps, got, RECORD_CAP) : -ENOMEM;
    CHECK(n > 0);
    if (n <= 0) {
        fprintf(stderr, "building the record failed: %d\n", n);
        free(got);
        free(stripped);
        return;
    }
    bool same = (size_t)n == want.size && !memcmp(got, want.p, want.size);
    CHECK(same);
    if (!same)
        hex_diff(got, (size_t)n, want.p, want.size);
    else
        printf("%s record of %d bytes matches byte for byte\n", hevc ? "hvcC" : "avcC", n);
    free(got);
    free(stripped);
}

int main(int argc, char **argv)
{
    static const char *const modes[] = { "avc", "hev1", "hvc1", "hev1-sei" };
    bool known = false;
    for (size_t i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
        known |= !strcmp(argv[1], modes[i]);
    if ((argc != 4 && argc != 6) || !known) {
        fprintf(stderr, "usage: %s avc|hev1|hvc1|hev1-sei file.mp4 file.annexb [WxH fps]\n",
                argv[0]);
        return 2;
    }
    size_t mp4_size = 0, es_size = 0;
    uint8_t *mp4 = read_all(argv[2], &mp4_size);
    uint8_t *es = read_all(argv[3], &es_size);
    CHECK(mp4 && es);
    if (mp4 && es)
        check_stream(argv[1], (struct span){ mp4, mp4_size }, (struct span){ es, es_size },
                     argc == 6 ? argv + 4 : NULL);
    free(mp4);
    free(es);
    return test_done(argv[3]);
}
