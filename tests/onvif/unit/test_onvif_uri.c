/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * URIs and numbers from devices: trimming, host rewriting (port kept),
 * credentials inserted percent-encoded, service endpoints built from
 * XAddrs, password masking, locale-free numbers.
 */
#include <errno.h>
#include <locale.h>
#include <string.h>

#include "lightstream/onvif.h"
#include "lib/onvif/text.h"
#include "lib/onvif/uri.h"
#include "tests/unit/test.h"

struct fix_case {
    const char *in, *host, *user, *password, *want;
};

static const struct fix_case fix_cases[] = {
    /* Dahua: URI wrapped in whitespace, LAN host, port kept, &amp; already decoded. */
    { "\n   rtsp://192.168.1.123:554/cam/realmonitor?channel=1&subtype=1 \t", "127.0.0.1", NULL,
      NULL, "rtsp://127.0.0.1:554/cam/realmonitor?channel=1&subtype=1" },
    /* No port: none added (the RTSP default stays). */
    { "rtsp://192.168.68.111/h264main", "127.0.0.1", "admin", "12345",
      "rtsp://admin:12345@127.0.0.1/h264main" },
    /* Credentials percent-encoded. */
    { "rtsp://10.0.0.2:8554/x", "127.0.0.1", "ad min", "p@ss:w/rd%",
      "rtsp://ad%20min:p%40ss%3Aw%2Frd%25@127.0.0.1:8554/x" },
    /* Userinfo from the device replaced by ours. */
    { "rtsp://old:secret@10.0.0.2/x", "127.0.0.1", "u", "p", "rtsp://u:p@127.0.0.1/x" },
    /* No rewrite, no credentials: only trimmed. */
    { "  rtsp://10.0.0.2:554/x  ", NULL, NULL, NULL, "rtsp://10.0.0.2:554/x" },
    /* User without password. */
    { "rtsp://10.0.0.2/x", NULL, "viewer", NULL, "rtsp://viewer@10.0.0.2/x" },
    /* IPv6 reached, IPv6 reported. */
    { "rtsp://[fe80::1]:554/x", "::1", NULL, NULL, "rtsp://[::1]:554/x" },
    { "rtsp://cam/x", "fe80::2", NULL, NULL, "rtsp://[fe80::2]/x" },
    /* No path at all. */
    { "http://192.168.1.201", "127.0.0.1", NULL, NULL, "http://127.0.0.1" },
    /* Snapshot with a query and a port. */
    { "http://192.168.1.123:8080/snap.jpg?a=1&b=2", "127.0.0.1", NULL, NULL,
      "http://127.0.0.1:8080/snap.jpg?a=1&b=2" },
};

static void test_fix(void)
{
    for (size_t i = 0; i < sizeof(fix_cases) / sizeof(fix_cases[0]); i++) {
        const struct fix_case *c = &fix_cases[i];
        struct ls_onvif_uri_fix fix = { c->host, c->user, c->password };
        char out[512];
        const char *want = c->want ? c->want : "";
        int n = ls_onvif_uri_fix(c->in, &fix, out, sizeof(out));
        CHECK_EQ_STR(out, want);
        CHECK_EQ_INT(n, strlen(want));
        /* Every shorter buffer fails cleanly. */
        for (size_t cap = 1; cap <= strlen(want); cap++) {
            char small[512];
            if (ls_onvif_uri_fix(c->in, &fix, small, cap) != -ENOSPC || small[0]) {
                CHECK(!"short buffer");
                break;
            }
        }
    }
    struct ls_onvif_uri_fix none = { 0 };
    char out[64];
    CHECK_EQ_INT(ls_onvif_uri_fix("not a uri", &none, out, sizeof(out)), -EBADMSG);
    CHECK_EQ_INT(ls_onvif_uri_fix("   ", &none, out, sizeof(out)), -EBADMSG);
    CHECK_EQ_INT(ls_onvif_uri_fix("rtsp:///x", &none, out, sizeof(out)), -EBADMSG);
    CHECK_EQ_INT(ls_onvif_uri_fix(NULL, &none, out, sizeof(out)), -EBADMSG);
}

static void test_percent(void)
{
    char out[64];
    CHECK_EQ_INT(ls_onvif_percent_encode("aZ09-._~", out, sizeof(out)), 8);
    CHECK_EQ_STR(out, "aZ09-._~");
    CHECK_EQ_INT(ls_onvif_percent_encode("é:@/?#[]! +%", out, sizeof(out)), 39);
    CHECK_EQ_STR(out, "%C3%A9%3A%40%2F%3F%23%5B%5D%21%20%2B%25");
    CHECK_EQ_INT(ls_onvif_percent_encode("@", out, 3), -ENOSPC);
    CHECK_EQ_INT(ls_onvif_percent_encode("@", out, 4), 3);
}

static void test_endpoint(void)
{
    char out[256];
    /* The XAddr's LAN host is dropped: only its path is kept. */
    CHECK(ls_onvif_endpoint("http://192.168.68.111/onvif/services", "127.0.0.1", 8080, "/d", out,
                            sizeof(out)) > 0);
    CHECK_EQ_STR(out, "http://127.0.0.1:8080/onvif/services");
    CHECK(ls_onvif_endpoint(" http://192.168.1.201:80/onvif/media_service?x=1 http://[fe80::1]/y ",
                            "127.0.0.1", 80, "/d", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "http://127.0.0.1:80/onvif/media_service?x=1");
    CHECK(ls_onvif_endpoint(NULL, "::1", 80, "/onvif/device_service", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "http://[::1]:80/onvif/device_service");
    CHECK(ls_onvif_endpoint("http://10.0.0.1", "h", 1, "/fallback", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "http://h:1/fallback");
    CHECK(ls_onvif_endpoint("/rel/path", "h", 2, "/d", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "http://h:2/rel/path");
    CHECK(ls_onvif_endpoint(NULL, "h", 2, "nopath", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "http://h:2/nopath");
    CHECK_EQ_INT(ls_onvif_endpoint(NULL, "h", 2, "/d", out, 10), -ENOSPC);
    CHECK(ls_onvif_uri_path("http://h:2/a/b?c=d", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "/a/b?c=d");
    CHECK(ls_onvif_uri_path("http://h:2", out, sizeof(out)) > 0);
    CHECK_EQ_STR(out, "/");
}

static void test_mask(void)
{
    char out[128];
    CHECK_EQ_INT(ls_onvif_mask_uri("rtsp://admin:p%40ss@127.0.0.1:8554/x", out, sizeof(out)),
                 strlen("rtsp://admin:****@127.0.0.1:8554/x"));
    CHECK_EQ_STR(out, "rtsp://admin:****@127.0.0.1:8554/x");
    ls_onvif_mask_uri("rtsp://admin@127.0.0.1/x", out, sizeof(out));
    CHECK_EQ_STR(out, "rtsp://admin@127.0.0.1/x");
    ls_onvif_mask_uri("rtsp://127.0.0.1:554/x", out, sizeof(out));
    CHECK_EQ_STR(out, "rtsp://127.0.0.1:554/x");
    /* Truncated: never shows the password. */
    for (size_t cap = 1; cap < 40; cap++) {
        ls_onvif_mask_uri("rtsp://admin:secret@127.0.0.1:8554/x", out, cap);
        CHECK(!strstr(out, "sec") && strlen(out) < cap);
    }
}

static void test_numbers(void)
{
    double v = -1;
    CHECK(ls_onvif_parse_double(" 25.000000 ", &v) && test_near(v, 25));
    CHECK(ls_onvif_parse_double("-0.864665985", &v) && test_near(v, -0.864665985));
    CHECK(ls_onvif_parse_double("1e-3", &v) && test_near(v, 0.001));
    CHECK(ls_onvif_parse_double(".5", &v) && test_near(v, 0.5));
    CHECK(ls_onvif_parse_double("12.", &v) && test_near(v, 12));
    CHECK(!ls_onvif_parse_double("", &v));
    CHECK(!ls_onvif_parse_double("0x10", &v));
    CHECK(!ls_onvif_parse_double("nan", &v));
    CHECK(!ls_onvif_parse_double("1,5", &v));
    CHECK(!ls_onvif_parse_double("1e", &v));
    CHECK(!ls_onvif_parse_double("1e999999", &v));
    CHECK(!ls_onvif_parse_double(NULL, &v));
    CHECK_EQ_INT(ls_onvif_parse_uint("5200"), 5200);
    CHECK_EQ_INT(ls_onvif_parse_uint("0.00"), 0);
    CHECK_EQ_INT(ls_onvif_parse_uint("-3"), 0);
    CHECK_EQ_INT(ls_onvif_parse_uint("12.5"), 13);
    CHECK_EQ_INT(ls_onvif_parse_uint("1e30"), 4294967295u);
    char buf[32];
    /* A comma-decimal locale must not leak onto the wire. */
    setlocale(LC_NUMERIC, "de_DE.UTF-8");
    ls_onvif_format_double(0.5, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "0.5");
    ls_onvif_format_double(-1, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "-1");
    ls_onvif_format_double(0.0000001, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "0");
    ls_onvif_format_double(-0.125, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "-0.125");
    ls_onvif_format_double(1e20, buf, sizeof(buf));
    CHECK_EQ_STR(buf, "1000000000");
    CHECK(ls_onvif_parse_double("0.25", &v) && test_near(v, 0.25));
    setlocale(LC_NUMERIC, "C");
    CHECK(ls_onvif_word_eq("  h264\n", "H264"));
    CHECK(!ls_onvif_word_eq("H2645", "H264"));
    CHECK(!ls_onvif_word_eq(NULL, "H264"));
    CHECK(ls_onvif_copy_trim(buf, sizeof(buf), "\n x \t"));
    CHECK_EQ_STR(buf, "x");
    CHECK(!ls_onvif_copy_trim(buf, 3, "abcd"));
    CHECK_EQ_STR(buf, "ab");
}

static void test_names(void)
{
    CHECK_EQ_STR(ls_onvif_errname(-EACCES), "EACCES");
    CHECK_EQ_STR(ls_onvif_errname(ETIMEDOUT), "ETIMEDOUT");
    CHECK_EQ_STR(ls_onvif_errname(-EOPNOTSUPP), "EOPNOTSUPP");
    CHECK_EQ_STR(ls_onvif_errname(-12345), "EUNKNOWN");
    CHECK_EQ_STR(ls_onvif_encoding_name(LS_ONVIF_ENCODING_H265), "H265");
    CHECK_EQ_STR(ls_onvif_encoding_name(LS_ONVIF_ENCODING_UNKNOWN), "unknown");
}

int main(void)
{
    test_fix();
    test_percent();
    test_endpoint();
    test_mask();
    test_numbers();
    test_names();
    return test_done("onvif-uri");
}
