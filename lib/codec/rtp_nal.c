/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * H.264 (RFC 6184) and H.265 (RFC 7798) payloads → Annex B NAL units in the
 * frame being built. Non-interleaved mode only (what cameras send): no DON
 * fields. A fragment whose start was not seen is malformed (-EBADMSG), which
 * damages the frame.
 */
#include <errno.h>

#include "lib/codec/rtp_depack.h"

static const uint8_t start_code[4] = {0, 0, 0, 1};

static int put_nal(struct ls_depack *d, const uint8_t *p, size_t n)
{
    int err = ls_depack_append(d, start_code, sizeof(start_code));
    return err < 0 ? err : ls_depack_append(d, p, n);
}

/** STAP-A / AP: [16-bit size][NAL unit]… after a header of @p skip bytes. */
static int aggregate(struct ls_depack *d, const uint8_t *p, size_t n, size_t skip)
{
    size_t off = skip;
    if (off >= n)
        return -EBADMSG;
    while (off < n) {
        if (n - off < 2)
            return -EBADMSG;
        size_t len = (size_t)p[off] << 8 | p[off + 1];
        off += 2;
        if (len == 0 || len > n - off)
            return -EBADMSG;
        int err = put_nal(d, p + off, len);
        if (err < 0)
            return err;
        off += len;
    }
    return 0;
}

/** FU-A / FU: @p hdr the rebuilt NAL header (@p hlen bytes), @p fu the FU header. */
static int fragment(struct ls_depack *d, const uint8_t *hdr, size_t hlen, uint8_t fu,
                    const uint8_t *p, size_t n)
{
    int err;
    if (fu & 0x80) {
        if (d->fu_open)
            return -EBADMSG; /* the previous fragment's end was lost */
        if ((err = ls_depack_append(d, start_code, sizeof(start_code))) < 0 ||
            (err = ls_depack_append(d, hdr, hlen)) < 0)
            return err;
        d->fu_open = true;
    } else if (!d->fu_open) {
        return -EBADMSG;
    }
    if ((err = ls_depack_append(d, p, n)) < 0)
        return err;
    if (fu & 0x40)
        d->fu_open = false;
    return 0;
}

static int h264_payload(struct ls_depack *d, const uint8_t *p, size_t n)
{
    unsigned type = p[0] & 0x1f;
    if (type >= 1 && type <= 23)
        return put_nal(d, p, n);
    if (type == 24)
        return aggregate(d, p, n, 1);
    if (type == 28 && n >= 2) {
        uint8_t hdr = (uint8_t)((p[0] & 0xe0) | (p[1] & 0x1f));
        return fragment(d, &hdr, 1, p[1], p + 2, n - 2);
    }
    return -EBADMSG; /* STAP-B, MTAPs, FU-B: interleaved mode, which cameras do not use */
}

static int h265_payload(struct ls_depack *d, const uint8_t *p, size_t n)
{
    if (n < 2)
        return -EBADMSG;
    unsigned type = (p[0] >> 1) & 0x3f;
    if (type < 48)
        return put_nal(d, p, n);
    if (type == 48)
        return aggregate(d, p, n, 2);
    if (type == 49 && n >= 3) {
        uint8_t hdr[2] = {(uint8_t)((p[0] & 0x81) | (p[2] & 0x3f) << 1), p[1]};
        return fragment(d, hdr, 2, p[2], p + 3, n - 3);
    }
    return -EBADMSG; /* PACI and reserved types */
}

int ls_depack_nal_payload(struct ls_depack *d, const uint8_t *p, size_t n)
{
    if (n < 1)
        return -EBADMSG;
    return d->codec == LS_CODEC_H264 ? h264_payload(d, p, n) : h265_payload(d, p, n);
}
