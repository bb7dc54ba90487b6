/*
 * lightstreamd configuration: defaults, then a JSON file, then flags.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/config.h"

#ifndef LSD_DEFAULT_DATA_DIR
#define LSD_DEFAULT_DATA_DIR "/var/lib/lightstreamd"
#endif
#ifndef LSD_DEFAULT_WEB_DIR
#define LSD_DEFAULT_WEB_DIR "/usr/share/lightstreamd/web"
#endif

void lsd_config_defaults(struct lsd_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->listen, sizeof(c->listen), "127.0.0.1");
    c->port = 2233;
    snprintf(c->data_dir, sizeof(c->data_dir), "%s", LSD_DEFAULT_DATA_DIR);
    snprintf(c->web_dir, sizeof(c->web_dir), "%s", LSD_DEFAULT_WEB_DIR);
    c->log_level = LS_LOG_INFO;
    c->max_body_bytes = 65536;
    c->max_relays = 1024;
    c->viewer_buffer_bytes = 2u << 20;
    c->viewer_stall_ms = 10000;
    c->on_demand_idle_s = 10;
    c->hls_idle_s = 30;
    c->beat_interval_s = 20;
    c->gop_cache_max_bytes = 4u << 20;
    /* 1 000 viewers with room to spare, and a reverse proxy in front that
     * carries them all from one address still fits under the per-address cap. */
    c->header_timeout_s = 10;
    c->body_timeout_s = 30;
    c->max_connections = 4096;
    c->max_connections_per_address = 1024;
    snprintf(c->cluster.prefix, sizeof(c->cluster.prefix), "/lightstreamd/");
    c->cluster.lease_ttl_s = 5;
}

int lsd_log_level_parse(const char *name, enum ls_log_level *out)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(name, names[i]) == 0) {
            *out = (enum ls_log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

enum kind { K_STR, K_PORT, K_U32, K_LEVEL, K_BOOL };

struct key {
    const char *name;
    enum kind kind;
    size_t offset;
    size_t size;     /* the field's size (K_STR: its buffer) */
    uint32_t min, max;
    bool live;       /* SIGHUP applies it; otherwise a change needs a restart */
};

#define FIELD(f) offsetof(struct lsd_config, f), sizeof(((struct lsd_config *)0)->f)
#define STR(f, live) K_STR, FIELD(f), 0, 0, live
#define U32(f, lo, hi) K_U32, FIELD(f), lo, hi, true

/* What the daemon's loop reads where it uses it (per request, per connection,
 * per viewer) is live; what it set up once at start (the socket, directories,
 * the log file) or what other threads read is not. */
static const struct key keys[] = {
    {"listen", STR(listen, false)},
    {"port", K_PORT, FIELD(port), 0, 65535, false},
    {"data_dir", STR(data_dir, false)},
    {"recordings_dir", STR(recordings_dir, false)},
    {"web_dir", STR(web_dir, false)},
    {"log_file", STR(log_file, false)},
    {"log_level", K_LEVEL, FIELD(log_level), 0, 0, true},
    {"api_token", STR(api_token, true)},
    {"viewer_token", STR(viewer_token, true)},
    {"require_token_beyond_loopback", K_BOOL, FIELD(require_token_beyond_loopback), 0, 0, true},
    {"public_url", STR(public_url, true)},
    {"cors_origin", STR(cors_origin, true)},
    {"rtmp_push_base", STR(rtmp_push_base, true)},
    {"max_body_bytes", U32(max_body_bytes, 1024, 64u << 20)},
    {"max_relays", U32(max_relays, 1, 100000)},
    {"recordings_max_mib", U32(recordings_max_mib, 0, 1u << 30)},
    {"viewer_buffer_bytes", U32(viewer_buffer_bytes, 65536, 256u << 20)},
    {"viewer_stall_ms", U32(viewer_stall_ms, 100, 3600000)},
    {"on_demand_idle_s", U32(on_demand_idle_s, 0, 86400)},
    {"hls_idle_s", U32(hls_idle_s, 1, 86400)},
    {"beat_interval_s", U32(beat_interval_s, 1, 3600)},
    /* Read by the subscriber threads too (hub.c's admit): fixed while they run. */
    {"gop_cache_max_bytes", K_U32, FIELD(gop_cache_max_bytes), 65536, 256u << 20, false},
    {"header_timeout_s", U32(header_timeout_s, 1, 3600)},
    {"body_timeout_s", U32(body_timeout_s, 1, 3600)},
    {"max_connections", U32(max_connections, 1, 1000000)},
    {"max_connections_per_address", U32(max_connections_per_address, 0, 1000000)},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static int set_key(struct lsd_config *c, const struct key *k, const json_t *v, char *err,
                   size_t err_size)
{
    char *base = (char *)c + k->offset;
    switch (k->kind) {
    case K_STR:
        if (json_is_null(v)) {
            base[0] = '\0';
            return 0;
        }
        if (!json_is_string(v) || json_string_length(v) >= k->size)
            goto bad;
        memcpy(base, json_string_value(v), json_string_length(v) + 1);
        return 0;
    case K_PORT:
    case K_U32: {
        if (!json_is_integer(v) || json_integer_value(v) < k->min ||
            json_integer_value(v) > k->max)
            goto bad;
        if (k->kind == K_PORT)
            *(uint16_t *)(void *)base = (uint16_t)json_integer_value(v);
        else
            *(uint32_t *)(void *)base = (uint32_t)json_integer_value(v);
        return 0;
    }
    case K_LEVEL:
        if (!json_is_string(v) ||
            lsd_log_level_parse(json_string_value(v), (enum ls_log_level *)(void *)base) < 0)
            goto bad;
        return 0;
    case K_BOOL:
        if (!json_is_boolean(v))
            goto bad;
        *(bool *)(void *)base = json_is_true(v);
        return 0;
    }
bad:
    snprintf(err, err_size, "config key '%s' has a bad value (%s)", k->name,
             k->kind == K_STR ? "a string, short enough" :
             k->kind == K_LEVEL ? "error, warn, info or debug" :
             k->kind == K_BOOL ? "true or false" : "an integer in range");
    return -EINVAL;
}

bool lsd_cluster_node_valid(const char *name)
{
    size_t n = strlen(name);
    return n >= 1 && n < 64 && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                             "0123456789._-") == n;
}

/* http://host:port, nothing else: no TLS, no user info (no password to leak), no path. */
static bool endpoint_valid(const char *url)
{
    const char *host = strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
    const char *colon = host ? strrchr(host, ':') : NULL;
    if (!colon || colon == host || strpbrk(host, "@/?#") || strlen(url) >= 128)
        return false;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    return *end == '\0' && colon[1] && port > 0 && port < 65536;
}

static int cluster_string(json_t *v, char *out, size_t size, bool (*ok)(const char *))
{
    if (!json_is_string(v) || json_string_length(v) >= size ||
        strlen(json_string_value(v)) != json_string_length(v) ||
        (ok && !ok(json_string_value(v))))
        return -EINVAL;
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static bool prefix_valid(const char *p)
{
    for (; *p; p++)
        if ((unsigned char)*p < 0x21 || *p == 0x7f)
            return false;
    return true;
}

static bool url_valid(const char *u)
{
    return (strncmp(u, "http://", 7) == 0 || strncmp(u, "https://", 8) == 0) &&
           !strchr(u, '@') && prefix_valid(u);
}

static int cluster_endpoints(struct lsd_cluster_config *cc, json_t *v)
{
    size_t i;
    json_t *one;
    if (!json_is_array(v) || json_array_size(v) == 0 ||
        json_array_size(v) > LSD_CLUSTER_MAX_ENDPOINTS)
        return -EINVAL;
    json_array_foreach(v, i, one) {
        if (cluster_string(one, cc->endpoints[i], sizeof(cc->endpoints[i]), endpoint_valid) < 0)
            return -EINVAL;
    }
    cc->endpoint_count = (uint32_t)json_array_size(v);
    return 0;
}

static int cluster_field(struct lsd_cluster_config *cc, const char *name, json_t *v)
{
    if (strcmp(name, "etcd") == 0)
        return cluster_endpoints(cc, v);
    if (strcmp(name, "prefix") == 0)
        return cluster_string(v, cc->prefix, sizeof(cc->prefix), prefix_valid);
    if (strcmp(name, "node") == 0)
        return cluster_string(v, cc->node, sizeof(cc->node), lsd_cluster_node_valid);
    if (strcmp(name, "advertise_url") == 0)
        return cluster_string(v, cc->advertise_url, sizeof(cc->advertise_url), url_valid);
    if (strcmp(name, "lease_ttl_s") == 0) {
        if (!json_is_integer(v) || json_integer_value(v) < 2 || json_integer_value(v) > 300)
            return -EINVAL;
        cc->lease_ttl_s = (uint32_t)json_integer_value(v);
        return 0;
    }
    return -ENOENT;
}

/* "cluster": {"etcd": [...], "prefix", "node", "advertise_url", "lease_ttl_s"}. */
static int parse_cluster(struct lsd_config *c, json_t *o, char *err, size_t err_size)
{
    struct lsd_cluster_config cc = c->cluster;
    const char *name;
    json_t *v;
    if (json_is_null(o)) { /* like a string key's null: not set, the node runs alone */
        c->cluster.enabled = false;
        return 0;
    }
    if (!json_is_object(o)) {
        snprintf(err, err_size, "config key 'cluster' must be an object");
        return -EINVAL;
    }
    cc.endpoint_count = 0;
    json_object_foreach(o, name, v) {
        int ret = cluster_field(&cc, name, v);
        if (ret == -ENOENT) {
            snprintf(err, err_size, "unknown key 'cluster.%.64s'", name);
            return -EINVAL;
        }
        if (ret < 0) {
            snprintf(err, err_size, "config key 'cluster.%s' has a bad value (%s)", name,
                     strcmp(name, "etcd") == 0 ? "a list of 1 to 8 http://host:port" :
                     strcmp(name, "node") == 0 ? "1 to 63 of A-Z a-z 0-9 . _ -" :
                     strcmp(name, "lease_ttl_s") == 0 ? "an integer from 2 to 300" :
                     strcmp(name, "advertise_url") == 0 ? "an http(s) URL" :
                     "a string without spaces, short enough");
            return -EINVAL;
        }
    }
    if (cc.endpoint_count == 0) {
        snprintf(err, err_size, "config key 'cluster.etcd' is required (etcd client URLs)");
        return -EINVAL;
    }
    cc.enabled = true;
    c->cluster = cc;
    return 0;
}

int lsd_config_load(struct lsd_config *c, const char *path, char *err, size_t err_size)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        /* Line and column only: je.text quotes the file, which may hold tokens. */
        snprintf(err, err_size, "%s:%d:%d: not valid JSON", path, je.line, je.column);
        return -EINVAL;
    }
    int ret = 0;
    if (!json_is_object(root)) {
        snprintf(err, err_size, "%s: the config must be a JSON object", path);
        ret = -EINVAL;
        goto out;
    }
    const char *name;
    json_t *v;
    json_object_foreach(root, name, v) {
        if (strcmp(name, "cluster") == 0) {
            if ((ret = parse_cluster(c, v, err, err_size)) < 0)
                goto out;
            continue;
        }
        const struct key *k = NULL;
        for (size_t i = 0; i < NKEYS; i++)
            if (strcmp(keys[i].name, name) == 0)
                k = &keys[i];
        if (!k) {
            snprintf(err, err_size, "%s: unknown config key '%s'", path, name);
            ret = -EINVAL;
            goto out;
        }
        if ((ret = set_key(c, k, v, err, err_size)) < 0)
            goto out;
    }
    snprintf(c->config_path, sizeof(c->config_path), "%s", path);
out:
    json_decref(root);
    return ret;
}

static bool key_differs(const struct key *k, const struct lsd_config *a, const struct lsd_config *b)
{
    const char *x = (const char *)a + k->offset, *y = (const char *)b + k->offset;
    if (k->kind == K_STR)
        return strncmp(x, y, k->size) != 0;
    return memcmp(x, y, k->size) != 0;
}

static bool cluster_differs(const struct lsd_cluster_config *a, const struct lsd_cluster_config *b)
{
    if (a->enabled != b->enabled || a->endpoint_count != b->endpoint_count ||
        a->lease_ttl_s != b->lease_ttl_s || strcmp(a->prefix, b->prefix) ||
        strcmp(a->node, b->node) || strcmp(a->advertise_url, b->advertise_url))
        return true;
    for (uint32_t i = 0; i < a->endpoint_count; i++)
        if (strcmp(a->endpoints[i], b->endpoints[i]))
            return true;
    return false;
}

/* "a, b" lists of key names; a list that does not fit ends with "...". */
static void list_add(char *list, size_t size, const char *name)
{
    size_t n = strlen(list);
    if (size == 0 || n + 1 >= size)
        return;
    int w = snprintf(list + n, size - n, "%s%s", n ? ", " : "", name);
    if (w < 0 || (size_t)w >= size - n)
        snprintf(list + (size > 4 ? size - 4 : 0), size > 4 ? 4 : size, "...");
}

unsigned lsd_config_merge_live(struct lsd_config *cur, const struct lsd_config *next,
                               char *changed, size_t changed_size, char *restart,
                               size_t restart_size)
{
    unsigned n = 0;
    if (changed_size)
        changed[0] = '\0';
    if (restart_size)
        restart[0] = '\0';
    for (size_t i = 0; i < NKEYS; i++) {
        const struct key *k = &keys[i];
        if (!key_differs(k, cur, next))
            continue;
        if (!k->live) {
            list_add(restart, restart_size, k->name);
            continue;
        }
        memcpy((char *)cur + k->offset, (const char *)next + k->offset, k->size);
        list_add(changed, changed_size, k->name);
        n++;
    }
    if (cluster_differs(&cur->cluster, &next->cluster))
        list_add(restart, restart_size, "cluster");
    return n;
}

bool lsd_listen_is_loopback(const char *addr)
{
    struct in_addr v4;
    struct in6_addr v6;
    if (strcmp(addr, "localhost") == 0)
        return true;
    if (inet_pton(AF_INET, addr, &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, addr, &v6) != 1)
        return false; /* a host name: it may resolve to anything */
    if (IN6_IS_ADDR_LOOPBACK(&v6))
        return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

enum lsd_exposure lsd_config_exposure(const struct lsd_config *c)
{
    if (c->api_token[0] || lsd_listen_is_loopback(c->listen))
        return LSD_EXPOSURE_OK;
    return c->require_token_beyond_loopback ? LSD_EXPOSURE_REFUSED : LSD_EXPOSURE_OPEN;
}
