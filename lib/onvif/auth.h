/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Authentication arithmetic, pure (no I/O): WS-Security UsernameToken
 * PasswordDigest, xs:dateTime stamps in device time, and RFC 2617 HTTP
 * digest. SHA-1, MD5 and Base64 come from libavutil, so no OpenSSL.
 */
#ifndef LS_ONVIF_AUTH_H
#define LS_ONVIF_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Base64 of a SHA-1 (28 characters) and its NUL. */
#define LS_ONVIF_WSSE_DIGEST_SIZE 29

/**
 * PasswordDigest = Base64(SHA-1(nonce + created + password)).
 * @p nonce is the raw nonce (not its Base64). @p out gets 28 characters.
 */
void ls_onvif_wsse_digest(const uint8_t *nonce, size_t nonce_len, const char *created,
                          const char *password, char out[LS_ONVIF_WSSE_DIGEST_SIZE]);

/** Base64 of @p in. @return false if it does not fit in @p cap (with the NUL). */
bool ls_onvif_base64(const uint8_t *in, size_t len, char *out, size_t cap);

/**
 * Seconds since 1970 of a UTC calendar time (proleptic Gregorian), or
 * INT64_MIN if a field is out of range (month 1..12, day 1..31, hour 0..23,
 * minute 0..59, second 0..60, year 1970..9999).
 */
int64_t ls_onvif_utc_to_unix(int year, int month, int day, int hour, int minute, int second);

/**
 * xs:dateTime in UTC: "YYYY-MM-DDThh:mm:ssZ", or with @p ms >= 0
 * "YYYY-MM-DDThh:mm:ss.mmmZ". Years outside 0..9999 are clamped.
 * @return false if @p cap is too small (needs 25 with ms).
 */
bool ls_onvif_format_utc(int64_t unix_s, int ms, char *out, size_t cap);

/** A parsed `WWW-Authenticate: Digest ...` challenge. */
struct ls_onvif_challenge {
    char realm[128];
    char nonce[256];
    char opaque[256];
    bool qop_auth; /**< qop lists "auth": answer with qop=auth, cnonce and nc */
};

/**
 * Parse the value of a WWW-Authenticate header.
 * @return 0, or -EINVAL if it is not a Digest challenge we can answer (not
 *         Digest, no nonce, an algorithm other than MD5, or only qop=auth-int).
 */
int ls_onvif_parse_challenge(const char *value, struct ls_onvif_challenge *c);

/** What an HTTP digest answer is computed from. */
struct ls_onvif_digest_input {
    const char *user, *password;
    const char *method; /**< "POST" */
    const char *uri;    /**< the request target: path and query */
    const char *cnonce; /**< client nonce (hex or Base64 text) */
    unsigned nc;        /**< nonce count, from 1 */
};

/**
 * The value of the Authorization header answering @p c (RFC 2617, MD5):
 * `Digest username="...", realm="...", nonce="...", uri="...",
 * response="<32 hex>", algorithm=MD5[, qop=auth, nc=..., cnonce="..."][, opaque="..."]`.
 * @return the length, or -ENOSPC.
 */
int ls_onvif_digest_answer(const struct ls_onvif_challenge *c,
                           const struct ls_onvif_digest_input *in, char *out, size_t cap);

/** Fill @p buf with random bytes (/dev/urandom, else libavutil's seed). */
void ls_onvif_random(uint8_t *buf, size_t len);

#endif
