/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The relay's public API: settings, lifecycle, outputs, stats. The thread
 * that reads the camera is in relay_thread.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libavformat/avformat.h>

#include "lib/util/clock.h"
#include "lib/relay/relay_private.h"
#include "lib/util/url.h"

void ls_relay_default_settings(struct ls_relay_settings *s)
{
    *s = (struct ls_relay_settings){
        .transport = LS_TRANSPORT_TCP,
        .connect_timeout_ms = 5000,
        .stall_timeout_ms = 5000,
        .reconnect = {.initial_delay_ms = 500, .max_delay_ms = 30000, .jitter_percent = 20,
                      .max_attempts = 0, .auth_delay_ms = 30000},
        .audio = LS_AUDIO_PASS_ALL,
        .hevc = LS_HEVC_ENHANCED,
        .ts_jump_threshold_ms = 1000,
        .gop_cache_max_bytes = 16u << 20,
        .logger = {.level = LS_LOG_INFO},
        .interleave = true,
        .engine = LS_ENGINE_LIBAVFORMAT,
    };
}

void ls_output_default_settings(struct ls_output_settings *s)
{
    *s = (struct ls_output_settings){
        .queue_max_bytes = 8u << 20,
        .connect_timeout_ms = 5000,
        .write_timeout_ms = 10000,
        .reconnect = {.initial_delay_ms = 1000, .max_delay_ms = 30000, .jitter_percent = 20,
                      .max_attempts = 0, .auth_delay_ms = 30000},
        .start_with_gop_cache = true,
        .recording = {.segment_ms = 60000, .fragment_ms = 1000,
                      .resume_free_bytes = 16u << 20},
    };
}

static bool valid_settings(const struct ls_relay_settings *s)
{
    if (!s || !s->input_url)
        return false;
    if (strncmp(s->input_url, "rtsp://", 7) && strncmp(s->input_url, "rtsps://", 8))
        return false;
    return (unsigned)s->transport <= LS_TRANSPORT_AUTO && (unsigned)s->audio <= LS_AUDIO_DROP &&
           (unsigned)s->hevc <= LS_HEVC_CODEC12 &&
           (unsigned)s->engine <= LS_ENGINE_AUTO && s->connect_timeout_ms > 0 &&
           s->stall_timeout_ms > 0 && s->reconnect.initial_delay_ms > 0 &&
           s->gop_cache_max_bytes > 0 && s->ts_jump_threshold_ms > 0;
}

static pthread_once_t network_once = PTHREAD_ONCE_INIT;

static void network_init(void)
{
    /* Needed once per process for TLS (rtsps, rtmps); FFmpeg refcounts it. */
    avformat_network_init();
}

static int init_locks(struct ls_relay *r)
{
    if (pthread_mutex_init(&r->ctl_lock, NULL))
        return -ENOMEM;
    if (pthread_mutex_init(&r->fan_lock, NULL))
        goto fail_fan;
    if (pthread_mutex_init(&r->stats_lock, NULL))
        goto fail_stats;
    if (pthread_mutex_init(&r->wait_lock, NULL))
        goto fail_wait;
    if (ls_cond_init(&r->wait_cond) < 0)
        goto fail_cond;
    return 0;
fail_cond:
    pthread_mutex_destroy(&r->wait_lock);
fail_wait:
    pthread_mutex_destroy(&r->stats_lock);
fail_stats:
    pthread_mutex_destroy(&r->fan_lock);
fail_fan:
    pthread_mutex_destroy(&r->ctl_lock);
    return -ENOMEM;
}

int ls_relay_create(struct ls_relay **out, const struct ls_relay_settings *s)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    if (!valid_settings(s))
        return -EINVAL;
    struct ls_relay *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->url = strdup(s->input_url);
    if (!r->url || init_locks(r) < 0) {
        free(r->url);
        free(r);
        return -ENOMEM;
    }
    r->s = *s;
    r->s.input_url = r->url;
    ls_url_redact(r->url, r->url_redacted, sizeof(r->url_redacted));
    ls_url_password(r->url, r->password, sizeof(r->password));
    r->log = (struct ls_log_ctx){.logger = s->logger, .secret = r->password};
    r->st.state = LS_STATE_IDLE;
    r->last_key_ms = INT64_MIN;
    memcpy(r->st.input, r->url_redacted, sizeof(r->st.input));
    ls_meter_init(&r->meter);
    ls_gop_init(&r->gop, s->gop_cache_max_bytes);
    pthread_once(&network_once, network_init);
    *out = r;
    return 0;
}

static void stop_outputs(struct ls_relay *r)
{
    pthread_mutex_lock(&r->fan_lock);
    for (size_t i = 0; i < r->n_outputs; i++)
        ls_output_request_stop(r->outputs[i]);
    pthread_mutex_unlock(&r->fan_lock);
    /* ctl_lock is held: the list cannot change while we join. */
    for (size_t i = 0; i < r->n_outputs; i++)
        ls_output_join(r->outputs[i]);
}

int ls_relay_start(struct ls_relay *r)
{
    if (!r)
        return -EINVAL;
    pthread_mutex_lock(&r->ctl_lock);
    int err = -EALREADY;
    if (r->running)
        goto out;
    atomic_store(&r->stop, false);
    err = 0;
    for (size_t i = 0; i < r->n_outputs && !err; i++)
        err = ls_output_start(r->outputs[i]) < 0 ? -EAGAIN : 0;
    if (!err) {
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstacksize(&attr, 1024 * 1024);
        err = -pthread_create(&r->thread, &attr, ls_relay_thread_main, r);
        pthread_attr_destroy(&attr);
    }
    if (err < 0) {
        stop_outputs(r); /* the ones that did start */
        goto out;
    }
    r->running = true;
out:
    pthread_mutex_unlock(&r->ctl_lock);
    return err;
}

static void stop_locked(struct ls_relay *r)
{
    atomic_store(&r->stop, true);
    pthread_mutex_lock(&r->wait_lock);
    pthread_cond_broadcast(&r->wait_cond);
    pthread_mutex_unlock(&r->wait_lock);
    pthread_join(r->thread, NULL);
    stop_outputs(r);
    pthread_mutex_lock(&r->fan_lock);
    /* A restart begins a new timeline: the old GOP must not be replayed. */
    ls_gop_finish(&r->gop);
    ls_gop_init(&r->gop, r->s.gop_cache_max_bytes);
    ls_relay_subs_unsync(r);
    pthread_mutex_unlock(&r->fan_lock);
    r->running = false;
}

int ls_relay_stop(struct ls_relay *r)
{
    if (!r)
        return -EINVAL;
    if (ls_relay_on_own_thread(r))
        return -EDEADLK;
    pthread_mutex_lock(&r->ctl_lock);
    int err = r->running ? 0 : -EALREADY;
    if (r->running)
        stop_locked(r);
    pthread_mutex_unlock(&r->ctl_lock);
    return err;
}

void ls_relay_destroy(struct ls_relay **rp)
{
    struct ls_relay *r = rp ? *rp : NULL;
    if (!r)
        return;
    if (r->running)
        stop_locked(r);
    for (size_t i = 0; i < r->n_outputs; i++)
        ls_output_destroy(&r->outputs[i]);
    free(r->outputs);
    ls_relay_subs_finish(r);
    ls_gop_finish(&r->gop);
    pthread_cond_destroy(&r->wait_cond);
    pthread_mutex_destroy(&r->wait_lock);
    pthread_mutex_destroy(&r->stats_lock);
    pthread_mutex_destroy(&r->fan_lock);
    pthread_mutex_destroy(&r->ctl_lock);
    free(r->url);
    free(r);
    *rp = NULL;
}

void *ls_relay_get_user_data(const struct ls_relay *r)
{
    return r ? r->s.user_data : NULL;
}

bool ls_relay_on_own_thread(struct ls_relay *r)
{
    pthread_t self = pthread_self();
    bool own = false;
    pthread_mutex_lock(&r->fan_lock);
    for (size_t i = 0; i < r->n_outputs && !own; i++)
        own = r->outputs[i]->thread_running && pthread_equal(self, r->outputs[i]->thread);
    pthread_mutex_unlock(&r->fan_lock);
    /* r->thread is only read here by other threads while running is stable under ctl_lock;
     * a callback on the relay thread never holds ctl_lock, so comparing is safe. */
    return own || (r->running && pthread_equal(self, r->thread));
}

int ls_relay_get_stats(struct ls_relay *r, struct ls_relay_stats *out)
{
    if (!r || !out)
        return -EINVAL;
    int64_t now = ls_now_ms();
    pthread_mutex_lock(&r->stats_lock);
    *out = r->st;
    ls_meter_rates(&r->meter, now, &out->bitrate_kbps, &out->fps);
    out->uptime_ms = out->state == LS_STATE_STREAMING ? (uint64_t)(now - r->streaming_since_ms) : 0;
    pthread_mutex_unlock(&r->stats_lock);
    pthread_mutex_lock(&r->fan_lock);
    out->outputs = (uint32_t)r->n_outputs;
    pthread_mutex_unlock(&r->fan_lock);
    return 0;
}
