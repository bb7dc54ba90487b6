/*
 * The recording output of a relay (rec_output.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lightstream/lightstream.h"

#include "daemon/log.h"
#include "daemon/rec_output.h"
#include "daemon/rec_retention.h"
#include "daemon/relay.h"
#include "daemon/server.h"

int lsd_rec_dir(const struct lsd_server *s, const char *id, char *out, size_t size)
{
    int n = snprintf(out, size, "%s/%s", s->config.recordings_dir, id);
    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

static void fill_settings(const struct lsd_recording_spec *rec, struct ls_output_settings *os)
{
    ls_output_default_settings(os);
    os->recording.segment_ms = rec->segment_s * 1000;
    os->recording.max_age_s = rec->max_age_s;
    os->recording.max_bytes = rec->max_bytes;
}

int lsd_rec_attach(struct lsd_server *s, struct lsd_relay *r)
{
    r->rec_output_id = -1;
    r->rec_writing[0] = '\0';
    if (!r->relay || !r->spec.recording.enabled)
        return 0;
    char dir[PATH_MAX], real[PATH_MAX], target[PATH_MAX + 80];
    int ret = lsd_rec_dir(s, r->spec.id, dir, sizeof(dir));
    if (ret == 0 && mkdir(dir, 0750) < 0 && errno != EEXIST)
        ret = -errno;
    /* The library gets the real folder: a symlink swapped in later changes nothing. */
    if (ret == 0 && !realpath(dir, real))
        ret = -errno;
    if (ret == 0 && snprintf(target, sizeof(target), "mp4:%s/%s.mp4", real, r->spec.id) >=
                        (int)sizeof(target))
        ret = -ENAMETOOLONG;
    struct ls_output_settings os;
    fill_settings(&r->spec.recording, &os);
    if (ret == 0)
        ret = ls_relay_add_output(r->relay, target, &os, &r->rec_output_id);
    if (ret < 0) {
        r->rec_output_id = -1;
        lsd_logf(s->log, LS_LOG_ERROR, "relay %s: not recording into %s: %s", r->spec.id, dir,
                 ls_strerror(ret));
    }
    return ret;
}

void lsd_rec_on_event(struct lsd_server *s, struct lsd_relay *r, const struct ls_event *ev,
                      const char *message)
{
    if (ev->output_id != r->rec_output_id || r->rec_output_id < 0)
        return;
    const char *slash = strrchr(message, '/');
    const char *name = slash ? slash + 1 : message;
    switch (ev->type) {
    case LS_EVENT_SEGMENT_OPENED:
        snprintf(r->rec_writing, sizeof(r->rec_writing), "%s", name);
        break;
    case LS_EVENT_SEGMENT_CLOSED:
        if (strcmp(r->rec_writing, name) == 0)
            r->rec_writing[0] = '\0';
        lsd_rec_retention_run(s); /* the global budget, now that a segment is final */
        break;
    case LS_EVENT_RECORDING_PAUSED:
        lsd_logf(s->log, LS_LOG_WARN, "relay %s: recording paused: %s", r->spec.id,
                 ls_strerror(ev->error));
        break;
    case LS_EVENT_RECORDING_RESUMED:
        lsd_logf(s->log, LS_LOG_INFO, "relay %s: recording resumed", r->spec.id);
        break;
    default:
        break;
    }
}
