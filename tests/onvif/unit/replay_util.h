/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Test helpers: captured answers (tests/data/onvif) wrapped in HTTP
 * responses and replayed to a real client handle, no network involved.
 */
#ifndef LS_TESTS_ONVIF_REPLAY_UTIL_H
#define LS_TESTS_ONVIF_REPLAY_UTIL_H

#include "lib/onvif/onvif_private.h"

#define SCRIPT_MAX 32

struct script {
    char *answers[SCRIPT_MAX];
    size_t lengths[SCRIPT_MAX];
    struct ls_onvif_replay replay;
};

/** A file under tests/data/onvif, NUL-terminated (abort if missing). */
char *load_capture(const char *rel);

/** Queue an HTTP answer (status, extra header lines ending in \r\n or NULL, body). */
void script_add(struct script *s, int status, const char *headers, const char *body);

/** Queue a capture as a 200 (application/soap+xml) answer. */
void script_add_file(struct script *s, const char *rel);

/** Queue a capture as the body of an answer with HTTP @p status. */
void script_add_file_status(struct script *s, int status, const char *rel);

/** Queue a capture as a 200 answer, with @p from replaced by @p to in it. */
void script_add_file_replace(struct script *s, const char *rel, const char *from, const char *to);

/** The same as an answer with HTTP @p status. */
void script_add_file_replace_status(struct script *s, int status, const char *rel,
                                    const char *from, const char *to);

/** Open a handle on 127.0.0.1:8080 replaying @p s. */
int script_open(struct script *s, struct ls_onvif **dev, const char *user, const char *password);

/** The n-th request sent (0-based), copied into a static buffer ("" if none). */
const char *script_request(const struct script *s, int n);

/** How many requests were made. */
size_t script_requests(const struct script *s);

void script_free(struct script *s);

#endif
