/*
 * An asynchronous etcd v3 client on the daemon's libevent loop, through
 * etcd's JSON gateway (plain HTTP; evhttp + jansson, etcd_proto.c parses).
 *
 * Every call is one HTTP request on its own short connection, so a slow
 * call never holds back a lease keep-alive. A call that cannot reach its
 * endpoint (refused, reset, timed out) is sent to the next endpoint of the
 * list, each endpoint tried once per call; the endpoint that answered is
 * tried first by the next calls.
 *
 * Threads: the loop thread only. Callbacks run on it, never from inside
 * the call that started them; after lsd_etcd_destroy() none runs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_ETCD_H
#define LSD_ETCD_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "daemon/etcd_proto.h"

struct event_base;
struct lsd_etcd;
struct lsd_etcd_watch;

/**
 * A call's result: @p err 0 and the reply object (borrowed, valid during the callback),
 * or a negative errno with @p reply NULL: -ECONNREFUSED (no endpoint answered),
 * -ETIMEDOUT, -EIO (not a gateway reply), or what lsd_etcd_reply() maps a gateway error to.
 */
typedef void (*lsd_etcd_reply_fn)(void *arg, int err, json_t *reply);

/**
 * @p endpoints: "http://host:port" each (copied). @p timeout_ms: a unary call's deadline
 * per endpoint. @return 0, -EINVAL (an endpoint that is not http://host:port), -ENOMEM
 */
int lsd_etcd_create(struct lsd_etcd **out, struct event_base *base,
                    const char *const *endpoints, size_t n, unsigned timeout_ms);
/** Drop every call in flight (no callback runs) and free; NULL is a no-op. */
void lsd_etcd_destroy(struct lsd_etcd **e);
/** The endpoint the next call goes to first (for logs). */
const char *lsd_etcd_endpoint(const struct lsd_etcd *e);

/** POST @p body (borrowed) to /v3/@p path. @return 0 (fn, unless NULL, will run once)
 *  or -ENOMEM */
int lsd_etcd_call(struct lsd_etcd *e, const char *path, json_t *body, lsd_etcd_reply_fn fn,
                  void *arg);

/* The calls the daemon makes. Keys are text; values are bytes. */
int lsd_etcd_range_prefix(struct lsd_etcd *e, const char *prefix, lsd_etcd_reply_fn fn,
                          void *arg);
int lsd_etcd_put(struct lsd_etcd *e, const char *key, const char *value, size_t len,
                 int64_t lease, lsd_etcd_reply_fn fn, void *arg);
int lsd_etcd_delete(struct lsd_etcd *e, const char *key, lsd_etcd_reply_fn fn, void *arg);
/** A transaction: put @p key only if it does not exist (its create_revision is 0); the
 *  reply's "succeeded" says whether it was written. */
int lsd_etcd_create_if_absent(struct lsd_etcd *e, const char *key, const char *value,
                              size_t len, int64_t lease, lsd_etcd_reply_fn fn, void *arg);
int lsd_etcd_lease_grant(struct lsd_etcd *e, unsigned ttl_s, lsd_etcd_reply_fn fn, void *arg);
/** One keep-alive; the reply has "TTL" (absent when the lease no longer exists). */
int lsd_etcd_lease_keepalive(struct lsd_etcd *e, int64_t id, lsd_etcd_reply_fn fn, void *arg);
int lsd_etcd_lease_revoke(struct lsd_etcd *e, int64_t id, lsd_etcd_reply_fn fn, void *arg);

/** The end of a watch stream (etcd gone, a bad message, canceled by etcd): @p err < 0.
 *  The watch is freed after this returns. */
typedef void (*lsd_etcd_watch_end_fn)(void *arg, int err);

/**
 * Watch every key under @p prefix from revision @p start (0: from now). Messages go to
 * @p fn as they arrive (the stream is parsed incrementally), then @p end once.
 * @return 0 and the watch in @p out, or -ENOMEM
 */
int lsd_etcd_watch_prefix(struct lsd_etcd *e, const char *prefix, int64_t start,
                          lsd_etcd_watch_fn fn, lsd_etcd_watch_end_fn end, void *arg,
                          struct lsd_etcd_watch **out);
/** Stop a watch without its end callback; NULL is a no-op. */
void lsd_etcd_watch_cancel(struct lsd_etcd_watch **w);

#endif
