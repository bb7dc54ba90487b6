/*
 * lightstreamd's HTTP connections: the deadlines and caps evhttp lacks.
 *
 * evhttp (libevent 2.1) only times out inactivity, so a client that sends a
 * header byte now and then keeps its connection for ever, and nothing bounds
 * how many connections one client holds (slowloris). This module follows
 * every connection from its accept to its close:
 *  - the request head must be complete within config.header_timeout_s of the
 *    connection starting to wait for it (the accept, or the end of the
 *    previous response on a keep-alive connection), and the body within
 *    config.body_timeout_s of the head; once a handler has the request no
 *    deadline applies (an HTTP-FLV response lasts as long as its viewer);
 *  - at most config.max_connections connections, and
 *    config.max_connections_per_address from one address; a connection over
 *    a cap has its request answered 503 with Retry-After, then is closed.
 *
 * Threads: the loop thread only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_CONN_H
#define LSD_CONN_H

#include <stdbool.h>

struct lsd_conns;
struct lsd_server;
struct evhttp_request;

/** Follow the connections of s->http (installs its bufferevent callback). @return 0 or -ENOMEM */
int lsd_conns_create(struct lsd_conns **out, struct lsd_server *s);
/** Forget every connection; after evhttp_free(), which closed them. NULL is a no-op. */
void lsd_conns_destroy(struct lsd_conns **set);
/**
 * The dispatcher calls this first with every complete request: its
 * connection's deadlines stop until the response has been sent.
 * @return true when the request was answered here (503, over a cap): do not route it.
 */
bool lsd_conns_request(struct lsd_conns *set, struct evhttp_request *req);

#endif
