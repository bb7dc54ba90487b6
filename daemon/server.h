/*
 * lightstreamd: the server struct every handler receives, and the small
 * interfaces between the daemon's files.
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

#include "lightstream/lightstream.h"

#include "daemon/config.h"
#include "daemon/hls_live.h"
#include "daemon/spec.h"

struct event_base;
struct evhttp;
struct evhttp_request;
struct event;
struct lsd_hub;
struct lsd_mailbox;
struct lsd_worker;
struct lsd_log;
struct lsd_async;
struct lsd_cluster;
struct lsd_conns;
struct lsd_accept_guard;
struct lsd_http_counts;

/* ---- relays ------------------------------------------------------------ */

/** One relay as the daemon sees it: its spec, and the running library relay. */
struct lsd_relay {
    struct lsd_server *server;
    struct lsd_relay_spec spec;  /**< validated configuration, persisted */
    struct ls_relay *relay;      /**< NULL while not running (on-demand idle) */
    struct lsd_hub *hub;         /**< HTTP-FLV viewers; always present */
    int *lib_output_ids;         /**< library output id per spec.outputs[i], -1 if none,
                                      LSD_OUTPUT_REFUSED if outside the recordings directory */
    size_t lib_output_cap;
    unsigned generation;         /**< bumped at every start: tells stale events apart */
    void *ctx;                   /**< the running instance's event context (relay_instance.c) */
    struct event *idle_timer;    /**< on-demand: stops the relay after the last viewer */
    int64_t started_at_ms;       /**< wall clock of the last start, 0 if not running */
    enum ls_state state;         /**< last input state reported by the library */
    char last_error[256];        /**< last input error message (redacted) */
    int rec_output_id;           /**< the recording's library output id, -1 if none */
    char rec_writing[256];       /**< the segment being written (file name), "" if none */
    struct lsd_relay *next;      /**< registry list, in creation order */
};

/* ---- the server -------------------------------------------------------- */

struct lsd_route;

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

/* server.c. @p argc, @p argv: the command line @p config came from, kept (not copied) to be
 * read again on SIGHUP. lsd_server_create fails (-EACCES, logged) before binding anything
 * when lsd_config_exposure(config) is LSD_EXPOSURE_REFUSED. */
int lsd_server_create(struct lsd_server **out, const struct lsd_config *config, int argc,
                      char **argv);
int lsd_server_run(struct lsd_server *s);           /* until SIGTERM/SIGINT */
void lsd_server_destroy(struct lsd_server **s);

/* reload.c */
/** SIGHUP: reopen the log, reload the config, apply what can change live (logged). */
void lsd_server_reload(struct lsd_server *s);
/** Log the loud warning when @p c listens beyond loopback without api_token. */
void lsd_server_warn_exposure(struct lsd_server *s, const struct lsd_config *c);

/* ---- relay registry (relays.c) ---------------------------------------- */

/** Find a relay by id, NULL if none. */
struct lsd_relay *lsd_relay_find(struct lsd_server *s, const char *id);

/**
 * Add a relay from a validated spec (ownership of @p spec's contents passes
 * to the registry on success; on error it stays the caller's), start it
 * unless it is on-demand, and persist the state.
 * @return 0, -EEXIST (duplicate id), -ENOSPC (relay limit), -ENOMEM, -EIO (state not saved:
 *         the relay is not added), or a library error from ls_relay_create.
 */
int lsd_relay_add(struct lsd_server *s, struct lsd_relay_spec *spec, struct lsd_relay **out);

/**
 * Replace a relay's spec (same id) and restart it. Once the spec is saved it
 * is the registry's and 0 is returned, even if the restart fails (that is
 * logged and shown in the relay's state). @return 0, -ENOMEM or -EIO (not
 * saved: nothing changed, @p spec stays the caller's).
 */
int lsd_relay_update(struct lsd_server *s, struct lsd_relay *r, struct lsd_relay_spec *spec);

/** Remove a relay: closes its viewers, stops it off the loop, persists. @return 0 or -EIO. */
int lsd_relay_remove(struct lsd_server *s, struct lsd_relay *r);

/** Add an RTMP/RTMPS/file output to a relay (running or not); persists. out_id: the spec's id. */
int lsd_relay_add_output(struct lsd_server *s, struct lsd_relay *r, const char *url, int *out_id);

/** Remove an output by its spec id; persists. @return 0, -ENOENT, -EIO. */
int lsd_relay_remove_output(struct lsd_server *s, struct lsd_relay *r, int output_id);

/** Push a relay's lease deadline to now + its lease (or @p seconds when > 0); persists. */
int lsd_relay_renew_lease(struct lsd_server *s, struct lsd_relay *r, uint32_t seconds);

/** Stop and start the relay again (e.g. after a source change made by an adapter). */
int lsd_relay_restart(struct lsd_server *s, struct lsd_relay *r);

/** Called by the hub when its viewer count changes (on-demand start / idle stop). */
void lsd_relay_viewers_changed(struct lsd_relay *r, unsigned viewers);

/** Write the state file now (after a change made outside the functions above). */
int lsd_server_save(struct lsd_server *s);

/* ---- HTTP-FLV hub (hub.c) ---------------------------------------------- */

/**
 * Create the hub of a relay: its viewers, each a pollable subscription of the
 * relay's library relay while it has one (lsd_hub_attach).
 */
int lsd_hub_create(struct lsd_hub **out, struct lsd_relay *r);
/** Close every viewer and free the hub. */
void lsd_hub_destroy(struct lsd_hub **hub);
/** A new library relay: every viewer subscribes to it (and keeps its timeline going). */
void lsd_hub_attach(struct lsd_hub *hub, struct ls_relay *lib);
/** Before the library relay goes: every viewer unsubscribes (never waits); they stay. */
void lsd_hub_detach(struct lsd_hub *hub);
/** Close every viewer now (relay removed, daemon stopping). */
void lsd_hub_close_viewers(struct lsd_hub *hub);
/** Viewers now connected, a running HLS packager counted as one (on-demand relays). */
unsigned lsd_hub_viewers(const struct lsd_hub *hub);
/** Serve GET /live/<id>.flv for this hub (takes over the request). */
void lsd_hub_serve(struct lsd_hub *hub, struct evhttp_request *req);
/** Serve GET /live/<id>/… (live HLS, hls_live.h) for this hub; counts its reply itself. */
void lsd_hub_serve_hls(struct lsd_hub *hub, struct evhttp_request *req, enum lsd_hls_what what,
                       const char *name);
/** Totals for /metrics and the API. */
struct lsd_hub_stats {
    unsigned viewers;
    uint64_t bytes_sent;       /**< to all viewers, ever */
    uint64_t viewers_total;    /**< viewers that ever connected */
    uint64_t skips;            /**< times a slow viewer was skipped to a keyframe */
    uint64_t drops;            /**< slow viewers disconnected */
    bool hls_active;           /**< a live HLS packager runs */
    uint64_t hls_segments_served; /**< live HLS media segments served, ever */
};
void lsd_hub_get_stats(const struct lsd_hub *hub, struct lsd_hub_stats *out);

/* ---- mailbox: any thread → loop (mailbox.c) ---------------------------- */

typedef void (*lsd_mail_fn)(struct lsd_server *s, void *arg);
int lsd_mailbox_create(struct lsd_mailbox **out, struct lsd_server *s);
void lsd_mailbox_destroy(struct lsd_mailbox **mb);
/**
 * Run @p fn(server, arg) on the loop thread soon. Thread-safety: safe from
 * any thread; never blocks on the loop. @return 0 or -ENOMEM (fn not run).
 */
int lsd_mailbox_post(struct lsd_mailbox *mb, lsd_mail_fn fn, void *arg);
/** Run what is queued now (loop thread, or after the loop has ended). */
void lsd_mailbox_flush(struct lsd_mailbox *mb);

/* ---- worker: blocking calls off the loop (worker.c) -------------------- */

typedef void (*lsd_work_fn)(void *arg);
int lsd_worker_create(struct lsd_worker **out, struct lsd_server *s);
/** Finish every queued job, then stop the thread. */
void lsd_worker_destroy(struct lsd_worker **w);
/**
 * Run @p work(arg) on the worker thread (jobs run one at a time, in order),
 * then @p done(server, arg) on the loop (done may be NULL).
 * @return 0 or -ENOMEM.
 */
int lsd_worker_queue(struct lsd_worker *w, lsd_work_fn work, lsd_mail_fn done, void *arg);

#endif
