/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AMF0 writer and reader (see amf0.h; Adobe AMF0 specification, 2007).
 */
#include <errno.h>
#include <string.h>

#include "lib/util/bytes.h"
#include "lib/flv/amf0.h"

#define MAX_DEPTH 32

/* --- writer ------------------------------------------------------------- */

uint8_t *ls_amf0_reserve(struct ls_amf0_writer *w, size_t n)
{
    if (w->overflow || n > w->cap - w->pos) {
        w->overflow = true;
        return NULL;
    }
    uint8_t *p = w->out + w->pos;
    w->pos += n;
    return p;
}

void ls_amf0_bytes(struct ls_amf0_writer *w, const void *src, size_t n)
{
    uint8_t *p = ls_amf0_reserve(w, n);
    if (p && n)
        memcpy(p, src, n);
}

void ls_amf0_u8(struct ls_amf0_writer *w, uint8_t v)
{
    ls_amf0_bytes(w, &v, 1);
}

void ls_amf0_utf8(struct ls_amf0_writer *w, const char *s)
{
    size_t n = strlen(s);
    if (n > 0xffff) {
        w->overflow = true; /* a long string would need another type: never ours */
        return;
    }
    uint8_t *p = ls_amf0_reserve(w, 2);
    if (p)
        ls_put_be16(p, (uint32_t)n);
    ls_amf0_bytes(w, s, n);
}

void ls_amf0_number(struct ls_amf0_writer *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits)); /* IEEE 754 double, big-endian */
    uint8_t *p = ls_amf0_reserve(w, 9);
    if (!p)
        return;
    p[0] = LS_AMF0_NUMBER;
    for (int i = 0; i < 8; i++)
        p[1 + i] = (uint8_t)(bits >> (56 - 8 * i));
}

void ls_amf0_bool(struct ls_amf0_writer *w, bool v)
{
    ls_amf0_u8(w, LS_AMF0_BOOLEAN);
    ls_amf0_u8(w, v ? 1 : 0);
}

void ls_amf0_string(struct ls_amf0_writer *w, const char *s)
{
    ls_amf0_u8(w, LS_AMF0_STRING);
    ls_amf0_utf8(w, s);
}

void ls_amf0_null(struct ls_amf0_writer *w)
{
    ls_amf0_u8(w, LS_AMF0_NULL);
}

void ls_amf0_object_begin(struct ls_amf0_writer *w)
{
    ls_amf0_u8(w, LS_AMF0_OBJECT);
}

void ls_amf0_object_end(struct ls_amf0_writer *w)
{
    static const uint8_t end[3] = {0, 0, LS_AMF0_OBJECT_END};
    ls_amf0_bytes(w, end, sizeof(end));
}

void ls_amf0_prop_number(struct ls_amf0_writer *w, const char *name, double v)
{
    ls_amf0_utf8(w, name);
    ls_amf0_number(w, v);
}

void ls_amf0_prop_bool(struct ls_amf0_writer *w, const char *name, bool v)
{
    ls_amf0_utf8(w, name);
    ls_amf0_bool(w, v);
}

void ls_amf0_prop_string(struct ls_amf0_writer *w, const char *name, const char *v)
{
    ls_amf0_utf8(w, name);
    ls_amf0_string(w, v);
}

/* --- reader ------------------------------------------------------------- */

static const uint8_t *take(struct ls_amf0_reader *r, size_t n)
{
    if (n > r->left)
        return NULL;
    const uint8_t *p = r->p;
    r->p += n;
    r->left -= n;
    return p;
}

/* A length-prefixed string (16- or 32-bit length). */
static int read_str(struct ls_amf0_reader *r, size_t len_size, struct ls_amf0_value *v)
{
    const uint8_t *p = take(r, len_size);
    if (!p)
        return -EBADMSG;
    size_t n = len_size == 2 ? ls_get_be16(p) : ls_get_be32(p);
    const uint8_t *s = take(r, n);
    if (!s)
        return -EBADMSG;
    v->str = (const char *)s;
    v->len = n;
    return 0;
}

static double read_double(const uint8_t *p)
{
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits = bits << 8 | p[i];
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

static int read_value(struct ls_amf0_reader *r, struct ls_amf0_value *v, int depth);

/* Properties up to the end marker; an ECMA array may also end at the input's end (seen in
 * the wild: encoders that omit the marker). */
static int skip_props(struct ls_amf0_reader *r, int depth, bool ecma)
{
    struct ls_amf0_value name, val;
    for (;;) {
        if (ecma && r->left == 0)
            return 0;
        int err = read_str(r, 2, &name);
        if (err < 0)
            return err;
        if (name.len == 0 && r->left && r->p[0] == LS_AMF0_OBJECT_END) {
            take(r, 1);
            return 0;
        }
        if ((err = read_value(r, &val, depth + 1)) < 0)
            return err;
    }
}

static int read_compound(struct ls_amf0_reader *r, struct ls_amf0_value *v, int depth)
{
    if (depth >= MAX_DEPTH)
        return -EBADMSG;
    if (v->type == LS_AMF0_OBJECT)
        return skip_props(r, depth, false);
    const uint8_t *p = take(r, 4);
    if (!p)
        return -EBADMSG;
    if (v->type == LS_AMF0_ECMA_ARRAY)
        return skip_props(r, depth, true);
    uint32_t n = ls_get_be32(p);
    struct ls_amf0_value item;
    for (uint32_t i = 0; i < n; i++) {
        int err = read_value(r, &item, depth + 1);
        if (err < 0)
            return err;
    }
    return 0;
}

static int read_value(struct ls_amf0_reader *r, struct ls_amf0_value *v, int depth)
{
    const uint8_t *p = take(r, 1);
    if (!p)
        return -EBADMSG;
    memset(v, 0, sizeof(*v));
    v->type = (enum ls_amf0_type)p[0];
    switch (p[0]) {
    case LS_AMF0_NUMBER:
        if (!(p = take(r, 8)))
            return -EBADMSG;
        v->number = read_double(p);
        return 0;
    case LS_AMF0_BOOLEAN:
        if (!(p = take(r, 1)))
            return -EBADMSG;
        v->boolean = p[0] != 0;
        return 0;
    case LS_AMF0_STRING:
        return read_str(r, 2, v);
    case LS_AMF0_LONG_STRING:
        return read_str(r, 4, v);
    case LS_AMF0_NULL:
    case LS_AMF0_UNDEFINED:
        return 0;
    case LS_AMF0_DATE: /* a double and a 16-bit time zone */
        if (!(p = take(r, 10)))
            return -EBADMSG;
        v->number = read_double(p);
        return 0;
    case LS_AMF0_OBJECT:
    case LS_AMF0_ECMA_ARRAY:
    case LS_AMF0_STRICT_ARRAY:
        return read_compound(r, v, depth);
    default: /* movieclip, reference, AMF3 switch, typed object...: not from a server of ours */
        return -EBADMSG;
    }
}

int ls_amf0_read(struct ls_amf0_reader *r, struct ls_amf0_value *v)
{
    if (r->left == 0)
        return -ENODATA;
    return read_value(r, v, 0);
}

int ls_amf0_object_find(const struct ls_amf0_reader *at, const char *name, struct ls_amf0_value *v)
{
    struct ls_amf0_reader r = *at;
    const uint8_t *p = take(&r, 1);
    if (!p)
        return -EBADMSG;
    if (p[0] == LS_AMF0_ECMA_ARRAY && !take(&r, 4))
        return -EBADMSG;
    if (p[0] != LS_AMF0_OBJECT && p[0] != LS_AMF0_ECMA_ARRAY)
        return -EBADMSG;
    size_t want = strlen(name);
    struct ls_amf0_value key;
    while (r.left) {
        int err = read_str(&r, 2, &key);
        if (err < 0)
            return err;
        if (key.len == 0 && r.left && r.p[0] == LS_AMF0_OBJECT_END)
            return -ENOENT;
        if ((err = read_value(&r, v, 1)) < 0)
            return err;
        if (key.len == want && memcmp(key.str, name, want) == 0)
            return 0;
    }
    return -ENOENT;
}

bool ls_amf0_is_string(const struct ls_amf0_value *v, const char *s)
{
    size_t n = strlen(s);
    return (v->type == LS_AMF0_STRING || v->type == LS_AMF0_LONG_STRING) && v->len == n &&
           memcmp(v->str, s, n) == 0;
}
