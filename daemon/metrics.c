/*
 * The /metrics exposition. Values are read once per scrape into a snapshot
 * (one library call per relay), then written family by family: the text
 * format wants all samples of a family together, after its HELP and TYPE.
 * Names follow the Prometheus conventions: base units (bytes, seconds, bits),
 * counters end in _total, the daemon's own families start with lightstreamd_.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <libavutil/avutil.h>

#include "lightstream/lightstream.h"

#include "daemon/http.h"
#include "daemon/hub.h"
#include "daemon/metrics.h"
#include "daemon/relay.h"
#include "daemon/server.h"
#include "daemon/spec.h"

struct out_snap {
    int id;                  /* the spec's output id */
    uint64_t up, bytes, reconnects;
};

/* One relay; every uint64_t field below is a family of the table. */
struct relay_snap {
    const char *id;          /* [A-Za-z0-9_.-]: nothing to escape in a label */
    enum ls_state state;
    uint64_t up, bytes_in, bits_per_s, video_frames, reconnects;
    uint64_t viewers, viewer_conns, viewer_bytes, viewer_skips, viewer_drops;
    uint64_t hls_active, hls_segments;
    double fps;
    struct ls_ts_repairs repairs;
    size_t outputs;
    struct out_snap out[LSD_MAX_OUTPUTS];
};

static void out(struct evbuffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(struct evbuffer *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    evbuffer_add_vprintf(b, fmt, ap);
    va_end(ap);
}

static void family(struct evbuffer *b, const char *name, const char *type, const char *help)
{
    out(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void snap_outputs(struct lsd_relay *r, struct relay_snap *snap)
{
    struct ls_output_stats os[LSD_MAX_OUTPUTS + 1];
    size_t n = 0;
    if (!r->relay || ls_relay_get_output_stats(r->relay, os, LSD_MAX_OUTPUTS + 1, &n) < 0)
        n = 0;
    for (size_t i = 0; i < r->spec.output_count && i < LSD_MAX_OUTPUTS; i++) {
        struct out_snap *o = &snap->out[snap->outputs++];
        o->id = r->spec.outputs[i].id;
        int lib_id = i < r->lib_output_cap ? r->lib_output_ids[i] : -1;
        for (size_t j = 0; j < n && lib_id >= 0; j++) {
            if (os[j].id != lib_id)
                continue;
            o->up = os[j].state == LS_STATE_STREAMING;
            o->bytes = os[j].bytes_out;
            o->reconnects = os[j].reconnects;
        }
    }
}

static void snap_relay(struct lsd_relay *r, struct relay_snap *snap)
{
    struct ls_relay_stats st;
    struct lsd_hub_stats hs;
    memset(&st, 0, sizeof(st));
    bool live = r->relay && ls_relay_get_stats(r->relay, &st) == 0;
    lsd_hub_get_stats(r->hub, &hs);
    snap->id = r->spec.id;
    snap->state = live ? st.state : r->state;
    snap->up = live && st.state == LS_STATE_STREAMING;
    snap->bytes_in = st.bytes_in;
    snap->bits_per_s = (uint64_t)st.bitrate_kbps * 1000;
    snap->video_frames = st.video_frames_in;
    snap->reconnects = st.reconnects;
    snap->fps = st.fps;
    snap->repairs = st.repairs;
    snap->viewers = hs.viewers;
    snap->viewer_conns = hs.viewers_total;
    snap->viewer_bytes = hs.bytes_sent;
    snap->viewer_skips = hs.skips;
    snap->viewer_drops = hs.drops;
    snap->hls_active = hs.hls_active;
    snap->hls_segments = hs.hls_segments_served;
    snap_outputs(r, snap);
}

static const struct {
    const char *name, *type, *help;
    size_t offset;
} relay_families[] = {
#define F(name, type, field, help) {name, type, help, offsetof(struct relay_snap, field)}
    F("lightstreamd_relay_up", "gauge", up, "1 when the relay's input is streaming"),
    F("lightstreamd_relay_input_bytes_total", "counter", bytes_in,
      "media bytes read from the camera"),
    F("lightstreamd_relay_input_bits_per_second", "gauge", bits_per_s,
      "input bitrate over the last few seconds"),
    F("lightstreamd_relay_input_video_frames_total", "counter", video_frames,
      "video frames read from the camera"),
    F("lightstreamd_relay_reconnects_total", "counter", reconnects,
      "camera reconnections after a failure"),
    F("lightstreamd_relay_viewers", "gauge", viewers, "HTTP-FLV viewers now"),
    F("lightstreamd_relay_viewer_connections_total", "counter", viewer_conns,
      "HTTP-FLV viewers that connected"),
    F("lightstreamd_relay_viewer_sent_bytes_total", "counter", viewer_bytes,
      "bytes sent to HTTP-FLV viewers"),
    F("lightstreamd_relay_viewer_skips_total", "counter", viewer_skips,
      "times a slow viewer was skipped forward to a keyframe"),
    F("lightstreamd_relay_viewer_drops_total", "counter", viewer_drops,
      "stuck viewers disconnected"),
    F("lightstreamd_relay_hls_packager_active", "gauge", hls_active,
      "1 while a live HLS packager runs"),
    F("lightstreamd_relay_hls_segments_served_total", "counter", hls_segments,
      "live HLS media segments served"),
#undef F
};

static const enum ls_state states[] = {LS_STATE_IDLE, LS_STATE_CONNECTING, LS_STATE_STREAMING,
                                       LS_STATE_BACKOFF, LS_STATE_STOPPED, LS_STATE_FAILED};

static void write_relays(struct evbuffer *b, const struct relay_snap *rs, size_t n)
{
    for (size_t f = 0; f < sizeof(relay_families) / sizeof(relay_families[0]); f++) {
        family(b, relay_families[f].name, relay_families[f].type, relay_families[f].help);
        for (size_t i = 0; i < n; i++)
            out(b, "%s{relay=\"%s\"} %llu\n", relay_families[f].name, rs[i].id,
                (unsigned long long)*(const uint64_t *)(const void *)(
                    (const char *)&rs[i] + relay_families[f].offset));
    }
    family(b, "lightstreamd_relay_state", "gauge", "1 for the relay's current input state");
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++)
            out(b, "lightstreamd_relay_state{relay=\"%s\",state=\"%s\"} %d\n", rs[i].id,
                ls_state_name(states[k]), rs[i].state == states[k]);
    family(b, "lightstreamd_relay_input_video_frames_per_second", "gauge",
           "video frame rate measured over the last few seconds");
    for (size_t i = 0; i < n; i++)
        out(b, "lightstreamd_relay_input_video_frames_per_second{relay=\"%s\"} %.2f\n", rs[i].id,
            rs[i].fps);
}

static void write_repairs(struct evbuffer *b, const struct relay_snap *rs, size_t n)
{
    family(b, "lightstreamd_relay_timestamp_repairs_total", "counter",
           "input timestamps repaired, by kind (docs/timestamps.md)");
    for (size_t i = 0; i < n; i++) {
        const struct ls_ts_repairs *r = &rs[i].repairs;
        const struct {
            const char *kind;
            uint64_t n;
        } rep[] = {{"backward", r->backward}, {"jump", r->jump},       {"equal", r->equal},
                   {"wrap", r->wrap},         {"missing", r->missing}, {"reconnect", r->reconnect},
                   {"reorder", r->reorder},   {"interleave", r->interleave}};
        for (size_t k = 0; k < sizeof(rep) / sizeof(rep[0]); k++)
            out(b, "lightstreamd_relay_timestamp_repairs_total{relay=\"%s\",kind=\"%s\"} %llu\n",
                rs[i].id, rep[k].kind, (unsigned long long)rep[k].n);
    }
}

static void write_outputs(struct evbuffer *b, const struct relay_snap *rs, size_t n)
{
    static const struct {
        const char *name, *type, *help;
        size_t offset;
    } fams[] = {
        {"lightstreamd_output_up", "gauge", "1 when the output (RTMP server, file) is streaming",
         offsetof(struct out_snap, up)},
        {"lightstreamd_output_reconnects_total", "counter",
         "reconnections of the output after a failure", offsetof(struct out_snap, reconnects)},
        {"lightstreamd_output_sent_bytes_total", "counter", "FLV bytes written to the output",
         offsetof(struct out_snap, bytes)},
    };
    for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
        family(b, fams[f].name, fams[f].type, fams[f].help);
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < rs[i].outputs; k++)
                out(b, "%s{relay=\"%s\",output=\"%d\"} %llu\n", fams[f].name, rs[i].id,
                    rs[i].out[k].id,
                    (unsigned long long)*(const uint64_t *)(const void *)(
                        (const char *)&rs[i].out[k] + fams[f].offset));
    }
}

static void write_process(struct evbuffer *b)
{
    struct lsd_proc_stats p;
    if (lsd_proc_read(&p) < 0)
        return; /* no /proc: the families are left out rather than made up */
    family(b, "process_start_time_seconds", "gauge",
           "start time of the process since the Unix epoch in seconds");
    out(b, "process_start_time_seconds %.2f\n", p.start_time_s);
    family(b, "process_cpu_seconds_total", "counter", "user and system CPU time in seconds");
    out(b, "process_cpu_seconds_total %.2f\n", p.cpu_s);
    family(b, "process_resident_memory_bytes", "gauge", "resident memory size in bytes");
    out(b, "process_resident_memory_bytes %llu\n", (unsigned long long)p.rss_bytes);
    family(b, "process_virtual_memory_bytes", "gauge", "virtual memory size in bytes");
    out(b, "process_virtual_memory_bytes %llu\n", (unsigned long long)p.vsize_bytes);
    family(b, "process_open_fds", "gauge", "open file descriptors");
    out(b, "process_open_fds %llu\n", (unsigned long long)p.open_fds);
    family(b, "process_max_fds", "gauge", "the limit of open file descriptors");
    out(b, "process_max_fds %llu\n", (unsigned long long)p.max_fds);
}

static void write_daemon(struct lsd_server *s, struct evbuffer *b, const struct relay_snap *rs,
                         size_t n)
{
    char ffmpeg[128];
    lsd_prom_escape(av_version_info(), ffmpeg, sizeof(ffmpeg));
    family(b, "lightstreamd_build_info", "gauge", "1, labelled with the version and FFmpeg's");
    out(b, "lightstreamd_build_info{version=\"%s\",ffmpeg=\"%s\"} 1\n", LSD_VERSION, ffmpeg);
    family(b, "lightstreamd_relays", "gauge", "relays configured");
    out(b, "lightstreamd_relays %zu\n", n);
    uint64_t viewers = 0, packagers = 0;
    for (size_t i = 0; i < n; i++) {
        viewers += rs[i].viewers;
        packagers += rs[i].hls_active;
    }
    family(b, "lightstreamd_viewers", "gauge", "HTTP-FLV viewers now, all relays");
    out(b, "lightstreamd_viewers %llu\n", (unsigned long long)viewers);
    family(b, "lightstreamd_hls_packagers", "gauge", "live HLS packagers running, all relays");
    out(b, "lightstreamd_hls_packagers %llu\n", (unsigned long long)packagers);
    family(b, "lightstreamd_http_requests_total", "counter",
           "HTTP requests answered, by status code and method");
    for (size_t c = 0; s->replies && c < LSD_HTTP_CODE_COUNT; c++)
        for (size_t m = 0; m < LSD_HTTP_METHOD_COUNT; m++)
            if (s->replies->n[c][m])
                out(b, "lightstreamd_http_requests_total{code=\"%zu\",method=\"%s\"} %llu\n",
                    c + LSD_HTTP_CODE_MIN, lsd_http_method_of_index(m),
                    (unsigned long long)s->replies->n[c][m]);
    family(b, "lightstreamd_config_reloads_total", "counter",
           "SIGHUP config reloads, by result (a failed one keeps the running config)");
    out(b, "lightstreamd_config_reloads_total{result=\"success\"} %llu\n",
        (unsigned long long)s->reloads_ok);
    out(b, "lightstreamd_config_reloads_total{result=\"failure\"} %llu\n",
        (unsigned long long)s->reloads_failed);
}

int lsd_metrics_write(struct lsd_server *s, struct evbuffer *b)
{
    struct relay_snap *rs = calloc(s->relay_count ? s->relay_count : 1, sizeof(*rs));
    if (!rs)
        return -ENOMEM;
    size_t n = 0;
    for (struct lsd_relay *r = s->relays; r && n < s->relay_count; r = r->next)
        snap_relay(r, &rs[n++]);
    write_process(b);
    write_daemon(s, b, rs, n);
    write_relays(b, rs, n);
    write_repairs(b, rs, n);
    write_outputs(b, rs, n);
    free(rs);
    return lsd_metrics_write_recordings(s, b);
}
