/*
 * A relay's running instance: the library relay made from its spec, with the
 * spec's outputs and the hub's subscriber, and the events it reports.
 *
 * Library events arrive on library threads: they are copied and posted to
 * the loop, tagged with the relay's id and the instance's generation, so an
 * event from an instance already stopped (or a relay already removed) is
 * recognised and dropped.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon/hub.h"
#include "daemon/log.h"
#include "daemon/mailbox.h"
#include "daemon/os.h"
#include "daemon/rec_output.h"
#include "daemon/recordings.h"
#include "daemon/relays.h"
#include "daemon/relays_private.h"
#include "daemon/server.h"
#include "daemon/worker.h"

/* What the library's callback needs: alive until the instance is destroyed. */
struct instance_ctx {
    struct lsd_server *server;
    unsigned generation;
    char id[LSD_ID_MAX + 1];
};

struct event_mail {
    unsigned generation;
    char id[LSD_ID_MAX + 1];
    struct ls_event ev;
    char message[PATH_MAX + 64]; /* a segment's path, for recording events */
};

static void on_event_loop(struct lsd_server *s, void *arg)
{
    struct event_mail *m = arg;
    struct lsd_relay *r = lsd_relay_find(s, m->id);
    if (r && r->relay && r->generation == m->generation) {
        if (m->ev.type == LS_EVENT_STATE) {
            r->state = m->ev.state;
            if (m->ev.error)
                snprintf(r->last_error, sizeof(r->last_error), "%s", m->message);
            else if (m->ev.state == LS_STATE_STREAMING)
                r->last_error[0] = '\0';
        } else {
            lsd_rec_on_event(s, r, &m->ev, m->message);
        }
    }
    free(m);
}

static void on_event(void *user_data, struct ls_relay *relay, const struct ls_event *ev)
{
    struct instance_ctx *ctx = user_data;
    (void)relay;
    struct event_mail *m = calloc(1, sizeof(*m));
    if (!m)
        return;
    m->generation = ctx->generation;
    memcpy(m->id, ctx->id, sizeof(m->id));
    m->ev = *ev;
    snprintf(m->message, sizeof(m->message), "%s", ev->message ? ev->message : "");
    m->ev.message = NULL;
    if (lsd_mailbox_post(ctx->server->mailbox, on_event_loop, m) < 0)
        free(m);
}

/* Library messages name the camera but not the relay: prefix its id. */
static void instance_log(void *cookie, enum ls_log_level level, const char *message)
{
    struct instance_ctx *ctx = cookie;
    lsd_logf(ctx->server->log, level, "relay %s: %s", ctx->id, message);
}

static void fill_settings(struct lsd_server *s, struct lsd_relay *r, struct instance_ctx *ctx,
                          struct ls_relay_settings *st)
{
    ls_relay_default_settings(st);
    st->input_url = r->spec.source;
    st->transport = r->spec.transport;
    st->audio = r->spec.audio;
    st->hevc = r->spec.hevc;
    st->engine = r->spec.engine;
    st->gop_cache_max_bytes = s->config.gop_cache_max_bytes;
    st->io = s->io;
    st->logger.cookie = ctx;
    st->logger.callback = instance_log;
    st->logger.level = lsd_log_level(s->log);
    st->on_event = on_event;
    st->user_data = ctx;
}

static int reserve_outputs(struct lsd_relay *r, size_t n)
{
    if (n <= r->lib_output_cap)
        return 0;
    int *ids = realloc(r->lib_output_ids, n * sizeof(*ids));
    if (!ids)
        return -ENOMEM;
    r->lib_output_ids = ids;
    r->lib_output_cap = n;
    return 0;
}

int lsd_relay_instance_add_output(struct lsd_server *s, struct lsd_relay *r, size_t index)
{
    int ret = reserve_outputs(r, index + 1);
    if (ret < 0)
        return ret;
    r->lib_output_ids[index] = -1;
    if (!r->relay)
        return 0;
    /* The last word on where a file goes: whatever the spec came from (API, an older
     * state file), the library gets a path inside the recordings directory or nothing. */
    const char *target = r->spec.outputs[index].url;
    char path[PATH_MAX], why[PATH_MAX + 256];
    if (lsd_output_is_file(target)) {
        ret = lsd_recordings_resolve(s->config.recordings_dir, target, path, sizeof(path), why,
                                     sizeof(why));
        if (ret < 0) {
            r->lib_output_ids[index] = LSD_OUTPUT_REFUSED;
            lsd_logf(s->log, LS_LOG_ERROR, "relay %s: output %d refused: %s", r->spec.id,
                     r->spec.outputs[index].id, why);
            return ret;
        }
        target = path;
    }
    ret = ls_relay_add_output(r->relay, target, NULL, &r->lib_output_ids[index]);
    if (ret < 0)
        lsd_logf(s->log, LS_LOG_ERROR, "relay %s: output %s not added: %s", r->spec.id,
                 r->spec.outputs[index].url, ls_strerror(ret));
    return ret;
}

int lsd_relay_instance_start(struct lsd_server *s, struct lsd_relay *r)
{
    if (r->relay)
        return 0;
    struct instance_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return -ENOMEM;
    ctx->server = s;
    /* Server-wide: a relay deleted and made again under the same id must not
     * take the old instance's late events for its own. */
    ctx->generation = r->generation = ++s->generations;
    memcpy(ctx->id, r->spec.id, sizeof(ctx->id));
    struct ls_relay_settings st;
    fill_settings(s, r, ctx, &st);
    int ret = ls_relay_create(&r->relay, &st);
    if (ret < 0)
        goto fail;
    r->ctx = ctx;
    if ((ret = lsd_log_watch_url(s->log, ctx, r->spec.source)) < 0)
        goto fail;
    for (size_t i = 0; i < r->spec.output_count; i++)
        lsd_relay_instance_add_output(s, r, i); /* a bad output must not stop the relay */
    lsd_rec_attach(s, r); /* nor a recording that cannot start */
    lsd_hub_attach(r->hub, r->relay); /* the viewers subscribe */
    if ((ret = ls_relay_start(r->relay)) < 0)
        goto fail;
    r->state = LS_STATE_CONNECTING;
    r->started_at_ms = lsd_wall_ms();
    lsd_logf(s->log, LS_LOG_DEBUG, "relay %s: started (instance %u)", r->spec.id, ctx->generation);
    return 0;
fail:
    lsd_logf(s->log, LS_LOG_ERROR, "relay %s: cannot start: %s", r->spec.id, ls_strerror(ret));
    lsd_hub_detach(r->hub);
    ls_relay_destroy(&r->relay); /* not started: returns at once */
    lsd_log_unwatch(s->log, ctx);
    r->ctx = NULL;
    free(ctx);
    return ret;
}

struct destroy_job {
    struct ls_relay *relay;
    struct instance_ctx *ctx;
};

static void destroy_work(void *arg)
{
    struct destroy_job *j = arg;
    ls_relay_destroy(&j->relay);
}

/* FFmpeg logs nothing more for a destroyed instance: its password can go. */
static void destroy_done(struct lsd_server *s, void *arg)
{
    struct destroy_job *j = arg;
    lsd_log_unwatch(s->log, j->ctx);
    free(j->ctx);
    free(j);
}

void lsd_relay_instance_stop(struct lsd_server *s, struct lsd_relay *r)
{
    if (!r->relay)
        return;
    /* Unsubscribing never waits: the viewers stay, without a subscription, until
     * the next instance. */
    lsd_hub_detach(r->hub);
    struct destroy_job *j = calloc(1, sizeof(*j));
    if (j) {
        j->relay = r->relay;
        j->ctx = r->ctx;
    }
    if (!j || lsd_worker_queue(s->worker, destroy_work, destroy_done, j) < 0) {
        ls_relay_destroy(&r->relay); /* out of memory: block the loop rather than leak */
        lsd_log_unwatch(s->log, r->ctx);
        free(r->ctx);
        free(j);
    }
    r->relay = NULL;
    r->ctx = NULL;
    r->state = LS_STATE_STOPPED;
    r->started_at_ms = 0;
    r->rec_output_id = -1;
    r->rec_writing[0] = '\0';
    event_del(r->idle_timer);
}

struct remove_job {
    struct ls_relay *relay;
    int id;
};

static void remove_work(void *arg)
{
    struct remove_job *j = arg;
    ls_relay_remove_output(j->relay, j->id);
}

static void remove_done(struct lsd_server *s, void *arg)
{
    (void)s;
    free(arg);
}

void lsd_relay_instance_remove_output(struct lsd_server *s, struct lsd_relay *r, size_t index)
{
    if (!r->relay || index >= r->lib_output_cap || r->lib_output_ids[index] < 0)
        return;
    struct remove_job *j = calloc(1, sizeof(*j));
    if (!j)
        return;
    j->relay = r->relay;
    j->id = r->lib_output_ids[index];
    /* Queued before any destroy of this instance, so the relay is still alive then. */
    if (lsd_worker_queue(s->worker, remove_work, remove_done, j) < 0)
        free(j);
}
