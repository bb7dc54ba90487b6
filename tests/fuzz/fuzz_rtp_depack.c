/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the RTP depacketisers (lib/codec/rtp_depack.c, rtp_nal.c,
 * rtp_aac.c). Byte 0 picks the codec (H.264, H.265, AAC with the usual
 * 13/3/3 AU headers, AAC with odd sizes, PCMA); then records [len:2][RTP
 * packet]. Checked: at most LS_DEPACK_MAX_OUT frames per packet, each
 * non-empty and within the frame bound, video frames in Annex B (a start code
 * first), audio frames inside the packet they came from. Each packet is also read as RTCP
 * (lib/input/rtcp.c): a sender report is found only inside the bytes.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/codec/rtp_depack.h"
#include "lib/input/rtcp.h"

static void check(bool ok)
{
    if (!ok)
        abort();
}

static const struct ls_depack_settings kinds[] = {
    {.codec = LS_CODEC_H264},
    {.codec = LS_CODEC_H265},
    {.codec = LS_CODEC_AAC, .size_length = 13, .index_length = 3, .index_delta_length = 3},
    {.codec = LS_CODEC_AAC, .size_length = 6, .index_length = 2, .index_delta_length = 2},
    {.codec = LS_CODEC_PCMA},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct ls_depack d;
    const struct ls_depack_settings *s = &kinds[data[0] % (sizeof(kinds) / sizeof(kinds[0]))];
    check(ls_depack_init(&d, s) == 0);
    bool video = s->codec == LS_CODEC_H264 || s->codec == LS_CODEC_H265;
    size_t at = 1;
    while (size - at >= 2) {
        size_t len = (size_t)data[at] << 8 | data[at + 1];
        at += 2;
        if (len > size - at)
            len = size - at;
        const uint8_t *pkt = data + at;
        uint32_t ssrc, lsr;
        int sr = ls_rtcp_find_sr(pkt, len, &ssrc, &lsr);
        check(sr >= -74 && sr <= 1); /* -EBADMSG, none, found */
        int n = ls_depack_push(&d, pkt, len);
        check(n <= LS_DEPACK_MAX_OUT);
        for (int i = 0; i < n; i++) {
            const struct ls_depack_frame *f = &d.out[i];
            check(f->size > 0 && f->size <= LS_DEPACK_MAX_FRAME);
            if (video)
                check(f->size >= 5 && !memcmp(f->data, "\0\0\0\1", 4));
            else
                check(f->data >= pkt && f->data + f->size <= pkt + len);
        }
        at += len;
    }
    ls_depack_finish(&d);
    return 0;
}
