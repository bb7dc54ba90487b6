/*
 * The relay registry: each lsd_relay's spec, and the library relay that runs
 * it. A library relay is made anew at every (re)start and destroyed by the
 * worker thread, so the loop never waits on a camera and an old instance can
 * never be confused with the new one.
 *
 * Lifetimes: the hub's viewers unsubscribe from a library relay on the loop
 * before it is handed to the worker (unsubscribing never waits), so nothing of
 * the hub is touched by the library afterwards; the tags connections still
 * send hold their own references to the library's bodies.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "lightstream/lightstream.h"

#include "daemon/hub.h"
#include "daemon/log.h"
#include "daemon/mailbox.h"
#include "daemon/os.h"
#include "daemon/relays.h"
#include "daemon/relays_private.h"
#include "daemon/server.h"
#include "daemon/state.h"
#include "daemon/worker.h"

struct lsd_relay *lsd_relay_find(struct lsd_server *s, const char *id)
{
    for (struct lsd_relay *r = s->relays; r; r = r->next)
        if (strcmp(r->spec.id, id) == 0)
            return r;
    return NULL;
}

int lsd_server_save(struct lsd_server *s)
{
    const struct lsd_relay_spec **specs = calloc(s->relay_count + 1, sizeof(*specs));
    if (!specs)
        return -ENOMEM;
    size_t n = 0;
    for (struct lsd_relay *r = s->relays; r; r = r->next)
        specs[n++] = &r->spec;
    int ret = lsd_state_save(s->config.data_dir, specs, n, s->compat);
    free(specs);
    if (ret < 0)
        lsd_logf(s->log, LS_LOG_ERROR, "state not saved in %s: %s", s->config.data_dir,
                 strerror(-ret));
    else
        s->expire_wait = 0; /* saving works again: a pending expiry need not wait */
    return ret == -ENOMEM ? ret : ret < 0 ? -EIO : 0;
}

static void unlink_relay(struct lsd_server *s, struct lsd_relay *r)
{
    for (struct lsd_relay **p = &s->relays; *p; p = &(*p)->next) {
        if (*p == r) {
            *p = r->next;
            s->relay_count--;
            return;
        }
    }
}

static void append_relay(struct lsd_server *s, struct lsd_relay *r)
{
    struct lsd_relay **p = &s->relays;
    while (*p)
        p = &(*p)->next;
    r->next = NULL;
    *p = r;
    s->relay_count++;
}

static void idle_fire(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_relay *r = arg;
    (void)fd;
    (void)what;
    if (r->relay && lsd_hub_viewers(r->hub) == 0) {
        lsd_logf(r->server->log, LS_LOG_INFO, "relay %s: no viewer left, disconnecting (on demand)",
                 r->spec.id);
        lsd_relay_instance_stop(r->server, r);
    }
}

/* The hub's listener: its viewer count changed (an on-demand start, or the idle timer). */
static void viewers_changed(void *cookie, unsigned viewers)
{
    struct lsd_relay *r = cookie;
    struct lsd_server *s = r->server;
    if (!r->spec.on_demand || s->stopping)
        return;
    if (viewers > 0) {
        event_del(r->idle_timer);
        if (!r->relay) {
            lsd_logf(s->log, LS_LOG_INFO, "relay %s: first viewer, connecting (on demand)",
                     r->spec.id);
            lsd_relay_instance_start(s, r);
        }
    } else if (r->relay) {
        uint32_t idle = r->spec.idle_s ? r->spec.idle_s : s->config.on_demand_idle_s;
        struct timeval tv = {.tv_sec = idle};
        evtimer_add(r->idle_timer, &tv);
    }
}

static int relay_new(struct lsd_server *s, struct lsd_relay_spec *spec, struct lsd_relay **out)
{
    struct lsd_relay *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->server = s;
    r->rec_output_id = -1;
    r->spec = *spec;
    r->idle_timer = evtimer_new(s->base, idle_fire, r);
    struct lsd_hub_listener listener = {.viewers_changed = viewers_changed, .cookie = r};
    /* r->spec.id stays where it is for r's life (an update replaces the spec in place). */
    int ret = r->idle_timer ? lsd_hub_create(&r->hub, s, r->spec.id, &listener) : -ENOMEM;
    if (ret < 0) {
        if (r->idle_timer)
            event_free(r->idle_timer);
        free(r);
        return ret;
    }
    *out = r;
    return 0;
}

/* The hub can go once the worker has destroyed the last library relay feeding
 * it and every tag that relay posted has been delivered: this runs as the
 * worker's "done" mail, which comes after them. */
static void relay_free_done(struct lsd_server *s, void *arg)
{
    struct lsd_relay *r = arg;
    (void)s;
    lsd_hub_destroy(&r->hub);
    event_free(r->idle_timer);
    lsd_spec_finish(&r->spec);
    free(r->lib_output_ids);
    free(r);
}

static void nothing(void *arg)
{
    (void)arg;
}

static void relay_free(struct lsd_server *s, struct lsd_relay *r)
{
    lsd_hub_close_viewers(r->hub);
    event_del(r->idle_timer);
    lsd_relay_instance_stop(s, r);
    /* Queued behind the instance's destroy job, so it runs after it. */
    if (lsd_worker_queue(s->worker, nothing, relay_free_done, r) < 0) {
        /* Out of memory: the subscriber is gone already, so going behind the
         * tags it posted is enough; wait for memory rather than free early. */
        while (lsd_mailbox_post(s->mailbox, relay_free_done, r) < 0)
            usleep(10000);
    }
}

static void set_created(struct lsd_relay_spec *spec)
{
    if (!spec->created_ms)
        spec->created_ms = lsd_wall_ms();
    if (spec->lease_s && !spec->lease_deadline_ms)
        spec->lease_deadline_ms = lsd_wall_ms() + (int64_t)spec->lease_s * 1000;
    if (!spec->lease_s)
        spec->lease_deadline_ms = 0;
}

int lsd_relay_add(struct lsd_server *s, struct lsd_relay_spec *spec, struct lsd_relay **out)
{
    if (lsd_relay_find(s, spec->id))
        return -EEXIST;
    if (s->relay_count >= s->config.max_relays)
        return -ENOSPC;
    set_created(spec);
    struct lsd_relay *r;
    int ret = relay_new(s, spec, &r);
    if (ret < 0)
        return ret;
    append_relay(s, r);
    if (!s->loading && (ret = lsd_server_save(s)) < 0) {
        unlink_relay(s, r);
        lsd_spec_init(&r->spec); /* the spec stays the caller's */
        relay_free(s, r);
        return ret;
    }
    char shown[LSD_URL_MAX];
    ls_url_redact(r->spec.source, shown, sizeof(shown));
    lsd_logf(s->log, LS_LOG_INFO, "relay %s added: %s%s", r->spec.id, shown,
             r->spec.on_demand ? " (on demand)" : "");
    if (!r->spec.on_demand)
        lsd_relay_instance_start(s, r);
    if (out)
        *out = r;
    return 0;
}

/* What the running instance is made of: a change there means a restart;
 * a new name, lease or idle delay does not interrupt the viewers. */
static bool needs_restart(const struct lsd_relay_spec *a, const struct lsd_relay_spec *b)
{
    if (strcmp(a->source, b->source) || a->transport != b->transport || a->audio != b->audio ||
        a->hevc != b->hevc || a->engine != b->engine || a->on_demand != b->on_demand ||
        a->output_count != b->output_count || !lsd_recording_equal(&a->recording, &b->recording))
        return true;
    for (size_t i = 0; i < a->output_count; i++)
        if (a->outputs[i].id != b->outputs[i].id || strcmp(a->outputs[i].url, b->outputs[i].url))
            return true;
    return false;
}

int lsd_relay_update(struct lsd_server *s, struct lsd_relay *r, struct lsd_relay_spec *spec)
{
    struct lsd_relay_spec old = r->spec;
    set_created(spec);
    r->spec = *spec;
    int ret = lsd_server_save(s);
    if (ret < 0) {
        r->spec = old;
        return ret;
    }
    bool restart = needs_restart(&old, &r->spec);
    lsd_spec_finish(&old);
    char shown[LSD_URL_MAX];
    ls_url_redact(r->spec.source, shown, sizeof(shown));
    lsd_logf(s->log, LS_LOG_INFO, "relay %s updated: %s%s", r->spec.id, shown,
             restart ? "" : " (no restart needed)");
    if (restart)
        lsd_relay_restart(s, r); /* a start failure is logged and shown in the relay's state */
    else if (!r->spec.on_demand && !r->relay)
        lsd_relay_instance_start(s, r);
    return 0;
}

int lsd_relay_restart(struct lsd_server *s, struct lsd_relay *r)
{
    lsd_relay_instance_stop(s, r);
    if (!r->spec.on_demand || lsd_hub_viewers(r->hub) > 0)
        return lsd_relay_instance_start(s, r);
    return 0;
}

int lsd_relay_remove(struct lsd_server *s, struct lsd_relay *r)
{
    unlink_relay(s, r);
    int ret = lsd_server_save(s);
    if (ret < 0) {
        append_relay(s, r); /* not removed: order changes, the relay stays */
        return ret;
    }
    lsd_logf(s->log, LS_LOG_INFO, "relay %s removed", r->spec.id);
    relay_free(s, r);
    return 0;
}

int lsd_relay_renew_lease(struct lsd_server *s, struct lsd_relay *r, uint32_t seconds)
{
    uint32_t lease = seconds ? seconds : r->spec.lease_s;
    if (!lease)
        return -EINVAL;
    int64_t old = r->spec.lease_deadline_ms;
    r->spec.lease_deadline_ms = lsd_wall_ms() + (int64_t)lease * 1000;
    int ret = lsd_server_save(s);
    if (ret < 0)
        r->spec.lease_deadline_ms = old;
    return ret;
}

/* An expiry that cannot be saved (disk full, state directory gone) is tried
 * again after 2, 4, 8 ... 64 ticks, not on every tick: each try costs a
 * state write and two log lines, and the cause rarely goes away in a second. */
#define EXPIRE_DELAY_MAX 64

static void expire_failed(struct lsd_server *s, const struct lsd_relay *r)
{
    s->expire_delay = s->expire_delay ? s->expire_delay * 2 : 2;
    if (s->expire_delay > EXPIRE_DELAY_MAX)
        s->expire_delay = EXPIRE_DELAY_MAX;
    s->expire_wait = s->expire_delay - 1;
    lsd_logf(s->log, LS_LOG_WARN, "relay %s: lease expired, kept until the state can be saved; "
             "next try in %u s", r->spec.id, s->expire_delay);
}

/* Leases run on wall-clock time, so that they also hold across a restart. */
void lsd_relays_expire(struct lsd_server *s)
{
    if (s->expire_wait) {
        s->expire_wait--;
        return;
    }
    int64_t now = lsd_wall_ms();
    struct lsd_relay *r = s->relays, *next;
    for (; r; r = next) {
        next = r->next;
        if (r->spec.lease_deadline_ms && now >= r->spec.lease_deadline_ms) {
            if (!s->expire_delay)
                lsd_logf(s->log, LS_LOG_INFO, "relay %s: lease expired", r->spec.id);
            /* Not saved: the relay went back to the list's end; walking on
             * could meet it again. */
            if (lsd_relay_remove(s, r) < 0) {
                expire_failed(s, r);
                return;
            }
            s->expire_delay = 0;
        }
    }
}

void lsd_relays_destroy_all(struct lsd_server *s)
{
    while (s->relays) {
        struct lsd_relay *r = s->relays;
        unlink_relay(s, r);
        relay_free(s, r);
    }
}

/* Generated ids: "r" and 8 hex digits, unused. */
int lsd_relay_make_id(struct lsd_server *s, char *out, size_t size)
{
    for (int tries = 0; tries < 100; tries++) {
        uint32_t v;
        if (lsd_random(&v, sizeof(v)) < 0)
            return -EIO;
        snprintf(out, size, "r%08x", v);
        if (!lsd_relay_find(s, out))
            return 0;
    }
    return -EEXIST;
}

int lsd_relay_add_output(struct lsd_server *s, struct lsd_relay *r, const char *url, int *out_id)
{
    if (r->spec.output_count >= LSD_MAX_OUTPUTS)
        return -ENOSPC;
    if (!lsd_spec_output_valid(url))
        return -EINVAL;
    size_t i = r->spec.output_count;
    struct lsd_output_spec *o = &r->spec.outputs[i];
    o->id = r->spec.next_output_id++;
    snprintf(o->url, sizeof(o->url), "%s", url);
    r->spec.output_count++;
    int ret = lsd_server_save(s);
    if (ret < 0) {
        r->spec.output_count--;
        r->spec.next_output_id--;
        return ret;
    }
    lsd_relay_instance_add_output(s, r, i);
    if (out_id)
        *out_id = o->id;
    return 0;
}

int lsd_relay_remove_output(struct lsd_server *s, struct lsd_relay *r, int output_id)
{
    size_t i = 0;
    while (i < r->spec.output_count && r->spec.outputs[i].id != output_id)
        i++;
    if (i == r->spec.output_count)
        return -ENOENT;
    struct lsd_output_spec removed = r->spec.outputs[i];
    size_t tail = r->spec.output_count - i - 1;
    memmove(&r->spec.outputs[i], &r->spec.outputs[i + 1], tail * sizeof(r->spec.outputs[0]));
    r->spec.output_count--;
    int ret = lsd_server_save(s);
    if (ret < 0) {
        memmove(&r->spec.outputs[i + 1], &r->spec.outputs[i], tail * sizeof(r->spec.outputs[0]));
        r->spec.outputs[i] = removed;
        r->spec.output_count++;
        return ret;
    }
    lsd_relay_instance_remove_output(s, r, i);
    if (i < r->lib_output_cap) {
        size_t ltail = r->lib_output_cap - i - 1;
        memmove(&r->lib_output_ids[i], &r->lib_output_ids[i + 1], ltail * sizeof(int));
        r->lib_output_ids[r->lib_output_cap - 1] = -1;
    }
    return 0;
}

/* A state file we cannot read as a whole is kept aside, never overwritten:
 * the user may want what is in it. The daemon starts empty. */
static int set_aside(struct lsd_server *s, const char *why)
{
    char path[1024], bad[1100];
    snprintf(path, sizeof(path), "%s/state.json", s->config.data_dir);
    snprintf(bad, sizeof(bad), "%s.bad-%lld", path, (long long)(lsd_wall_ms() / 1000));
    if (rename(path, bad) < 0) {
        lsd_logf(s->log, LS_LOG_ERROR, "state: %s: %s, and it cannot be moved aside: %s", path,
                 why, strerror(errno));
        return -errno;
    }
    lsd_logf(s->log, LS_LOG_ERROR, "state: %s: %s; moved to %s, starting with no relay", path,
             why, bad);
    return 0;
}

int lsd_relays_restore(struct lsd_server *s)
{
    struct lsd_state st;
    char err[1024] = "";
    int ret = lsd_state_load(&st, s->config.data_dir, err, sizeof(err));
    if (ret == -EINVAL)
        return set_aside(s, err);
    if (ret < 0) {
        lsd_logf(s->log, LS_LOG_ERROR, "state: %s", err);
        return ret;
    }
    if (err[0])
        lsd_logf(s->log, LS_LOG_ERROR, "state: %s", err);
    json_decref(s->compat);
    s->compat = st.compat;
    st.compat = NULL;
    s->loading = true;
    int64_t now = lsd_wall_ms();
    for (size_t i = 0; i < st.count; i++) {
        struct lsd_relay_spec *spec = &st.relays[i];
        if (spec->lease_deadline_ms && spec->lease_deadline_ms <= now) {
            lsd_logf(s->log, LS_LOG_INFO, "relay %s: lease ran out while stopped", spec->id);
            continue; /* finished below */
        }
        if (lsd_relay_add(s, spec, NULL) == 0)
            lsd_spec_init(spec); /* now the registry's */
    }
    s->loading = false;
    lsd_logf(s->log, LS_LOG_INFO, "state: %zu relay(s) restored from %s/state.json",
             s->relay_count, s->config.data_dir);
    bool dropped = st.count != s->relay_count;
    lsd_state_finish(&st);
    /* Relays dropped above (expired, invalid) are gone from the file too. */
    return dropped || err[0] ? lsd_server_save(s) : 0;
}
