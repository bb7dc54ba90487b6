/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * URL helpers: password redaction for logs, stats and errors. Pure.
 */
#ifndef LS_LIB_URL_H
#define LS_LIB_URL_H

#include <stddef.h>

/** What a redacted password becomes. */
#define LS_REDACTED "***"

/**
 * Copy @p url to @p out with the password of its userinfo
 * (`scheme://user:password@host`) replaced by LS_REDACTED, and the values of
 * query parameters named password, passwd, pwd, pass or token (any case)
 * too, also in the path (`/user=admin&password=...`, as some cameras use).
 * A URL without a password (or with an empty one) is copied unchanged.
 * Always NUL-terminates (truncating; a truncated result never shows part of
 * a password).
 * @return the length of the result, strlen(out); 0 when @p cap is 0.
 */
size_t ls_url_redact(const char *url, char *out, size_t cap);

/**
 * Copy a free text (an error message, an FFmpeg log line) to @p out with the
 * passwords of every URL in it redacted as ls_url_redact() does, and every
 * occurrence of @p secret — as is and percent-encoded — replaced by
 * LS_REDACTED. @p secret may be NULL or empty (then only URLs are redacted).
 * A URL in the text starts at "://" and ends at a space, a quote or an angle
 * bracket. Always NUL-terminates.
 * @return the length of the result, strlen(out); 0 when @p cap is 0.
 */
size_t ls_redact_text(const char *text, const char *secret, char *out, size_t cap);

/**
 * The password of a URL's userinfo, percent-decoded, into @p out (NUL-terminated).
 * @return its length, 0 when there is none (or it does not fit).
 */
size_t ls_url_password(const char *url, char *out, size_t cap);

#endif
