/*
 * The recording families of /metrics: per relay that records, what the
 * library counts (segments, bytes written, pauses for lack of space, which
 * are the gaps of the recording, G.711 frames the MP4 muxer cannot store) and
 * what the folder holds; for the daemon,
 * the space left in recordings_dir and what the global budget deleted.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include <event2/buffer.h>

#include "lightstream/lightstream.h"

#include "daemon/metrics.h"
#include "daemon/rec_list.h"
#include "daemon/relay.h"
#include "daemon/server.h"
#include "daemon/spec.h"

struct rec_snap {
    const char *id;
    uint64_t segments, bytes, pauses, paused, dropped_audio, stored_segments, stored_bytes;
};

static void snap(struct lsd_server *s, struct lsd_relay *r, struct rec_snap *o)
{
    struct ls_output_stats st[LSD_MAX_OUTPUTS + 2];
    size_t n = 0;
    memset(o, 0, sizeof(*o));
    o->id = r->spec.id;
    if (r->relay && r->rec_output_id >= 0 &&
        ls_relay_get_output_stats(r->relay, st, LSD_MAX_OUTPUTS + 2, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            if (st[i].id != r->rec_output_id)
                continue;
            o->segments = st[i].recording.segments;
            o->bytes = st[i].bytes_out;
            o->pauses = st[i].recording.pauses;
            o->paused = st[i].recording.paused;
            o->dropped_audio = st[i].recording.dropped_audio_frames;
        }
    }
    struct lsd_rec_list l;
    if (lsd_rec_list(s, r, INT64_MIN, INT64_MAX, LSD_REC_SIZES, &l) == 0) {
        o->stored_segments = l.count;
        for (size_t i = 0; i < l.count; i++)
            o->stored_bytes += l.seg[i].bytes;
        lsd_rec_list_free(&l);
    }
}

static const struct {
    const char *name, *type, *help;
    size_t offset;
} fams[] = {
#define F(name, type, field, help) {name, type, help, offsetof(struct rec_snap, field)}
    F("lightstreamd_recording_segments_total", "counter", segments,
      "recording segments opened since the relay started"),
    F("lightstreamd_recording_written_bytes_total", "counter", bytes,
      "MP4 bytes written since the relay started"),
    F("lightstreamd_recording_pauses_total", "counter", pauses,
      "times recording paused for lack of space (each one a gap in the recording)"),
    F("lightstreamd_recording_paused", "gauge", paused, "1 while recording is paused"),
    F("lightstreamd_recording_dropped_audio_frames_total", "counter", dropped_audio,
      "G.711 audio frames not recorded (FFmpeg's MP4 muxer has no sample entry for them)"),
    F("lightstreamd_recording_stored_segments", "gauge", stored_segments,
      "segments in the relay's recordings folder"),
    F("lightstreamd_recording_stored_bytes", "gauge", stored_bytes,
      "bytes of the relay's recorded segments"),
#undef F
};

static void write_daemon(struct lsd_server *s, struct evbuffer *b)
{
    struct statvfs vfs;
    if (statvfs(s->config.recordings_dir, &vfs) == 0) {
        evbuffer_add_printf(b, "# HELP lightstreamd_recordings_free_bytes space left for "
                            "recordings in recordings_dir\n# TYPE lightstreamd_recordings_free_bytes"
                            " gauge\nlightstreamd_recordings_free_bytes %llu\n",
                            (unsigned long long)vfs.f_bavail * vfs.f_frsize);
    }
    evbuffer_add_printf(b, "# HELP lightstreamd_recordings_budget_deleted_bytes_total bytes of "
                        "segments deleted by recordings_max_mib\n# TYPE "
                        "lightstreamd_recordings_budget_deleted_bytes_total counter\n"
                        "lightstreamd_recordings_budget_deleted_bytes_total %llu\n",
                        (unsigned long long)s->rec_totals.deleted_bytes);
}

int lsd_metrics_write_recordings(struct lsd_server *s, struct evbuffer *b)
{
    struct rec_snap *rs = calloc(s->relay_count ? s->relay_count : 1, sizeof(*rs));
    if (!rs)
        return -ENOMEM;
    size_t n = 0;
    for (struct lsd_relay *r = s->relays; r && n < s->relay_count; r = r->next)
        if (r->spec.recording.enabled)
            snap(s, r, &rs[n++]);
    for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
        evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", fams[f].name, fams[f].help,
                            fams[f].name, fams[f].type);
        for (size_t i = 0; i < n; i++)
            evbuffer_add_printf(b, "%s{relay=\"%s\"} %llu\n", fams[f].name, rs[i].id,
                                (unsigned long long)*(const uint64_t *)(const void *)(
                                    (const char *)&rs[i] + fams[f].offset));
    }
    write_daemon(s, b);
    free(rs);
    return 0;
}
