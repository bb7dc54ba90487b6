/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * URL redaction: a table of URLs with their expected redaction, truncation at
 * every size, password extraction, and free text with URLs and the bare
 * secret.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/url.h"
#include "tests/unit/test.h"

struct redact_case {
    const char *url, *want;
};

static const struct redact_case redact_cases[] = {
    /* Nothing to hide: unchanged. */
    { "rtsp://192.168.1.10:554/Streaming/Channels/101", NULL },
    { "rtsp://admin@192.168.1.10/live", NULL },
    { "rtsp://admin:@192.168.1.10/live", NULL }, /* an empty password hides nothing */
    { "rtsp://[::1]:8554/live", NULL },
    { "rtsp://[2001:db8::1]/a@b", NULL },
    { "rtsp://cam.local:554/live@main", NULL },
    { "rtsp://cam.local/live?tokenx=1&mytoken=2&token=", NULL },
    { "", NULL },
    { "not a url", NULL },
    /* Userinfo passwords. */
    { "rtsp://admin:12345@192.168.1.10:554/live", "rtsp://admin:***@192.168.1.10:554/live" },
    { "rtsp://:12345@cam/", "rtsp://:***@cam/" },
    { "RTSP://Admin:Secret@CAM", "RTSP://Admin:***@CAM" },
    { "rtsp://admin:p%40ss%3Aw%2Frd@cam.local/live", "rtsp://admin:***@cam.local/live" },
    { "rtsp://admin:p@ss@cam.local/live", "rtsp://admin:***@cam.local/live" },
    { "rtsp://admin:pa:ss@cam/live", "rtsp://admin:***@cam/live" },
    { "rtsp://admin:pa/ss@cam/live", "rtsp://admin:***@cam/live" },
    { "rtsp://admin:a/b@c@10.0.0.1:554/x", "rtsp://admin:***@10.0.0.1:554/x" },
    { "rtsp://u:p?w#d@cam/x", "rtsp://u:***@cam/x" },
    { "rtsp://u:p/w@cam", "rtsp://u:***@cam" },
    { "rtsp://admin:pw@[fe80::1%25eth0]:554/live", "rtsp://admin:***@[fe80::1%25eth0]:554/live" },
    { "rtsp://admin:pw@[2001:db8::7]/live", "rtsp://admin:***@[2001:db8::7]/live" },
    /* Query and path parameters. */
    { "rtmp://live.example.com/app/stream?token=abc123&foo=1",
      "rtmp://live.example.com/app/stream?token=***&foo=1" },
    { "rtmp://h/app?Password=x&PWD=y;pass=z&passwd=w&user=admin&TOKEN=t",
      "rtmp://h/app?Password=***&PWD=***;pass=***&passwd=***&user=admin&TOKEN=***" },
    { "rtsp://10.0.0.2:554/user=admin&password=secret&channel=1&stream=0.sdp?",
      "rtsp://10.0.0.2:554/user=admin&password=***&channel=1&stream=0.sdp?" },
    { "rtsp://u:pw@h/p?token=t#frag", "rtsp://u:***@h/p?token=***" },
    { "http://h/x?url=rtsp://u:pw@cam/&pwd=1", "http://h/x?url=rtsp://u:***@cam/&pwd=***" },
    { "token=abc", "token=***" },
};

static void check_result(const char *got, size_t n, const char *want)
{
    want = want ? want : "(null)"; /* spares a -Wformat-overflow false alarm with UBSan */
    CHECK_EQ_STR(got, want);
    CHECK_EQ_INT(n, strlen(want));
}

static void test_redact_table(void)
{
    char out[256];
    for (size_t i = 0; i < sizeof(redact_cases) / sizeof(redact_cases[0]); i++) {
        const struct redact_case *c = &redact_cases[i];
        check_result(out, ls_url_redact(c->url, out, sizeof(out)), c->want ? c->want : c->url);
    }
    /* Misuse is harmless. */
    CHECK_EQ_INT(ls_url_redact(NULL, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "");
    CHECK_EQ_INT(ls_url_redact("rtsp://a:b@c", NULL, 10), 0);
}

/* Every output size: NUL-terminated within cap, a prefix of the full
 * result, and never a byte of the password (whose first byte, Z or Y, occurs
 * nowhere else). */
static void check_truncation(const char *input, const char *secret, bool text)
{
    char full[256];
    size_t len = text ? ls_redact_text(input, secret, full, sizeof(full))
                      : ls_url_redact(input, full, sizeof(full));
    CHECK(!strchr(full, 'Z') && !strchr(full, 'Y'));
    for (size_t cap = 0; cap <= len + 2; cap++) {
        char *out = malloc(cap ? cap : 1);
        out[0] = '#';
        size_t n = text ? ls_redact_text(input, secret, out, cap) : ls_url_redact(input, out, cap);
        if (cap == 0) {
            CHECK_EQ_INT(n, 0);
            CHECK(out[0] == '#'); /* nothing written */
        } else {
            CHECK_EQ_INT(n, strlen(out));
            CHECK_EQ_INT(n, cap - 1 < len ? cap - 1 : len);
            CHECK(strncmp(out, full, n) == 0);
            CHECK(!strchr(out, 'Z') && !strchr(out, 'Y'));
        }
        free(out);
    }
}

static void test_truncation(void)
{
    check_truncation("rtsp://admin:Zq9!x@cam/live?token=Yk7&a=b", NULL, false);
    check_truncation("rtsp://admin:Zq%40x@cam/live", NULL, false);
    check_truncation("rtsp://admin:Z@x/y@cam/live", NULL, false);
    check_truncation("rtsp://u:Zpw@h/p?pwd=Ypw", NULL, false);
    check_truncation("login Zsecret failed for rtsp://u:Zsecret@h/ (Zsecret)", "Zsecret", true);
    check_truncation("rtsp://u:Yx@h/ said Z%21q", "Z!q", true);
}

static void test_password(void)
{
    char out[64];
    static const struct redact_case cases[] = {
        { "rtsp://admin:12345@h/", "12345" },
        { "rtsp://admin:p%40ss%3Aw%2frd@h/", "p@ss:w/rd" },
        { "rtsp://admin:p@ss@h/", "p@ss" },
        { "rtsp://admin:pa/ss@h/x", "pa/ss" },
        { "rtsp://admin:pa:ss@[::1]:554/x", "pa:ss" },
        { "rtsp://u:a%00b@h", "a%00b" }, /* no NUL inside a C string */
        { "rtsp://u:%zz%4@h", "%zz%4" },
        { "rtsp://h/", "" },
        { "rtsp://admin@h/", "" },
        { "rtsp://admin:@h/", "" },
        { "rtsp://h/path?password=query-is-not-userinfo", "" },
        { "admin:123@h", "" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        check_result(out, ls_url_password(cases[i].url, out, sizeof(out)), cases[i].want);
    }
    /* Exactly fitting, and one byte short: then nothing. */
    CHECK_EQ_INT(ls_url_password("rtsp://a:p%40ss@h", out, 5), 4);
    CHECK_EQ_STR(out, "p@ss");
    CHECK_EQ_INT(ls_url_password("rtsp://a:p%40ss@h", out, 4), 0);
    CHECK_EQ_STR(out, "");
    CHECK_EQ_INT(ls_url_password(NULL, out, sizeof(out)), 0);
    CHECK_EQ_INT(ls_url_password("rtsp://a:b@c", out, 0), 0);
}

static void test_text(void)
{
    char out[512];
    static const struct {
        const char *text, *secret, *want;
    } cases[] = {
        { "connect to rtsp://admin:12345@10.0.0.1/live failed: 401", NULL,
          "connect to rtsp://admin:***@10.0.0.1/live failed: 401" },
        { "password 12345 rejected; retry rtsp://admin:12345@h/", "12345",
          "password *** rejected; retry rtsp://admin:***@h/" },
        { "auth p%40ss%20w and p%40SS+w and p%40ss+w and P%40ss w", "p@ss w",
          "auth *** and p%40SS+w and *** and P%40ss w" },
        { "'rtsp://u:pw@h/x' and \"rtmp://a:b@c/app?token=tt\" end", "",
          "'rtsp://u:***@h/x' and \"rtmp://a:***@c/app?token=***\" end" },
        { "rtsp://u:p@w@h/ then rtsp://v:q@i/", NULL, "rtsp://u:***@h/ then rtsp://v:***@i/" },
        { "rtsp://u:pw@h", "u:pw", "rtsp://***@h" },
        { "xrtsp://u:pw@h", "xrt", "***sp://u:***@h" },
        { "a secretsecret b", "secret", "a ****** b" },
        { "GET /live?token=abc HTTP/1.1", NULL, "GET /live?token=abc HTTP/1.1" },
        { "no url here", "zzz", "no url here" },
        { "", "x", "" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = ls_redact_text(cases[i].text, cases[i].secret, out, sizeof(out));
        check_result(out, n, cases[i].want);
    }
    CHECK_EQ_INT(ls_redact_text(NULL, "x", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "");
}

/* The password taken from a URL, used as the secret, hides every form of it
 * in a log line. */
static void test_roundtrip(void)
{
    const char *url = "rtsp://admin:Zx%40y%2F1@cam/live";
    char secret[64], out[256];
    CHECK_EQ_INT(ls_url_password(url, secret, sizeof(secret)), 6);
    CHECK_EQ_STR(secret, "Zx@y/1");
    ls_redact_text("tried rtsp://admin:Zx%40y%2F1@cam/live and rtsp://admin:Zx@y/1@cam/live, "
                   "pass Zx@y/1",
                   secret, out, sizeof(out));
    CHECK_EQ_STR(out, "tried rtsp://admin:***@cam/live and rtsp://admin:***@cam/live, pass ***");
}

int main(void)
{
    test_redact_table();
    test_truncation();
    test_password();
    test_text();
    test_roundtrip();
    return test_done("test_url");
}
