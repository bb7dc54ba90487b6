/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTSP credentials (lib/input/rtsp_auth.c): the URL's userinfo split off and
 * percent-decoded, Digest answers checked against RFC 2617's worked example
 * (qop=auth) and a no-qop one, a stale nonce answered again, the same nonce
 * twice refused (a wrong password: no retry storm), Basic.
 */
#include <errno.h>

#include "lib/input/rtsp_auth.h"
#include "tests/unit/test.h"

static void test_url(void)
{
    struct ls_rtsp_url u;
    CHECK_EQ_INT(ls_rtsp_url_parse("rtsp://ad%3Amin:p%40ss:w@10.0.0.5:8554/live/ch1?x=1", &u), 0);
    CHECK_EQ_STR(u.user, "ad:min");
    CHECK_EQ_STR(u.pass, "p@ss:w");
    CHECK_EQ_STR(u.host, "10.0.0.5");
    CHECK_EQ_INT(u.port, 8554);
    CHECK_EQ_STR(u.request, "rtsp://10.0.0.5:8554/live/ch1?x=1");
    CHECK_EQ_INT(ls_rtsp_url_parse("rtsp://[::1]/s", &u), 0);
    CHECK_EQ_STR(u.host, "::1");
    CHECK_EQ_INT(u.port, 554);
    CHECK_EQ_STR(u.request, "rtsp://[::1]/s");
    CHECK_EQ_INT(ls_rtsp_url_parse("rtsps://h/s", &u), -EINVAL);
    CHECK_EQ_INT(ls_rtsp_url_parse("rtsp://h:0/s", &u), -EINVAL);
    CHECK_EQ_INT(ls_rtsp_url_parse("rtsp:///s", &u), -EINVAL);
}

static struct ls_rtsp_msg reply(const char *text)
{
    struct ls_rtsp_msg msg;
    CHECK_EQ_INT(ls_rtsp_parse((const uint8_t *)text, strlen(text), &msg), (int)strlen(text));
    return msg;
}

static void test_digest_rfc2617(void)
{
    struct ls_rtsp_auth a = {.user = "Mufasa", .pass = "Circle Of Life"};
    struct ls_rtsp_msg m = reply("RTSP/1.0 401 Unauthorized\r\nCSeq: 1\r\n"
                                 "WWW-Authenticate: Basic realm=\"x\"\r\n"
                                 "WWW-Authenticate: Digest realm=\"testrealm@host.com\", "
                                 "qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", "
                                 "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"\r\n\r\n");
    CHECK_EQ_INT(ls_rtsp_auth_challenge(&a, &m, 1), 0);
    CHECK(a.digest);
    CHECK(a.qop_auth);
    strcpy(a.cnonce, "0a4f113b");
    char line[1024];
    CHECK_EQ_INT(ls_rtsp_auth_line(&a, "GET", "/dir/index.html", line, sizeof(line)), 0);
    CHECK(strstr(line, "response=\"6629fae49393a05397450978507c4ef1\"") != NULL);
    CHECK(strstr(line, "nc=00000001") != NULL);
    CHECK(strstr(line, "opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"") != NULL);
    CHECK(strncmp(line, "Authorization: Digest username=\"Mufasa\"", 39) == 0);
    CHECK(strstr(line, "Circle") == NULL);
    /* The same nonce refused again, not stale: the password is wrong. */
    CHECK_EQ_INT(ls_rtsp_auth_challenge(&a, &m, 2), -EACCES);
    /* A stale nonce gets a new answer. */
    struct ls_rtsp_msg stale = reply("RTSP/1.0 401 Unauthorized\r\n"
                                     "WWW-Authenticate: Digest realm=\"testrealm@host.com\", "
                                     "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", stale=TRUE\r\n\r\n");
    CHECK_EQ_INT(ls_rtsp_auth_challenge(&a, &stale, 3), 0);
    CHECK(!a.qop_auth);
}

static void test_digest_no_qop(void)
{
    /* MD5(MD5(u:r:p):n:MD5(DESCRIBE:rtsp://h/s)), computed with Python's hashlib. */
    struct ls_rtsp_auth a = {.user = "u", .pass = "p"};
    struct ls_rtsp_msg m = reply("RTSP/1.0 401 Unauthorized\r\n"
                                 "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n\r\n");
    CHECK_EQ_INT(ls_rtsp_auth_challenge(&a, &m, 1), 0);
    char line[512];
    CHECK_EQ_INT(ls_rtsp_auth_line(&a, "DESCRIBE", "rtsp://h/s", line, sizeof(line)), 0);
    CHECK(strstr(line, "response=\"607d88858b86ffea4761dc877df0f9a6\"") != NULL);
    CHECK(strstr(line, "qop") == NULL);
    CHECK_EQ_INT(ls_rtsp_auth_line(&a, "DESCRIBE", "rtsp://h/s", line, 40), -ENAMETOOLONG);
}

static void test_basic(void)
{
    struct ls_rtsp_auth a = {.user = "Aladdin", .pass = "open sesame"};
    char line[256];
    CHECK_EQ_INT(ls_rtsp_auth_line(&a, "OPTIONS", "rtsp://h/s", line, sizeof(line)), 0);
    CHECK_EQ_STR(line, "");
    struct ls_rtsp_msg m = reply("RTSP/1.0 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\r\n");
    CHECK_EQ_INT(ls_rtsp_auth_challenge(&a, &m, 1), 0);
    CHECK_EQ_INT(ls_rtsp_auth_line(&a, "OPTIONS", "rtsp://h/s", line, sizeof(line)), 0);
    CHECK_EQ_STR(line, "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n");
    CHECK_EQ_INT(ls_rtsp_auth_challenge(&a, &m, 2), -EACCES); /* refused once: wrong */
    struct ls_rtsp_auth anon = {0};
    CHECK_EQ_INT(ls_rtsp_auth_challenge(&anon, &m, 1), -EACCES); /* no credentials */
}

int main(void)
{
    test_url();
    test_digest_rfc2617();
    test_digest_no_qop();
    test_basic();
    return test_done("rtsp_auth");
}
