/*
 * etcd v3 JSON gateway: base64, replies, the watch stream's lines. Pure.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/etcd_proto.h"

static const char b64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t lsd_b64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

int lsd_b64_encode(const void *in, size_t n, char *out, size_t out_size)
{
    const unsigned char *p = in;
    size_t len = lsd_b64_encoded_len(n);
    if (len >= out_size || len > INT32_MAX)
        return -ENOSPC;
    char *o = out;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < n)
            v |= p[i + 2];
        *o++ = b64_chars[v >> 18];
        *o++ = b64_chars[(v >> 12) & 63];
        *o++ = i + 1 < n ? b64_chars[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? b64_chars[v & 63] : '=';
    }
    *o = '\0';
    return (int)len;
}

static int b64_value(char c)
{
    const char *p = c ? strchr(b64_chars, c) : NULL;
    return p ? (int)(p - b64_chars) : -1;
}

/* One group of four characters, the last of the input when @p last (padding allowed). */
static int decode_quad(const char *q, bool last, unsigned char *out)
{
    int pad = (q[3] == '=') + (q[2] == '=' && q[3] == '=');
    if (pad && !last)
        return -EINVAL;
    uint32_t v = 0;
    for (int k = 0; k < 4 - pad; k++) {
        int d = b64_value(q[k]);
        if (d < 0)
            return -EINVAL;
        v = v << 6 | (uint32_t)d;
    }
    v <<= 6 * pad;
    out[0] = (unsigned char)(v >> 16);
    out[1] = (unsigned char)(v >> 8);
    out[2] = (unsigned char)v;
    return 3 - pad;
}

int lsd_b64_decode(const char *in, size_t n, unsigned char *out, size_t out_size)
{
    if (n % 4)
        return -EINVAL;
    if (n / 4 * 3 >= out_size || n > INT32_MAX)
        return -ENOSPC;
    size_t len = 0;
    for (size_t i = 0; i < n; i += 4) {
        int got = decode_quad(in + i, i + 4 == n, out + len);
        if (got < 0)
            return got;
        len += (size_t)got;
    }
    out[len] = '\0';
    return (int)len;
}

json_t *lsd_etcd_b64_json(const char *s, size_t n)
{
    size_t size = lsd_b64_encoded_len(n) + 1;
    char *text = malloc(size);
    if (!text || lsd_b64_encode(s, n, text, size) < 0) {
        free(text);
        return NULL;
    }
    json_t *j = json_string(text);
    free(text);
    return j;
}

json_t *lsd_etcd_prefix_end_json(const char *prefix)
{
    size_t n = strlen(prefix);
    char *end = malloc(n + 1);
    if (!end)
        return NULL;
    memcpy(end, prefix, n + 1);
    /* The prefix with its last byte that can grow grown, the 0xff after it cut. */
    while (n > 0 && (unsigned char)end[n - 1] == 0xff)
        n--;
    json_t *j;
    if (n == 0) {
        j = lsd_etcd_b64_json("", 1);
    } else {
        end[n - 1] = (char)((unsigned char)end[n - 1] + 1);
        j = lsd_etcd_b64_json(end, n);
    }
    free(end);
    return j;
}

void lsd_etcd_kv_clear(struct lsd_etcd_kv *kv)
{
    free(kv->key);
    free(kv->value);
    memset(kv, 0, sizeof(*kv));
}

static int grpc_errno(json_int_t code)
{
    switch (code) {
    case 3: return -EINVAL;
    case 4: case 14: return -EAGAIN;
    case 5: return -ENOENT;
    case 9: return -EPERM;
    default: return -EIO;
    }
}

int lsd_etcd_reply(json_t *root, json_t **out)
{
    *out = NULL;
    if (!json_is_object(root))
        return -EINVAL;
    json_t *err = json_object_get(root, "error");
    if (err) {
        json_t *code = json_object_get(root, "code");
        if (!code && json_is_object(err))
            code = json_object_get(err, "grpc_code");
        return json_is_integer(code) ? grpc_errno(json_integer_value(code)) : -EIO;
    }
    json_t *result = json_object_get(root, "result");
    if (result && !json_is_object(result))
        return -EINVAL;
    *out = result ? result : root;
    return 0;
}

int lsd_etcd_int64(json_t *o, const char *name, int64_t *out)
{
    json_t *v = json_is_object(o) ? json_object_get(o, name) : NULL;
    *out = 0;
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > 20)
        return -EINVAL;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (*end || errno)
        return -EINVAL;
    *out = x;
    return 0;
}

int64_t lsd_etcd_revision(json_t *reply)
{
    int64_t rev;
    return lsd_etcd_int64(json_object_get(reply, "header"), "revision", &rev) < 0 ? 0 : rev;
}

/* A base64 member into a fresh NUL-terminated buffer. */
static int b64_member(json_t *o, const char *name, char **out, size_t *len)
{
    json_t *v = json_object_get(o, name);
    const char *s = v ? json_string_value(v) : "";
    if (!s)
        return -EINVAL;
    size_t n = strlen(s), size = n / 4 * 3 + 1;
    *out = malloc(size);
    if (!*out)
        return -ENOMEM;
    int got = lsd_b64_decode(s, n, (unsigned char *)*out, size);
    if (got < 0) {
        free(*out);
        *out = NULL;
        return got;
    }
    if (len)
        *len = (size_t)got;
    return 0;
}

int lsd_etcd_kv_parse(json_t *o, struct lsd_etcd_kv *kv)
{
    memset(kv, 0, sizeof(*kv));
    size_t key_len = 0;
    int ret;
    if (!json_is_object(o))
        return -EINVAL;
    if ((ret = b64_member(o, "key", &kv->key, &key_len)) < 0 ||
        (ret = b64_member(o, "value", &kv->value, &kv->value_len)) < 0 ||
        (ret = lsd_etcd_int64(o, "create_revision", &kv->create_revision)) < 0 ||
        (ret = lsd_etcd_int64(o, "mod_revision", &kv->mod_revision)) < 0 ||
        (ret = lsd_etcd_int64(o, "lease", &kv->lease)) < 0)
        goto fail;
    if (key_len == 0 || memchr(kv->key, '\0', key_len)) {
        ret = -EINVAL; /* keys we read are names: never empty, never with a NUL */
        goto fail;
    }
    return 0;
fail:
    lsd_etcd_kv_clear(kv);
    return ret;
}

static int parse_event(json_t *o, struct lsd_etcd_event *ev)
{
    memset(ev, 0, sizeof(*ev));
    json_t *type = json_object_get(o, "type");
    if (type && (!json_is_string(type) || (strcmp(json_string_value(type), "PUT") != 0 &&
                                           strcmp(json_string_value(type), "DELETE") != 0)))
        return -EINVAL;
    ev->deleted = type && strcmp(json_string_value(type), "DELETE") == 0;
    return lsd_etcd_kv_parse(json_object_get(o, "kv"), &ev->kv);
}

static int deliver(json_t *reply, lsd_etcd_watch_fn fn, void *cookie)
{
    json_t *list = json_object_get(reply, "events");
    size_t count = json_is_array(list) ? json_array_size(list) : 0;
    if (list && !json_is_array(list))
        return -EINVAL;
    if (json_is_true(json_object_get(reply, "canceled")))
        return -ECANCELED; /* compacted past our revision, or refused */
    struct lsd_etcd_event *events = count ? calloc(count, sizeof(*events)) : NULL;
    if (count && !events)
        return -ENOMEM;
    int ret = 0;
    for (size_t i = 0; i < count && ret == 0; i++)
        ret = parse_event(json_array_get(list, i), &events[i]);
    if (ret == 0)
        fn(cookie, 0, lsd_etcd_revision(reply), events, count);
    for (size_t i = 0; i < count; i++)
        lsd_etcd_kv_clear(&events[i].kv);
    free(events);
    return ret;
}

int lsd_etcd_watch_message(const char *line, size_t n, lsd_etcd_watch_fn fn, void *cookie)
{
    json_error_t je;
    json_t *root = json_loadb(line, n, JSON_REJECT_DUPLICATES, &je), *reply;
    int ret = root ? lsd_etcd_reply(root, &reply) : -EINVAL;
    if (ret == 0)
        ret = deliver(reply, fn, cookie);
    if (ret < 0)
        fn(cookie, ret, 0, NULL, 0);
    json_decref(root);
    return ret;
}

void lsd_etcd_lines_init(struct lsd_etcd_lines *l, size_t max)
{
    memset(l, 0, sizeof(*l));
    l->max = max ? max : 1u << 20;
}

void lsd_etcd_lines_clear(struct lsd_etcd_lines *l)
{
    free(l->buf);
    lsd_etcd_lines_init(l, l->max);
}

static int append(struct lsd_etcd_lines *l, const char *data, size_t n)
{
    if (n == 0)
        return 0; /* an empty line first: no buffer yet, nothing to copy */
    if (l->len + n > l->max)
        return -EMSGSIZE;
    if (l->len + n > l->cap) {
        size_t cap = l->cap ? l->cap : 4096;
        while (cap < l->len + n)
            cap *= 2;
        char *p = realloc(l->buf, cap);
        if (!p)
            return -ENOMEM;
        l->buf = p;
        l->cap = cap;
    }
    memcpy(l->buf + l->len, data, n);
    l->len += n;
    return 0;
}

int lsd_etcd_lines_feed(struct lsd_etcd_lines *l, const char *data, size_t n,
                        lsd_etcd_watch_fn fn, void *cookie)
{
    while (n > 0) {
        const char *nl = memchr(data, '\n', n);
        size_t take = nl ? (size_t)(nl - data) : n;
        int ret = append(l, data, take);
        if (ret < 0)
            return ret;
        data += take;
        n -= take;
        if (!nl)
            break;
        data++; /* the newline */
        n--;
        size_t len = l->len;
        l->len = 0;
        while (len > 0 && (l->buf[len - 1] == '\r' || l->buf[len - 1] == ' '))
            len--;
        if (len > 0 && (ret = lsd_etcd_watch_message(l->buf, len, fn, cookie)) < 0)
            return ret;
    }
    return 0;
}
