/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for what lightstreamd reads from a request's headers before any
 * route (daemon/origin.c) and for the escaper every log line goes through
 * (daemon/log_escape.c). The input, split at newlines, gives a Host header,
 * an Origin, a Sec-Fetch-Site, public_url and cors_origin.
 * Invariants:
 * - lsd_host_parse: a parsed host has a non-empty name of the allowed
 *   characters (or an IPv6 address), a port of -1 or 0..65535;
 * - lsd_from_other_site: a request with neither Origin nor Sec-Fetch-Site is
 *   never from another site (plain clients must pass);
 * - lsd_log_escape, into buffers of every small size and one large enough:
 *   NUL-terminated within the size, returns strlen, no byte below 0x20 nor
 *   0x7f in the output, and the large result is a prefix-extension of the
 *   small ones (a cut never rewrites what came before).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "daemon/log.h"
#include "daemon/origin.h"

/* The next newline-separated field of the input as a NUL-terminated copy, or NULL at the end. */
static char *field(const uint8_t **p, const uint8_t *end)
{
    if (*p > end)
        return NULL;
    const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
    char *s = malloc(n + 1);
    REQUIRE(s);
    memcpy(s, *p, n);
    s[n] = '\0';
    *p = nl ? nl + 1 : end + 1;
    return s;
}

static void check_host(const char *text)
{
    struct lsd_host h;
    if (lsd_host_parse(text, &h) != 0)
        return;
    size_t n = strlen(h.name);
    REQUIRE(n > 0 && n < sizeof(h.name));
    REQUIRE(h.port >= -1 && h.port <= 65535);
    if (!h.ipv6)
        REQUIRE(strspn(h.name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") == n);
    (void)lsd_host_is_loopback(&h);
}

static void check_escape(const char *in)
{
    size_t big = strlen(in) * 4 + 1;
    char *full = malloc(big);
    REQUIRE(full);
    size_t n = lsd_log_escape(in, full, big);
    REQUIRE(n < big && strlen(full) == n);
    for (size_t i = 0; i < n; i++)
        REQUIRE((unsigned char)full[i] >= 0x20 && (unsigned char)full[i] != 0x7f);
    for (size_t cap = 1; cap < 24 && cap < big; cap++) {
        char *cut = malloc(cap);
        REQUIRE(cut);
        size_t k = lsd_log_escape(in, cut, cap);
        REQUIRE(k < cap && strlen(cut) == k);
        REQUIRE(memcmp(cut, full, k) == 0);
        free(cut);
    }
    free(full);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    char *host = field(&p, end), *origin = field(&p, end), *fetch = field(&p, end);
    char *pub = field(&p, end), *cors = field(&p, end);
    if (host) {
        check_host(host);
        (void)lsd_host_allowed(host, pub ? pub : "");
        check_escape(host);
    }
    struct lsd_site q = {.host = host, .origin = origin, .fetch_site = fetch,
                         .public_url = pub ? pub : "", .cors_origin = cors ? cors : ""};
    bool other = lsd_from_other_site(&q);
    if (!origin && !fetch)
        REQUIRE(!other);
    if (origin)
        check_escape(origin);
    free(host);
    free(origin);
    free(fetch);
    free(pub);
    free(cors);
    return 0;
}
