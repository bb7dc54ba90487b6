/*
 * The daemon's etcd client (daemon/etcd*.c) against a real etcd: every call
 * the daemon has, in one chain on a libevent loop, each reply checked, and a
 * watch that must see exactly the changes made. Run by test_cluster.py with
 * the endpoints of its etcd (a dead one first: the calls fail over).
 *
 *   etcd_probe PREFIX ENDPOINT...     exit 0 and "etcd_probe: ok", or 1 and why
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon/etcd.h"

struct probe {
    struct event_base *base;
    struct lsd_etcd *etcd;
    struct lsd_etcd_watch *watch;
    char prefix[128], k1[160], k2[160];
    int step;
    int64_t lease;
    int failed;
    char events[512];      /* "P:<key> D:<key> ..." as the watch saw them */
    struct event *timeout;
};

static void next(struct probe *p);
static void on_reply(void *arg, int err, json_t *r);

static void fail(struct probe *p, const char *what, int err)
{
    fprintf(stderr, "etcd_probe: step %d (%s) failed: %s\n", p->step, what,
            err ? strerror(-err) : "unexpected reply");
    p->failed = 1;
    event_base_loopbreak(p->base);
}

static void on_event(void *arg, int err, int64_t rev, const struct lsd_etcd_event *ev, size_t n)
{
    struct probe *p = arg;
    (void)rev;
    if (err < 0)
        return;
    if (p->step < 0) { /* the watch is created: now the changes it must see */
        p->step = 0;
        if (lsd_etcd_lease_grant(p->etcd, 30, on_reply, p) < 0)
            fail(p, "grant", -ENOMEM);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(p->events);
        snprintf(p->events + len, sizeof(p->events) - len, "%s:%s ", ev[i].deleted ? "D" : "P",
                 ev[i].kv.key + strlen(p->prefix));
    }
    if (p->step == 9 && strstr(p->events, "D:k2 "))
        next(p); /* the revoked lease took k2 with it */
}

static void on_watch_end(void *arg, int err)
{
    struct probe *p = arg;
    p->watch = NULL;
    fail(p, "watch ended", err);
}

static int succeeded(json_t *r)
{
    return json_is_true(json_object_get(r, "succeeded"));
}

/* Every reply comes here; the step says what it must be. */
static void on_reply(void *arg, int err, json_t *r)
{
    struct probe *p = arg;
    int64_t v = 0;
    json_t *kvs = err ? NULL : json_object_get(r, "kvs");
    struct lsd_etcd_kv kv = {0};
    int ok = err == 0;
    switch (p->step) {
    case 0: ok = ok && lsd_etcd_int64(r, "ID", &p->lease) == 0 && p->lease != 0; break;
    case 1: ok = ok && succeeded(r); break;                   /* created */
    case 2: ok = ok && !succeeded(r); break;                  /* exists: not written */
    case 3: case 5: break;                                    /* put, delete */
    case 4:
        ok = ok && json_array_size(kvs) == 2 &&
             lsd_etcd_kv_parse(json_array_get(kvs, 1), &kv) == 0 && strcmp(kv.key, p->k2) == 0 &&
             kv.value_len == 3 && memcmp(kv.value, "a\0b", 3) == 0 && kv.lease == p->lease;
        lsd_etcd_kv_clear(&kv);
        break;
    case 6: ok = ok && lsd_etcd_int64(r, "TTL", &v) == 0 && v > 0; break;
    case 7: break;                                            /* revoked */
    case 8: ok = ok && lsd_etcd_int64(r, "TTL", &v) == 0 && v == 0; break; /* gone */
    }
    if (!ok) {
        fail(p, "reply", err);
        return;
    }
    next(p);
}

static void next(struct probe *p)
{
    struct lsd_etcd *e = p->etcd;
    int ret = 0;
    switch (p->step++) {
    case 0: ret = lsd_etcd_create_if_absent(e, p->k1, "v1", 2, p->lease, on_reply, p); break;
    case 1: ret = lsd_etcd_create_if_absent(e, p->k1, "v2", 2, 0, on_reply, p); break;
    case 2: ret = lsd_etcd_put(e, p->k2, "a\0b", 3, p->lease, on_reply, p); break;
    case 3: ret = lsd_etcd_range_prefix(e, p->prefix, on_reply, p); break;
    case 4: ret = lsd_etcd_delete(e, p->k1, on_reply, p); break;
    case 5: ret = lsd_etcd_lease_keepalive(e, p->lease, on_reply, p); break;
    case 6: ret = lsd_etcd_lease_revoke(e, p->lease, on_reply, p); break;
    case 7: /* the watch's D:k2 calls next, unless it came before the revoke's reply */
        p->step++;
        if (strstr(p->events, "D:k2 "))
            next(p);
        break;
    case 9: ret = lsd_etcd_lease_keepalive(e, p->lease, on_reply, p); break;
    case 10:
        if (strcmp(p->events, "P:k1 P:k2 D:k1 D:k2 ") != 0) {
            fprintf(stderr, "etcd_probe: the watch saw \"%s\"\n", p->events);
            p->failed = 1;
        }
        event_base_loopbreak(p->base);
        break;
    }
    if (ret < 0)
        fail(p, "call", ret);
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    fail(arg, "timeout", -ETIMEDOUT);
}

int main(int argc, char **argv)
{
    struct probe p = {.step = -1};
    if (argc < 3) {
        fprintf(stderr, "usage: etcd_probe PREFIX ENDPOINT...\n");
        return 2;
    }
    snprintf(p.prefix, sizeof(p.prefix), "%s", argv[1]);
    snprintf(p.k1, sizeof(p.k1), "%sk1", p.prefix);
    snprintf(p.k2, sizeof(p.k2), "%sk2", p.prefix);
    p.base = event_base_new();
    p.timeout = p.base ? evtimer_new(p.base, on_timeout, &p) : NULL;
    struct timeval tv = {10, 0};
    if (!p.timeout || evtimer_add(p.timeout, &tv) < 0 ||
        lsd_etcd_create(&p.etcd, p.base, (const char *const *)argv + 2, (size_t)argc - 2,
                        1000) < 0 ||
        lsd_etcd_watch_prefix(p.etcd, p.prefix, 0, on_event, on_watch_end, &p, &p.watch) < 0) {
        fprintf(stderr, "etcd_probe: cannot start\n");
        return 1;
    }
    event_base_dispatch(p.base);
    lsd_etcd_watch_cancel(&p.watch);
    lsd_etcd_destroy(&p.etcd);
    event_free(p.timeout);
    event_base_free(p.base);
    if (!p.failed)
        printf("etcd_probe: ok (%s)\n", p.events);
    return p.failed;
}
