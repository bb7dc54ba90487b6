/*
 * Secrets out of JSON replies: every string of a reply goes through the
 * library's redactor (lightstream/redact.h) before it is serialized, so the
 * daemon hides exactly what the library hides, behind the same mask, and
 * JSON's escapes cannot hide a password from the redactor. Pure.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_REDACT_H
#define LSD_REDACT_H

#include <jansson.h>

/**
 * A deep copy of @p v in which every string (values and object keys) has
 * the secrets of ls_redact_text() hidden. A NUL inside a string (no field
 * the daemon accepts holds one) becomes '?' first.
 * @return a new reference, or NULL when out of memory.
 */
json_t *lsd_redact_json(const json_t *v);

#endif
