/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * MP4 sink: an `mp4:` output records the relay's stream as fragmented MP4
 * segments (mp4_segment.c), reading back the FLV tags the output thread
 * hands every sink (mp4_tag.c), so it plugs in like any other output.
 *
 * Segments begin at a video keyframe (any audio frame without video): at the
 * first one, then at the first one past segment_ms, and at the first one
 * after a decoder configuration changed (the old segment is closed as soon
 * as new video parameters come, so no frame of them lands in it). Each
 * segment keeps the output's timeline.
 *
 * A full disk (ENOSPC, EDQUOT) does not fail the output, which would make it
 * reconnect and lose its place: the segment is closed as it is (it plays up
 * to its last whole fragment), recording pauses, and every keyframe, at most
 * once a second, looks at the free space to resume with a new segment.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "lib/output/mp4_segment.h"
#include "lib/output/mp4_sink.h"
#include "lib/output/mp4_tag.h"
#include "lib/output/output.h"
#include "lib/output/recording.h"
#include "lib/output/retention_dir.h"
#include "lib/util/clock.h"
#include "lib/util/log.h"

static const char *pattern_of(const struct ls_output *o)
{
    return o->target + 4; /* after "mp4:" */
}

static int mp4_open(struct ls_output *o)
{
    struct ls_mp4_sink *ms = calloc(1, sizeof(*ms));
    if (!ms)
        return -ENOMEM;
    o->sink = ms;
    return 0;
}

static void event(struct ls_output *o, enum ls_event_type type, int err)
{
    if (o->host.event)
        o->host.event(o->host.host, o, type, err);
}

static void close_segment(struct ls_output *o, struct ls_mp4_sink *ms)
{
    if (!ms->seg)
        return;
    ms->bytes_total += ls_mp4_segment_bytes(ms->seg);
    int err = ls_mp4_segment_close(&ms->seg);
    if (err < 0 && !ms->paused)
        ls_log_warn(o->host.log, "output %d: closing %s: %s", o->id, ms->path,
                    ls_strerror(err));
    event(o, LS_EVENT_SEGMENT_CLOSED, 0);
}

static void apply_retention(struct ls_output *o, struct ls_mp4_sink *ms)
{
    const struct ls_retention_policy policy = {.max_age_s = o->s.recording.max_age_s,
                                               .max_bytes = o->s.recording.max_bytes};
    uint64_t segments = 0, bytes = 0;
    int err = ls_retention_apply(pattern_of(o), ms->seg ? ms->path : NULL, &policy, &segments,
                                 &bytes);
    if (err < 0)
        ls_log_warn(o->host.log, "output %d: retention: %s", o->id,
                    ls_strerror(err));
    if (!segments)
        return;
    pthread_mutex_lock(&o->lock);
    o->st.recording.deleted_segments += segments;
    o->st.recording.deleted_bytes += bytes;
    pthread_mutex_unlock(&o->lock);
}

static bool out_of_space(int err)
{
    return err == -ENOSPC || err == -EDQUOT;
}

static void pause_recording(struct ls_output *o, struct ls_mp4_sink *ms, int err)
{
    ms->paused = true;
    close_segment(o, ms);
    pthread_mutex_lock(&o->lock);
    o->st.recording.paused = true;
    o->st.recording.pauses++;
    pthread_mutex_unlock(&o->lock);
    ls_log_warn(o->host.log, "output %d: recording paused: %s", o->id,
                ls_strerror(err));
    event(o, LS_EVENT_RECORDING_PAUSED, err);
    ms->next_check_ms = ls_now_ms() + 1000;
    apply_retention(o, ms); /* a byte budget may make room at once */
}

static void count_paused(struct ls_output *o)
{
    pthread_mutex_lock(&o->lock);
    o->st.recording.paused_frames++;
    pthread_mutex_unlock(&o->lock);
}

/** While paused: true when there is room again (looked at once a second at most). */
static bool room_again(struct ls_output *o, struct ls_mp4_sink *ms)
{
    int64_t now = ls_now_ms();
    if (now < ms->next_check_ms)
        return false;
    ms->next_check_ms = now + 1000;
    char dir[sizeof(ms->path)];
    const char *slash = strrchr(pattern_of(o), '/');
    snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - pattern_of(o) + 1) : 1,
             slash ? pattern_of(o) : ".");
    struct statvfs vfs;
    return statvfs(dir, &vfs) == 0 &&
           (uint64_t)vfs.f_bavail * vfs.f_frsize >= o->s.recording.resume_free_bytes;
}

static int open_segment(struct ls_output *o, struct ls_mp4_sink *ms, int64_t ts)
{
    struct ls_mp4_config c = {.vcodec = ms->vrec ? ms->vcodec : LS_CODEC_NONE,
                              .vrec = ms->vrec, .vrec_size = ms->vrec_size,
                              .width = ms->width, .height = ms->height,
                              .acodec = ms->asc ? LS_CODEC_AAC : LS_CODEC_NONE,
                              .asc = ms->asc, .asc_size = ms->asc_size,
                              .sample_rate = ms->sample_rate, .channels = ms->channels,
                              .fragment_ms = o->s.recording.fragment_ms};
    int fd = ls_recording_create(pattern_of(o), ms->path, sizeof(ms->path));
    if (fd < 0)
        return fd;
    int err = ls_mp4_segment_open(&ms->seg, fd, &c);
    if (err < 0) {
        close(fd);
        unlink(ms->path); /* a header cut short plays nothing: leave no such file */
        return err;
    }
    ms->seg_start_ms = ts;
    ms->cut_pending = false;
    ls_output_set_file(o, ms->path);
    pthread_mutex_lock(&o->lock);
    o->st.recording.segments++;
    o->st.recording.paused = false;
    pthread_mutex_unlock(&o->lock);
    if (ms->paused) {
        ms->paused = false;
        event(o, LS_EVENT_RECORDING_RESUMED, 0);
    }
    event(o, LS_EVENT_SEGMENT_OPENED, 0);
    apply_retention(o, ms);
    return 0;
}

/** The frame that may begin a segment came: cut, (re)open or resume as due. */
static int at_boundary(struct ls_output *o, struct ls_mp4_sink *ms, int64_t ts)
{
    if (ms->seg && (ms->cut_pending ||
                    ts - ms->seg_start_ms >= (int64_t)o->s.recording.segment_ms))
        close_segment(o, ms);
    if (ms->seg)
        return 0;
    if (ms->paused && !room_again(o, ms))
        return 0;
    int err = open_segment(o, ms, ts);
    if (out_of_space(err) && !ms->paused)
        pause_recording(o, ms, err);
    return out_of_space(err) ? 0 : err;
}

static int write_frame(struct ls_output *o, struct ls_mp4_sink *ms, const struct ls_mp4_tag *t,
                       bool video, int64_t ts)
{
    if (!ms->seg) {
        if (ms->paused)
            count_paused(o);
        return 0;
    }
    int err = ls_mp4_segment_write(ms->seg, video, ts, t->cts_ms, t->keyframe, t->data, t->size);
    if (out_of_space(err)) {
        pause_recording(o, ms, err);
        return 0;
    }
    return err;
}

static int on_video(struct ls_output *o, struct ls_mp4_sink *ms, const struct ls_mp4_tag *t,
                    int64_t ts)
{
    if (t->type == LS_MP4_TAG_VIDEO_CONFIG) {
        uint32_t w = 0, h = 0;
        if (ls_mp4_video_size(t->codec, t->data, t->size, &w, &h) < 0)
            return 0; /* a record we cannot read: keep the old one */
        int changed = ls_mp4_keep_record(&ms->vrec, &ms->vrec_size, t->data, t->size);
        if (changed < 0)
            return changed;
        ms->vcodec = t->codec;
        ms->width = w;
        ms->height = h;
        if (changed)
            close_segment(o, ms); /* frames of the new parameters go to a new segment */
        return 0;
    }
    if (!ms->vrec)
        return 0;
    if (t->keyframe) {
        int err = at_boundary(o, ms, ts);
        if (err < 0)
            return err;
    }
    return write_frame(o, ms, t, true, ts);
}

static int on_audio(struct ls_output *o, struct ls_mp4_sink *ms, const struct ls_mp4_tag *t,
                    int64_t ts)
{
    if (t->codec != LS_CODEC_AAC) {
        pthread_mutex_lock(&o->lock);
        o->st.recording.dropped_audio_frames++;
        pthread_mutex_unlock(&o->lock);
        return 0;
    }
    if (t->type == LS_MP4_TAG_AUDIO_CONFIG) {
        uint32_t rate, channels;
        if (ls_mp4_aac_format(t->data, t->size, &rate, &channels) < 0)
            return 0;
        int changed = ls_mp4_keep_record(&ms->asc, &ms->asc_size, t->data, t->size);
        if (changed < 0)
            return changed;
        ms->sample_rate = rate;
        ms->channels = channels;
        /* With video, the cut waits for a keyframe; audio alone cuts at once. */
        if (changed && ms->seg && ms->has_video)
            ms->cut_pending = true;
        else if (changed)
            close_segment(o, ms);
        return 0;
    }
    if (!ms->asc)
        return 0;
    if (!ms->has_video) {
        int err = at_boundary(o, ms, ts);
        if (err < 0)
            return err;
    }
    /* Until the cut, the open segment has the old audio configuration: skip. */
    if (ms->cut_pending)
        return 0;
    return write_frame(o, ms, t, false, ts);
}

static int mp4_write(struct ls_output *o, const struct ls_piece *pieces, int n, unsigned flags,
                     uint32_t ts_ms)
{
    struct ls_mp4_sink *ms = o->sink;
    if (flags & LS_TAG_FILE_HEADER) {
        /* The FLV header says which streams come: byte 4, audio 0x04, video 0x01. */
        ms->has_video = n == 1 && pieces[0].size > 4 ? (pieces[0].data[4] & 1) != 0 : true;
        return 0;
    }
    if (n != 3 || pieces[0].size < 1 || !(flags & (LS_TAG_VIDEO | LS_TAG_AUDIO)))
        return 0;
    struct ls_mp4_tag t;
    int err = ls_mp4_tag_parse(pieces[0].data[0] & 0x1f, pieces[1].data, pieces[1].size, &t);
    if (err == -EBADMSG || (err == -ENOTSUP && (flags & LS_TAG_VIDEO)))
        return 0; /* not recordable: skipped, the relay's other outputs still get it */
    if (err < 0 && err != -ENOTSUP)
        return err;
    if (t.type == LS_MP4_TAG_OTHER && err == 0)
        return 0;
    if (flags & LS_TAG_VIDEO)
        return on_video(o, ms, &t, ts_ms);
    if (err == -ENOTSUP)
        t.codec = LS_CODEC_OTHER;
    return on_audio(o, ms, &t, ts_ms);
}

static void mp4_close(struct ls_output *o)
{
    struct ls_mp4_sink *ms = o->sink;
    if (!ms)
        return;
    close_segment(o, ms);
    free(ms->vrec);
    free(ms->asc);
    free(ms);
    o->sink = NULL;
}

const struct ls_sink_ops ls_sink_mp4 = {
    .open = mp4_open,
    .write = mp4_write,
    .close = mp4_close,
};
