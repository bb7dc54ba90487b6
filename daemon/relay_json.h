/*
 * JSON of relays for API replies (transport-free: routes_*.c send it).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_RELAY_JSON_H
#define LSD_RELAY_JSON_H

#include <jansson.h>

struct lsd_relay;
struct lsd_server;

/**
 * The relay object of docs/http-api.md: spec (redacted), live state and
 * statistics, play URLs built on @p base ("http://host:port").
 */
json_t *lsd_relay_json(struct lsd_server *s, struct lsd_relay *r, const char *base);
/** One output's object, @p index into r->spec.outputs. */
json_t *lsd_output_json(struct lsd_relay *r, size_t index);
/** "<base>/live/<id>.flv" (malloc'd). */
char *lsd_flv_url(const char *base, const char *id);
/** ISO 8601 UTC of a wall-clock ms time into @p out. */
void lsd_iso_time(int64_t ms, char *out, size_t size);

#endif
