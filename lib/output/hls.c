/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The live HLS packager (lightstream/hls.h): a subscription's FLV tags into
 * one continuous fragmented MP4 stream, cut into HLS segments.
 *
 * One mp4 muxer (mp4_segment.c, writing into memory) runs per epoch, so the
 * decode times (tfdt) run on across segments exactly as the relay's
 * timeline does, and its header is the epoch's init segment. The muxer
 * closes a fragment when a keyframe arrives (frag_keyframe) and hands that
 * fragment over inside the write of the keyframe: so once a keyframe has
 * been written, every byte of the segment before it is out, and that
 * segment is finished. Fragments cut by frag_duration inside a GOP just
 * join the segment being built.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/output/hls_private.h"
#include "lib/output/mp4_segment.h"
#include "lib/output/mp4_tag.h"

#define SEGMENTS_DEFAULT 6
#define SEGMENTS_MIN 2
#define SEGMENTS_MAX 64
#define MAX_SEGMENT_BYTES_DEFAULT (32u << 20)
/* Fragments inside a GOP: a long GOP still reaches the buffer in pieces. */
#define FRAGMENT_MS 1000

void ls_hls_default_settings(struct ls_hls_settings *s)
{
    if (!s)
        return;
    memset(s, 0, sizeof(*s));
    s->segments = SEGMENTS_DEFAULT;
    s->max_segment_bytes = MAX_SEGMENT_BYTES_DEFAULT;
}

int ls_hls_create(struct ls_hls **out, const struct ls_hls_settings *s)
{
    struct ls_hls_settings d;
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!s) {
        ls_hls_default_settings(&d);
        s = &d;
    }
    if (s->segments < SEGMENTS_MIN || s->segments > SEGMENTS_MAX || s->max_segment_bytes < 4096)
        return -EINVAL;
    struct ls_hls *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->set = *s;
    h->ring = calloc(s->segments, sizeof(*h->ring));
    if (!h->ring) {
        free(h);
        return -ENOMEM;
    }
    *out = h;
    return 0;
}

static int sink_write(void *opaque, const uint8_t *data, size_t size)
{
    struct ls_hls *h = opaque;
    return h->sink ? ls_hls_buf_add(h->sink, data, size) : 0;
}

/* End the epoch: the muxer (its trailer dropped), the segment being built, the ring.
 * @p forget: the configuration goes too (the relay restarted: new headers follow). */
static void end_epoch(struct ls_hls *h, bool forget)
{
    h->sink = NULL;
    ls_mp4_segment_close(&h->mux);
    h->cur.size = 0;
    h->init.size = 0;
    h->seg_has_video = false;
    ls_hls_ring_clear(h);
    if (forget) {
        free(h->vrec);
        free(h->asc);
        h->vrec = h->asc = NULL;
        h->vrec_size = h->asc_size = 0;
    }
}

static int begin_epoch(struct ls_hls *h, int64_t ts)
{
    struct ls_mp4_config c = {.vcodec = h->vcodec, .vrec = h->vrec, .vrec_size = h->vrec_size,
                              .width = h->width, .height = h->height,
                              .acodec = h->asc ? LS_CODEC_AAC : LS_CODEC_NONE,
                              .asc = h->asc, .asc_size = h->asc_size,
                              .sample_rate = h->sample_rate, .channels = h->channels,
                              .fragment_ms = FRAGMENT_MS};
    h->init.size = 0;
    h->sink = &h->init;
    int err = ls_mp4_segment_open_cb(&h->mux, sink_write, h, &c);
    h->sink = &h->cur;
    if (err < 0)
        return err;
    if (h->had_epoch)
        h->disc_seq++;
    h->had_epoch = true;
    h->audio_in_mux = c.acodec == LS_CODEC_AAC && c.sample_rate;
    h->seg_start_ms = ts;
    return 0;
}

static int video_config(struct ls_hls *h, const struct ls_mp4_tag *t)
{
    uint32_t w, hgt;
    if (ls_mp4_video_size(t->codec, t->data, t->size, &w, &hgt) < 0)
        return 0; /* unreadable: the frames wait for a record that reads */
    int changed = ls_mp4_keep_record(&h->vrec, &h->vrec_size, t->data, t->size);
    if (changed <= 0 && h->vcodec == t->codec)
        return changed;
    end_epoch(h, false); /* a resolution switch: new init segment at the next keyframe */
    h->vcodec = t->codec;
    h->width = w;
    h->height = hgt;
    return 0;
}

static int audio_config(struct ls_hls *h, const struct ls_mp4_tag *t)
{
    uint32_t rate, channels;
    if (t->codec != LS_CODEC_AAC || ls_mp4_aac_format(t->data, t->size, &rate, &channels) < 0)
        return 0;
    int changed = ls_mp4_keep_record(&h->asc, &h->asc_size, t->data, t->size);
    if (changed <= 0)
        return changed;
    end_epoch(h, false);
    h->sample_rate = rate;
    h->channels = channels;
    return 0;
}

static int video_frame(struct ls_hls *h, const struct ls_mp4_tag *t, int64_t ts)
{
    if (!h->mux) {
        if (!t->keyframe || !h->vrec)
            return 0; /* an epoch starts at a keyframe */
        int err = begin_epoch(h, ts);
        if (err < 0)
            return err;
    }
    bool cut = t->keyframe && h->seg_has_video;
    int err = ls_mp4_segment_write(h->mux, true, ts, t->cts_ms, t->keyframe, t->data, t->size);
    if (err < 0) {
        end_epoch(h, false);
        return err;
    }
    if (h->cur.size > h->set.max_segment_bytes) {
        end_epoch(h, false); /* no keyframe for too long: wait for the next one */
        return 0;
    }
    h->seg_has_video = true;
    if (!cut)
        return 0;
    int64_t d = ts - h->seg_start_ms;
    ls_hls_ring_push(h, (uint32_t)(d > 0 ? d : 1));
    h->seg_start_ms = ts;
    return 1;
}

static int audio_frame(struct ls_hls *h, const struct ls_mp4_tag *t, int64_t ts)
{
    if (t->codec != LS_CODEC_AAC) {
        h->audio_dropped++;
        return 0;
    }
    if (!h->mux || !h->audio_in_mux || !h->seg_has_video)
        return 0; /* before the epoch's first keyframe */
    int err = ls_mp4_segment_write(h->mux, false, ts, 0, false, t->data, t->size);
    if (err < 0)
        end_epoch(h, false);
    return err < 0 ? err : 0;
}

int ls_hls_push(struct ls_hls *h, const struct ls_sub_tag *tag)
{
    if (!h || !tag)
        return -EINVAL;
    if (tag->flags & LS_TAG_FILE_HEADER) {
        end_epoch(h, true); /* the relay (re)started: a new timeline and new headers follow */
        return 0;
    }
    if (!tag->body || tag->head_size < 1)
        return 0;
    struct ls_mp4_tag t;
    int err = ls_mp4_tag_parse(tag->head[0] & 0x1f, tag->body, tag->body_size, &t);
    if (err == -ENOTSUP && (tag->flags & LS_TAG_AUDIO)) {
        h->audio_dropped++;
        return 0;
    }
    if (err == -ENOTSUP)
        return err;
    if (err < 0)
        return 0; /* a malformed tag is skipped */
    switch (t.type) {
    case LS_MP4_TAG_VIDEO_CONFIG:
        return video_config(h, &t);
    case LS_MP4_TAG_AUDIO_CONFIG:
        return audio_config(h, &t);
    case LS_MP4_TAG_VIDEO_FRAME:
        return video_frame(h, &t, tag->ts_ms);
    case LS_MP4_TAG_AUDIO_FRAME:
        return audio_frame(h, &t, tag->ts_ms);
    default:
        return 0;
    }
}

void ls_hls_destroy(struct ls_hls **hp)
{
    struct ls_hls *h = hp ? *hp : NULL;
    if (!h)
        return;
    end_epoch(h, true);
    ls_hls_buf_free(&h->cur);
    ls_hls_buf_free(&h->init);
    free(h->ring);
    free(h);
    *hp = NULL;
}

int ls_hls_init_segment(const struct ls_hls *h, const uint8_t **data, size_t *size)
{
    if (!h || !data || !size)
        return -EINVAL;
    if (!h->mux || !h->init.size)
        return -EAGAIN;
    *data = h->init.data;
    *size = h->init.size;
    return 0;
}
