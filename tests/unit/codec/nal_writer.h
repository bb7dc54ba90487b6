/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helper: writes RBSP fields (u(n), ue(v), se(v)) and wraps the result
 * into an escaped NAL unit, so tests can craft parameter sets field by field
 * (including syntax no encoder at hand produces) and read them back.
 */
#ifndef LS_TESTS_NAL_WRITER_H
#define LS_TESTS_NAL_WRITER_H

#include <stdint.h>
#include <string.h>

#define NW_CAP 8192

struct nal_writer {
    uint8_t rbsp[NW_CAP];
    size_t bits;
    uint8_t nal[NW_CAP + NW_CAP / 2]; /* room for emulation prevention bytes */
    size_t nal_size;
};

static inline void nw_init(struct nal_writer *w)
{
    memset(w, 0, sizeof(*w));
}

static inline void nw_u(struct nal_writer *w, uint64_t v, unsigned n)
{
    while (n--) {
        if (w->bits >= NW_CAP * 8)
            return;
        if ((v >> n) & 1)
            w->rbsp[w->bits >> 3] |= (uint8_t)(0x80 >> (w->bits & 7));
        w->bits++;
    }
}

static inline void nw_ue(struct nal_writer *w, uint32_t v)
{
    uint64_t x = (uint64_t)v + 1;
    unsigned len = 0;
    while ((x >> len) > 1)
        len++;
    nw_u(w, 0, len);
    nw_u(w, x, len + 1);
}

static inline void nw_se(struct nal_writer *w, int32_t v)
{
    nw_ue(w, v > 0 ? (uint32_t)v * 2 - 1 : (uint32_t)(-(int64_t)v) * 2);
}

/**
 * rbsp_trailing_bits, then the NAL: @p hdr_len header bytes, and the RBSP
 * with 03 inserted wherever two zeros precede a byte <= 3 (7.4.2).
 */
static inline const uint8_t *nw_finish(struct nal_writer *w, const uint8_t *hdr, size_t hdr_len,
                                       size_t *size)
{
    nw_u(w, 1, 1);
    while (w->bits & 7)
        nw_u(w, 0, 1);
    size_t n, zeros = 0;
    if (hdr_len)
        memcpy(w->nal, hdr, hdr_len);
    n = hdr_len;
    for (size_t i = 0; i < w->bits / 8; i++) {
        uint8_t b = w->rbsp[i];
        if (zeros >= 2 && b <= 3) {
            w->nal[n++] = 3;
            zeros = 0;
        }
        zeros = b ? 0 : zeros + 1;
        w->nal[n++] = b;
    }
    w->nal_size = n;
    *size = n;
    return w->nal;
}

#endif
