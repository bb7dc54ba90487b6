/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Audio remuxing: AAC (raw frames plus an AudioSpecificConfig) and G.711,
 * under the relay's audio policy. Audio is written only once video has
 * started with a keyframe, so every output begins with a decodable picture
 * and both streams share the clock that keyframe set.
 */
#include <errno.h>
#include <string.h>

#include "lib/flv/flv.h"
#include "lib/stream/remux_private.h"

static const uint32_t aac_rates[13] = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                       22050, 16000, 12000, 11025, 8000,  7350};

static int rate_index(uint32_t rate)
{
    for (int i = 0; i < 13; i++)
        if (aac_rates[i] == rate)
            return i;
    return -1;
}

/** Build a 2-byte AAC-LC AudioSpecificConfig from rate and channels. */
static size_t asc_build(uint8_t asc[2], int aot, uint32_t rate, uint32_t channels)
{
    int idx = rate_index(rate);
    if (idx < 0 || channels == 0 || channels > 7)
        return 0;
    uint16_t v = (uint16_t)(aot << 11 | idx << 7 | channels << 3);
    asc[0] = (uint8_t)(v >> 8);
    asc[1] = (uint8_t)v;
    return 2;
}

/** Read rate and channels from an AudioSpecificConfig (explicit rates included). */
static void asc_parse(const uint8_t *asc, size_t size, uint32_t *rate, uint32_t *channels)
{
    if (size < 2)
        return;
    int idx = (asc[0] & 0x07) << 1 | asc[1] >> 7;
    int chan = (asc[1] >> 3) & 0x0f;
    if (idx < 13)
        *rate = aac_rates[idx];
    else if (idx == 15 && size >= 5) /* 24-bit explicit rate: the channel config moves */
        *rate = (uint32_t)((asc[1] & 0x7f) << 17 | asc[2] << 9 | asc[3] << 1 | asc[4] >> 7);
    if (idx != 15 && chan > 0)
        *channels = chan == 7 ? 8 : (uint32_t)chan;
}

static bool policy_drops(enum ls_audio_policy policy, enum ls_codec codec)
{
    if (codec == LS_CODEC_OTHER || policy == LS_AUDIO_DROP)
        return true;
    return policy == LS_AUDIO_AAC_ONLY && codec != LS_CODEC_AAC;
}

static void set_config(struct ls_remux *r, enum ls_codec codec, const uint8_t *asc,
                       size_t asc_size, uint32_t rate, uint32_t channels)
{
    struct ls_remux_audio *a = &r->a;
    bool same = a->codec == codec && a->asc_size == asc_size &&
                !memcmp(a->asc, asc, asc_size) && a->sample_rate == rate &&
                a->channels == channels;
    if (same)
        return;
    a->codec = codec;
    memcpy(a->asc, asc, asc_size);
    a->asc_size = asc_size;
    a->sample_rate = rate;
    a->channels = channels;
    a->header_sent = false;
    r->info.audio_codec = codec;
    r->info.audio_sample_rate = rate;
    r->info.audio_channels = channels;
    r->info.audio_dropped = codec != LS_CODEC_NONE && policy_drops(r->s.audio, codec);
    r->changed = true;
}

void ls_remux_audio_begin(struct ls_remux *r, const struct ls_stream_info *info)
{
    enum ls_codec codec = info ? info->codec : LS_CODEC_NONE;
    uint8_t asc[16];
    size_t asc_size = 0;
    uint32_t rate = info ? info->sample_rate : 0, channels = info ? info->channels : 0;
    if (codec == LS_CODEC_AAC) {
        if (info->extradata && info->extradata_size >= 2 && info->extradata_size <= sizeof(asc)) {
            memcpy(asc, info->extradata, info->extradata_size);
            asc_size = info->extradata_size;
            asc_parse(asc, asc_size, &rate, &channels);
        } else {
            asc_size = asc_build(asc, 2, rate, channels ? channels : 1);
        }
    } else if (codec == LS_CODEC_PCMA || codec == LS_CODEC_PCMU) {
        rate = rate ? rate : 8000;
        channels = channels ? channels : 1;
    }
    set_config(r, codec, asc, asc_size, rate, channels);
}

/** Strip an ADTS header if the frame has one; learn the config from it if we have none. */
static void strip_adts(struct ls_remux *r, const uint8_t **data, size_t *size)
{
    const uint8_t *p = *data;
    if (*size < 7 || p[0] != 0xff || (p[1] & 0xf6) != 0xf0)
        return;
    size_t hdr = (p[1] & 0x01) ? 7 : 9;
    size_t frame_len = (size_t)(p[3] & 0x03) << 11 | (size_t)p[4] << 3 | p[5] >> 5;
    if (frame_len < hdr || frame_len > *size)
        return;
    if (r->a.asc_size == 0) {
        uint8_t asc[2];
        int aot = (p[2] >> 6) + 1, idx = (p[2] >> 2) & 0x0f;
        uint32_t chan = (uint32_t)((p[2] & 0x01) << 2 | p[3] >> 6);
        if (idx < 13 && asc_build(asc, aot, aac_rates[idx], chan ? chan : 1))
            set_config(r, LS_CODEC_AAC, asc, 2, aac_rates[idx], chan ? chan : 1);
    }
    *data = p + hdr;
    *size = frame_len - hdr;
}

static int write_audio(struct ls_remux *r, const struct ls_packet *pkt, const uint8_t *data,
                       size_t size)
{
    int64_t dts = pkt->dts != LS_TS_NONE ? pkt->dts : pkt->pts;
    int64_t out = ls_ts_map(&r->ts, LS_TS_AUDIO, dts, pkt->tb_num, pkt->tb_den);
    if (!r->headers_emitted || ls_remux_audio_header_due(r)) {
        int err = ls_remux_emit_headers(r, out);
        if (err < 0)
            return err;
    }
    uint8_t prefix[LS_FLV_AUDIO_PREFIX_MAX];
    enum ls_flv_acodec ac = r->a.codec == LS_CODEC_PCMA   ? LS_FLV_PCMA
                            : r->a.codec == LS_CODEC_PCMU ? LS_FLV_PCMU
                                                          : LS_FLV_AAC;
    size_t n = ls_flv_audio_prefix(prefix, ac, false, r->a.channels);
    struct ls_item *item = ls_item_new(LS_ITEM_AUDIO, (uint32_t)(n + size));
    if (!item)
        return -ENOMEM;
    memcpy(item->body, prefix, n);
    memcpy(item->body + n, data, size);
    item->dts_ms = out;
    int err = r->emit(r->opaque, item);
    ls_item_unref(&item);
    return err;
}

int ls_remux_audio(struct ls_remux *r, const struct ls_packet *pkt)
{
    struct ls_remux_audio *a = &r->a;
    if (a->codec == LS_CODEC_NONE || r->info.audio_dropped)
        return 0;
    if (!pkt->data || pkt->size == 0 || pkt->size > (1u << 20)) {
        r->info.dropped_invalid++;
        return -EBADMSG;
    }
    /* Wait for video's first keyframe: outputs start there. */
    if (r->v.codec != LS_CODEC_NONE && !r->v.key_seen)
        return 0;
    const uint8_t *data = pkt->data;
    size_t size = pkt->size;
    if (a->codec == LS_CODEC_AAC)
        strip_adts(r, &data, &size);
    if (a->codec == LS_CODEC_AAC && a->asc_size == 0)
        return 0; /* no configuration known: a decoder could not use it */
    return write_audio(r, pkt, data, size);
}
