/*
 * Between conn_track.c (each connection's life), conn_phase.c (its request
 * phases and deadlines) and conn_limits.c (who is counted, the caps, the 503).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_CONN_PRIVATE_H
#define LSD_CONN_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/conn.h"
#include "daemon/conn_util.h"

struct bufferevent;
struct event;
struct evbuffer_cb_entry;
struct sockaddr;

enum lsd_conn_phase {
    LSD_CONN_NEW,  /* accepted; adopted later in the same loop turn */
    LSD_CONN_HEAD, /* waiting for a request head (header deadline) */
    LSD_CONN_BODY, /* head complete, waiting for the body (body deadline) */
    LSD_CONN_BUSY, /* a handler has the request, or its response is on its way */
    LSD_CONN_DONE, /* a response was sent: is the connection still there? */
};

enum lsd_conn_over { LSD_OVER_NONE, LSD_OVER_TOTAL, LSD_OVER_ADDRESS };

struct lsd_peer;

struct lsd_conn {
    struct lsd_conns *set;
    struct bufferevent *bev;         /* evhttp's: touched only while lsd_conn_alive() */
    struct event *timer;             /* adoption, deadlines, the check after a response */
    struct evbuffer_cb_entry *watch; /* on the input: finds where the head ends */
    struct lsd_head_scan scan;
    enum lsd_conn_phase phase;
    int fd;
    dev_t dev;                       /* the socket's identity, to tell a reused fd */
    ino_t ino;
    struct lsd_peer *peer;           /* the address it is counted under */
    struct lsd_conn *peer_prev, *peer_next; /* while NEW: the list of those not adopted yet */
    enum lsd_conn_over over;         /* not NONE: over a cap, answered 503 */
    int64_t waiting_ms;              /* HEAD: since when */
    struct lsd_conn *wait_prev, *wait_next; /* HEAD and counted: oldest first */
};

#define LSD_PEER_BUCKETS 1024

struct lsd_peer {
    uint8_t key[LSD_PEER_KEY_SIZE];
    char text[64];                   /* the address, for logs and the 503 */
    unsigned count;                  /* its connections within the caps */
    struct lsd_conn *conns;          /* all its connections, over a cap or not */
    int64_t recount_ms;
    struct lsd_peer *next;           /* hash chain */
};

struct lsd_limits {
    struct lsd_peer *buckets[LSD_PEER_BUCKETS];
    unsigned total;                  /* connections within the caps */
    int64_t recount_ms;
    /* The log: the first refusal of a quiet period at once, then a summary. */
    int64_t refused_log_ms, deadline_log_ms;
    uint64_t refused_unlogged, deadline_unlogged, evicted_unlogged;
};

struct lsd_conns {
    struct lsd_server *server;
    struct lsd_conn **by_fd;         /* the connection on each descriptor */
    size_t by_fd_size;
    struct lsd_conn *unadopted;      /* NEW ones (a loop stopped in between leaves some) */
    struct lsd_conn *waiting, *waiting_last; /* counted ones in HEAD, oldest first */
    struct event *sweep;             /* now and then: forget closed connections */
    struct lsd_limits limits;
};

/* conn_track.c */
int64_t lsd_conn_now_ms(void);
/** Whether c's socket is still open: then evhttp has not freed c->bev either. */
bool lsd_conn_alive(const struct lsd_conn *c);
/** c was found closed: forget it and tell the accept guard a descriptor is free. */
void lsd_conn_gone(struct lsd_conn *c);
/** Forget every closed connection. */
void lsd_conns_sweep(struct lsd_conns *set);

/* conn_phase.c */
/** Change phase (keeps the list of connections waiting for a head). */
void lsd_conn_enter(struct lsd_conn *c, enum lsd_conn_phase phase);
/** Just adopted: watch the input, wait for a head. */
void lsd_conn_start(struct lsd_conn *c);
/** Wait for a (next) request head, under the header deadline. */
void lsd_conn_wait_head(struct lsd_conn *c);
/** A handler has the request: no deadline until the response is sent. */
void lsd_conn_busy(struct lsd_conn *c);
/** The head or body deadline passed: close the connection. */
void lsd_conn_deadline(struct lsd_conn *c);
/**
 * At a cap: forget @p c, a connection waiting for a request head, if it is
 * closed already; else close it if @p may_close and it has waited long
 * enough to be idle or slow rather than on its way.
 * @return true if that made room
 */
bool lsd_conn_make_room(struct lsd_conn *c, bool may_close);

/* conn_limits.c */
/** Count c (already alive, fd known) under its address unless over a cap (c->over says).
 *  @return 0, -EAFNOSUPPORT or -ENOMEM (c is not followed) */
int lsd_limits_admit(struct lsd_conns *set, struct lsd_conn *c, const struct sockaddr *sa);
void lsd_limits_leave(struct lsd_conns *set, struct lsd_conn *c);
/** Answer the request of a connection over a cap: 503, Retry-After, close. */
void lsd_limits_refuse(struct lsd_conns *set, struct lsd_conn *c, struct evhttp_request *req);
/** A connection was closed by a deadline, or to make room (for the log summary). */
void lsd_limits_note_close(struct lsd_conns *set, bool deadline);
/** Log what was refused or closed since the last line (at most every 10 s). */
void lsd_limits_report(struct lsd_conns *set);
void lsd_limits_finish(struct lsd_conns *set);

#endif
