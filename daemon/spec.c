/*
 * Relay specs: validation of API requests and state files, and their JSON.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lightstream/redact.h"

#include "daemon/spec.h"

static const char *const transport_names[] = {"tcp", "udp", "http", "auto"};
static const char *const audio_names[] = {"all", "aac", "none"};
static const char *const hevc_names[] = {"enhanced", "codec12"};
static const char *const engine_names[] = {"libavformat", "native", "auto"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

const char *lsd_transport_name(enum ls_transport t)
{
    return (unsigned)t < COUNT(transport_names) ? transport_names[t] : "tcp";
}

const char *lsd_audio_name(enum ls_audio_policy a)
{
    return (unsigned)a < COUNT(audio_names) ? audio_names[a] : "all";
}

const char *lsd_hevc_name(enum ls_hevc_mode h)
{
    return (unsigned)h < COUNT(hevc_names) ? hevc_names[h] : "enhanced";
}

const char *lsd_engine_name(enum ls_input_engine e)
{
    return (unsigned)e < COUNT(engine_names) ? engine_names[e] : "libavformat";
}

void lsd_spec_init(struct lsd_relay_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    spec->transport = LS_TRANSPORT_TCP;
    spec->audio = LS_AUDIO_PASS_ALL;
    spec->hevc = LS_HEVC_ENHANCED;
    spec->engine = LS_ENGINE_LIBAVFORMAT;
    spec->next_output_id = 1;
    spec->recording.segment_s = LSD_SEGMENT_S_DEFAULT;
}

void lsd_spec_finish(struct lsd_relay_spec *spec)
{
    if (spec->meta)
        json_decref(spec->meta);
    spec->meta = NULL;
}

void lsd_spec_copy(struct lsd_relay_spec *dst, const struct lsd_relay_spec *src)
{
    *dst = *src;
    if (dst->meta)
        json_incref(dst->meta);
}

bool lsd_recording_equal(const struct lsd_recording_spec *a, const struct lsd_recording_spec *b)
{
    return a->enabled == b->enabled && a->segment_s == b->segment_s &&
           a->max_age_s == b->max_age_s && a->max_bytes == b->max_bytes;
}

static int fail(char *err, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* The index of v's word in names, or -EINVAL. Returned, not stored through an
 * out-parameter: fail() is variadic, so never inlined, and the compiler cannot
 * see that it always returns non-zero; it then warned (-O3) that the caller
 * might read the index unset. */
static int pick(const char *const *names, size_t n, const json_t *v, const char *field,
                char *err, size_t size)
{
    if (!json_is_string(v))
        return fail(err, size, "'%s' must be a string", field);
    for (size_t i = 0; i < n; i++)
        if (strcmp(json_string_value(v), names[i]) == 0)
            return (int)i;
    return fail(err, size, "'%s' must be one of %s%s%s%s%s%s%s", field, names[0],
                n > 1 ? ", " : "", n > 1 ? names[1] : "", n > 2 ? ", " : "", n > 2 ? names[2] : "",
                n > 3 ? ", " : "", n > 3 ? names[3] : "");
}

static int uint_field(const json_t *v, const char *field, uint32_t max, uint32_t *out, char *err,
                      size_t size)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return fail(err, size, "'%s' must be an integer from 0 to %u", field, max);
    *out = (uint32_t)json_integer_value(v);
    return 0;
}

static int str_field(const json_t *v, const char *field, char *out, size_t cap, char *err,
                     size_t size)
{
    if (!json_is_string(v))
        return fail(err, size, "'%s' must be a string", field);
    if (json_string_length(v) >= cap || strlen(json_string_value(v)) != json_string_length(v))
        return fail(err, size, "'%s' is too long or holds a NUL byte", field);
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

/* "outputs": API form is a list of URL strings; the state file keeps {id, url} objects. */
static int read_outputs(struct lsd_relay_spec *spec, const json_t *v, enum lsd_spec_mode mode,
                        char *err, size_t size)
{
    if (!json_is_array(v))
        return fail(err, size, "'outputs' must be a list");
    if (json_array_size(v) > LSD_MAX_OUTPUTS)
        return fail(err, size, "'outputs' holds more than %d entries", LSD_MAX_OUTPUTS);
    size_t i;
    const json_t *e;
    spec->output_count = 0;
    json_array_foreach(v, i, e) {
        struct lsd_output_spec *o = &spec->outputs[i];
        const json_t *url = e;
        o->id = spec->next_output_id;
        if (mode == LSD_SPEC_STATE && json_is_object(e)) {
            const json_t *id = json_object_get(e, "id");
            url = json_object_get(e, "url");
            if (!json_is_integer(id) || json_integer_value(id) < 1 ||
                json_integer_value(id) > 1000000)
                return fail(err, size, "outputs[%zu].id must be a positive integer", i);
            o->id = (int)json_integer_value(id);
        }
        if (!json_is_string(url) || json_string_length(url) >= LSD_URL_MAX ||
            !lsd_spec_output_valid(json_string_value(url)))
            return fail(err, size, "outputs[%zu] must be an rtmp:// or rtmps:// URL, or a .flv "
                        "file in the recordings directory (no '..')", i);
        snprintf(o->url, sizeof(o->url), "%s", json_string_value(url));
        for (size_t j = 0; j < i; j++)
            if (spec->outputs[j].id == o->id)
                return fail(err, size, "outputs[%zu].id is a duplicate", i);
        if (o->id >= spec->next_output_id)
            spec->next_output_id = o->id + 1;
        spec->output_count = i + 1;
    }
    return 0;
}

/* "recording": an object; the fields it leaves out keep their value (a PATCH changes
 * only what it gives, like the relay's own fields). */
static int read_recording(struct lsd_recording_spec *rec, const json_t *v, char *err, size_t size)
{
    if (!json_is_object(v))
        return fail(err, size, "'recording' must be an object");
    const char *key;
    const json_t *f;
    int e = 0;
    json_object_foreach((json_t *)v, key, f) {
        if (strcmp(key, "enabled") == 0) {
            if (!json_is_boolean(f))
                return fail(err, size, "'recording.enabled' must be true or false");
            rec->enabled = json_is_true(f);
        } else if (strcmp(key, "segment_s") == 0) {
            e = uint_field(f, "recording.segment_s", LSD_SEGMENT_S_MAX, &rec->segment_s, err,
                           size);
            if (!e && rec->segment_s == 0)
                e = fail(err, size, "'recording.segment_s' must be from 1 to %d",
                         LSD_SEGMENT_S_MAX);
        } else if (strcmp(key, "max_age_s") == 0) {
            e = uint_field(f, "recording.max_age_s", UINT32_MAX / 2, &rec->max_age_s, err, size);
        } else if (strcmp(key, "max_bytes") == 0) {
            if (!json_is_integer(f) || json_integer_value(f) < 0 ||
                (uint64_t)json_integer_value(f) > LSD_RECORDING_BYTES_MAX)
                return fail(err, size, "'recording.max_bytes' must be an integer from 0 to 2^53");
            rec->max_bytes = (uint64_t)json_integer_value(f);
        } else {
            return fail(err, size, "unknown field 'recording.%.64s'", key);
        }
        if (e)
            return e;
    }
    return 0;
}

static int read_time(const json_t *v, const char *field, int64_t *out, char *err, size_t size)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return fail(err, size, "'%s' must be a non-negative integer", field);
    *out = json_integer_value(v);
    return 0;
}

static int read_field(struct lsd_relay_spec *spec, const char *key, const json_t *v,
                      enum lsd_spec_mode mode, char *err, size_t size)
{
    int e = 0, x;
    if (strcmp(key, "id") == 0) {
        if (mode == LSD_SPEC_PATCH) {
            if (!json_is_string(v) || strcmp(json_string_value(v), spec->id) != 0)
                return fail(err, size, "'id' cannot be changed");
            return 0;
        }
        e = str_field(v, key, spec->id, sizeof(spec->id), err, size);
        if (!e && !lsd_spec_id_valid(spec->id))
            e = fail(err, size, "'id' must match [A-Za-z0-9_.-]{1,64} and not start with '.'");
    } else if (strcmp(key, "name") == 0) {
        e = str_field(v, key, spec->name, sizeof(spec->name), err, size);
    } else if (strcmp(key, "source") == 0) {
        e = str_field(v, key, spec->source, sizeof(spec->source), err, size);
        if (!e && !lsd_spec_source_valid(spec->source))
            e = fail(err, size, "'source' must be an rtsp:// or rtsps:// URL with a host");
    } else if (strcmp(key, "transport") == 0) {
        if ((x = pick(transport_names, COUNT(transport_names), v, key, err, size)) < 0)
            return x;
        spec->transport = (enum ls_transport)x;
    } else if (strcmp(key, "audio") == 0) {
        if ((x = pick(audio_names, COUNT(audio_names), v, key, err, size)) < 0)
            return x;
        spec->audio = (enum ls_audio_policy)x;
    } else if (strcmp(key, "hevc") == 0) {
        if ((x = pick(hevc_names, COUNT(hevc_names), v, key, err, size)) < 0)
            return x;
        spec->hevc = (enum ls_hevc_mode)x;
    } else if (strcmp(key, "engine") == 0) {
        if ((x = pick(engine_names, COUNT(engine_names), v, key, err, size)) < 0)
            return x;
        spec->engine = (enum ls_input_engine)x;
    } else if (strcmp(key, "on_demand") == 0) {
        if (!json_is_boolean(v))
            return fail(err, size, "'on_demand' must be true or false");
        spec->on_demand = json_is_true(v);
    } else if (strcmp(key, "idle_s") == 0) {
        e = uint_field(v, key, 86400, &spec->idle_s, err, size);
    } else if (strcmp(key, "lease_s") == 0) {
        e = uint_field(v, key, 86400, &spec->lease_s, err, size);
    } else if (strcmp(key, "outputs") == 0) {
        e = read_outputs(spec, v, mode, err, size);
    } else if (strcmp(key, "recording") == 0) {
        e = read_recording(&spec->recording, v, err, size);
    } else if (mode == LSD_SPEC_STATE && strcmp(key, "created_ms") == 0) {
        e = read_time(v, key, &spec->created_ms, err, size);
    } else if (mode == LSD_SPEC_STATE && strcmp(key, "lease_deadline_ms") == 0) {
        e = read_time(v, key, &spec->lease_deadline_ms, err, size);
    } else if (mode == LSD_SPEC_STATE && strcmp(key, "next_output_id") == 0) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000)
            return fail(err, size, "'next_output_id' must be a positive integer");
        if (json_integer_value(v) > spec->next_output_id)
            spec->next_output_id = (int)json_integer_value(v);
    } else if (mode == LSD_SPEC_STATE && strcmp(key, "meta") == 0) {
        if (!json_is_object(v))
            return fail(err, size, "'meta' must be an object");
        if (spec->meta)
            json_decref(spec->meta);
        spec->meta = json_deep_copy(v);
        if (!spec->meta)
            return -ENOMEM;
    } else {
        return fail(err, size, "unknown field '%s'", key);
    }
    return e;
}

int lsd_spec_from_json(struct lsd_relay_spec *spec, const json_t *obj, enum lsd_spec_mode mode,
                       char *err, size_t err_size)
{
    if (!json_is_object(obj))
        return fail(err, err_size, "the body must be a JSON object");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        int e = read_field(spec, key, v, mode, err, err_size);
        if (e)
            return e;
    }
    if (mode != LSD_SPEC_PATCH && spec->source[0] == '\0')
        return fail(err, err_size, "'source' is required");
    if (mode == LSD_SPEC_STATE && !lsd_spec_id_valid(spec->id))
        return fail(err, err_size, "a relay without a valid 'id'");
    return 0;
}

static json_t *outputs_json(const struct lsd_relay_spec *spec, bool with_secrets)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < spec->output_count; i++) {
        char url[LSD_URL_MAX];
        if (with_secrets)
            snprintf(url, sizeof(url), "%s", spec->outputs[i].url);
        else
            ls_url_redact(spec->outputs[i].url, url, sizeof(url));
        json_array_append_new(a, json_pack("{s:i, s:s}", "id", spec->outputs[i].id, "url", url));
    }
    return a;
}

static json_t *recording_json(const struct lsd_recording_spec *rec)
{
    return json_pack("{s:b, s:I, s:I, s:I}", "enabled", rec->enabled,
                     "segment_s", (json_int_t)rec->segment_s,
                     "max_age_s", (json_int_t)rec->max_age_s,
                     "max_bytes", (json_int_t)rec->max_bytes);
}

json_t *lsd_spec_to_json(const struct lsd_relay_spec *spec, bool with_secrets)
{
    char source[LSD_URL_MAX];
    if (with_secrets)
        snprintf(source, sizeof(source), "%s", spec->source);
    else
        ls_url_redact(spec->source, source, sizeof(source));
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:I, s:I, s:o}",
                          "id", spec->id, "name", spec->name, "source", source,
                          "transport", lsd_transport_name(spec->transport),
                          "audio", lsd_audio_name(spec->audio), "hevc", lsd_hevc_name(spec->hevc),
                          "on_demand", spec->on_demand, "idle_s", (json_int_t)spec->idle_s,
                          "lease_s", (json_int_t)spec->lease_s,
                          "outputs", outputs_json(spec, with_secrets));
    if (o) {
        json_object_set_new(o, "recording", recording_json(&spec->recording));
        json_object_set_new(o, "engine", json_string(lsd_engine_name(spec->engine)));
    }
    if (o && with_secrets) {
        json_object_set_new(o, "created_ms", json_integer(spec->created_ms));
        json_object_set_new(o, "lease_deadline_ms", json_integer(spec->lease_deadline_ms));
        json_object_set_new(o, "next_output_id", json_integer(spec->next_output_id));
        if (spec->meta)
            json_object_set(o, "meta", spec->meta);
    }
    return o;
}
