/*
 * Secrets out of text: URL passwords ("scheme://user:pass@") and the values
 * of secret-looking query parameters (password=, pwd=, token=...), which some
 * cameras take instead of userinfo. Pure; used by every log line and reply.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_REDACT_H
#define LSD_REDACT_H

#include <stddef.h>

/**
 * Copy @p in to @p out (always NUL-terminated, truncated to @p size) with
 * every URL password and secret query value replaced by "****".
 */
void lsd_redact_text(const char *in, char *out, size_t size);

#endif
