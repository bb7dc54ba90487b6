/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the remuxer: the input is a session setup followed by a
 * sequence of packets, each with its own kind, timestamps and bytes, so
 * mutations reach parameter-set changes, garbage NAL units, ADTS headers,
 * timestamp jumps and reconnects. Every emitted item must be well-formed.
 *
 * Layout: byte 0 = video codec (h264/h265/none) and HEVC flavour and audio
 * policy; byte 1 = audio codec; then records of
 *   [kind:1][pts:4][dts_delta:2][len:2][data:len]
 * kind bit 0: audio, bit 1: reconnect before this packet, bit 2: no timestamps.
 */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/stream/remux.h"

struct sink {
    uint64_t items;
};

static int emit(void *opaque, struct ls_item *item)
{
    struct sink *s = opaque;
    /* Bodies are read whole: ASan catches a size that lies. */
    volatile uint8_t acc = 0;
    for (uint32_t i = 0; i < item->size; i++)
        acc ^= item->body[i];
    (void)acc;
    if (item->dts_ms < 0)
        abort();
    s->items++;
    return 0;
}

static uint32_t rd(const uint8_t *p, int n)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void begin(struct ls_remux *r, uint8_t cfg, uint8_t acfg)
{
    static const enum ls_codec vcodecs[] = {LS_CODEC_H264, LS_CODEC_H265, LS_CODEC_NONE};
    static const enum ls_codec acodecs[] = {LS_CODEC_NONE, LS_CODEC_AAC, LS_CODEC_PCMA,
                                            LS_CODEC_PCMU, LS_CODEC_OTHER};
    static const uint8_t asc[] = {0x11, 0x90};
    struct ls_stream_info v = {.codec = vcodecs[cfg % 3]};
    struct ls_stream_info a = {.codec = acodecs[acfg % 5], .sample_rate = 48000, .channels = 2};
    if (acfg & 0x80) {
        a.extradata = asc;
        a.extradata_size = sizeof(asc);
    }
    ls_remux_begin(r, &v, &a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct sink sink = {0};
    struct ls_remux_settings s = {
        .audio = (enum ls_audio_policy)((data[0] >> 4) % 3),
        .hevc = (enum ls_hevc_mode)((data[0] >> 6) & 1),
        .ts_jump_threshold_ms = 1000,
    };
    struct ls_remux *r;
    if (ls_remux_create(&r, &s, emit, &sink) < 0)
        return 0;
    begin(r, data[0], data[1]);
    size_t pos = 2;
    while (pos + 9 <= size) {
        uint8_t kind = data[pos];
        int64_t pts = rd(data + pos + 1, 4);
        int64_t dts = pts - (int16_t)rd(data + pos + 5, 2);
        size_t len = rd(data + pos + 7, 2);
        pos += 9;
        if (len > size - pos)
            len = size - pos;
        if (kind & 2)
            begin(r, data[0], data[1]);
        bool audio = kind & 1;
        struct ls_packet p = {
            .codec = audio ? LS_CODEC_AAC : LS_CODEC_H264,
            .data = data + pos,
            .size = len,
            .pts = (kind & 4) ? INT64_MIN : pts,
            .dts = (kind & 4) ? INT64_MIN : dts,
            .tb_num = 1,
            .tb_den = audio ? 48000 : 90000,
        };
        if (audio)
            ls_remux_audio(r, &p);
        else
            ls_remux_video(r, &p);
        ls_remux_take_changed(r);
        pos += len;
    }
    ls_remux_destroy(&r);
    return 0;
}
