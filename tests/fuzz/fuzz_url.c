/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the pure helpers fed by outside data:
 * - URL redaction: the input, split at its first two newlines into a URL, a
 *   secret and a free text, goes through ls_url_redact, ls_redact_text and
 *   ls_url_password with heap buffers of small and exact sizes (so ASan sees
 *   any overrun). Every result must be NUL-terminated, a prefix of the
 *   untruncated one, and the secret must never survive ls_redact_text.
 * - Timestamp repair: the same bytes, read as (stream, DTS, time base)
 *   records, drive ls_ts_map; every output must keep the invariants.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/stream/timestamp.h"
#include "lib/util/url.h"

typedef size_t (*redact_fn)(const char *in, const char *secret, char *out, size_t cap);

static size_t call_url_redact(const char *in, const char *secret, char *out, size_t cap)
{
    (void)secret;
    return ls_url_redact(in, out, cap);
}

static size_t call_redact_text(const char *in, const char *secret, char *out, size_t cap)
{
    return ls_redact_text(in, secret, out, cap);
}

static char *dup_range(const uint8_t *p, size_t n)
{
    char *s = malloc(n + 1);
    REQUIRE(s);
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* A secret the output may legitimately contain (the mask's '*', or tiny). */
static bool checkable_secret(const char *secret)
{
    return secret && strlen(secret) >= 3 && !strchr(secret, '*');
}

/* Run @p fn at full size, then at small and exact sizes against it.
 * Returns the full result (caller frees). */
static char *check_redact(redact_fn fn, const char *in, const char *secret)
{
    size_t len = fn(in, secret, NULL, 0); /* as snprintf: the size needed */
    char *full = malloc(len + 1);
    REQUIRE(full);
    REQUIRE(fn(in, secret, full, len + 1) == len && strlen(full) == len);
    const size_t caps[] = { 1, 2, 3, 4, 8, 17, len, len + 1, len + 2 };
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        size_t cap = caps[i];
        if (!cap)
            continue;
        char *out = malloc(cap);
        REQUIRE(out);
        REQUIRE(fn(in, secret, out, cap) == len);
        size_t n = strlen(out);
        REQUIRE(n < cap && n == (len < cap - 1 ? len : cap - 1));
        REQUIRE(memcmp(out, full, n) == 0);
        free(out);
    }
    return full;
}

static void check_password(const char *url, char **pw)
{
    size_t big = strlen(url) + 1;
    *pw = malloc(big);
    REQUIRE(*pw);
    size_t n = ls_url_password(url, *pw, big);
    REQUIRE(n == strlen(*pw));
    if (!n)
        return;
    char *exact = malloc(n + 1), *short_by_one = malloc(n);
    REQUIRE(exact && short_by_one);
    REQUIRE(ls_url_password(url, exact, n + 1) == n && strcmp(exact, *pw) == 0);
    REQUIRE(ls_url_password(url, short_by_one, n) == 0 && short_by_one[0] == '\0');
    free(exact);
    free(short_by_one);
}

static void no_secret_in(const char *text, const char *secret)
{
    if (!checkable_secret(secret))
        return;
    char *out = check_redact(call_redact_text, text, secret);
    REQUIRE(!strstr(out, secret));
    free(out);
}

static void fuzz_url(const uint8_t *data, size_t size)
{
    const uint8_t *nl1 = memchr(data, '\n', size);
    size_t url_len = nl1 ? (size_t)(nl1 - data) : size;
    const uint8_t *rest = nl1 ? nl1 + 1 : data + size;
    size_t rest_len = size - (size_t)(rest - data);
    const uint8_t *nl2 = memchr(rest, '\n', rest_len);
    size_t secret_len = nl2 ? (size_t)(nl2 - rest) : rest_len;
    const uint8_t *text = nl2 ? nl2 + 1 : rest + rest_len;

    char *url = dup_range(data, url_len);
    char *secret = dup_range(rest, secret_len);
    char *txt = dup_range(text, size - (size_t)(text - data));
    char *whole = dup_range(data, size);

    free(check_redact(call_url_redact, url, NULL));
    free(check_redact(call_redact_text, txt, secret));
    free(check_redact(call_redact_text, whole, NULL));
    no_secret_in(txt, secret);
    no_secret_in(whole, secret);

    /* The relay's use: the URL's own password hides every copy of it. */
    char *pw;
    check_password(url, &pw);
    no_secret_in(url, pw);
    no_secret_in(txt, pw);
    free(pw);

    free(url);
    free(secret);
    free(txt);
    free(whole);
}

/* Reads little-endian bytes, zero past the end. */
static uint64_t take(const uint8_t **p, const uint8_t *end, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v |= (uint64_t)(*p < end ? *(*p)++ : 0) << (8 * i);
    return v;
}

static void fuzz_ts(const uint8_t *data, size_t size)
{
    static const uint32_t thresholds[] = { 1000, 0, 1, 40, 5000, UINT32_MAX, 300, 100000 };
    static const int nums[] = { 1, 1, 1, 0, -1, 1001, 0x7fffffff, 3 };
    static const int dens[] = { 90000, 48000, 8000, 1000, 0, -90000, 1, 0x7fffffff };
    const uint8_t *p = data, *end = data + size;
    struct ls_ts ts;
    ls_ts_init(&ts, thresholds[take(&p, end, 1) % 8]);
    const int64_t thr = ts.jump_threshold_ms;
    int64_t prev_in[2] = { 0, 0 }, prev_out[2] = { 0, 0 };
    bool had[2] = { false, false };
    while (p < end) {
        unsigned flags = (unsigned)take(&p, end, 1);
        enum ls_ts_stream s = flags & 1 ? LS_TS_AUDIO : LS_TS_VIDEO;
        int num = nums[(flags >> 3) & 7], den = dens[(take(&p, end, 1)) & 7];
        int64_t dts;
        switch ((flags >> 1) & 3) {
        case 0:
            dts = LS_TS_NONE;
            break;
        case 1: /* a small step either way */
            dts = (int64_t)((uint64_t)prev_in[s] + (uint64_t)(int64_t)(int16_t)take(&p, end, 2));
            break;
        case 2:
            dts = (int64_t)take(&p, end, 8);
            break;
        default: /* a bigger step either way */
            dts = (int64_t)((uint64_t)prev_in[s] + (uint64_t)(int64_t)(int32_t)take(&p, end, 4));
            break;
        }
        if (flags & 0x40)
            ls_ts_splice(&ts);
        if (dts != LS_TS_NONE)
            prev_in[s] = dts;
        int64_t out = ls_ts_map(&ts, s, dts, num, den);
        const struct ls_ts_stream_state *o = &ts.st[s ^ 1];
        REQUIRE(out >= 0);
        if (had[s])
            REQUIRE(s == LS_TS_VIDEO ? out > prev_out[s] : out >= prev_out[s]);
        REQUIRE(!o->started || out >= o->last_out - 2 * thr);
        prev_out[s] = out;
        had[s] = true;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_url(data, size);
    fuzz_ts(data, size);
    return 0;
}
