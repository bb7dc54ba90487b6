/*
 * The etcd calls the daemon makes: their JSON bodies (keys and values in
 * base64, 64-bit ids as strings), sent through etcd.c.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "daemon/etcd.h"
#include "daemon/etcd_private.h"

static json_t *id_json(int64_t id)
{
    char text[24];
    snprintf(text, sizeof(text), "%" PRId64, id);
    return json_string(text);
}

/* Send @p body (stolen) to @p path. */
static int send_body(struct lsd_etcd *e, const char *path, json_t *body, lsd_etcd_reply_fn fn,
                     void *arg)
{
    int ret = body ? lsd_etcd_call(e, path, body, fn, arg) : -ENOMEM;
    json_decref(body);
    return ret;
}

int lsd_etcd_range_prefix(struct lsd_etcd *e, const char *prefix, lsd_etcd_reply_fn fn,
                          void *arg)
{
    json_t *body = json_pack("{s:o?, s:o?}", "key", lsd_etcd_b64_json(prefix, strlen(prefix)),
                             "range_end", lsd_etcd_prefix_end_json(prefix));
    return send_body(e, "kv/range", body, fn, arg);
}

static json_t *put_request(const char *key, const char *value, size_t len, int64_t lease)
{
    json_t *put = json_pack("{s:o?, s:o?}", "key", lsd_etcd_b64_json(key, strlen(key)),
                            "value", lsd_etcd_b64_json(value, len));
    if (put && lease && json_object_set_new(put, "lease", id_json(lease)) < 0) {
        json_decref(put);
        return NULL;
    }
    return put;
}

int lsd_etcd_put(struct lsd_etcd *e, const char *key, const char *value, size_t len,
                 int64_t lease, lsd_etcd_reply_fn fn, void *arg)
{
    return send_body(e, "kv/put", put_request(key, value, len, lease), fn, arg);
}

int lsd_etcd_delete(struct lsd_etcd *e, const char *key, lsd_etcd_reply_fn fn, void *arg)
{
    json_t *body = json_pack("{s:o?}", "key", lsd_etcd_b64_json(key, strlen(key)));
    return send_body(e, "kv/deleterange", body, fn, arg);
}

int lsd_etcd_create_if_absent(struct lsd_etcd *e, const char *key, const char *value,
                              size_t len, int64_t lease, lsd_etcd_reply_fn fn, void *arg)
{
    json_t *body = json_pack("{s:[{s:o?, s:s, s:s, s:s}], s:[{s:o?}]}",
                             "compare", "key", lsd_etcd_b64_json(key, strlen(key)),
                             "target", "CREATE", "result", "EQUAL", "create_revision", "0",
                             "success", "request_put", put_request(key, value, len, lease));
    return send_body(e, "kv/txn", body, fn, arg);
}

int lsd_etcd_lease_grant(struct lsd_etcd *e, unsigned ttl_s, lsd_etcd_reply_fn fn, void *arg)
{
    return send_body(e, "lease/grant", json_pack("{s:I}", "TTL", (json_int_t)ttl_s), fn, arg);
}

int lsd_etcd_lease_keepalive(struct lsd_etcd *e, int64_t id, lsd_etcd_reply_fn fn, void *arg)
{
    return send_body(e, "lease/keepalive", json_pack("{s:o?}", "ID", id_json(id)), fn, arg);
}

int lsd_etcd_lease_revoke(struct lsd_etcd *e, int64_t id, lsd_etcd_reply_fn fn, void *arg)
{
    return send_body(e, "lease/revoke", json_pack("{s:o?}", "ID", id_json(id)), fn, arg);
}

int lsd_etcd_watch_prefix(struct lsd_etcd *e, const char *prefix, int64_t start,
                          lsd_etcd_watch_fn fn, lsd_etcd_watch_end_fn end, void *arg,
                          struct lsd_etcd_watch **out)
{
    json_t *create = json_pack("{s:o?, s:o?}", "key", lsd_etcd_b64_json(prefix, strlen(prefix)),
                               "range_end", lsd_etcd_prefix_end_json(prefix));
    if (create && start > 0 && json_object_set_new(create, "start_revision", id_json(start)) < 0) {
        json_decref(create);
        create = NULL;
    }
    json_t *body = create ? json_pack("{s:o}", "create_request", create) : NULL;
    int ret = body ? lsd_etcd_watch_start_(e, body, fn, end, arg, out) : -ENOMEM;
    json_decref(body);
    return ret;
}
