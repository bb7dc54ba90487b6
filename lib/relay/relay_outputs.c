/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A relay's outputs: adding and removing them, fanning items out to them,
 * giving a new one its start from the GOP cache, and their events.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/clock.h"
#include "lib/relay/relay_private.h"

static void output_event(void *host, struct ls_output *o, enum ls_event_type type, int err);

static int add(struct ls_relay *r, const char *target, ls_tag_fn fn, void *cookie,
               const struct ls_output_settings *s, int *id)
{
    struct ls_output_settings defaults;
    /* stop() holds ctl_lock while it joins our threads: waiting for it here would deadlock. */
    if (ls_relay_on_own_thread(r))
        return -EDEADLK;
    if (!s) {
        ls_output_default_settings(&defaults);
        s = &defaults;
    }
    pthread_mutex_lock(&r->ctl_lock);
    struct ls_output *o;
    const struct ls_output_host host = {
        .sync = ls_relay_sync_output, .event = output_event, .log = &r->log, .host = r, .io = r->s.io};
    int err = ls_output_create(&o, &host, r->next_id + 1, target, fn, cookie, s);
    if (err < 0)
        goto out;
    pthread_mutex_lock(&r->fan_lock);
    if (r->n_outputs == r->cap_outputs) {
        size_t cap = r->cap_outputs ? r->cap_outputs * 2 : 4;
        struct ls_output **list = realloc(r->outputs, cap * sizeof(*list));
        if (!list) {
            pthread_mutex_unlock(&r->fan_lock);
            ls_output_destroy(&o);
            err = -ENOMEM;
            goto out;
        }
        r->outputs = list;
        r->cap_outputs = cap;
    }
    r->outputs[r->n_outputs++] = o;
    pthread_mutex_unlock(&r->fan_lock);
    r->next_id++;
    if (atomic_load(&r->running))
        err = ls_output_start(o) < 0 ? -EAGAIN : 0;
    if (err < 0) {
        pthread_mutex_lock(&r->fan_lock);
        r->n_outputs--;
        pthread_mutex_unlock(&r->fan_lock);
        ls_output_destroy(&o);
        goto out;
    }
    ls_log_info(&r->log, "output %d added: %s", o->id, o->target_redacted);
    if (id)
        *id = o->id;
out:
    pthread_mutex_unlock(&r->ctl_lock);
    return err;
}

int ls_relay_add_output(struct ls_relay *r, const char *target,
                        const struct ls_output_settings *s, int *id)
{
    if (!r || !target)
        return -EINVAL;
    return add(r, target, NULL, NULL, s, id);
}

int ls_relay_add_subscriber(struct ls_relay *r, ls_tag_fn fn, void *cookie,
                            const struct ls_output_settings *s, int *id)
{
    if (!r || !fn)
        return -EINVAL;
    return add(r, NULL, fn, cookie, s, id);
}

int ls_relay_remove_output(struct ls_relay *r, int id)
{
    if (!r)
        return -EINVAL;
    if (ls_relay_on_own_thread(r))
        return -EDEADLK;
    pthread_mutex_lock(&r->ctl_lock);
    struct ls_output *o = NULL;
    pthread_mutex_lock(&r->fan_lock);
    for (size_t i = 0; i < r->n_outputs; i++) {
        if (r->outputs[i]->id != id)
            continue;
        o = r->outputs[i];
        /* Keep the order of the rest: stats list outputs as they were added. */
        memmove(&r->outputs[i], &r->outputs[i + 1], (r->n_outputs - i - 1) * sizeof(*r->outputs));
        r->n_outputs--;
        break;
    }
    pthread_mutex_unlock(&r->fan_lock);
    int err = o ? 0 : -ENOENT;
    char msg[sizeof(o->target_redacted) + 16] = "";
    if (o) {
        ls_output_request_stop(o);
        ls_output_join(o);
        ls_log_info(&r->log, "output %d removed", id);
        snprintf(msg, sizeof(msg), "%s: removed", o->target_redacted);
        ls_output_destroy(&o);
    }
    pthread_mutex_unlock(&r->ctl_lock);
    /* Reported on the caller's thread once no lock is held, so the callback may call anything. */
    if (!err && r->s.on_event) {
        struct ls_event ev = {.type = LS_EVENT_OUTPUT_DOWN, .state = LS_STATE_STOPPED,
                              .old_state = LS_STATE_STOPPED, .output_id = id, .message = msg};
        r->s.on_event(r->s.user_data, r, &ev);
    }
    return err;
}

static void count_out(struct ls_relay *r, const struct ls_item *item)
{
    if (ls_item_is_header(item))
        return;
    pthread_mutex_lock(&r->stats_lock);
    r->st.frames_out++;
    if (item->kind == LS_ITEM_VIDEO && item->keyframe) {
        if (!r->st.first_keyframe_ms)
            r->st.first_keyframe_ms = (uint32_t)(ls_now_ms() - r->session_start_ms + 1);
        /* The first keyframe of a timeline is at 0: INT64_MIN means none yet. */
        if (r->last_key_ms != INT64_MIN && item->dts_ms > r->last_key_ms)
            r->st.keyframe_interval_ms = (uint32_t)(item->dts_ms - r->last_key_ms);
        r->last_key_ms = item->dts_ms;
    }
    pthread_mutex_unlock(&r->stats_lock);
}

int ls_relay_fan_out(void *opaque, struct ls_item *item)
{
    struct ls_relay *r = opaque;
    pthread_mutex_lock(&r->fan_lock);
    if (item->kind == LS_ITEM_METADATA) {
        const struct ls_remux_info *info = ls_remux_get_info(r->remux);
        r->has_audio = info->audio_codec != LS_CODEC_NONE && !info->audio_dropped;
        r->wants_video = info->video_codec != LS_CODEC_NONE;
        if (!r->has_audio)
            ls_item_unref(&r->gop.aseq); /* no stale AAC config for new outputs */
    }
    int err = ls_gop_push(&r->gop, item);
    for (size_t i = 0; i < r->n_outputs; i++)
        ls_output_push(r->outputs[i], item);
    ls_relay_subs_push(r, item);
    pthread_mutex_unlock(&r->fan_lock);
    count_out(r, item);
    return err;
}

int ls_relay_sync_output(void *host, struct ls_output *o, bool *has_audio, bool *has_video)
{
    struct ls_relay *r = host;
    pthread_mutex_lock(&r->fan_lock);
    /* onMetaData can come before the video sequence header (parameter sets
     * found in-band): an output started then would announce audio only. */
    if (!ls_gop_ready(&r->gop) || (r->wants_video && !r->gop.vseq)) {
        pthread_mutex_unlock(&r->fan_lock);
        return -EAGAIN;
    }
    *has_video = r->gop.vseq != NULL;
    *has_audio = r->has_audio;
    if (o->s.start_with_gop_cache || !*has_video) {
        ls_output_sync_begin(o, *has_video, false);
        ls_gop_foreach(&r->gop, ls_output_sync_item, o);
    } else {
        /* Headers now, media from the next keyframe. */
        ls_output_sync_begin(o, *has_video, true);
        struct ls_gop_cache headers = r->gop;
        headers.n = 0;
        ls_gop_foreach(&headers, ls_output_sync_item, o);
    }
    pthread_mutex_unlock(&r->fan_lock);
    return 0;
}

void ls_relay_event(struct ls_relay *r, enum ls_event_type type, enum ls_state state,
                    enum ls_state old_state, int err, const char *message)
{
    if (!r->s.on_event)
        return;
    struct ls_event ev = {
        .type = type,
        .state = state,
        .old_state = old_state,
        .output_id = -1,
        .error = err,
        .message = message ? message : "",
    };
    r->s.on_event(r->s.user_data, r, &ev);
}

static void output_event(void *host, struct ls_output *o, enum ls_event_type type, int err)
{
    struct ls_relay *r = host;
    if (!r->s.on_event)
        return;
    struct ls_output_stats st;
    ls_output_get_stats(o, &st);
    /* A file output that comes up names the file it has just created; recording events
     * name their segment. */
    bool names_file = type == LS_EVENT_OUTPUT_UP || type >= LS_EVENT_SEGMENT_OPENED;
    const char *what = names_file && st.file[0] ? st.file : o->target_redacted;
    char msg[640];
    snprintf(msg, sizeof(msg), "%s%s%s", what, err ? ": " : "", err ? ls_strerror(err) : "");
    struct ls_event ev = {
        .type = type,
        .state = st.state,
        .old_state = st.state,
        .output_id = o->id,
        .error = err,
        .message = msg,
    };
    r->s.on_event(r->s.user_data, r, &ev);
}

int ls_relay_get_output_stats(struct ls_relay *r, struct ls_output_stats *out, size_t max,
                              size_t *count)
{
    if (!r || (!out && max))
        return -EINVAL;
    pthread_mutex_lock(&r->fan_lock);
    for (size_t i = 0; i < r->n_outputs && i < max; i++)
        ls_output_get_stats(r->outputs[i], &out[i]);
    if (count)
        *count = r->n_outputs;
    pthread_mutex_unlock(&r->fan_lock);
    return 0;
}
