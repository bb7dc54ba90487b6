/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for lightstreamd's state-file loader (daemon/state.c): the
 * input is a state.json as found on disk after a crash, an edit by hand or a
 * disk error. lsd_state_parse must never crash or leak; what it loads must
 * be valid (ids unique and well-formed, sources and outputs acceptable), and
 * written back in the state file's format it must load again as the same
 * relays: a restart after a restart changes nothing.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/fuzz/fuzz.h"
#include "daemon/spec.h"
#include "daemon/state.h"

static void check_loaded(const struct lsd_state *st)
{
    REQUIRE(json_is_object(st->compat));
    for (size_t i = 0; i < st->count; i++) {
        const struct lsd_relay_spec *r = &st->relays[i];
        REQUIRE(lsd_spec_id_valid(r->id));
        REQUIRE(lsd_spec_source_valid(r->source));
        REQUIRE(r->output_count <= LSD_MAX_OUTPUTS);
        for (size_t k = 0; k < r->output_count; k++)
            REQUIRE(lsd_spec_output_valid(r->outputs[k].url) && r->outputs[k].id >= 1 &&
                    r->outputs[k].id < r->next_output_id);
        REQUIRE(!r->meta || json_is_object(r->meta));
        for (size_t j = 0; j < i; j++)
            REQUIRE(strcmp(st->relays[j].id, r->id) != 0);
    }
}

/* The state file's text for @p st, as lsd_state_save writes it (without the I/O). */
static char *state_text(const struct lsd_state *st)
{
    json_t *list = json_array();
    json_t *root = json_pack("{s:i, s:o, s:O}", "version", 1, "relays", list, "compat", st->compat);
    if (!root)
        return NULL;
    for (size_t i = 0; i < st->count; i++) {
        json_t *one = lsd_spec_to_json(&st->relays[i], true);
        if (!one || json_array_append_new(list, one) < 0) {
            json_decref(root);
            return NULL;
        }
    }
    char *text = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(root);
    return text;
}

static bool same_spec(const struct lsd_relay_spec *a, const struct lsd_relay_spec *b)
{
    json_t *ja = lsd_spec_to_json(a, true), *jb = lsd_spec_to_json(b, true);
    bool same = ja && jb && json_equal(ja, jb);
    if (!ja || !jb)
        same = true; /* out of memory: nothing to compare */
    json_decref(ja);
    json_decref(jb);
    return same;
}

static void check_reload(const struct lsd_state *st)
{
    char *text = state_text(st);
    if (!text)
        return;
    struct lsd_state again;
    char err[512];
    int e = lsd_state_parse(&again, text, strlen(text), err, sizeof(err));
    free(text);
    if (e == -ENOMEM)
        return;
    REQUIRE(e == 0);
    REQUIRE(err[0] == '\0'); /* nothing written by the daemon is skipped on load */
    REQUIRE(again.count == st->count);
    REQUIRE(json_equal(again.compat, st->compat));
    for (size_t i = 0; i < st->count; i++)
        REQUIRE(same_spec(&st->relays[i], &again.relays[i]));
    lsd_state_finish(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lsd_state st;
    char err[512];
    memset(err, 'x', sizeof(err));
    int e = lsd_state_parse(&st, (const char *)data, size, err, sizeof(err));
    REQUIRE(e == 0 || e == -EINVAL || e == -ENOMEM);
    REQUIRE(memchr(err, '\0', sizeof(err)));
    if (e == 0) {
        check_loaded(&st);
        check_reload(&st);
        lsd_state_finish(&st);
    } else {
        REQUIRE(err[0] != '\0'); /* a refused file is explained in the log */
        REQUIRE(st.relays == NULL && st.count == 0 && st.compat == NULL);
    }
    /* Finishing twice (or a refused state) must be harmless. */
    lsd_state_finish(&st);
    return 0;
}
