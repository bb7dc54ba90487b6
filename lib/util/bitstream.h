/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Annex B byte streams, emulation prevention and an exp-Golomb bit reader.
 * Pure functions: no I/O, no allocation. Every read is bounds-checked, so
 * any input (fuzzed, truncated) is safe.
 */
#ifndef LS_LIB_BITSTREAM_H
#define LS_LIB_BITSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** One NAL unit inside a buffer: header byte(s) included, start code excluded. */
struct ls_nal {
    const uint8_t *data;
    size_t size;
};

/**
 * Iterate over the NAL units of an Annex B buffer (3- or 4-byte start codes).
 * Start with *pos = 0. Bytes before the first start code are skipped, empty
 * NAL units are skipped and trailing zero bytes of a NAL (trailing_zero_8bits)
 * are not part of it. A buffer without any start code yields nothing.
 *
 * @return true with @p nal filled, false at the end.
 */
bool ls_annexb_next(const uint8_t *buf, size_t size, size_t *pos, struct ls_nal *nal);

/**
 * Remove emulation prevention bytes (00 00 03 → 00 00).
 * @p dst must hold @p size bytes; it may not overlap @p src.
 * @return the number of bytes written.
 */
size_t ls_nal_unescape(uint8_t *dst, const uint8_t *src, size_t size);

/** Reads bits MSB first from an unescaped RBSP. Reading past the end yields zeros and sets overrun. */
struct ls_bitreader {
    const uint8_t *buf;
    size_t size_bits;
    size_t pos;
    bool overrun;
};

void ls_br_init(struct ls_bitreader *br, const uint8_t *buf, size_t size);
/** Read @p n bits, 0 <= n <= 32. */
uint32_t ls_br_bits(struct ls_bitreader *br, unsigned n);
void ls_br_skip(struct ls_bitreader *br, size_t n);
/** Unsigned exp-Golomb; values needing more than 32 bits set overrun and return UINT32_MAX. */
uint32_t ls_br_ue(struct ls_bitreader *br);
/** Signed exp-Golomb. */
int32_t ls_br_se(struct ls_bitreader *br);

/**
 * Writes bytes into a fixed buffer. Writing past the capacity writes nothing
 * and latches overflow, so a builder checks once at the end.
 */
struct ls_bytewriter {
    uint8_t *buf;
    size_t cap;
    size_t size;
    bool overflow;
};

static inline void ls_bw_init(struct ls_bytewriter *bw, uint8_t *buf, size_t cap)
{
    bw->buf = buf;
    bw->cap = buf ? cap : 0;
    bw->size = 0;
    bw->overflow = false;
}

static inline void ls_bw_bytes(struct ls_bytewriter *bw, const uint8_t *src, size_t n)
{
    if (bw->overflow || n > bw->cap - bw->size) {
        bw->overflow = true;
        return;
    }
    if (n)
        memcpy(bw->buf + bw->size, src, n);
    bw->size += n;
}

static inline void ls_bw_u8(struct ls_bytewriter *bw, unsigned v)
{
    uint8_t b = (uint8_t)v;
    ls_bw_bytes(bw, &b, 1);
}

static inline void ls_bw_be16(struct ls_bytewriter *bw, unsigned v)
{
    uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
    ls_bw_bytes(bw, b, 2);
}

static inline void ls_bw_be32(struct ls_bytewriter *bw, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    ls_bw_bytes(bw, b, 4);
}

#endif
