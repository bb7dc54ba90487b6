/*
 * lightstreamd: the server struct every handler receives (sway passes its
 * server to every handler; we do too, with no global). Only the struct: each
 * concern declares its functions in its own header (relays.h, hub.h,
 * mailbox.h, worker.h, lifecycle.h, ...), so including this one ties a file
 * to no other file's code.
 *
 * Threads: everything here runs on the event-loop thread unless a function
 * says otherwise. Library threads (relay, output, subscriber) never touch
 * libevent or these structs: they hand work over with lsd_mailbox_post().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_SERVER_H
#define LSD_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/config.h"

struct event_base;
struct evhttp;
struct event;
struct ls_io;
struct lsd_accept_guard;
struct lsd_async;
struct lsd_cluster;
struct lsd_conns;
struct lsd_http_counts;
struct lsd_log;
struct lsd_mailbox;
struct lsd_relay;
struct lsd_route;
struct lsd_worker;

struct lsd_server {
    struct lsd_config config;
    struct event_base *base;
    struct evhttp *http;
    const struct lsd_route *const *route_tables; /**< what http.c dispatches to (server.c says) */
    size_t n_route_tables;
    struct lsd_conns *conns;       /**< every HTTP connection: deadlines, caps (conn.h) */
    struct lsd_accept_guard *accept_guard; /**< the listener at the descriptor limit */
    struct lsd_mailbox *mailbox;   /**< library threads → loop */
    struct lsd_worker *worker;     /**< blocking library calls (stop, destroy, remove) off the loop */
    struct ls_io *io;              /**< every relay's rtmp:// outputs write through it, threadless */
    struct lsd_log *log;
    struct lsd_async *async;       /**< requests answered later (ONVIF exchanges) */
    struct lsd_cluster *cluster;   /**< fleet mode (cluster.h); NULL without the config key */
    struct event *tick;            /**< 1 s timer: leases, housekeeping */
    unsigned expire_wait;          /**< ticks to skip before retrying an unsaved lease expiry */
    unsigned expire_delay;         /**< that retry's current delay in ticks (0: no failure) */
    struct event *sig_events[4];
    struct lsd_relay *relays;      /**< registry, creation order */
    size_t relay_count;
    uint16_t bound_port;           /**< the port actually bound (config port 0 = any) */
    json_t *compat;                /**< state owned by the compat adapters, persisted as-is */
    int64_t started_at_ms;
    uint64_t requests;             /**< HTTP requests served */
    struct lsd_http_counts *replies; /**< HTTP replies by code and method (/metrics) */
    uint64_t reloads_ok, reloads_failed; /**< SIGHUP config reloads */
    int argc;                      /**< the command line, read again on SIGHUP */
    char **argv;
    unsigned generations;          /**< relay instances started, ever (their tags) */
    bool stopping;
    size_t trim_bytes;             /**< freed since the last trim, roughly (viewers that left) */
    bool loading;                  /**< restoring the state file: adds are not saved */
    struct {
        uint64_t deleted_segments, deleted_bytes;
    } rec_totals;                  /**< the global recording budget's deletions (rec_retention.c) */
};

#endif
