/*
 * The moov of a recorded segment: which track is the video, its timescale,
 * and the RFC 6381 codec strings HLS's CODECS attribute needs (avc1 from
 * avcC, hvc1/hev1 from hvcC through the library's ls_codec_string(), mp4a
 * from esds). Pure; fuzzed through mp4_index.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lightstream/codec.h"

#include "daemon/mp4_box.h"

/* The sample entry's fixed part before its child boxes (ISO/IEC 14496-12). */
#define VISUAL_ENTRY_BYTES 78
#define AUDIO_ENTRY_BYTES 28

/* avc1/avc3 from avcC, hvc1/hev1 from hvcC: the library spells them (lightstream/codec.h),
 * for the relay's live stats too. Without its box the string is the fourcc alone. */
static void video_codec(const char *fourcc, const char *box, struct lsd_span entry, char *out,
                        size_t size)
{
    struct lsd_span c;
    bool found = lsd_box_find(entry, box, &c);
    ls_codec_string(fourcc, found ? c.p : NULL, found ? c.n : 0, out, size);
}

/* An MPEG-4 descriptor header: tag, then a size in up to 4 bytes of 7 bits. */
static bool descriptor(struct lsd_span *in, uint8_t *tag, struct lsd_span *body)
{
    if (in->n < 2)
        return false;
    *tag = in->p[0];
    size_t i = 1, len = 0;
    for (; i < 5 && i < in->n; i++) {
        len = len << 7 | (in->p[i] & 0x7f);
        if (!(in->p[i] & 0x80))
            break;
    }
    if (i >= in->n || i == 5 || len > in->n - i - 1)
        return false;
    body->p = in->p + i + 1;
    body->n = len;
    in->p += i + 1 + len;
    in->n -= i + 1 + len;
    return true;
}

/* mp4a.40.<audio object type> from esds: ES_Descriptor → DecoderConfig → DecoderSpecificInfo. */
static void aac_codec(struct lsd_span entry, char *out, size_t size)
{
    struct lsd_span esds, es, dc, dsi;
    uint8_t tag;
    snprintf(out, size, "mp4a.40.2");
    if (!lsd_box_find(entry, "esds", &esds) || esds.n < 4)
        return;
    esds.p += 4; /* version, flags */
    esds.n -= 4;
    if (!descriptor(&esds, &tag, &es) || tag != 3 || es.n < 3)
        return;
    unsigned flags = es.p[2];
    size_t skip = 3 + (flags & 0x80 ? 2 : 0) + (flags & 0x20 ? 1 + (es.n > 3 ? es.p[3] : 0) : 0) +
                  (flags & 0x40 ? 2 : 0);
    if (skip > es.n)
        return;
    es.p += skip;
    es.n -= skip;
    if (!descriptor(&es, &tag, &dc) || tag != 4 || dc.n < 13 || dc.p[0] != 0x40)
        return;
    dc.p += 13;
    dc.n -= 13;
    if (descriptor(&dc, &tag, &dsi) && tag == 5 && dsi.n >= 1 && (dsi.p[0] >> 3) > 0 &&
        (dsi.p[0] >> 3) < 31)
        snprintf(out, size, "mp4a.40.%u", dsi.p[0] >> 3);
}

/* The first sample entry of stsd, into fourcc and its child boxes. */
static bool sample_entry(struct lsd_span stbl, char fourcc[5], struct lsd_span *entry)
{
    struct lsd_span stsd, list;
    if (!lsd_box_find(stbl, "stsd", &stsd) || stsd.n < 8)
        return false;
    list.p = stsd.p + 8;
    list.n = stsd.n - 8;
    return lsd_box_next(&list, fourcc, entry);
}

struct track {
    uint32_t id, timescale;
    uint16_t width, height;
    char handler[5], fourcc[5], codec[48];
};

static bool read_track(struct lsd_span trak, struct track *t)
{
    struct lsd_span tkhd, mdia, mdhd, hdlr, minf, stbl, entry;
    memset(t, 0, sizeof(*t));
    if (!lsd_box_find(trak, "tkhd", &tkhd) || tkhd.n < 24 ||
        !lsd_box_find(trak, "mdia", &mdia) || !lsd_box_find(mdia, "mdhd", &mdhd) ||
        !lsd_box_find(mdia, "hdlr", &hdlr) || hdlr.n < 12 || !lsd_box_find(mdia, "minf", &minf) ||
        !lsd_box_find(minf, "stbl", &stbl) || !sample_entry(stbl, t->fourcc, &entry))
        return false;
    bool v1 = tkhd.p[0] == 1;
    t->id = lsd_be32(tkhd.p + (v1 ? 20 : 12));
    if (mdhd.n < (mdhd.p[0] == 1 ? 24u : 16u))
        return false;
    t->timescale = lsd_be32(mdhd.p + (mdhd.p[0] == 1 ? 20 : 12));
    memcpy(t->handler, hdlr.p + 8, 4);
    bool video = memcmp(t->handler, "vide", 4) == 0;
    size_t fixed = video ? VISUAL_ENTRY_BYTES : AUDIO_ENTRY_BYTES;
    if (entry.n < fixed)
        return false;
    if (video) { /* after reserved[6], data_reference_index, pre_defined and reserved[16] */
        t->width = (uint16_t)(entry.p[24] << 8 | entry.p[25]);
        t->height = (uint16_t)(entry.p[26] << 8 | entry.p[27]);
    }
    entry.p += fixed;
    entry.n -= fixed;
    if (memcmp(t->fourcc, "avc1", 4) == 0 || memcmp(t->fourcc, "avc3", 4) == 0)
        video_codec(t->fourcc, "avcC", entry, t->codec, sizeof(t->codec));
    else if (memcmp(t->fourcc, "hvc1", 4) == 0 || memcmp(t->fourcc, "hev1", 4) == 0)
        video_codec(t->fourcc, "hvcC", entry, t->codec, sizeof(t->codec));
    else if (memcmp(t->fourcc, "mp4a", 4) == 0)
        aac_codec(entry, t->codec, sizeof(t->codec));
    else
        snprintf(t->codec, sizeof(t->codec), "%s", t->fourcc);
    return true;
}

/* trex of @p track_id in mvex: its default sample duration and flags. */
static void read_trex(struct lsd_span moov, uint32_t track_id, struct lsd_mp4_trex *out)
{
    struct lsd_span mvex, trex;
    char type[5];
    memset(out, 0, sizeof(*out));
    if (!lsd_box_find(moov, "mvex", &mvex))
        return;
    while (lsd_box_next(&mvex, type, &trex)) {
        if (memcmp(type, "trex", 4) == 0 && trex.n >= 24 && lsd_be32(trex.p + 4) == track_id) {
            out->duration = lsd_be32(trex.p + 12);
            out->flags = lsd_be32(trex.p + 20);
            return;
        }
    }
}

int lsd_mp4_parse_moov(struct lsd_span moov, struct lsd_mp4_index *idx,
                       struct lsd_mp4_trex *trex)
{
    struct lsd_span it = moov, trak;
    char type[5], audio[48] = "";
    struct track t;
    idx->track_id = 0;
    while (lsd_box_next(&it, type, &trak)) {
        if (memcmp(type, "trak", 4) != 0 || !read_track(trak, &t))
            continue;
        if (memcmp(t.handler, "vide", 4) == 0 && !idx->track_id && t.timescale) {
            idx->track_id = t.id;
            idx->timescale = t.timescale;
            memcpy(idx->video, t.fourcc, sizeof(idx->video));
            idx->width = t.width;
            idx->height = t.height;
            snprintf(idx->codecs, sizeof(idx->codecs), "%s", t.codec);
        } else if (memcmp(t.handler, "soun", 4) == 0 && !audio[0]) {
            snprintf(audio, sizeof(audio), "%s", t.codec);
        }
    }
    if (!idx->track_id)
        return -EINVAL;
    size_t n = strlen(idx->codecs);
    if (audio[0] && strcmp(audio, "alaw") && strcmp(audio, "ulaw"))
        snprintf(idx->codecs + n, sizeof(idx->codecs) - n, ",%s", audio);
    read_trex(moov, idx->track_id, trex);
    return 0;
}
