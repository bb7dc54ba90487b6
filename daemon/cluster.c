/*
 * Fleet mode: this node's lease, its registration and its fencing.
 *
 * The rule that makes "one puller per camera" possible later: a node stops
 * its work before its lease can expire. The lease lives at least TTL after
 * etcd last renewed it, and etcd renewed it after we sent that keep-alive,
 * so counting from the keep-alive's send time is safe; with no success for
 * TTL - 1 s the node fences itself (one second for the relays to stop) and
 * starts over with a new lease once etcd answers again.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/cluster_private.h"
#include "daemon/log.h"
#include "daemon/os.h"
#include "daemon/relays_private.h"
#include "daemon/server.h"

#define TICK_MS 100
#define RETRY_MS 500
#define FENCE_MARGIN_MS 1000 /* what the relays get to stop before the lease can expire */

int64_t lsd_cluster_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void lsd_cluster_note(struct lsd_cluster *c, int err)
{
    bool reached = err != -ECONNREFUSED && err != -ETIMEDOUT;
    if (reached != c->reachable)
        lsd_logf(c->s->log, reached ? LS_LOG_INFO : LS_LOG_WARN, "cluster: etcd %s%s%s",
                 reached ? "reachable again at " : "unreachable: ",
                 reached ? lsd_etcd_endpoint(c->etcd) : "",
                 reached ? "" : "no endpoint answered");
    c->reachable = reached;
    c->last_err = err;
}

/* The hook of fencing: the next step (relays owned through etcd) stops them here. Today
 * no relay is placed through etcd, so there is nothing to stop. */
static void stop_owned_relays(struct lsd_cluster *c)
{
    (void)c;
}

static void fence(struct lsd_cluster *c, const char *why)
{
    lsd_logf(c->s->log, LS_LOG_WARN, "cluster: node %s fenced (%s); rejoining with a new lease",
             c->node, why);
    stop_owned_relays(c);
    if (c->lease) /* best effort: if it reaches etcd the key goes at once, else it expires */
        lsd_etcd_lease_revoke(c->etcd, c->lease, NULL, NULL);
    c->lease = 0;
    c->state = LSD_CLUSTER_FENCED;
    c->fences++;
    c->fenced_at_ms = lsd_wall_ms();
    c->next_grant_ms = 0;
}

/* Three keep-alives within the fencing window (not within the TTL): one slow or lost
 * answer must not fence a node whose etcd is fine. */
static int64_t keepalive_every(const struct lsd_cluster *c)
{
    int64_t window = c->ttl_ms - FENCE_MARGIN_MS;
    return (window > 300 ? window : 300) / 3;
}

/* The rule: no success sent within the last TTL - 1 s, and the node fences. */
static bool check_fence(struct lsd_cluster *c, int64_t now)
{
    if (!c->lease || now - c->lease_ok_ms < c->ttl_ms - FENCE_MARGIN_MS)
        return false;
    char why[96];
    snprintf(why, sizeof(why), "no keep-alive succeeded for %" PRId64 " ms", now - c->lease_ok_ms);
    fence(c, why);
    return true;
}

static int node_value(struct lsd_cluster *c, char **text)
{
    json_t *v = json_pack("{s:s, s:I, s:I}", "advertise_url", c->advertise,
                          "started", (json_int_t)c->s->started_at_ms,
                          "relays", (json_int_t)c->s->relay_count);
    *text = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(v);
    return *text ? 0 : -ENOMEM;
}

static void on_put(void *arg, int err, json_t *reply)
{
    struct lsd_cluster *c = arg;
    (void)reply;
    c->put_busy = false;
    lsd_cluster_note(c, err);
    if (c->put_lease != c->lease)
        return; /* fenced while it was on its way: the new lease writes its own */
    if (err < 0) {
        lsd_logf(c->s->log, LS_LOG_DEBUG, "cluster: writing %s: %s", c->key, strerror(-err));
        c->published_relays = SIZE_MAX; /* not written: the next keep-alive writes again */
        return;
    }
    if (c->state != LSD_CLUSTER_REGISTERED)
        lsd_logf(c->s->log, LS_LOG_INFO, "cluster: node %s registered (%s, lease TTL %" PRId64
                 " s)", c->node, c->advertise, c->ttl_ms / 1000);
    c->state = LSD_CLUSTER_REGISTERED;
}

/* Write our node key under the lease (again when the relay count changed). */
static void publish(struct lsd_cluster *c)
{
    char *text;
    if (c->put_busy || !c->lease || node_value(c, &text) < 0)
        return;
    size_t relays = c->s->relay_count;
    if (lsd_etcd_put(c->etcd, c->key, text, strlen(text), c->lease, on_put, c) == 0) {
        c->put_busy = true;
        c->put_lease = c->lease;
        c->published_relays = relays;
    }
    free(text);
}

static void on_grant(void *arg, int err, json_t *reply)
{
    struct lsd_cluster *c = arg;
    int64_t id = 0, ttl = 0;
    c->grant_busy = false;
    lsd_cluster_note(c, err);
    if (err == 0 && (lsd_etcd_int64(reply, "ID", &id) < 0 ||
                     lsd_etcd_int64(reply, "TTL", &ttl) < 0 || id == 0 || ttl <= 0))
        err = -EIO;
    if (err < 0) {
        c->next_grant_ms = lsd_cluster_now_ms() + RETRY_MS;
        return;
    }
    c->lease = id;
    c->lease_ok_ms = c->ka_sent_ms; /* the grant's send time */
    c->next_keepalive_ms = c->lease_ok_ms + keepalive_every(c);
    publish(c);
}

static void on_keepalive(void *arg, int err, json_t *reply)
{
    struct lsd_cluster *c = arg;
    int64_t ttl = 0;
    c->keepalive_busy = false;
    lsd_cluster_note(c, err);
    if (!c->lease || c->ka_lease != c->lease)
        return; /* fenced meanwhile: this answer is about the old lease */
    if (err == -ENOENT || (err == 0 && (lsd_etcd_int64(reply, "TTL", &ttl) < 0 || ttl <= 0))) {
        fence(c, "etcd says the lease is gone");
        return;
    }
    if (err < 0)
        return; /* the tick sends the next one; fencing counts from the last success */
    c->lease_ok_ms = c->ka_sent_ms;
    /* An answer to a keep-alive sent before a freeze comes too late to count. */
    if (check_fence(c, lsd_cluster_now_ms()))
        return;
    if (c->s->relay_count != c->published_relays || c->state != LSD_CLUSTER_REGISTERED)
        publish(c);
}

static void lease_tick(struct lsd_cluster *c, int64_t now)
{
    check_fence(c, now);
    if (!c->lease && !c->grant_busy && now >= c->next_grant_ms) {
        c->ka_sent_ms = now;
        c->grant_busy = lsd_etcd_lease_grant(c->etcd, (unsigned)(c->ttl_ms / 1000), on_grant,
                                             c) == 0;
    } else if (c->lease && !c->keepalive_busy && now >= c->next_keepalive_ms) {
        c->ka_sent_ms = now;
        c->next_keepalive_ms = now + keepalive_every(c);
        c->ka_lease = c->lease;
        c->keepalive_busy = lsd_etcd_lease_keepalive(c->etcd, c->lease, on_keepalive, c) == 0;
    }
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_cluster *c = arg;
    (void)fd;
    (void)what;
    int64_t now = lsd_cluster_now_ms();
    lease_tick(c, now);
    lsd_cluster_nodes_tick(c, now);
}

static int names(struct lsd_cluster *c)
{
    const struct lsd_config *cfg = &c->s->config;
    const struct lsd_cluster_config *cc = &cfg->cluster;
    if (cc->node[0])
        snprintf(c->node, sizeof(c->node), "%s", cc->node);
    else if (gethostname(c->node, sizeof(c->node)) < 0)
        c->node[0] = '\0';
    c->node[sizeof(c->node) - 1] = '\0';
    if (!lsd_cluster_node_valid(c->node)) {
        lsd_logf(c->s->log, LS_LOG_ERROR, "cluster: the host name is no valid node name: "
                 "set cluster.node");
        return -EINVAL;
    }
    snprintf(c->nodes_prefix, sizeof(c->nodes_prefix), "%snodes/", cc->prefix);
    snprintf(c->key, sizeof(c->key), "%s%s", c->nodes_prefix, c->node);
    if (cc->advertise_url[0])
        snprintf(c->advertise, sizeof(c->advertise), "%s", cc->advertise_url);
    else
        snprintf(c->advertise, sizeof(c->advertise), strchr(cfg->listen, ':') ?
                 "http://[%s]:%u" : "http://%s:%u", cfg->listen, c->s->bound_port);
    return 0;
}

int lsd_cluster_create(struct lsd_cluster **out, struct lsd_server *s)
{
    const struct lsd_cluster_config *cc = &s->config.cluster;
    *out = NULL;
    if (!cc->enabled)
        return 0;
    struct lsd_cluster *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->s = s;
    c->ttl_ms = (int64_t)cc->lease_ttl_s * 1000;
    c->reachable = true;
    const char *eps[LSD_CLUSTER_MAX_ENDPOINTS];
    for (uint32_t i = 0; i < cc->endpoint_count; i++)
        eps[i] = cc->endpoints[i];
    int ret = names(c);
    if (ret == 0 && (c->nodes = json_object()) == NULL)
        ret = -ENOMEM;
    if (ret == 0)
        ret = lsd_etcd_create(&c->etcd, s->base, eps, cc->endpoint_count, 1000);
    c->tick = ret == 0 ? event_new(s->base, -1, EV_PERSIST, on_tick, c) : NULL;
    struct timeval tv = {.tv_usec = TICK_MS * 1000};
    if (ret == 0 && (!c->tick || event_add(c->tick, &tv) < 0))
        ret = -ENOMEM;
    if (ret < 0) {
        lsd_cluster_destroy(&c);
        return ret;
    }
    lsd_logf(s->log, LS_LOG_INFO, "cluster: node %s joining through etcd at %s (%u endpoints)",
             c->node, lsd_etcd_endpoint(c->etcd), cc->endpoint_count);
    on_tick(-1, 0, c);
    *out = c;
    return 0;
}

void lsd_cluster_destroy(struct lsd_cluster **pc)
{
    struct lsd_cluster *c = *pc;
    if (!c)
        return;
    if (c->tick)
        event_free(c->tick);
    lsd_etcd_watch_cancel(&c->watch);
    lsd_etcd_destroy(&c->etcd);
    json_decref(c->nodes);
    free(c);
    *pc = NULL;
}

static const char *state_name(enum lsd_cluster_state st)
{
    return st == LSD_CLUSTER_REGISTERED ? "registered" :
           st == LSD_CLUSTER_FENCED ? "fenced" : "joining";
}

json_t *lsd_cluster_json(struct lsd_cluster *c)
{
    /* A loop that was stopped (SIGSTOP, a long stall) answers what its clock says now. */
    lease_tick(c, lsd_cluster_now_ms());
    return json_pack("{s:s, s:s, s:s, s:I, s:I, s:o?, s:{s:b, s:s, s:s?}, s:o?}",
                     "node", c->node, "state", state_name(c->state),
                     "advertise_url", c->advertise, "lease_ttl_s", (json_int_t)(c->ttl_ms / 1000),
                     "fences", (json_int_t)c->fences,
                     "fenced_at", c->fenced_at_ms ? json_integer(c->fenced_at_ms) : NULL,
                     "etcd", "reachable", c->reachable, "endpoint", lsd_etcd_endpoint(c->etcd),
                     "error", c->last_err == -ECONNREFUSED ? "no etcd endpoint answered" :
                              c->last_err ? strerror(-c->last_err) : NULL,
                     "nodes", lsd_cluster_nodes_json(c));
}
