/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The relay thread: connect → read → remux → fan out, and on any failure
 * back off and start again, until stopped. Nothing here blocks without a
 * deadline, so ls_relay_stop() is obeyed within FFmpeg's polling interval.
 */
#include <errno.h>
#include <stdio.h>

#include "lib/util/backoff.h"
#include "lib/util/clock.h"
#include "lib/relay/relay_private.h"
#include "lib/input/input.h"

static void set_state(struct ls_relay *r, enum ls_state state)
{
    pthread_mutex_lock(&r->stats_lock);
    enum ls_state old = r->st.state;
    r->st.state = state;
    if (state == LS_STATE_STREAMING)
        r->streaming_since_ms = ls_now_ms();
    pthread_mutex_unlock(&r->stats_lock);
    if (old == state)
        return;
    ls_log_info(&r->log, "%s: %s", r->url_redacted, ls_state_name(state));
    ls_relay_event(r, LS_EVENT_STATE, state, old, 0, ls_state_name(state));
}

static void record_error(struct ls_relay *r, int err)
{
    char msg[sizeof(r->st.last_error_message)];
    snprintf(msg, sizeof(msg), "%s: %s", r->url_redacted, ls_strerror(err));
    pthread_mutex_lock(&r->stats_lock);
    r->st.last_error = err;
    snprintf(r->st.last_error_message, sizeof(r->st.last_error_message), "%s", msg);
    r->st.connect_attempts++;
    pthread_mutex_unlock(&r->stats_lock);
    ls_log_error(&r->log, "%s", msg);
    ls_relay_event(r, LS_EVENT_ERROR, r->st.state, r->st.state, err, msg);
}

static void went_streaming(struct ls_relay *r, struct ls_backoff *bo)
{
    ls_backoff_reset(bo);
    pthread_mutex_lock(&r->stats_lock);
    if (r->ever_streamed)
        r->st.reconnects++;
    r->ever_streamed = true;
    r->st.connect_attempts = 0;
    r->st.first_packet_ms = (uint32_t)(ls_now_ms() - r->session_start_ms + 1);
    pthread_mutex_unlock(&r->stats_lock);
    set_state(r, LS_STATE_STREAMING);
}

/** Copy the remuxer's codec info into the stats and report the change once complete. */
static void publish_codecs(struct ls_relay *r)
{
    const struct ls_remux_info *info = ls_remux_get_info(r->remux);
    pthread_mutex_lock(&r->stats_lock);
    snprintf(r->st.video_codec, sizeof(r->st.video_codec), "%s", ls_codec_name(info->video_codec));
    r->st.video_profile = info->video_profile;
    r->st.video_level = info->video_level;
    snprintf(r->st.video_codec_string, sizeof(r->st.video_codec_string), "%s",
             info->video_codec_string);
    r->st.width = info->width;
    r->st.height = info->height;
    snprintf(r->st.audio_codec, sizeof(r->st.audio_codec), "%s", ls_codec_name(info->audio_codec));
    r->st.audio_sample_rate = info->audio_sample_rate;
    r->st.audio_channels = info->audio_channels;
    r->st.audio_dropped = info->audio_dropped;
    pthread_mutex_unlock(&r->stats_lock);
    /* The stats name the codecs at once; the log line and the event wait for the SPS
     * (a second change comes then), so they never say "0x0 profile 0". */
    if (!ls_remux_info_complete(r->remux))
        return;
    ls_log_info(&r->log, "codecs: video %s %ux%u profile %d, audio %s %u Hz %u ch%s",
                ls_codec_name(info->video_codec), info->width, info->height,
                info->video_profile, ls_codec_name(info->audio_codec),
                info->audio_sample_rate, info->audio_channels,
                info->audio_dropped ? " (dropped)" : "");
    ls_relay_event(r, LS_EVENT_CODEC, LS_STATE_STREAMING, LS_STATE_STREAMING, 0, "codec");
}

/** Per-packet counters, and the repair counts, under one lock per packet. */
static void account(struct ls_relay *r, const struct ls_packet *pkt, bool is_video)
{
    struct ls_ts_repairs repairs = ls_remux_get_repairs(r->remux);
    repairs.interleave = r->il.late;
    pthread_mutex_lock(&r->stats_lock);
    r->st.bytes_in += pkt->size;
    if (is_video)
        r->st.video_frames_in++;
    else
        r->st.audio_frames_in++;
    r->st.repairs = repairs;
    ls_meter_add(&r->meter, ls_now_ms(), pkt->size, is_video);
    pthread_mutex_unlock(&r->stats_lock);
}

/** The remuxer's output: stamped with its packet's arrival, then put in timestamp order. */
static int take_item(void *opaque, struct ls_item *item)
{
    struct ls_relay *r = opaque;
    item->recv_us = r->pkt_recv_us;
    if (item->kind == LS_ITEM_VIDEO)
        ls_interleave_set_lag(&r->il, ls_remux_video_lag_ms(r->remux));
    return ls_interleave_push(&r->il, item);
}

/** One connection to the camera, until it fails or we stop. @return why it ended. */
/** Which engine opened this connection, in the stats. */
static void note_engine(struct ls_relay *r, const struct ls_input *in,
                        const struct ls_input_memo *memo)
{
    pthread_mutex_lock(&r->stats_lock);
    snprintf(r->st.engine, sizeof(r->st.engine), "%s", ls_input_engine_name(in));
    if (memo->fell_back)
        r->st.engine_fallbacks++;
    pthread_mutex_unlock(&r->stats_lock);
}

static int session(struct ls_relay *r, struct ls_backoff *bo, struct ls_input_memo *memo)
{
    struct ls_input_settings is = {
        .url = r->url,
        .transport = r->s.transport,
        .engine = r->s.engine,
        .connect_timeout_ms = r->s.connect_timeout_ms,
        .stall_timeout_ms = r->s.stall_timeout_ms,
        .log = &r->log,
        .stop = &r->stop,
    };
    struct ls_input *in;
    r->session_start_ms = ls_now_ms();
    pthread_mutex_lock(&r->stats_lock);
    r->st.first_packet_ms = r->st.first_keyframe_ms = 0;
    pthread_mutex_unlock(&r->stats_lock);
    int err = ls_input_open(&in, &is, memo);
    if (err < 0)
        return err;
    note_engine(r, in, memo);
    struct ls_stream_info video, audio;
    ls_input_streams(in, &video, &audio);
    ls_remux_begin(r->remux, &video, &audio);
    const struct ls_remux_info *info = ls_remux_get_info(r->remux);
    ls_interleave_begin(&r->il, info->video_codec != LS_CODEC_NONE,
                        info->audio_codec != LS_CODEC_NONE && !info->audio_dropped);
    bool streaming = false;
    for (;;) {
        struct ls_packet pkt;
        bool is_video;
        err = ls_input_read(in, &pkt, &is_video);
        if (err < 0)
            break;
        r->pkt_recv_us = ls_now_us();
        if (!streaming) {
            streaming = true;
            went_streaming(r, bo);
        }
        err = is_video ? ls_remux_video(r->remux, &pkt) : ls_remux_audio(r->remux, &pkt);
        if (err == -ENOMEM)
            break;
        account(r, &pkt, is_video);
        if (ls_remux_take_changed(r->remux))
            publish_codecs(r);
    }
    /* What waited for the other stream goes out now: the next session's timeline is
     * spliced after it. */
    int flushed = ls_interleave_flush(&r->il);
    if (flushed == -ENOMEM && err != -ECANCELED)
        err = flushed;
    ls_input_close(&in);
    return err;
}

/** Sleep @p ms unless stopped. @return false when stopped. */
static bool sleep_unless_stopped(struct ls_relay *r, int64_t ms)
{
    int64_t until = ls_now_ms() + ms;
    pthread_mutex_lock(&r->wait_lock);
    while (!atomic_load(&r->stop) && ls_now_ms() < until)
        ls_cond_wait_until(&r->wait_cond, &r->wait_lock, until);
    pthread_mutex_unlock(&r->wait_lock);
    return !atomic_load(&r->stop);
}

void *ls_relay_thread_main(void *arg)
{
    struct ls_relay *r = arg;
    pthread_setname_np(pthread_self(), "ls-relay"); /* for top -H and debuggers */
    struct ls_backoff bo;
    struct ls_input_memo memo = {0};
    ls_backoff_init(&bo, &r->s.reconnect, (uint64_t)(uintptr_t)r ^ (uint64_t)ls_now_us());
    struct ls_remux_settings rs = {
        .audio = r->s.audio,
        .hevc = r->s.hevc,
        .ts_jump_threshold_ms = r->s.ts_jump_threshold_ms,
    };
    ls_interleave_init(&r->il, r->s.interleave, ls_relay_fan_out, r);
    int err = ls_remux_create(&r->remux, &rs, take_item, r);
    if (err < 0) {
        record_error(r, err);
        set_state(r, LS_STATE_FAILED);
        return NULL;
    }
    while (!atomic_load(&r->stop)) {
        set_state(r, LS_STATE_CONNECTING);
        err = session(r, &bo, &memo);
        if (atomic_load(&r->stop))
            break;
        record_error(r, err);
        int64_t delay = ls_backoff_next(&bo, err == -EACCES);
        if (delay < 0) {
            set_state(r, LS_STATE_FAILED);
            break;
        }
        set_state(r, LS_STATE_BACKOFF);
        ls_log_info(&r->log, "retrying in %lld ms", (long long)delay);
        if (!sleep_unless_stopped(r, delay))
            break;
    }
    if (r->st.state != LS_STATE_FAILED)
        set_state(r, LS_STATE_STOPPED);
    pthread_mutex_lock(&r->fan_lock);
    ls_remux_destroy(&r->remux);
    pthread_mutex_unlock(&r->fan_lock);
    ls_interleave_finish(&r->il);
    return NULL;
}
