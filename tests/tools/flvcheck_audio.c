/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * flvcheck, audio tags (FLV v10.1 E.4.2): AAC with its AudioSpecificConfig
 * (ISO/IEC 14496-3 1.6.2.1) and G.711 A-law/µ-law, decoded with libavcodec;
 * other SoundFormats are counted, not decoded.
 */
#include <string.h>

#include "tests/tools/flvcheck.h"

enum { SOUND_PCMA = 7, SOUND_PCMU = 8, SOUND_EX_HEADER = 9, SOUND_AAC = 10 };

const char *fc_audio_codec(const struct fc_audio *a)
{
    switch (a->format) {
    case -1:
        return "none";
    case SOUND_AAC:
        return "aac";
    case SOUND_PCMA:
        return "pcma";
    case SOUND_PCMU:
        return "pcmu";
    default:
        return "other";
    }
}

/* ---- AudioSpecificConfig ---- */

struct bits {
    const uint8_t *p;
    size_t n, pos; /* pos in bits */
    bool over;
};

static uint32_t get_bits(struct bits *b, int count)
{
    uint32_t v = 0;
    for (int i = 0; i < count; i++) {
        if (b->pos >= b->n * 8) {
            b->over = true;
            return 0;
        }
        v = v << 1 | ((b->p[b->pos / 8] >> (7 - b->pos % 8)) & 1);
        b->pos++;
    }
    return v;
}

static bool parse_asc(struct fc *c, const uint8_t *p, size_t n, int *rate, int *channels)
{
    static const int rates[13] = { 96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                   22050, 16000, 12000, 11025, 8000,  7350 };
    struct bits b = { .p = p, .n = n };
    uint32_t aot = get_bits(&b, 5);
    if (aot == 31)
        aot = 32 + get_bits(&b, 6);
    uint32_t index = get_bits(&b, 4);
    *rate = index == 15 ? (int)get_bits(&b, 24) : index < 13 ? rates[index] : 0;
    *channels = (int)get_bits(&b, 4);
    if (b.over) {
        fc_error(c, "AudioSpecificConfig truncated (%zu bytes)", n);
        return false;
    }
    if (!aot || !*rate) {
        fc_error(c, "AudioSpecificConfig: object type %u, sampling frequency index %u",
                 aot, index);
        return false;
    }
    return true;
}

static void aac_config(struct fc *c, const uint8_t *p, size_t n)
{
    struct fc_audio *a = &c->a;
    int rate, channels;
    a->st.seq_headers++;
    if (!parse_asc(c, p, n, &rate, &channels))
        return;
    if (n > sizeof(a->asc)) {
        fc_error(c, "AudioSpecificConfig of %zu bytes", n);
        return;
    }
    if (a->have_config && n == a->asc_size && !memcmp(a->asc, p, n))
        return; /* a repeat: keep the decoder and its state */
    memcpy(a->asc, p, n);
    a->asc_size = n;
    a->have_config = true;
    a->sample_rate = rate;
    a->channels = channels;
    fc_decode(c, &a->st, NULL);
    avcodec_free_context(&a->st.dec);
    a->st.dec = fc_open_decoder(AV_CODEC_ID_AAC, p, n, 0, 0);
    if (!a->st.dec)
        fc_error(c, "the AAC decoder rejects the AudioSpecificConfig");
}

static void send_audio(struct fc *c, const uint8_t *p, size_t n, uint32_t ts)
{
    AVPacket *pkt = c->pkt;
    if (av_new_packet(pkt, (int)n) < 0)
        return;
    memcpy(pkt->data, p, n);
    pkt->pts = pkt->dts = ts;
    fc_decode(c, &c->a.st, pkt);
    av_packet_unref(pkt);
}

static void aac_tag(struct fc *c, const uint8_t *b, size_t n, uint32_t ts)
{
    if (b[0] != 0xaf)
        fc_warn(c, "AAC flags byte 0x%02x; the spec asks for 0xAF", b[0]);
    if (n < 2) {
        fc_error(c, "AAC tag without AACPacketType");
        return;
    }
    if (b[1] == 0) {
        aac_config(c, b + 2, n - 2);
        return;
    }
    if (b[1] != 1) {
        fc_error(c, "AACPacketType %u is not 0 or 1", b[1]);
        return;
    }
    c->a.st.frames++;
    if (!c->a.have_config)
        fc_error(c, "AAC frame before an AudioSpecificConfig");
    else if (n == 2)
        fc_error(c, "empty AAC frame");
    else
        send_audio(c, b + 2, n - 2, ts);
}

static void g711_tag(struct fc *c, const uint8_t *b, size_t n, uint32_t ts)
{
    struct fc_audio *a = &c->a;
    int channels = (b[0] & 1) + 1;
    if ((b[0] >> 2 & 3) != 0)
        fc_warn(c, "G.711 SoundRate code %d; FFmpeg writes 0 for 8 kHz", b[0] >> 2 & 3);
    if (!a->st.dec || channels != a->channels) {
        fc_decode(c, &a->st, NULL);
        avcodec_free_context(&a->st.dec);
        enum AVCodecID id = a->format == SOUND_PCMA ? AV_CODEC_ID_PCM_ALAW : AV_CODEC_ID_PCM_MULAW;
        a->st.dec = fc_open_decoder(id, NULL, 0, 8000, channels);
        a->sample_rate = 8000;
        a->channels = channels;
        if (!a->st.dec)
            fc_error(c, "cannot open the G.711 decoder");
    }
    a->st.frames++;
    if (n < 2)
        fc_error(c, "empty G.711 tag");
    else
        send_audio(c, b + 1, n - 1, ts);
}

void fc_audio_tag(struct fc *c, const uint8_t *b, size_t n, uint32_t ts)
{
    struct fc_audio *a = &c->a;
    fc_track_ts(&a->st, ts);
    if (!n) {
        fc_error(c, "empty audio tag");
        return;
    }
    int format = b[0] >> 4;
    if (a->format >= 0 && format != a->format) {
        fc_error(c, "audio SoundFormat changed from %d to %d", a->format, format);
        avcodec_free_context(&a->st.dec);
        a->have_config = false;
    }
    a->format = format;
    switch (format) {
    case SOUND_AAC:
        aac_tag(c, b, n, ts);
        break;
    case SOUND_PCMA:
    case SOUND_PCMU:
        g711_tag(c, b, n, ts);
        break;
    default:
        fc_warn(c, "audio SoundFormat %d is not decoded", format);
        a->st.frames++;
    }
}

void fc_audio_finish(struct fc *c)
{
    fc_decode(c, &c->a.st, NULL);
}
