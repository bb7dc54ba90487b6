/*
 * Secrets out of JSON replies (see redact.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lightstream/redact.h"

#include "daemon/redact.h"

/* Only a URL holds something to hide (ls_redact_text() without a secret). */
static bool has_url(const char *s, size_t len)
{
    return memmem(s, len, "://", 3) != NULL;
}

/* A new string with @p s (of @p len bytes, NULs included) redacted. */
static json_t *redact_string(const char *s, size_t len)
{
    char *in = malloc(len + 1);
    if (!in)
        return NULL;
    for (size_t i = 0; i < len; i++)
        in[i] = s[i] ? s[i] : '?';
    in[len] = '\0';
    size_t need = ls_redact_text(in, NULL, NULL, 0);
    char *out = malloc(need + 1);
    json_t *str = NULL;
    if (out) {
        ls_redact_text(in, NULL, out, need + 1);
        str = json_stringn(out, need);
    }
    free(out);
    free(in);
    return str;
}

/* jansson's *_new setters take the value even when they fail (and refuse a
 * NULL one), so an out-of-memory anywhere needs only the container freed. */
static json_t *redact_object(const json_t *v)
{
    json_t *o = json_object();
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)v, key, member) {
        size_t len = strlen(key);
        bool url = has_url(key, len);
        json_t *k = url ? redact_string(key, len) : NULL;
        int ret = -1;
        if (o && (k || !url))
            ret = json_object_set_new(o, k ? json_string_value(k) : key, lsd_redact_json(member));
        json_decref(k);
        if (ret < 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

static json_t *redact_array(const json_t *v)
{
    json_t *a = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!a || json_array_append_new(a, lsd_redact_json(e)) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *lsd_redact_json(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (!has_url(json_string_value(v), json_string_length(v)))
            return json_incref((json_t *)v); /* shared, never changed */
        return redact_string(json_string_value(v), json_string_length(v));
    case JSON_OBJECT:
        return redact_object(v);
    case JSON_ARRAY:
        return redact_array(v);
    default: /* numbers, booleans, null: nothing to hide, nothing mutated */
        return json_incref((json_t *)v);
    }
}
