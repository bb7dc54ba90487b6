/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Annex B byte streams (ITU-T H.264 / H.265 annex B), emulation prevention
 * (7.4.1) and an exp-Golomb bit reader (9.1). The reader never touches a
 * byte outside its buffer: a read past the end yields zero bits and latches
 * the overrun flag, so callers check once at the end of a syntax structure.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/util/bitstream.h"

/* Index of the next 00 00 01 at or after @p i, or @p size when there is none. */
static size_t find_start_code(const uint8_t *buf, size_t size, size_t i)
{
    while (size - i >= 3) {
        if (buf[i + 2] > 1) {
            /* No start code can begin at i, i+1 or i+2: each needs buf[i+2] <= 1. */
            i += 3;
        } else if (buf[i + 2] == 1 && buf[i + 1] == 0 && buf[i] == 0) {
            return i;
        } else {
            i++;
        }
    }
    return size;
}

bool ls_annexb_next(const uint8_t *buf, size_t size, size_t *pos, struct ls_nal *nal)
{
    if (!buf || !pos || !nal || *pos >= size)
        return false;

    size_t sc = find_start_code(buf, size, *pos);
    while (sc < size) {
        size_t start = sc + 3;
        size_t end = find_start_code(buf, size, start);
        size_t next = end;
        /* Zeros before the next start code are trailing_zero_8bits or the
         * leading byte of a 4-byte start code; neither belongs to the NAL. */
        while (end > start && buf[end - 1] == 0)
            end--;
        if (end > start) {
            nal->data = buf + start;
            nal->size = end - start;
            *pos = next;
            return true;
        }
        sc = next;
    }
    *pos = size;
    return false;
}

size_t ls_nal_unescape(uint8_t *dst, const uint8_t *src, size_t size)
{
    size_t n = 0;
    unsigned zeros = 0;

    for (size_t i = 0; i < size; i++) {
        uint8_t b = src[i];
        /* Like FFmpeg (and the reference decoders) drop every 03 after two
         * zeros, whatever follows, so parsers see the same RBSP. */
        if (zeros >= 2 && b == 3) {
            zeros = 0;
            continue;
        }
        zeros = b ? 0 : zeros + 1;
        dst[n++] = b;
    }
    return n;
}

void ls_br_init(struct ls_bitreader *br, const uint8_t *buf, size_t size)
{
    br->buf = buf;
    /* Keep size_bits representable; no parameter set comes near this. */
    if (!buf || size > SIZE_MAX / 8)
        size = 0;
    br->size_bits = size * 8;
    br->pos = 0;
    br->overrun = false;
}

static unsigned read_bit(struct ls_bitreader *br)
{
    if (br->pos >= br->size_bits) {
        br->overrun = true;
        return 0;
    }
    unsigned bit = (br->buf[br->pos >> 3] >> (7 - (br->pos & 7))) & 1;
    br->pos++;
    return bit;
}

uint32_t ls_br_bits(struct ls_bitreader *br, unsigned n)
{
    if (n > 32) {
        br->overrun = true;
        return 0;
    }
    uint32_t v = 0;
    /* Whole bytes at a time when aligned; bit by bit otherwise. */
    while (n >= 8 && (br->pos & 7) == 0 && br->size_bits - br->pos >= 8) {
        v = (v << 8) | br->buf[br->pos >> 3];
        br->pos += 8;
        n -= 8;
    }
    while (n--)
        v = (v << 1) | read_bit(br);
    return v;
}

void ls_br_skip(struct ls_bitreader *br, size_t n)
{
    if (n > br->size_bits - br->pos) {
        br->pos = br->size_bits;
        br->overrun = true;
        return;
    }
    br->pos += n;
}

uint32_t ls_br_ue(struct ls_bitreader *br)
{
    unsigned zeros = 0;
    while (!read_bit(br)) {
        /* 32 leading zeros: the value cannot fit, or the data ran out. */
        if (++zeros >= 32 || br->overrun) {
            br->overrun = true;
            return UINT32_MAX;
        }
    }
    if (!zeros)
        return 0;
    return ((UINT32_C(1) << zeros) - 1) + ls_br_bits(br, zeros);
}

int32_t ls_br_se(struct ls_bitreader *br)
{
    uint32_t k = ls_br_ue(br);
    if (k == UINT32_MAX)
        return 0;
    /* 1, 2, 3, 4 ... map to 1, -1, 2, -2 ...; k < UINT32_MAX keeps both in range. */
    if (k & 1)
        return (int32_t)((k >> 1) + 1);
    return -(int32_t)(k >> 1);
}
