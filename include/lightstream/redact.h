/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file redact.h
 * @brief Hiding camera passwords in URLs and text before they are shown.
 *
 * The library uses these functions on every URL it reports (stats, events,
 * log lines); an application shows its own copies of camera URLs (a UI, a
 * log, FFmpeg's own log lines) through the same functions, so every program
 * built on liblightstream hides the same secrets behind the same mask.
 *
 * What is hidden, in a URL:
 * - the password of the userinfo (`rtsp://user:PASSWORD@host/...`). Camera
 *   passwords are often pasted unencoded, so a raw `@`, `/`, `?`, `#` or `:`
 *   may sit inside one: the userinfo is taken to end at the **last** `@` of
 *   the URL, and the password to start after the first `:` following
 *   `://`. Where that reading is ambiguous (`rtsp://cam:554/live@main` could
 *   be host `cam`, or user `cam` with password `554/live`) more is hidden
 *   than may be needed, never less. A URL whose authority is an IPv6
 *   literal (`[::1]`, then a port or the path) has no userinfo.
 * - the value of every parameter whose name is a secret's (any case):
 *   `auth`, `apikey`, `key`, `pass`, `passphrase`, `passwd`, `password`,
 *   `psw`, `pw`, `pwd`, `secret`, `sign`, `signature`, `token`. A parameter
 *   name follows `?`, `&`, `;`, `/` or `_` and ends at `=`, so query strings
 *   (`?user=admin&password=X`, Dahua), path parameters (`;password=X`),
 *   paths (`/user=admin&password=X`) and XMEye-style paths
 *   (`/user=admin_password=X_channel=1&stream=0.sdp`) are covered, and so
 *   are compound names (`access_token`, `api_key`, `client_secret`). A
 *   value ends at `&`, or where the next parameter starts (`;`, `_`, `/` or
 *   `?` followed by a name and `=`), or at the end of the URL.
 *
 * Each hidden part becomes LS_REDACT_MASK; the rest is copied unchanged, so
 * redacting twice gives the same result as redacting once.
 */
#ifndef LIGHTSTREAM_REDACT_H
#define LIGHTSTREAM_REDACT_H

#include <stddef.h>

#include "lightstream/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What every hidden password, token or key is replaced with. */
#define LS_REDACT_MASK "****"

/**
 * Copy @p url to @p out with its secrets (see the top of this file)
 * replaced by LS_REDACT_MASK. The whole string is one URL; a string without
 * `://` is taken as a path and query (`/live?token=X`).
 *
 * As snprintf(): @p out (when @p cap > 0) always receives a NUL-terminated
 * result, truncated to @p cap - 1 bytes; a truncated result may end in a
 * shortened mask but never shows a byte of a secret.
 *
 * @param url the URL; NULL is taken as "".
 * @param out where the result goes; may be NULL when @p cap is 0.
 * @param cap size of @p out in bytes.
 * @return the length of the whole result (without truncation): the result
 *         was truncated when this is >= @p cap.
 *
 * Thread-safety: safe (pure function).
 */
LS_API size_t ls_url_redact(const char *url, char *out, size_t cap);

/**
 * Copy a free text (an error message, a log line, FFmpeg's own messages) to
 * @p out with the secrets of every URL in it hidden as ls_url_redact() hides
 * them, and every occurrence of @p secret too — raw, percent-encoded (either
 * hex case) or with `+` for a space — wherever it stands.
 *
 * A URL in a text starts at `://` and runs to the next white space or
 * control character (not to a quote: a password may hold one).
 *
 * When @p secret holds a `/`, `?`, `#`, `@` or `:`, every piece of it between
 * those that is 4 bytes or longer is hidden too: FFmpeg splits a URL there,
 * so given a password with one of them unencoded it may print a piece as a
 * host name, a port or a path ("Connection to tcp://host:5544 failed").
 *
 * @param text the text; NULL is taken as "".
 * @param secret a password known to the caller (e.g. ls_url_password() of
 *        the camera URL), or NULL or "" for none.
 * @param out where the result goes; may be NULL when @p cap is 0.
 * @param cap size of @p out in bytes.
 * @return as ls_url_redact(): the length of the whole result.
 *
 * Thread-safety: safe (pure function).
 */
LS_API size_t ls_redact_text(const char *text, const char *secret, char *out, size_t cap);

/**
 * The password ls_url_redact() hides in the userinfo of @p url,
 * percent-decoded: what to pass as ls_redact_text()'s @p secret for text
 * that may quote it apart from its URL, such as FFmpeg's own log lines (the
 * library does so for its own).
 *
 * @param url the URL; NULL is taken as "".
 * @param out where the password goes, NUL-terminated; "" when there is none.
 * @param cap size of @p out in bytes.
 * @return the password's length; 0 when there is none, or when it does not
 *         fit in @p out (then @p out is ""). A `%00` stays as it is.
 *
 * Thread-safety: safe (pure function).
 */
LS_API size_t ls_url_password(const char *url, char *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_REDACT_H */
