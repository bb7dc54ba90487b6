/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The authentication arithmetic against independent vectors: WS-Security
 * PasswordDigest, xs:dateTime stamps, RFC 2617 HTTP digest and challenge
 * parsing.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/onvif/auth.h"
#include "tests/unit/test.h"

static void test_wsse_digest(void)
{
    uint8_t nonce[16];
    for (int i = 0; i < 16; i++)
        nonce[i] = (uint8_t)i;
    char out[LS_ONVIF_WSSE_DIGEST_SIZE];
    /* Expected value computed independently with Python:
     *   base64(sha1(bytes(range(16)) + b"2023-05-24T21:25:05Z" + b"p@ss:w\xc3\xb6rd")) */
    ls_onvif_wsse_digest(nonce, sizeof(nonce), "2023-05-24T21:25:05Z", "p@ss:w\xc3\xb6rd", out);
    CHECK_EQ_STR(out, "q75lP6WLdyWawB0doMOyF6OaSco=");
    CHECK_EQ_INT(strlen(out), 28);
}

static void test_time(void)
{
    char buf[32];
    /* calendar.timegm((2023, 5, 24, 21, 25, 5)) == 1684963505 (the Bosch capture's clock). */
    CHECK_EQ_INT(ls_onvif_utc_to_unix(2023, 5, 24, 21, 25, 5), 1684963505);
    CHECK_EQ_INT(ls_onvif_utc_to_unix(2014, 12, 24, 19, 14, 37), 1419448477);
    CHECK_EQ_INT(ls_onvif_utc_to_unix(1970, 1, 1, 0, 0, 0), 0);
    CHECK(ls_onvif_utc_to_unix(2024, 13, 1, 0, 0, 0) == INT64_MIN);
    CHECK(ls_onvif_utc_to_unix(2024, 1, 0, 0, 0, 0) == INT64_MIN);
    CHECK(ls_onvif_utc_to_unix(1969, 1, 1, 0, 0, 0) == INT64_MIN);
    CHECK(ls_onvif_utc_to_unix(2024, 1, 1, 24, 0, 0) == INT64_MIN);

    CHECK(ls_onvif_format_utc(1684963505, -1, buf, sizeof(buf)));
    CHECK_EQ_STR(buf, "2023-05-24T21:25:05Z");
    CHECK(ls_onvif_format_utc(1684963505, 7, buf, sizeof(buf)));
    CHECK_EQ_STR(buf, "2023-05-24T21:25:05.007Z");
    CHECK(ls_onvif_format_utc(951782400, -1, buf, sizeof(buf))); /* leap day 2000 */
    CHECK_EQ_STR(buf, "2000-02-29T00:00:00Z");
    CHECK(ls_onvif_format_utc(0, -1, buf, sizeof(buf)));
    CHECK_EQ_STR(buf, "1970-01-01T00:00:00Z");
    CHECK(!ls_onvif_format_utc(0, 0, buf, 24)); /* needs 25 with ms */
    CHECK(ls_onvif_format_utc(0, 0, buf, 25));
    /* Round trip over a few years, every 1000003 s. */
    for (int64_t t = 0; t < 4000000000; t += 1000003) {
        char s[32];
        int y, mo, d, h, mi, se;
        ls_onvif_format_utc(t, -1, s, sizeof(s));
        if (sscanf(s, "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &se) != 6 ||
            ls_onvif_utc_to_unix(y, mo, d, h, mi, se) != t) {
            CHECK(!"round trip");
            break;
        }
    }
}

static void test_challenge(void)
{
    struct ls_onvif_challenge c;
    CHECK_EQ_INT(ls_onvif_parse_challenge("Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", "
                                          "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                                          "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
                                          &c),
                 0);
    CHECK_EQ_STR(c.realm, "testrealm@host.com");
    CHECK_EQ_STR(c.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    CHECK_EQ_STR(c.opaque, "5ccc069c403ebaf9f0171e9517f40e41");
    CHECK(c.qop_auth);
    CHECK_EQ_INT(ls_onvif_parse_challenge("digest REALM=r,nonce=abc,algorithm=MD5, stale=FALSE", &c), 0);
    CHECK_EQ_STR(c.realm, "r");
    CHECK_EQ_STR(c.nonce, "abc");
    CHECK(!c.qop_auth);
    CHECK_EQ_INT(ls_onvif_parse_challenge("Digest realm=\"a \\\"q\\\"\", nonce=\"n\"", &c), 0);
    CHECK_EQ_STR(c.realm, "a \"q\"");
    CHECK_EQ_INT(ls_onvif_parse_challenge("Basic realm=\"x\"", &c), -EINVAL);
    CHECK_EQ_INT(ls_onvif_parse_challenge("Digest realm=\"x\"", &c), -EINVAL); /* no nonce */
    CHECK_EQ_INT(ls_onvif_parse_challenge("Digest nonce=n, algorithm=SHA-256", &c), -EINVAL);
    CHECK_EQ_INT(ls_onvif_parse_challenge("Digest nonce=n, qop=\"auth-int\"", &c), -EINVAL);
    CHECK_EQ_INT(ls_onvif_parse_challenge("Digestive nonce=n", &c), -EINVAL);
    CHECK_EQ_INT(ls_onvif_parse_challenge("", &c), -EINVAL);
}

static void test_digest_answer(void)
{
    struct ls_onvif_challenge c;
    char out[1024];
    ls_onvif_parse_challenge("Digest realm=\"testrealm@host.com\", qop=\"auth\", "
                             "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                             "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
                             &c);
    /* RFC 2617 section 3.5's example; Python's hashlib gives the same
     * response, 6629fae49393a05397450978507c4ef1. */
    struct ls_onvif_digest_input in = { "Mufasa", "Circle Of Life", "GET", "/dir/index.html",
                                        "0a4f113b", 1 };
    CHECK(ls_onvif_digest_answer(&c, &in, out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
                      "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
                      "response=\"6629fae49393a05397450978507c4ef1\", algorithm=MD5, qop=auth, "
                      "nc=00000001, cnonce=\"0a4f113b\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"");
    CHECK(!strstr(out, "Circle"));
    /* Without qop (RFC 2069): md5(HA1:nonce:HA2), from Python:
     * fc1adabf0260a139f7440cd8b31a3159 for POST /onvif/device_service. */
    ls_onvif_parse_challenge("Digest realm=\"testrealm@host.com\", "
                             "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"",
                             &c);
    struct ls_onvif_digest_input post = { "Mufasa", "Circle Of Life", "POST",
                                          "/onvif/device_service", "x", 1 };
    CHECK(ls_onvif_digest_answer(&c, &post, out, sizeof(out)) > 0);
    CHECK(strstr(out, "response=\"fc1adabf0260a139f7440cd8b31a3159\"") != NULL);
    CHECK(!strstr(out, "qop"));
    CHECK_EQ_INT(ls_onvif_digest_answer(&c, &post, out, 40), -ENOSPC);
}

static void test_random(void)
{
    uint8_t a[16] = { 0 }, b[16] = { 0 };
    ls_onvif_random(a, sizeof(a));
    ls_onvif_random(b, sizeof(b));
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    char b64[32];
    CHECK(ls_onvif_base64(a, sizeof(a), b64, sizeof(b64)));
    CHECK_EQ_INT(strlen(b64), 24);
    CHECK(!ls_onvif_base64(a, sizeof(a), b64, 24));
}

int main(void)
{
    test_wsse_digest();
    test_time();
    test_challenge();
    test_digest_answer();
    test_random();
    return test_done("onvif-auth");
}
