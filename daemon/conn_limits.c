/*
 * Who is counted against the connection caps (see conn.h), the 503 of a
 * connection over one, and what the log says about it.
 *
 * Connections are counted under their address (conn_util.c's key) when they
 * are accepted; one over a cap is followed like the others (it gets the 503
 * once its request is read) but not counted. At a cap, before anyone is
 * refused, room is made if it can be:
 *  - at max_connections, the connection that has waited longest for a
 *    request head is closed if that is over a second (an idle keep-alive
 *    one, or a slowloris one: a request on its way takes milliseconds) and
 *    its address holds more connections than the newcomer's. So a flood of
 *    slow heads from a few addresses does not lock other clients out, and
 *    the flood's own new connections do not push each other out in a loop;
 *  - a connection's close is seen late (conn_track.c), so the candidates
 *    are checked again, at most every RECOUNT_MS for an address and
 *    RECOUNT_ALL_MS for the total: a flood of refused connections does not
 *    buy a check each.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "daemon/conn_private.h"
#include "daemon/http.h"
#include "daemon/log.h"
#include "daemon/server.h"

#define RECOUNT_MS 50        /* for one address: up to max_connections_per_address checks */
#define RECOUNT_ALL_MS 250   /* for the total: up to max_connections checks */
#define REPORT_INTERVAL_MS 10000
/* What a refused client is told to wait: connections come and go fast. */
#define RETRY_AFTER_S "1"

static unsigned bucket_of(const uint8_t *key)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < LSD_PEER_KEY_SIZE; i++)
        h = (h ^ key[i]) * 16777619u;
    return h % LSD_PEER_BUCKETS;
}

static struct lsd_peer *peer_get(struct lsd_limits *l, const uint8_t *key, const char *text)
{
    struct lsd_peer **head = &l->buckets[bucket_of(key)];
    for (struct lsd_peer *p = *head; p; p = p->next)
        if (memcmp(p->key, key, LSD_PEER_KEY_SIZE) == 0)
            return p;
    struct lsd_peer *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    memcpy(p->key, key, LSD_PEER_KEY_SIZE);
    snprintf(p->text, sizeof(p->text), "%s", text);
    p->next = *head;
    *head = p;
    return p;
}

static void peer_free(struct lsd_limits *l, struct lsd_peer *p)
{
    struct lsd_peer **pp = &l->buckets[bucket_of(p->key)];
    while (*pp != p)
        pp = &(*pp)->next;
    *pp = p->next;
    free(p);
}

/* Forget the closed connections of one address. p keeps at least the
 * connection being admitted, so it is not freed under us. */
static void recount_peer(struct lsd_peer *p)
{
    int64_t now = lsd_conn_now_ms();
    if (now - p->recount_ms < RECOUNT_MS)
        return;
    p->recount_ms = now;
    struct lsd_conn *c, *next;
    for (c = p->conns; c; c = next) {
        next = c->peer_next;
        if (c->phase != LSD_CONN_NEW && !lsd_conn_alive(c))
            lsd_conn_gone(c);
    }
}

static void recount_all(struct lsd_conns *set)
{
    int64_t now = lsd_conn_now_ms();
    if (now - set->limits.recount_ms < RECOUNT_ALL_MS)
        return;
    set->limits.recount_ms = now;
    lsd_conns_sweep(set);
}

static enum lsd_conn_over over_cap(struct lsd_conns *set, struct lsd_peer *p)
{
    const struct lsd_config *cfg = &set->server->config;
    struct lsd_limits *l = &set->limits;
    unsigned per_address = cfg->max_connections_per_address;
    if (per_address && p->count >= per_address) {
        recount_peer(p);
        if (p->count >= per_address)
            return LSD_OVER_ADDRESS;
    }
    if (l->total >= cfg->max_connections) {
        struct lsd_conn *oldest = set->waiting;
        if (!oldest || !lsd_conn_make_room(oldest, oldest->peer->count > p->count))
            recount_all(set);
        if (l->total >= cfg->max_connections)
            return LSD_OVER_TOTAL;
    }
    return LSD_OVER_NONE;
}

static void describe(struct lsd_conns *set, const struct lsd_conn *c, char *out, size_t size)
{
    const struct lsd_config *cfg = &set->server->config;
    if (c->over == LSD_OVER_ADDRESS)
        snprintf(out, size, "too many connections from %s (max_connections_per_address is %u)",
                 c->peer->text, cfg->max_connections_per_address);
    else
        snprintf(out, size, "too many connections (max_connections is %u)", cfg->max_connections);
}

/* The first refusal after a quiet spell is logged at once, the others in
 * lsd_limits_report's summary: a flood gives a line every 10 s. */
static void note_refusal(struct lsd_conns *set, const struct lsd_conn *c)
{
    struct lsd_limits *l = &set->limits;
    int64_t now = lsd_conn_now_ms();
    if (l->refused_log_ms && now - l->refused_log_ms < REPORT_INTERVAL_MS) {
        l->refused_unlogged++;
        return;
    }
    char why[160];
    describe(set, c, why, sizeof(why));
    lsd_logf(set->server->log, LS_LOG_WARN, "connections: %s: answering 503", why);
    l->refused_log_ms = now;
}

int lsd_limits_admit(struct lsd_conns *set, struct lsd_conn *c, const struct sockaddr *sa)
{
    struct lsd_limits *l = &set->limits;
    uint8_t key[LSD_PEER_KEY_SIZE];
    char text[64];
    if (!lsd_peer_key(sa, key, text, sizeof(text)))
        return -EAFNOSUPPORT;
    struct lsd_peer *p = peer_get(l, key, text);
    if (!p)
        return -ENOMEM;
    c->peer = p;
    c->peer_prev = NULL;
    c->peer_next = p->conns;
    if (p->conns)
        p->conns->peer_prev = c;
    p->conns = c;
    c->over = over_cap(set, p);
    if (c->over != LSD_OVER_NONE) {
        note_refusal(set, c);
        return 0;
    }
    p->count++;
    l->total++;
    return 0;
}

void lsd_limits_leave(struct lsd_conns *set, struct lsd_conn *c)
{
    struct lsd_peer *p = c->peer;
    if (!p)
        return;
    if (c->peer_prev)
        c->peer_prev->peer_next = c->peer_next;
    else
        p->conns = c->peer_next;
    if (c->peer_next)
        c->peer_next->peer_prev = c->peer_prev;
    if (c->over == LSD_OVER_NONE) {
        p->count--;
        set->limits.total--;
    }
    c->peer = NULL;
    if (!p->conns)
        peer_free(&set->limits, p);
}

void lsd_limits_refuse(struct lsd_conns *set, struct lsd_conn *c, struct evhttp_request *req)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    char why[160];
    describe(set, c, why, sizeof(why));
    evhttp_add_header(h, "Retry-After", RETRY_AFTER_S);
    evhttp_add_header(h, "Connection", "close");
    lsd_reply_error(req, 503, "too_many_connections", "%s; retry later", why);
}

void lsd_limits_note_close(struct lsd_conns *set, bool deadline)
{
    if (deadline)
        set->limits.deadline_unlogged++;
    else
        set->limits.evicted_unlogged++;
}

void lsd_limits_report(struct lsd_conns *set)
{
    struct lsd_limits *l = &set->limits;
    struct lsd_log *log = set->server->log;
    int64_t now = lsd_conn_now_ms();
    if (l->refused_unlogged && now - l->refused_log_ms >= REPORT_INTERVAL_MS) {
        lsd_logf(log, LS_LOG_WARN, "connections: %llu more answered 503 (over a cap) in %lld s",
                 (unsigned long long)l->refused_unlogged,
                 (long long)(now - l->refused_log_ms) / 1000);
        l->refused_unlogged = 0;
        l->refused_log_ms = now;
    }
    if ((l->deadline_unlogged || l->evicted_unlogged) &&
        now - l->deadline_log_ms >= REPORT_INTERVAL_MS) {
        lsd_logf(log, LS_LOG_INFO,
                 "connections: %llu closed for not sending their request in time "
                 "(header_timeout_s, body_timeout_s), %llu waiting for one closed to make room "
                 "at a cap", (unsigned long long)l->deadline_unlogged,
                 (unsigned long long)l->evicted_unlogged);
        l->deadline_unlogged = l->evicted_unlogged = 0;
        l->deadline_log_ms = now;
    }
}

void lsd_limits_finish(struct lsd_conns *set)
{
    for (size_t i = 0; i < LSD_PEER_BUCKETS; i++)
        while (set->limits.buckets[i])
            peer_free(&set->limits, set->limits.buckets[i]);
}
