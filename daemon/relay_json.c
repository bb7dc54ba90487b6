/*
 * JSON of relays: the spec as the API shows it, plus what the library and the
 * hub report now.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lightstream/lightstream.h"

#include "daemon/hub.h"
#include "daemon/os.h"
#include "daemon/recordings.h"
#include "daemon/relay_json.h"
#include "daemon/relay.h"
#include "daemon/relays_private.h"
#include "daemon/server.h"

void lsd_iso_time(int64_t ms, char *out, size_t size)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *lsd_flv_url(const char *base, const char *id)
{
    char *out;
    return asprintf(&out, "%s/live/%s.flv", base, id) < 0 ? NULL : out;
}

static json_t *repairs_json(const struct ls_ts_repairs *t)
{
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "backward",
                     (json_int_t)t->backward, "jump", (json_int_t)t->jump, "equal",
                     (json_int_t)t->equal, "wrap", (json_int_t)t->wrap, "missing",
                     (json_int_t)t->missing, "reconnect", (json_int_t)t->reconnect, "reorder",
                     (json_int_t)t->reorder, "interleave", (json_int_t)t->interleave);
}

static json_t *stats_json(const struct ls_relay_stats *st)
{
    json_t *o = json_pack("{s:s, s:i, s:i, s:f, s:s, s:i, s:i, s:I, s:I, s:I, s:I, s:i}",
                          "video_codec", st->video_codec, "width", (int)st->width,
                          "height", (int)st->height, "fps", st->fps,
                          "audio_codec", st->audio_codec,
                          "audio_sample_rate", (int)st->audio_sample_rate,
                          "audio_channels", (int)st->audio_channels,
                          "bitrate_kbps", (json_int_t)st->bitrate_kbps,
                          "bytes_in", (json_int_t)st->bytes_in,
                          "video_frames_in", (json_int_t)st->video_frames_in,
                          "audio_frames_in", (json_int_t)st->audio_frames_in,
                          "reconnects", (int)st->reconnects);
    if (!o)
        return NULL;
    /* RFC 6381 ("avc1.64001f", "hvc1.1.6.L93.B0"): what the page asks the browser about */
    json_object_set_new(o, "codec_string", json_string(st->video_codec_string));
    json_object_set_new(o, "uptime_ms", json_integer((json_int_t)st->uptime_ms));
    json_object_set_new(o, "keyframe_interval_ms", json_integer(st->keyframe_interval_ms));
    json_object_set_new(o, "first_packet_ms", json_integer(st->first_packet_ms));
    json_object_set_new(o, "first_keyframe_ms", json_integer(st->first_keyframe_ms));
    json_object_set_new(o, "engine", json_string(st->engine));
    json_object_set_new(o, "engine_fallbacks", json_integer(st->engine_fallbacks));
    json_object_set_new(o, "audio_dropped", json_boolean(st->audio_dropped));
    json_object_set_new(o, "repairs", repairs_json(&st->repairs));
    json_object_set_new(o, "last_error", json_string(st->last_error_message));
    return o;
}

/* The library's stats of the output made for spec output @p index, if running. */
static bool output_stats(struct lsd_relay *r, size_t index, struct ls_output_stats *out)
{
    if (!r->relay || index >= r->lib_output_cap || r->lib_output_ids[index] < 0)
        return false;
    struct ls_output_stats all[LSD_MAX_OUTPUTS + 1];
    size_t n = 0;
    if (ls_relay_get_output_stats(r->relay, all, LSD_MAX_OUTPUTS + 1, &n) < 0)
        return false;
    for (size_t i = 0; i < n && i < LSD_MAX_OUTPUTS + 1; i++) {
        if (all[i].id == r->lib_output_ids[index]) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

/* A file output the instance refused: say why, as the check says it now. */
static json_t *refused_json(struct lsd_relay *r, size_t index, const char *url)
{
    char path[PATH_MAX], why[PATH_MAX + 256] = "";
    if (lsd_recordings_resolve(r->server->config.recordings_dir, r->spec.outputs[index].url,
                               path, sizeof(path), why, sizeof(why)) == 0)
        snprintf(why, sizeof(why), "refused when the relay started (restart it to retry)");
    return json_pack("{s:i, s:s, s:s, s:i, s:i, s:i, s:s}", "id", r->spec.outputs[index].id,
                     "url", url, "state", "failed", "bytes", 0, "bitrate_kbps", 0,
                     "reconnects", 0, "error", why);
}

json_t *lsd_output_json(struct lsd_relay *r, size_t index)
{
    char url[LSD_URL_MAX];
    ls_url_redact(r->spec.outputs[index].url, url, sizeof(url));
    if (r->relay && index < r->lib_output_cap && r->lib_output_ids[index] == LSD_OUTPUT_REFUSED)
        return refused_json(r, index, url);
    struct ls_output_stats st;
    bool live = output_stats(r, index, &st);
    json_t *o = json_pack("{s:i, s:s, s:s, s:I, s:i, s:i, s:s}", "id", r->spec.outputs[index].id,
                          "url", url, "state", live ? ls_state_name(st.state) : "stopped",
                          "bytes", (json_int_t)(live ? st.bytes_out : 0),
                          "bitrate_kbps", live ? (int)st.bitrate_kbps : 0,
                          "reconnects", live ? (int)st.reconnects : 0,
                          "error", live ? st.last_error_message : "");
    /* A file output: the recording it writes now (or wrote last). */
    if (o && live && st.file[0])
        json_object_set_new(o, "file", json_string(st.file));
    return o;
}

static json_t *play_json(struct lsd_relay *r, const char *base)
{
    char *flv = lsd_flv_url(base, r->spec.id), *hls = NULL;
    if (asprintf(&hls, "%s/live/%s/index.m3u8", base, r->spec.id) < 0)
        hls = NULL;
    json_t *rtmp = json_array();
    for (size_t i = 0; rtmp && i < r->spec.output_count; i++) {
        const char *u = r->spec.outputs[i].url;
        if (strncmp(u, "rtmp", 4) == 0) {
            char red[LSD_URL_MAX];
            ls_url_redact(u, red, sizeof(red));
            json_array_append_new(rtmp, json_string(red));
        }
    }
    json_t *o = json_pack("{s:s?, s:s?, s:o}", "flv", flv, "hls", hls, "rtmp", rtmp);
    free(flv);
    free(hls);
    return o;
}

static void add_live(json_t *o, struct lsd_relay *r)
{
    struct ls_relay_stats st;
    bool live = r->relay && ls_relay_get_stats(r->relay, &st) == 0;
    json_object_set_new(o, "running", json_boolean(r->relay != NULL));
    json_object_set_new(o, "state", json_string(ls_state_name(live ? st.state : r->state)));
    json_object_set_new(o, "viewers", json_integer(lsd_hub_viewers(r->hub)));
    if (live)
        json_object_set_new(o, "stats", stats_json(&st));
}

json_t *lsd_relay_json(struct lsd_server *s, struct lsd_relay *r, const char *base)
{
    (void)s;
    json_t *o = lsd_spec_to_json(&r->spec, false);
    if (!o)
        return NULL;
    json_t *outputs = json_array();
    for (size_t i = 0; outputs && i < r->spec.output_count; i++)
        json_array_append_new(outputs, lsd_output_json(r, i));
    json_object_set_new(o, "outputs", outputs);
    char created[32];
    lsd_iso_time(r->spec.created_ms, created, sizeof(created));
    json_object_set_new(o, "created", json_string(created));
    if (r->spec.lease_deadline_ms) {
        int64_t left = r->spec.lease_deadline_ms - lsd_wall_ms();
        json_object_set_new(o, "lease_expires_in_ms", json_integer(left > 0 ? left : 0));
    }
    json_object_set_new(o, "play", play_json(r, base));
    add_live(o, r);
    return o;
}
