/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Output objects and their queue. The thread that drains the queue is in
 * output_thread.c.
 *
 * Overflow policy: when a media item does not fit, the queued media is
 * dropped (the viewer is behind anyway) and the output skips everything up
 * to the next video keyframe, so what it writes next is decodable and live.
 * Headers are never dropped. Each skip and each dropped frame is counted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/clock.h"
#include "lib/flv/flv.h"
#include "lib/output/output.h"
#include "lib/output/recording.h"
#include "lib/util/url.h"

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int classify(const char *target, ls_tag_fn fn, enum ls_output_kind *kind,
                    const struct ls_sink_ops **ops)
{
    if (fn) {
        *kind = LS_OUTPUT_SUBSCRIBER;
        *ops = &ls_sink_subscriber;
    } else if (!target) {
        *kind = LS_OUTPUT_POLL; /* its consumer takes the tags: no sink */
        *ops = NULL;
    } else if (has_prefix(target, "rtmp://") || has_prefix(target, "rtmps://")) {
        *kind = LS_OUTPUT_RTMP;
        /* rtmps:// needs TLS: FFmpeg's avio has it, our publisher does not. */
        *ops = has_prefix(target, "rtmps://") ? &ls_sink_rtmps : &ls_sink_rtmp;
    } else if (has_prefix(target, "mp4:")) {
        char name[sizeof(((struct ls_output_stats *)0)->file)];
        int err = ls_recording_name(name, sizeof(name), target + 4, 0, LS_RECORDING_MAX_SUFFIX);
        if (err < 0)
            return err;
        *kind = LS_OUTPUT_MP4;
        *ops = &ls_sink_mp4;
    } else if (has_prefix(target, "file:") || !strstr(target, "://")) {
        /* Every recording's name must be possible, and fit in the stats. */
        char name[sizeof(((struct ls_output_stats *)0)->file)];
        const char *path = has_prefix(target, "file:") ? target + 5 : target;
        int err = ls_recording_name(name, sizeof(name), path, 0, LS_RECORDING_MAX_SUFFIX);
        if (err < 0)
            return err;
        *kind = LS_OUTPUT_FILE;
        *ops = &ls_sink_file;
    } else {
        return -EPROTONOSUPPORT;
    }
    return 0;
}

int ls_output_create(struct ls_output **out, const struct ls_output_host *host, int id, const char *target,
                     ls_tag_fn fn, void *cookie, const struct ls_output_settings *s)
{
    *out = NULL;
    if ((!fn && target && !*target) || !s || s->queue_max_bytes == 0)
        return -EINVAL;
    struct ls_output *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    int err = classify(target, fn, &o->kind, &o->ops);
    if (err < 0)
        goto fail;
    err = -ENOMEM;
    o->target = strdup(target ? target : fn ? "subscriber" : "subscription");
    if (!o->target || pthread_mutex_init(&o->lock, NULL))
        goto fail;
    if (ls_cond_init(&o->cond) < 0) {
        pthread_mutex_destroy(&o->lock);
        goto fail;
    }
    ls_url_redact(o->target, o->target_redacted, sizeof(o->target_redacted));
    o->id = id;
    o->s = *s;
    ls_tag_queue_init(&o->q, s->queue_max_bytes);
    if (host)
        o->host = *host;
    o->sub_fn = fn;
    o->sub_cookie = cookie;
    o->st.id = id;
    o->st.state = LS_STATE_IDLE;
    memcpy(o->st.target, o->target_redacted, sizeof(o->st.target));
    ls_meter_init(&o->meter);
    ls_backoff_init(&o->backoff, &s->reconnect, (uint64_t)(uintptr_t)o ^ (uint64_t)ls_now_us());
    *out = o;
    return 0;
fail:
    free(o->target);
    free(o);
    return err;
}

void ls_output_destroy(struct ls_output **op)
{
    struct ls_output *o = *op;
    if (!o)
        return;
    ls_tag_queue_finish(&o->q);
    free(o->scratch);
    free(o->target);
    pthread_cond_destroy(&o->cond);
    pthread_mutex_destroy(&o->lock);
    free(o);
    *op = NULL;
}

void ls_output_push(struct ls_output *o, struct ls_item *item)
{
    pthread_mutex_lock(&o->lock);
    switch (ls_tag_queue_push(&o->q, item)) {
    case LS_QUEUE_QUEUED:
        pthread_cond_signal(&o->cond);
        break;
    case LS_QUEUE_UNSYNCED:
        /* A keyframe means the output can start: wake a thread waiting for one. */
        if (item->keyframe || !o->q.has_video)
            pthread_cond_signal(&o->cond);
        break;
    case LS_QUEUE_DROPPED:
    case LS_QUEUE_SKIPPED:
        break;
    }
    if (o->direct && !o->pending)
        ls_output_drain(o); /* the relay thread writes while the socket has room */
    o->st.queue_bytes = (uint32_t)ls_tag_queue_bytes(&o->q);
    pthread_mutex_unlock(&o->lock);
}

void ls_output_sync_begin(struct ls_output *o, bool has_video, bool skip_to_keyframe)
{
    pthread_mutex_lock(&o->lock);
    ls_tag_queue_begin(&o->q, has_video);
    if (skip_to_keyframe)
        ls_tag_queue_skip_to_keyframe(&o->q);
    pthread_mutex_unlock(&o->lock);
}

void ls_output_sync_item(void *opaque, struct ls_item *item)
{
    struct ls_output *o = opaque;
    pthread_mutex_lock(&o->lock);
    if (ls_tag_queue_push_start(&o->q, item) == 0)
        pthread_cond_signal(&o->cond);
    pthread_mutex_unlock(&o->lock);
}

bool ls_output_interrupted(struct ls_output *o)
{
    int64_t now = ls_now_us();
    if (now > o->deadline_us)
        return true;
    long long quit = atomic_load(&o->quit_deadline_us);
    return quit && now > quit;
}

void ls_output_set_deadline(struct ls_output *o, uint32_t ms)
{
    o->deadline_us = ls_now_us() + (int64_t)ms * 1000;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/** Percentiles of a copy of the latency ring, sorted outside the output's lock. */
static void latency_percentiles(const uint32_t *lat, unsigned n, struct ls_output_stats *st)
{
    uint32_t sorted[sizeof(((struct ls_output *)0)->lat_us) / sizeof(uint32_t)];
    if (!n)
        return;
    memcpy(sorted, lat, n * sizeof(sorted[0]));
    qsort(sorted, n, sizeof(sorted[0]), cmp_u32);
    st->latency_p50_us = sorted[n / 2];
    st->latency_p99_us = sorted[(n * 99) / 100];
}

void ls_output_set_file(struct ls_output *o, const char *path)
{
    pthread_mutex_lock(&o->lock);
    snprintf(o->st.file, sizeof(o->st.file), "%s", path);
    pthread_mutex_unlock(&o->lock);
}

void ls_output_record_write(struct ls_output *o, const struct ls_item *item, size_t bytes)
{
    pthread_mutex_lock(&o->lock);
    ls_output_count_write(o, item, bytes, ls_now_us());
    pthread_mutex_unlock(&o->lock);
}

void ls_output_count_write(struct ls_output *o, const struct ls_item *item, size_t bytes,
                           int64_t now_us)
{
    o->st.bytes_out += bytes;
    if (item->kind == LS_ITEM_VIDEO) {
        o->st.video_frames_out++;
        if (!o->st.first_video_ms)
            o->st.first_video_ms = (uint32_t)(now_us / 1000 - o->started_ms + 1);
    }
    o->st.audio_frames_out += item->kind == LS_ITEM_AUDIO;
    if (!ls_item_is_header(item) && item->recv_us) {
        int64_t lat = now_us - item->recv_us;
        o->lat_us[o->lat_pos] = lat < 0 ? 0 : lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
        o->lat_pos = (o->lat_pos + 1) % (sizeof(o->lat_us) / sizeof(o->lat_us[0]));
        if (o->lat_n < sizeof(o->lat_us) / sizeof(o->lat_us[0]))
            o->lat_n++;
    }
    ls_meter_add(&o->meter, now_us / 1000, bytes, item->kind == LS_ITEM_VIDEO);
}

uint32_t ls_output_frame(struct ls_output *o, const struct ls_item *item,
                         uint8_t hdr[LS_FLV_TAG_HEADER_SIZE], uint8_t trailer[LS_FLV_PREV_SIZE],
                         struct ls_piece pieces[3])
{
    /* Each output has its own timeline: its first media tag is at 0 ms. */
    if (!o->have_base && !ls_item_is_header(item)) {
        o->base_ms = item->dts_ms;
        o->have_base = true;
    }
    int64_t delta = o->have_base ? item->dts_ms - o->base_ms : 0;
    uint32_t ts = (uint32_t)(delta < 0 ? 0 : delta);
    ls_flv_tag_header(hdr, item->tag_type, item->size, ts);
    ls_flv_prev_size(trailer, item->size);
    /* The body is shared by every output: it is written where it is, never copied here. */
    pieces[0] = (struct ls_piece){hdr, LS_FLV_TAG_HEADER_SIZE};
    pieces[1] = (struct ls_piece){item->body, item->size};
    pieces[2] = (struct ls_piece){trailer, LS_FLV_PREV_SIZE};
    return ts;
}

unsigned ls_output_tag_flags(const struct ls_item *item)
{
    switch (item->kind) {
    case LS_ITEM_METADATA:
        return LS_TAG_METADATA;
    case LS_ITEM_VIDEO_SEQ:
        return LS_TAG_VIDEO | LS_TAG_SEQUENCE_HEADER;
    case LS_ITEM_AUDIO_SEQ:
        return LS_TAG_AUDIO | LS_TAG_SEQUENCE_HEADER;
    case LS_ITEM_VIDEO:
        return LS_TAG_VIDEO | (item->keyframe ? LS_TAG_KEYFRAME : 0);
    default:
        return LS_TAG_AUDIO;
    }
}

void ls_output_get_stats(struct ls_output *o, struct ls_output_stats *st)
{
    int64_t now = ls_now_ms();
    pthread_mutex_lock(&o->lock);
    *st = o->st;
    st->dropped_frames = ls_tag_queue_dropped(&o->q);
    st->skips = ls_tag_queue_skips(&o->q);
    ls_meter_rates(&o->meter, now, &st->bitrate_kbps, NULL);
    st->uptime_ms = st->state == LS_STATE_STREAMING ? (uint64_t)(now - o->up_since_ms) : 0;
    uint32_t lat[sizeof(o->lat_us) / sizeof(o->lat_us[0])];
    unsigned n = o->lat_n;
    memcpy(lat, o->lat_us, n * sizeof(lat[0]));
    pthread_mutex_unlock(&o->lock);
    latency_percentiles(lat, n, st);
}
