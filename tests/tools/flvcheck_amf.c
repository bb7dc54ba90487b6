/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * flvcheck, script tags: AMF0 (Adobe AMF0 spec; FLV v10.1 E.4.4). The
 * scalar properties of onMetaData are kept for the report; nested values
 * are skipped with bounds and a depth limit.
 */
#include <string.h>

#include "tests/tools/flvcheck.h"

enum {
    AMF_NUMBER = 0,
    AMF_BOOLEAN = 1,
    AMF_STRING = 2,
    AMF_OBJECT = 3,
    AMF_NULL = 5,
    AMF_UNDEFINED = 6,
    AMF_REFERENCE = 7,
    AMF_ECMA_ARRAY = 8,
    AMF_OBJECT_END = 9,
    AMF_STRICT_ARRAY = 10,
    AMF_DATE = 11,
    AMF_LONG_STRING = 12,
    AMF_UNSUPPORTED = 13,
    AMF_XML_DOCUMENT = 15,
    AMF_TYPED_OBJECT = 16,
};

#define MAX_DEPTH 32

struct amf {
    const uint8_t *p;
    size_t n, pos;
    const char *why; /* set once the data is found bad */
};

static bool need(struct amf *a, size_t k, const char *why)
{
    if (a->why)
        return false;
    if (a->n - a->pos < k) {
        a->why = why;
        return false;
    }
    return true;
}

static uint32_t take(struct amf *a, int bytes)
{
    if (!need(a, (size_t)bytes, "truncated"))
        return 0;
    uint32_t v = fc_be(a->p + a->pos, bytes);
    a->pos += (size_t)bytes;
    return v;
}

static void skip(struct amf *a, size_t k)
{
    if (need(a, k, "truncated"))
        a->pos += k;
}

/* Copies a string of @p len bytes, cut to fit @p cap. */
static void take_string(struct amf *a, size_t len, char *dst, size_t cap)
{
    dst[0] = 0;
    if (!need(a, len, "truncated string"))
        return;
    size_t keep = len < cap - 1 ? len : cap - 1;
    memcpy(dst, a->p + a->pos, keep);
    dst[keep] = 0;
    a->pos += len;
}

static bool at_object_end(struct amf *a)
{
    return a->n - a->pos >= 3 && a->p[a->pos] == 0 && a->p[a->pos + 1] == 0 &&
           a->p[a->pos + 2] == AMF_OBJECT_END;
}

static void skip_value(struct amf *a, int depth);

/* Name/value pairs up to and including the object end marker 00 00 09. */
static void skip_props(struct amf *a, int depth)
{
    while (!a->why) {
        if (at_object_end(a)) {
            a->pos += 3;
            return;
        }
        skip(a, take(a, 2));
        skip_value(a, depth);
    }
}

static void skip_value(struct amf *a, int depth)
{
    if (depth > MAX_DEPTH) {
        a->why = "values nested too deep";
        return;
    }
    switch (take(a, 1)) {
    case AMF_NUMBER: skip(a, 8); break;
    case AMF_BOOLEAN: skip(a, 1); break;
    case AMF_STRING: skip(a, take(a, 2)); break;
    case AMF_LONG_STRING:
    case AMF_XML_DOCUMENT: skip(a, take(a, 4)); break;
    case AMF_REFERENCE: skip(a, 2); break;
    case AMF_DATE: skip(a, 10); break;
    case AMF_NULL:
    case AMF_UNDEFINED:
    case AMF_UNSUPPORTED: break;
    case AMF_TYPED_OBJECT:
        skip(a, take(a, 2)); /* class name */
        skip_props(a, depth + 1);
        break;
    case AMF_ECMA_ARRAY:
        skip(a, 4); /* the count; the properties follow as in an object */
        skip_props(a, depth + 1);
        break;
    case AMF_OBJECT: skip_props(a, depth + 1); break;
    case AMF_STRICT_ARRAY:
        for (uint32_t i = 0, count = take(a, 4); i < count && !a->why; i++)
            skip_value(a, depth + 1);
        break;
    default:
        if (!a->why)
            a->why = "unknown AMF0 type marker";
    }
}

static double take_double(struct amf *a)
{
    uint64_t bits = (uint64_t)take(a, 4) << 32;
    bits |= take(a, 4);
    double d;
    memcpy(&d, &bits, sizeof(d));
    return d;
}

/* Reads one value into @p prop; false when it is not a scalar (then skipped). */
static bool take_scalar(struct amf *a, struct fc_prop *prop)
{
    if (!need(a, 1, "truncated"))
        return false;
    switch (a->p[a->pos]) {
    case AMF_NUMBER:
        a->pos++;
        prop->type = FC_AMF_NUMBER;
        prop->number = take_double(a);
        return true;
    case AMF_BOOLEAN:
        a->pos++;
        prop->type = FC_AMF_BOOL;
        prop->boolean = take(a, 1) != 0;
        return true;
    case AMF_STRING:
        a->pos++;
        prop->type = FC_AMF_STRING;
        take_string(a, take(a, 2), prop->string, sizeof(prop->string));
        return true;
    case AMF_NULL:
    case AMF_UNDEFINED:
        a->pos++;
        prop->type = FC_AMF_NULL;
        return true;
    default:
        skip_value(a, 1);
        return false;
    }
}

static bool known(const struct fc_meta *m, const char *name)
{
    for (int i = 0; i < m->nprops; i++)
        if (!strcmp(m->props[i].name, name))
            return true;
    return false;
}

/* The properties of the onMetaData array or object; returns how many were read. */
static uint32_t read_props(struct amf *a, struct fc_meta *m)
{
    uint32_t count = 0;
    m->nprops = 0;
    while (!a->why) {
        if (at_object_end(a)) {
            a->pos += 3;
            return count;
        }
        if (a->n - a->pos < 3) {
            a->why = "no object end marker (00 00 09)";
            break;
        }
        struct fc_prop prop = { .type = FC_AMF_NULL };
        take_string(a, take(a, 2), prop.name, sizeof(prop.name));
        bool scalar = take_scalar(a, &prop);
        count++;
        if (scalar && !a->why && !known(m, prop.name) && m->nprops < FC_MAX_PROPS)
            m->props[m->nprops++] = prop;
    }
    return count;
}

static void on_metadata(struct fc *c, struct amf *a)
{
    c->meta.tags++;
    uint32_t type = take(a, 1), declared = 0;
    if (type == AMF_ECMA_ARRAY) {
        declared = take(a, 4);
    } else if (type != AMF_OBJECT) {
        fc_error(c, "onMetaData holds AMF0 type %u, want an ECMA array (8) or object (3)", type);
        return;
    }
    uint32_t count = read_props(a, &c->meta);
    if (a->why) {
        fc_error(c, "onMetaData: %s", a->why);
        return;
    }
    if (type == AMF_ECMA_ARRAY && declared != count)
        fc_warn(c, "onMetaData ECMA array declares %u properties and holds %u", declared, count);
    if (a->pos != a->n)
        fc_warn(c, "%zu bytes follow the onMetaData array", a->n - a->pos);
}

void fc_script_tag(struct fc *c, const uint8_t *b, size_t n)
{
    struct amf a = { .p = b, .n = n };
    char name[64];
    if (take(&a, 1) != AMF_STRING) {
        fc_error(c, "script tag does not start with an AMF0 string");
        return;
    }
    take_string(&a, take(&a, 2), name, sizeof(name));
    /* RTMP publishers wrap it as @setDataFrame, onMetaData, value. */
    if (!a.why && !strcmp(name, "@setDataFrame") && take(&a, 1) == AMF_STRING)
        take_string(&a, take(&a, 2), name, sizeof(name));
    if (a.why) {
        fc_error(c, "script tag: %s", a.why);
        return;
    }
    if (strcmp(name, "onMetaData")) {
        fc_warn(c, "script data \"%s\" is not checked", name);
        return;
    }
    on_metadata(c, &a);
}
