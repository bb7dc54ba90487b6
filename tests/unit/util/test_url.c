/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The redactor (lightstream/redact.h): a table of URL shapes cameras use with
 * their expected redaction (and redacting again changes nothing), truncation
 * at every size, password extraction, and free text with URLs and the bare
 * secret and its pieces.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/url.h"
#include "tests/unit/test.h"

struct redact_case {
    const char *url, *want;
};

#define M LS_REDACT_MASK

static const struct redact_case redact_cases[] = {
    /* Nothing to hide: unchanged. */
    { "rtsp://192.168.1.10:554/Streaming/Channels/101", NULL },
    { "rtsp://admin@192.168.1.10/live", NULL },
    { "rtsp://admin:@192.168.1.10/live", NULL }, /* an empty password hides nothing */
    { "rtsp://[::1]:8554/live", NULL },
    { "rtsp://[2001:db8::1]/a@b", NULL },       /* an IPv6 literal is no userinfo */
    { "rtsp://cam.local/live@main", NULL },      /* no ':' before the '@': no password */
    { "rtsp://cam.local/live?tokenx=1&mytoken=2&token=", NULL },
    { "rtsp://h/x?keyframe=1&passwordless=1&channel=1&subtype=0", NULL },
    { "rtsp://h/x?_=1&=2&pw", NULL },
    { "", NULL },
    { "not a url", NULL },
    /* Userinfo passwords, raw reserved characters included. */
    { "rtsp://admin:12345@192.168.1.10:554/live", "rtsp://admin:" M "@192.168.1.10:554/live" },
    { "rtsp://:12345@cam/", "rtsp://:" M "@cam/" },
    { "RTSP://Admin:Secret@CAM", "RTSP://Admin:" M "@CAM" },
    { "rtsp://admin:p%40ss%3Aw%2Frd@cam.local/live", "rtsp://admin:" M "@cam.local/live" },
    { "rtsp://admin:p@ss@cam.local/live", "rtsp://admin:" M "@cam.local/live" },
    { "rtsp://admin:pa:ss@cam/live", "rtsp://admin:" M "@cam/live" },
    { "rtsp://admin:Hash#Secret04@h/x", "rtsp://admin:" M "@h/x" },
    { "rtsp://admin:pa/ss@cam/live", "rtsp://admin:" M "@cam/live" },
    { "rtsp://admin:pa?ss@cam/live", "rtsp://admin:" M "@cam/live" },
    { "rtsp://admin:a/b@c@10.0.0.1:554/x", "rtsp://admin:" M "@10.0.0.1:554/x" },
    { "rtsp://admin:p@s/s@cam/x", "rtsp://admin:" M "@cam/x" }, /* FFmpeg: host "s" */
    { "rtsp://admin:1234/5678@cam/x", "rtsp://admin:" M "@cam/x" },
    { "rtsp://u:p?w#d@cam/x", "rtsp://u:" M "@cam/x" },
    { "rtsp://u:p/w@cam", "rtsp://u:" M "@cam" },
    { "rtsp://admin:Sup3r'Se\"c<r>et\\{x}@10.0.0.5/x", "rtsp://admin:" M "@10.0.0.5/x" },
    { "rtsp://me@example.com:pw@cam/x", "rtsp://me@example.com:" M "@cam/x" },
    { "rtsp://admin:pw@[fe80::1%25eth0]:554/live", "rtsp://admin:" M "@[fe80::1%25eth0]:554/live" },
    { "rtsp://admin:pw@[2001:db8::7]/live", "rtsp://admin:" M "@[2001:db8::7]/live" },
    { "rtsp://[x:pw@cam/x", "rtsp://[x:" M "@cam/x" }, /* no ']': not an IPv6 literal */
    /* ... nor when no port follows its ']': user "[", as FFmpeg reads it */
    { "rtsp://[::1]:pw'x@cam/x", "rtsp://[:" M "@cam/x" },
    { "rtsp://[::1]:554@cam/x", "rtsp://[:" M "@cam/x" },
    /* Ambiguous: the longest reading is hidden (lightstream/redact.h). */
    { "rtsp://cam.local:554/live@main", "rtsp://cam.local:" M "@main" },
    { "rtsp://admin:pw@cam/live@main", "rtsp://admin:" M "@main" },
    /* Query and path parameters. */
    { "rtmp://live.example.com/app/stream?token=abc123&foo=1",
      "rtmp://live.example.com/app/stream?token=" M "&foo=1" },
    { "rtmp://h/app?Password=x&PWD=y;pass=z&passwd=w&user=admin&TOKEN=t",
      "rtmp://h/app?Password=" M "&PWD=" M ";pass=" M "&passwd=" M "&user=admin&TOKEN=" M },
    { "rtsp://h/x?pw=abcd", "rtsp://h/x?pw=" M },
    { "rtsp://h:554/cam/realmonitor?channel=1&subtype=0&user=admin&password=p%26w",
      "rtsp://h:554/cam/realmonitor?channel=1&subtype=0&user=admin&password=" M },
    { "rtsp://10.0.0.2:554/user=admin&password=secret&channel=1&stream=0.sdp?",
      "rtsp://10.0.0.2:554/user=admin&password=" M "&channel=1&stream=0.sdp?" },
    { "rtsp://192.168.1.10:554/user=admin_password=tlJwpbo6_channel=1_stream=0.sdp?real_stream",
      "rtsp://192.168.1.10:554/user=admin_password=" M "_channel=1_stream=0.sdp?real_stream" },
    { "rtsp://h/user=admin_password=ab_cd_channel=1&stream=0.sdp",
      "rtsp://h/user=admin_password=" M "_channel=1&stream=0.sdp" },
    { "rtsp://h/live;user=admin;password=X1;x=2", "rtsp://h/live;user=admin;password=" M ";x=2" },
    { "rtsp://h/x?access_token=a&api_key=b&client_secret=c&auth=d&sign=e&signature=f&apikey=g"
      "&psw=h&passphrase=i&key=j&secret=k&pwd=l",
      "rtsp://h/x?access_token=" M "&api_key=" M "&client_secret=" M "&auth=" M "&sign=" M
      "&signature=" M "&apikey=" M "&psw=" M "&passphrase=" M "&key=" M "&secret=" M
      "&pwd=" M },
    { "rtsp://h/x?password=a/b?c#d", "rtsp://h/x?password=" M },
    { "rtsp://u:pw@h/p?token=t#frag", "rtsp://u:" M "@h/p?token=" M },
    { "http://h/x?url=rtsp://u:pw@cam/&pwd=1", "http://h/x?url=rtsp:" M "@cam/&pwd=" M },
    { "token=abc", "token=" M },
    { "/live/cam.flv?token=abc", "/live/cam.flv?token=" M },
};

static void check_result(const char *got, size_t n, const char *want)
{
    want = want ? want : "(null)"; /* spares a -Wformat-overflow false alarm with UBSan */
    CHECK_EQ_STR(got, want);
    CHECK_EQ_INT(n, strlen(want));
}

static void test_redact_table(void)
{
    char out[512], again[512];
    for (size_t i = 0; i < sizeof(redact_cases) / sizeof(redact_cases[0]); i++) {
        const struct redact_case *c = &redact_cases[i];
        const char *want = c->want ? c->want : c->url;
        check_result(out, ls_url_redact(c->url, out, sizeof(out)), want);
        check_result(again, ls_url_redact(out, again, sizeof(again)), want); /* idempotent */
        check_result(again, ls_redact_text(c->url, NULL, again, sizeof(again)),
                     strstr(c->url, "://") ? want : c->url); /* a text sees the same URL */
    }
    /* Misuse is harmless; the size of the result can be asked for. */
    CHECK_EQ_INT(ls_url_redact(NULL, out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "");
    CHECK_EQ_INT(ls_url_redact("rtsp://a:bc@d", NULL, 0), strlen("rtsp://a:" M "@d"));
    CHECK_EQ_INT(ls_redact_text("x rtsp://a:bc@d", "zz", NULL, 0), strlen("x rtsp://a:" M "@d"));
}

/* Every output size: NUL-terminated within cap, a prefix of the full
 * result, and never a byte of a secret (whose letters, Z and Y, occur
 * nowhere else). */
static void check_truncation(const char *input, const char *secret, bool text)
{
    char full[256];
    size_t len = text ? ls_redact_text(input, secret, full, sizeof(full))
                      : ls_url_redact(input, full, sizeof(full));
    CHECK(len < sizeof(full));
    CHECK(!strchr(full, 'Z') && !strchr(full, 'Y'));
    for (size_t cap = 0; cap <= len + 2; cap++) {
        char *out = malloc(cap ? cap : 1);
        out[0] = '#';
        size_t n = text ? ls_redact_text(input, secret, out, cap) : ls_url_redact(input, out, cap);
        CHECK_EQ_INT(n, len); /* as snprintf: the whole length, whatever fits */
        if (cap == 0) {
            CHECK(out[0] == '#'); /* nothing written */
        } else {
            CHECK_EQ_INT(strlen(out), cap - 1 < len ? cap - 1 : len);
            CHECK(strncmp(out, full, strlen(out)) == 0);
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
    check_truncation("rtsp://h/user=admin_password=ZZZZ_channel=1&stream=0.sdp", NULL, false);
    check_truncation("login Zsecret failed for rtsp://u:Zsecret@h/ (Zsecret)", "Zsecret", true);
    check_truncation("rtsp://u:Yx@h/ said Z%21q", "Z!q", true);
    check_truncation("tcp://localhost:ZZZZ?x failed", "ZZZZ/YYYY", true);
}

static void test_password(void)
{
    char out[64];
    static const struct redact_case cases[] = {
        { "rtsp://admin:12345@h/", "12345" },
        { "rtsp://admin:p%40ss%3Aw%2frd@h/", "p@ss:w/rd" },
        { "rtsp://admin:p@ss@h/", "p@ss" },
        { "rtsp://admin:pa/ss@h/x", "pa/ss" },
        { "rtsp://admin:p@s/s@h/x", "p@s/s" },
        { "rtsp://admin:Hash#Secret04@h/x", "Hash#Secret04" },
        { "rtsp://admin:pa:ss@[::1]:554/x", "pa:ss" },
        { "rtsp://cam:554/live@main", "554/live" }, /* what ls_url_redact() hides there */
        { "rtsp://u:a%00b@h", "a%00b" },            /* no NUL inside a C string */
        { "rtsp://u:%zz%4@h", "%zz%4" },
        { "rtsp://h/", "" },
        { "rtsp://admin@h/", "" },
        { "rtsp://admin:@h/", "" },
        { "rtsp://[::1]:554/x@y", "" },
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
          "connect to rtsp://admin:" M "@10.0.0.1/live failed: 401" },
        { "password 12345 rejected; retry rtsp://admin:12345@h/", "12345",
          "password " M " rejected; retry rtsp://admin:" M "@h/" },
        { "auth p%40ss%20w and p%40SS+w and p%40ss+w and P%40ss w", "p@ss w",
          "auth " M " and p%40SS+w and " M " and P%40" M },
        { "'rtsp://u:pw@h/x' and \"rtmp://a:b@c/app?token=tt\" end", "",
          "'rtsp://u:" M "@h/x' and \"rtmp://a:" M "@c/app?token=" M "\" end" },
        { "open 'rtsp://a:it's@h/x' failed", NULL, "open 'rtsp://a:" M "@h/x' failed" },
        { "rtsp://u:p@w@h/ then rtsp://v:q@i/", NULL, "rtsp://u:" M "@h/ then rtsp://v:" M "@i/" },
        { "rtsp://h/x?pw=abc: not found", NULL, "rtsp://h/x?pw=" M ": not found" },
        { "rtsp://h/user=admin_password=Xm15_channel=1&stream=0.sdp: not found", NULL,
          "rtsp://h/user=admin_password=" M "_channel=1&stream=0.sdp: not found" },
        { "rtsp://u:pw@h", "u:pw", "rtsp://" M "@h" },
        { "xrtsp://u:pw@h", "xrt", M "sp://u:" M "@h" },
        { "a secretsecret b", "secret", "a " M M " b" },
        /* FFmpeg read a raw '/' in the password as the end of the authority. */
        { "Connection to tcp://localhost:5544?timeout=1 failed", "5544/Zx11Kv",
          "Connection to tcp://localhost:" M "?timeout=1 failed" },
        { "Failed to resolve hostname Efgh: no", "Abcd@Efgh/Ij", "Failed to resolve hostname " M ": no" },
        { "GET /live?token=abc HTTP/1.1", NULL, "GET /live?token=abc HTTP/1.1" }, /* no URL */
        { "no url here", "zzz", "no url here" },
        { "x://", NULL, "x://" },
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
    CHECK_EQ_STR(out, "tried rtsp://admin:" M "@cam/live and rtsp://admin:" M "@cam/live, pass " M);
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
