/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AAC in RTP (RFC 3640, mpeg4-generic): a 16-bit AU-headers-length in bits,
 * the AU headers (AU-size, AU-index / AU-index-delta), then the AUs back to
 * back. Each AU is one 1024-sample frame, so the n-th AU of a packet is
 * 1024·n after its timestamp. An AU fragmented over several packets (larger
 * than one packet: not seen from cameras) is dropped as malformed.
 */
#include <errno.h>

#include "lib/codec/rtp_depack.h"

/** Read @p bits (≤ 16) at bit @p pos of @p p, MSB first. */
static unsigned read_bits(const uint8_t *p, size_t pos, unsigned bits)
{
    unsigned v = 0;
    for (unsigned i = 0; i < bits; i++, pos++)
        v = v << 1 | ((p[pos >> 3] >> (7 - (pos & 7))) & 1);
    return v;
}

int ls_depack_aac_payload(struct ls_depack *d, const uint8_t *p, size_t n, int64_t pts)
{
    if (d->size_length == 0) { /* no AU headers: the payload is one AU */
        if (!n)
            return -EBADMSG;
        d->out[0] = (struct ls_depack_frame){.data = p, .size = n, .pts = pts};
        return 1;
    }
    if (n < 2)
        return -EBADMSG;
    size_t header_bits = (size_t)p[0] << 8 | p[1];
    size_t header_bytes = (header_bits + 7) / 8;
    if (header_bytes > n - 2)
        return -EBADMSG;
    const uint8_t *hdr = p + 2, *data = hdr + header_bytes, *end = p + n;
    size_t pos = 0;
    int count = 0;
    while (count < LS_DEPACK_MAX_OUT) {
        unsigned index_bits = count ? d->index_delta_length : d->index_length;
        if (pos + d->size_length + index_bits > header_bits)
            break;
        size_t size = read_bits(hdr, pos, d->size_length);
        pos += d->size_length + index_bits;
        if (size == 0 || size > (size_t)(end - data))
            return -EBADMSG;
        d->out[count] = (struct ls_depack_frame){
            .data = data, .size = size, .pts = pts + 1024 * (int64_t)count};
        data += size;
        count++;
    }
    return count ? count : -EBADMSG;
}
