/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the codec modules: the input is an Annex B stream (or,
 * with no start code in it, one NAL unit). Every NAL goes through the
 * unescaper and all parameter set parsers, whatever its type; the parameter
 * sets found feed both record builders, whose size promises are checked.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"
#include "lib/codec/avcc.h"
#include "lib/util/bitstream.h"
#include "lib/codec/h264.h"
#include "lib/codec/h265.h"
#include "lib/codec/hvcc.h"

#define MAX_SETS 8
#define RECORD_CAP 4096

struct sets {
    struct ls_nal h264_sps[MAX_SETS], h264_pps[MAX_SETS];
    struct ls_nal vps[MAX_SETS], sps[MAX_SETS], pps[MAX_SETS];
    size_t n_h264_sps, n_h264_pps, n_vps, n_sps, n_pps;
};

static void add(struct ls_nal *list, size_t *n, struct ls_nal nal)
{
    if (*n < MAX_SETS)
        list[(*n)++] = nal;
}

/* Parse the NAL every way there is; keep it where its type says it belongs. */
static void visit(struct sets *s, struct ls_nal nal)
{
    struct ls_h264_sps h264;
    struct ls_h265_vps vps;
    struct ls_h265_sps sps;
    struct ls_h265_pps pps;
    ls_h264_parse_sps(nal.data, nal.size, &h264);
    ls_h265_parse_vps(nal.data, nal.size, &vps);
    ls_h265_parse_sps(nal.data, nal.size, &sps);
    ls_h265_parse_pps(nal.data, nal.size, &pps);

    switch (ls_h264_nal_type(nal.data, nal.size)) {
    case LS_H264_NAL_SPS: add(s->h264_sps, &s->n_h264_sps, nal); break;
    case LS_H264_NAL_PPS: add(s->h264_pps, &s->n_h264_pps, nal); break;
    default: break;
    }
    switch (ls_h265_nal_type(nal.data, nal.size)) {
    case LS_H265_NAL_VPS: add(s->vps, &s->n_vps, nal); break;
    case LS_H265_NAL_SPS: add(s->sps, &s->n_sps, nal); break;
    case LS_H265_NAL_PPS: add(s->pps, &s->n_pps, nal); break;
    default: break;
    }
}

/* A record that fits must fit exactly: one byte less is -ENOSPC. */
static void check_records(const struct sets *s, uint8_t *out)
{
    int n = ls_avcc_build(out, RECORD_CAP, s->h264_sps, s->n_h264_sps, s->h264_pps,
                          s->n_h264_pps);
    if (n > RECORD_CAP || (n > 0 && ls_avcc_build(out, (size_t)n - 1, s->h264_sps, s->n_h264_sps,
                                                  s->h264_pps, s->n_h264_pps) >= 0))
        abort();
    for (unsigned flags = 0; flags < 2; flags++) {
        n = ls_hvcc_build_ex(out, RECORD_CAP, s->vps, s->n_vps, s->sps, s->n_sps, s->pps,
                             s->n_pps, flags);
        if (n > RECORD_CAP || (n > 0 && ls_hvcc_build_ex(out, (size_t)n - 1, s->vps, s->n_vps,
                                                         s->sps, s->n_sps, s->pps, s->n_pps,
                                                         flags) >= 0))
            abort();
    }
}

/* The bit reader on raw bytes: mixed reads until it runs out. */
static void read_bits(const uint8_t *data, size_t size)
{
    struct ls_bitreader br;
    ls_br_init(&br, data, size);
    for (unsigned i = 0; !br.overrun && i < 4096; i++) {
        switch (i % 4) {
        case 0: ls_br_ue(&br); break;
        case 1: ls_br_se(&br); break;
        case 2: ls_br_bits(&br, i % 33); break;
        default: ls_br_skip(&br, i % 7); break;
        }
        if (br.pos > br.size_bits)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sets s = { .n_h264_sps = 0 };
    size_t pos = 0, count = 0;
    struct ls_nal nal;
    while (ls_annexb_next(data, size, &pos, &nal)) {
        if (nal.size == 0 || nal.data < data || nal.data + nal.size > data + size)
            abort();
        visit(&s, nal);
        count++;
    }
    if (count == 0 && size > 0)
        visit(&s, (struct ls_nal){ data, size });

    uint8_t *out = malloc(RECORD_CAP > size ? RECORD_CAP : size);
    if (!out)
        return 0;
    if (ls_nal_unescape(out, data, size) > size)
        abort();
    check_records(&s, out);
    free(out);
    read_bits(data, size);
    return 0;
}
