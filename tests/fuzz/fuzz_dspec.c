/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for lightstreamd's request parsing and validation
 * (daemon/spec.c): the input is a request body. It is parsed with jansson
 * and read as a relay spec in the three modes the daemon uses (POST/PUT,
 * PATCH over an existing relay, the state file). Whatever validates must
 * - survive a trip through the state file's JSON unchanged (what the daemon
 *   acknowledged is what comes back after a restart),
 * - never show the source's or an output's password in the redacted JSON
 *   that API replies are built from,
 * - only hold ids, sources and outputs the validators accept.
 * No leaks: every spec is finished (meta is the only thing a spec owns).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/fuzz/fuzz.h"
#include "daemon/spec.h"

/* Occurrences of @p needle in @p hay, overlapping ones counted. */
static size_t count_in(const char *hay, const char *needle)
{
    size_t n = 0, len = strlen(needle);
    for (const char *p = hay; len && (p = strstr(p, needle)); p++)
        n++;
    return n;
}

/*
 * The raw password of scheme://user:password@host/... as FFmpeg reads it
 * (ls_url_redact() hides at least that), into @p out; "" when there is none.
 */
static void raw_password(const char *url, char *out, size_t cap)
{
    out[0] = '\0';
    const char *auth = strstr(url, "://");
    if (!auth)
        return;
    auth += 3;
    const char *end = auth + strcspn(auth, "/?#");
    const char *at = NULL, *colon = NULL;
    for (const char *p = auth; p < end; p++)
        if (*p == '@')
            at = p;
    for (const char *p = auth; at && p < at; p++)
        if (*p == ':') {
            colon = p;
            break;
        }
    if (!colon || (size_t)(at - colon - 1) >= cap)
        return;
    memcpy(out, colon + 1, (size_t)(at - colon - 1));
    out[at - colon - 1] = '\0';
}

/* A redacted URL shows one copy fewer of its password (the one in the userinfo). */
static void check_redacted(const char *secret_url, const char *shown)
{
    char pw[LSD_URL_MAX];
    raw_password(secret_url, pw, sizeof(pw));
    if (!pw[0] || strchr(pw, '*'))
        return; /* nothing hidden, or "****" itself could look like it */
    REQUIRE(count_in(shown, pw) < count_in(secret_url, pw));
}

static void check_valid(const struct lsd_relay_spec *spec)
{
    REQUIRE(memchr(spec->id, '\0', sizeof(spec->id)));
    REQUIRE(memchr(spec->name, '\0', sizeof(spec->name)));
    REQUIRE(memchr(spec->source, '\0', sizeof(spec->source)));
    REQUIRE(spec->output_count <= LSD_MAX_OUTPUTS);
    REQUIRE(spec->idle_s <= 86400 && spec->lease_s <= 86400);
    REQUIRE(spec->recording.segment_s >= 1 && spec->recording.segment_s <= LSD_SEGMENT_S_MAX);
    REQUIRE(spec->recording.max_bytes <= LSD_RECORDING_BYTES_MAX);
    if (spec->source[0])
        REQUIRE(lsd_spec_source_valid(spec->source));
    if (spec->id[0])
        REQUIRE(lsd_spec_id_valid(spec->id));
    for (size_t i = 0; i < spec->output_count; i++) {
        REQUIRE(lsd_spec_output_valid(spec->outputs[i].url));
        REQUIRE(spec->outputs[i].id >= 1 && spec->outputs[i].id < spec->next_output_id);
        for (size_t j = 0; j < i; j++)
            REQUIRE(spec->outputs[j].id != spec->outputs[i].id);
    }
}

static bool same_spec(const struct lsd_relay_spec *a, const struct lsd_relay_spec *b)
{
    if (strcmp(a->id, b->id) || strcmp(a->name, b->name) || strcmp(a->source, b->source) ||
        a->transport != b->transport || a->audio != b->audio || a->hevc != b->hevc ||
        a->on_demand != b->on_demand || a->idle_s != b->idle_s || a->lease_s != b->lease_s ||
        a->lease_deadline_ms != b->lease_deadline_ms || a->created_ms != b->created_ms ||
        a->output_count != b->output_count || a->next_output_id != b->next_output_id ||
        !lsd_recording_equal(&a->recording, &b->recording))
        return false;
    for (size_t i = 0; i < a->output_count; i++)
        if (a->outputs[i].id != b->outputs[i].id || strcmp(a->outputs[i].url, b->outputs[i].url))
            return false;
    if (!a->meta != !b->meta)
        return false;
    return !a->meta || json_equal(a->meta, b->meta);
}

/* The redacted JSON (API replies) hides every password the spec holds. */
static void check_public_json(const struct lsd_relay_spec *spec)
{
    json_t *pub = lsd_spec_to_json(spec, false);
    if (!pub)
        return; /* out of memory: allowed */
    const json_t *src = json_object_get(pub, "source");
    REQUIRE(json_is_string(src));
    check_redacted(spec->source, json_string_value(src));
    REQUIRE(!json_object_get(pub, "meta")); /* adapters' data stays private */
    const json_t *outs = json_object_get(pub, "outputs");
    REQUIRE(json_is_array(outs) && json_array_size(outs) == spec->output_count);
    for (size_t i = 0; i < spec->output_count; i++) {
        const json_t *url = json_object_get(json_array_get(outs, i), "url");
        REQUIRE(json_is_string(url));
        check_redacted(spec->outputs[i].url, json_string_value(url));
    }
    json_decref(pub);
}

/* What the state file keeps of a spec reads back as the same spec. */
static void check_roundtrip(const struct lsd_relay_spec *spec)
{
    if (!lsd_spec_id_valid(spec->id))
        return; /* POST without an id: the daemon generates one before saving */
    json_t *saved = lsd_spec_to_json(spec, true);
    if (!saved)
        return;
    /* Through text too, as the state file does. */
    char *text = json_dumps(saved, JSON_COMPACT);
    json_decref(saved);
    if (!text)
        return;
    json_error_t je;
    json_t *again = json_loads(text, 0, &je);
    free(text);
    REQUIRE(again);
    struct lsd_relay_spec back;
    char err[256];
    lsd_spec_init(&back);
    REQUIRE(lsd_spec_from_json(&back, again, LSD_SPEC_STATE, err, sizeof(err)) == 0);
    REQUIRE(same_spec(spec, &back));
    lsd_spec_finish(&back);
    json_decref(again);
}

static void check_copy(const struct lsd_relay_spec *spec)
{
    struct lsd_relay_spec copy;
    lsd_spec_copy(&copy, spec);
    REQUIRE(same_spec(spec, &copy));
    lsd_spec_finish(&copy);
}

static void one_mode(const json_t *obj, enum lsd_spec_mode mode, const struct lsd_relay_spec *base)
{
    struct lsd_relay_spec spec;
    char err[256] = "";
    if (base)
        lsd_spec_copy(&spec, base);
    else
        lsd_spec_init(&spec);
    int e = lsd_spec_from_json(&spec, obj, mode, err, sizeof(err));
    REQUIRE(e == 0 || e == -EINVAL || e == -ENOMEM);
    REQUIRE(memchr(err, '\0', sizeof(err)));
    if (e == -EINVAL)
        REQUIRE(err[0] != '\0'); /* a 400 always says what is wrong */
    if (e == 0) {
        if (mode != LSD_SPEC_PATCH)
            REQUIRE(spec.source[0]);
        check_valid(&spec);
        check_public_json(&spec);
        check_roundtrip(&spec);
        check_copy(&spec);
    }
    lsd_spec_finish(&spec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *obj = json_loadb((const char *)data, size, 0, &je);
    if (!obj)
        return 0;

    one_mode(obj, LSD_SPEC_CREATE, NULL);
    one_mode(obj, LSD_SPEC_STATE, NULL);

    /* PATCH applies over an existing relay, with outputs and adapter data. */
    struct lsd_relay_spec base;
    char err[256];
    lsd_spec_init(&base);
    json_t *b = json_pack("{s:s, s:s, s:[s, s], s:b, s:i, s:I, s:{s:s}}",
                          "id", "cam1", "source", "rtsp://admin:hunter22@127.0.0.1:554/x",
                          "outputs", "rtmp://127.0.0.1/live/a", "/tmp/b.flv",
                          "on_demand", 1, "lease_s", 30, "created_ms", (json_int_t)1700000000000,
                          "meta", "origin", "fuzz");
    REQUIRE(b);
    REQUIRE(lsd_spec_from_json(&base, b, LSD_SPEC_STATE, err, sizeof(err)) == 0);
    json_decref(b);
    one_mode(obj, LSD_SPEC_PATCH, &base);
    lsd_spec_finish(&base);

    json_decref(obj);
    return 0;
}
