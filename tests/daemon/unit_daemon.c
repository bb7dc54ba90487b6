/*
 * Unit tests of lightstreamd's pure parts: spec validation, JSON redaction,
 * the state file's parser, the config loader, SIGHUP's merge of a new
 * config, the beyond-loopback decision, /proc/self/stat and label escaping
 * for /metrics, the log's escaping, the
 * request-head scanner and the address keys of the connection caps; and the
 * recordings directory's rule on a real (temporary) directory tree.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lightstream/redact.h"

#include "daemon/config.h"
#include "daemon/conn_util.h"
#include "daemon/log.h"
#include "daemon/metrics.h"
#include "daemon/recordings.h"
#include "daemon/redact.h"
#include "daemon/spec.h"
#include "daemon/state.h"
#include "tests/unit/test.h"

static int parse(const char *text, enum lsd_spec_mode mode, struct lsd_relay_spec *spec,
                 char *err, size_t size)
{
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    if (!o)
        return -1000;
    lsd_spec_init(spec);
    int ret = lsd_spec_from_json(spec, o, mode, err, size);
    json_decref(o);
    return ret;
}

static void test_spec_valid(void)
{
    struct lsd_relay_spec spec;
    char err[256] = "";
    int ret = parse("{\"id\":\"cam-1.a_b\",\"source\":\"rtsp://u:p@h:554/x?y=1\",\"transport\":\"udp\","
                    "\"audio\":\"aac\",\"hevc\":\"codec12\",\"on_demand\":true,\"idle_s\":5,"
                    "\"lease_s\":60,\"outputs\":[\"rtmp://127.0.0.1/live/a\",\"/tmp/x.flv\"]}",
                    LSD_SPEC_CREATE, &spec, err, sizeof(err));
    CHECK_EQ_INT(ret, 0);
    CHECK_EQ_STR(spec.id, "cam-1.a_b");
    CHECK_EQ_INT(spec.transport, LS_TRANSPORT_UDP);
    CHECK_EQ_INT(spec.audio, LS_AUDIO_AAC_ONLY);
    CHECK_EQ_INT(spec.hevc, LS_HEVC_CODEC12);
    CHECK(spec.on_demand);
    CHECK_EQ_INT(spec.idle_s, 5);
    CHECK_EQ_INT(spec.lease_s, 60);
    CHECK_EQ_INT(spec.output_count, 2);
    CHECK_EQ_INT(spec.outputs[0].id, 1);
    CHECK_EQ_INT(spec.outputs[1].id, 2);
    CHECK_EQ_INT(spec.next_output_id, 3);
    /* The reply form hides the password; the state form keeps it. */
    json_t *pub = lsd_spec_to_json(&spec, false), *full = lsd_spec_to_json(&spec, true);
    CHECK_EQ_STR(json_string_value(json_object_get(pub, "source")), "rtsp://u:****@h:554/x?y=1");
    CHECK_EQ_STR(json_string_value(json_object_get(full, "source")), "rtsp://u:p@h:554/x?y=1");
    /* ...and reads back into the same spec. */
    struct lsd_relay_spec back;
    lsd_spec_init(&back);
    CHECK_EQ_INT(lsd_spec_from_json(&back, full, LSD_SPEC_STATE, err, sizeof(err)), 0);
    CHECK_EQ_STR(back.source, spec.source);
    CHECK_EQ_INT(back.next_output_id, 3);
    json_decref(pub);
    json_decref(full);
    lsd_spec_finish(&back);
    lsd_spec_finish(&spec);
}

static void test_spec_errors(void)
{
    static const struct {
        const char *json;
        const char *field; /* must be named in the message */
    } bad[] = {
        {"{}", "source"},
        {"{\"source\":5}", "source"},
        {"{\"source\":\"http://h/x\"}", "source"},
        {"{\"source\":\"rtsp://\"}", "source"},
        {"{\"source\":\"rtsp://u:p@/x\"}", "source"},
        {"{\"source\":\"rtsp://h/a b\"}", "source"},
        {"{\"source\":\"rtsp://h/x\",\"id\":\"a/b\"}", "id"},
        {"{\"source\":\"rtsp://h/x\",\"id\":\"\"}", "id"},
        {"{\"source\":\"rtsp://h/x\",\"id\":\".hidden\"}", "id"},
        {"{\"source\":\"rtsp://h/x\",\"transport\":\"tcpx\"}", "transport"},
        {"{\"source\":\"rtsp://h/x\",\"audio\":1}", "audio"},
        {"{\"source\":\"rtsp://h/x\",\"on_demand\":\"yes\"}", "on_demand"},
        {"{\"source\":\"rtsp://h/x\",\"lease_s\":-1}", "lease_s"},
        {"{\"source\":\"rtsp://h/x\",\"idle_s\":86401}", "idle_s"},
        {"{\"source\":\"rtsp://h/x\",\"outputs\":\"rtmp://h/a\"}", "outputs"},
        {"{\"source\":\"rtsp://h/x\",\"outputs\":[\"http://h/a\"]}", "outputs"},
        {"{\"source\":\"rtsp://h/x\",\"outputs\":[\"../up.flv\"]}", "outputs"},
        {"{\"source\":\"rtsp://h/x\",\"created_ms\":5}", "created_ms"},
        {"{\"source\":\"rtsp://h/x\",\"zzz\":5}", "zzz"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct lsd_relay_spec spec;
        char err[256] = "";
        int ret = parse(bad[i].json, LSD_SPEC_CREATE, &spec, err, sizeof(err));
        CHECK_EQ_INT(ret, -EINVAL);
        if (!strstr(err, bad[i].field))
            fprintf(stderr, "case %zu: message '%s' does not name '%s'\n", i, err, bad[i].field);
        CHECK(strstr(err, bad[i].field) != NULL);
        lsd_spec_finish(&spec);
    }
}

/* The daemon hides what the library hides (lightstream/redact.h, tested in
 * tests/unit/util/test_url.c): here, what the daemon adds — every string of a
 * JSON reply redacted, whatever JSON escaping would make of it. */
static void test_redaction(void)
{
    json_t *in = json_pack("{s:s, s:[s, i, {s:s, s:n}], s:b, s:s}",
                           "source", "rtsp://admin:Sup3r'Se\"c<r>et@10.0.0.5/x",
                           "list", "open 'rtsp://a:it's@h/x' failed", 7,
                           "deep", "rtsp://h/x?user=admin&password=p1", "null",
                           "ok", 1, "rtsp://u:key@h/", "plain");
    CHECK(in != NULL);
    json_t *out = lsd_redact_json(in);
    CHECK(out != NULL);
    char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
    CHECK_EQ_STR(text, "{\"list\":[\"open 'rtsp://a:****@h/x' failed\",7,"
                       "{\"deep\":\"rtsp://h/x?user=admin&password=****\",\"null\":null}],"
                       "\"ok\":true,\"rtsp://u:****@h/\":\"plain\","
                       "\"source\":\"rtsp://admin:****@10.0.0.5/x\"}");
    free(text);
    /* the input is left as it was */
    CHECK_EQ_STR(json_string_value(json_object_get(in, "source")),
                 "rtsp://admin:Sup3r'Se\"c<r>et@10.0.0.5/x");
    json_decref(out);
    json_decref(in);
    /* a NUL inside a string cannot cut the redaction short */
    in = json_stringn("rtsp://u:pa\0ss@h/x", 18);
    out = lsd_redact_json(in);
    CHECK_EQ_STR(json_string_value(out), "rtsp://u:****@h/x");
    json_decref(out);
    json_decref(in);
    /* the daemon's own calls: the library's redactor and its mask */
    char buf[128];
    CHECK_EQ_INT(ls_url_redact("rtsp://admin:Hash#Secret04@h/x", buf, sizeof(buf)),
                 strlen("rtsp://admin:****@h/x"));
    CHECK_EQ_STR(buf, "rtsp://admin:" LS_REDACT_MASK "@h/x");
}

static void test_credentials(void)
{
    char u[64], pw[64];
    CHECK_EQ_INT(lsd_url_credentials("rtsp://admin:s3cr3t%3Ap%40ss@h:554/x", u, sizeof(u), pw,
                                     sizeof(pw)), 0);
    CHECK_EQ_STR(u, "admin");
    CHECK_EQ_STR(pw, "s3cr3t:p@ss");
    CHECK_EQ_INT(lsd_url_credentials("rtsp://h/x@y", u, sizeof(u), pw, sizeof(pw)), 0);
    CHECK_EQ_STR(u, "");
    CHECK_EQ_STR(pw, "");
    CHECK_EQ_INT(lsd_url_credentials("rtsp://bob@h/", u, sizeof(u), pw, sizeof(pw)), 0);
    CHECK_EQ_STR(u, "bob");
    CHECK_EQ_INT(lsd_url_credentials("rtsp://a:%zz@h/", u, sizeof(u), pw, sizeof(pw)), -EINVAL);
    CHECK_EQ_INT(lsd_url_credentials("rtsp://a:%00@h/", u, sizeof(u), pw, sizeof(pw)), -EINVAL);
    CHECK_EQ_INT(lsd_url_credentials("rtsp://a:%4@h/", u, sizeof(u), pw, sizeof(pw)), -EINVAL);
    CHECK_EQ_INT(lsd_url_credentials("rtsp://a:abcdef@h/", u, sizeof(u), pw, 4), -EINVAL);
    CHECK_EQ_INT(lsd_url_credentials("no-scheme", u, sizeof(u), pw, sizeof(pw)), -EINVAL);
}

static void test_state_parse(void)
{
    struct lsd_state st;
    char err[512] = "";
    const char *ok = "{\"version\":1,\"compat\":{\"next_handle\":7},\"relays\":["
                     "{\"id\":\"a\",\"source\":\"rtsp://h/a\",\"outputs\":[{\"id\":4,\"url\":\"rtmp://h/x\"}]},"
                     "{\"id\":\"a\",\"source\":\"rtsp://h/dup\"},"
                     "{\"id\":\"b\",\"source\":\"ftp://bad\"},"
                     "{\"id\":\"c\",\"source\":\"rtsp://h/c\",\"meta\":{\"k\":1}}]}";
    CHECK_EQ_INT(lsd_state_parse(&st, ok, strlen(ok), err, sizeof(err)), 0);
    CHECK_EQ_INT(st.count, 2);
    CHECK(strstr(err, "duplicate") != NULL);
    CHECK(strstr(err, "relays[2]") != NULL);
    CHECK_EQ_INT(st.relays[0].outputs[0].id, 4);
    CHECK_EQ_INT(st.relays[0].next_output_id, 5);
    CHECK(json_is_object(st.relays[1].meta));
    CHECK_EQ_INT(json_integer_value(json_object_get(st.compat, "next_handle")), 7);
    lsd_state_finish(&st);
    const char *bad[] = {"", "[]", "{\"version\":2,\"relays\":[]}", "{\"version\":1}",
                         "{\"version\":1,\"relays\":[],\"compat\":[]}", "{\"version\":1,\"relays\":[]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ_INT(lsd_state_parse(&st, bad[i], strlen(bad[i]), err, sizeof(err)), -EINVAL);
}

static void test_state_roundtrip(void)
{
    char dir[] = "/tmp/lsd-unit-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct lsd_relay_spec spec;
    lsd_spec_init(&spec);
    snprintf(spec.id, sizeof(spec.id), "x");
    snprintf(spec.source, sizeof(spec.source), "rtsp://u:p@h/x");
    const struct lsd_relay_spec *list[] = {&spec};
    json_t *compat = json_pack("{s:i}", "next_handle", 3);
    CHECK_EQ_INT(lsd_state_save(dir, list, 1, compat), 0);
    struct lsd_state st;
    char err[256] = "";
    CHECK_EQ_INT(lsd_state_load(&st, dir, err, sizeof(err)), 0);
    CHECK_EQ_INT(st.count, 1);
    CHECK_EQ_STR(st.relays[0].source, "rtsp://u:p@h/x");
    lsd_state_finish(&st);
    json_decref(compat);
    char path[128];
    snprintf(path, sizeof(path), "%s/state.json", dir);
    unlink(path);
    CHECK_EQ_INT(lsd_state_load(&st, dir, err, sizeof(err)), 0); /* missing = empty */
    CHECK_EQ_INT(st.count, 0);
    lsd_state_finish(&st);
    rmdir(dir);
}

static void test_config(void)
{
    char path[] = "/tmp/lsd-conf-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    const char *text = "{\"port\": 0, \"log_level\": \"debug\", \"api_token\": \"t\", "
                       "\"header_timeout_s\": 3, \"max_connections_per_address\": 0}";
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    struct lsd_config c;
    char err[256] = "";
    lsd_config_defaults(&c);
    CHECK_EQ_INT(c.port, 2233);
    CHECK_EQ_STR(c.listen, "127.0.0.1");
    CHECK_EQ_INT(c.header_timeout_s, 10);
    CHECK_EQ_INT(c.body_timeout_s, 30);
    CHECK_EQ_INT(c.max_connections, 4096);
    CHECK_EQ_INT(c.max_connections_per_address, 1024);
    CHECK_EQ_INT(lsd_config_load(&c, path, err, sizeof(err)), 0);
    CHECK_EQ_INT(c.port, 0);
    CHECK_EQ_INT(c.log_level, LS_LOG_DEBUG);
    CHECK_EQ_STR(c.api_token, "t");
    CHECK_EQ_INT(c.header_timeout_s, 3);
    CHECK_EQ_INT(c.max_connections_per_address, 0); /* no per-address cap */
    FILE *f = fopen(path, "w");
    fputs("{\"prot\": 1}", f);
    fclose(f);
    CHECK_EQ_INT(lsd_config_load(&c, path, err, sizeof(err)), -EINVAL);
    CHECK(strstr(err, "prot") != NULL);
    f = fopen(path, "w");
    fputs("{\"port\": 70000}", f);
    fclose(f);
    CHECK_EQ_INT(lsd_config_load(&c, path, err, sizeof(err)), -EINVAL);
    f = fopen(path, "w");
    fputs("{\"header_timeout_s\": 0}", f); /* a deadline of nothing closes everyone */
    fclose(f);
    CHECK_EQ_INT(lsd_config_load(&c, path, err, sizeof(err)), -EINVAL);
    unlink(path);
}

/* SIGHUP: live keys are copied and named (never their values), the others
 * only named; a list that does not fit is cut with "...". */
static void test_config_merge_live(void)
{
    struct lsd_config cur, next;
    char changed[256], restart[256];
    lsd_config_defaults(&cur);
    next = cur;
    CHECK_EQ_INT(lsd_config_merge_live(&cur, &next, changed, sizeof(changed), restart,
                                       sizeof(restart)), 0);
    CHECK_EQ_STR(changed, "");
    CHECK_EQ_STR(restart, "");
    snprintf(next.api_token, sizeof(next.api_token), "s3cret-new");
    next.log_level = LS_LOG_DEBUG;
    next.max_connections = 7;
    next.require_token_beyond_loopback = true;
    snprintf(next.listen, sizeof(next.listen), "0.0.0.0");
    next.port = 9999;
    snprintf(next.data_dir, sizeof(next.data_dir), "/elsewhere");
    CHECK_EQ_INT(lsd_config_merge_live(&cur, &next, changed, sizeof(changed), restart,
                                       sizeof(restart)), 4);
    CHECK_EQ_STR(cur.api_token, "s3cret-new");
    CHECK_EQ_INT(cur.log_level, LS_LOG_DEBUG);
    CHECK_EQ_INT(cur.max_connections, 7);
    CHECK(cur.require_token_beyond_loopback);
    CHECK_EQ_STR(cur.listen, "127.0.0.1"); /* kept */
    CHECK_EQ_INT(cur.port, 2233);
    CHECK(strcmp(cur.data_dir, "/elsewhere") != 0);
    CHECK_EQ_STR(changed, "log_level, api_token, require_token_beyond_loopback, max_connections");
    CHECK_EQ_STR(restart, "listen, port, data_dir");
    CHECK(strstr(changed, "s3cret") == NULL);
    /* Read by other threads than the loop: never changed under them. */
    next = cur;
    next.gop_cache_max_bytes = 1u << 20;
    CHECK_EQ_INT(lsd_config_merge_live(&cur, &next, changed, sizeof(changed), restart,
                                       sizeof(restart)), 0);
    CHECK_EQ_STR(restart, "gop_cache_max_bytes");
    CHECK_EQ_INT(cur.gop_cache_max_bytes, 4u << 20);
    /* A token removed is a change too. */
    next.api_token[0] = '\0';
    CHECK_EQ_INT(lsd_config_merge_live(&cur, &next, changed, sizeof(changed), restart,
                                       sizeof(restart)), 1);
    CHECK_EQ_STR(cur.api_token, "");
    /* A short buffer. */
    next.log_level = LS_LOG_ERROR;
    next.max_relays = 3;
    next.viewer_stall_ms = 500;
    char small[16];
    CHECK_EQ_INT(lsd_config_merge_live(&cur, &next, small, sizeof(small), restart,
                                       sizeof(restart)), 3);
    CHECK(strlen(small) < sizeof(small));
    CHECK(strstr(small, "...") != NULL);
}

/* The decision behind the warning and the startup error. */
static void test_exposure(void)
{
    static const char *const loopback[] = {"127.0.0.1", "127.1.2.3", "::1", "localhost",
                                           "::ffff:127.0.0.1"};
    static const char *const beyond[] = {"0.0.0.0", "::", "192.168.1.10", "10.0.0.1",
                                         "::ffff:10.0.0.1", "fe80::1", "cams.example.com",
                                         "128.0.0.1", "localhost.example.com"};
    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
        CHECK(lsd_listen_is_loopback(loopback[i]));
    for (size_t i = 0; i < sizeof(beyond) / sizeof(beyond[0]); i++)
        CHECK(!lsd_listen_is_loopback(beyond[i]));
    struct lsd_config c;
    lsd_config_defaults(&c);
    CHECK_EQ_INT(lsd_config_exposure(&c), LSD_EXPOSURE_OK); /* the default: loopback */
    c.require_token_beyond_loopback = true;
    CHECK_EQ_INT(lsd_config_exposure(&c), LSD_EXPOSURE_OK);
    c.require_token_beyond_loopback = false;
    snprintf(c.listen, sizeof(c.listen), "0.0.0.0");
    CHECK_EQ_INT(lsd_config_exposure(&c), LSD_EXPOSURE_OPEN);
    c.require_token_beyond_loopback = true;
    CHECK_EQ_INT(lsd_config_exposure(&c), LSD_EXPOSURE_REFUSED);
    snprintf(c.viewer_token, sizeof(c.viewer_token), "v"); /* guards viewers, not the API */
    CHECK_EQ_INT(lsd_config_exposure(&c), LSD_EXPOSURE_REFUSED);
    snprintf(c.api_token, sizeof(c.api_token), "t");
    CHECK_EQ_INT(lsd_config_exposure(&c), LSD_EXPOSURE_OK);
    c.require_token_beyond_loopback = false;
    CHECK_EQ_INT(lsd_config_exposure(&c), LSD_EXPOSURE_OK);
}

/* /proc/self/stat as the kernel writes it, with a name that holds ") " and
 * digits: the fields are read after the last ')'. */
static void test_proc_stat(void)
{
    const char *stat = "4242 (light) 1 (x) S 1 4242 4242 0 -1 4194560 1500 0 0 0 "
                       "250 150 0 0 20 0 9 0 123400 337801216 7344 18446744073709551615";
    struct lsd_proc_stats p;
    memset(&p, 0, sizeof(p));
    CHECK_EQ_INT(lsd_proc_parse_stat(stat, 100, 4096, 1700000000, &p), 0);
    CHECK(p.cpu_s > 3.999 && p.cpu_s < 4.001);            /* (250 + 150) / 100 */
    CHECK(p.start_time_s > 1700001233.999 && p.start_time_s < 1700001234.001);
    CHECK_EQ_INT(p.vsize_bytes, 337801216);
    CHECK_EQ_INT(p.rss_bytes, 7344ull * 4096);
    CHECK_EQ_INT(lsd_proc_parse_stat("4242 (light) S 1 2 3", 100, 4096, 0, &p), -EINVAL);
    CHECK_EQ_INT(lsd_proc_parse_stat("no parenthesis", 100, 4096, 0, &p), -EINVAL);
    CHECK_EQ_INT(lsd_proc_parse_stat(stat, 0, 4096, 0, &p), -EINVAL);
    CHECK_EQ_INT(lsd_proc_read(&p), 0); /* this process */
    CHECK(p.rss_bytes > 0 && p.open_fds >= 3 && p.max_fds >= p.open_fds);
}

static void test_prom_escape(void)
{
    char out[32];
    CHECK_EQ_INT(lsd_prom_escape("5.1.9-0+deb12u1", out, sizeof(out)), 15);
    CHECK_EQ_STR(out, "5.1.9-0+deb12u1");
    lsd_prom_escape("a\\b\"c\nd", out, sizeof(out));
    CHECK_EQ_STR(out, "a\\\\b\\\"c\\nd");
    /* Cut whole: never half an escape. */
    CHECK_EQ_INT(lsd_prom_escape("ab\"", out, 4), 2);
    CHECK_EQ_STR(out, "ab");
}

static void test_log_escape(void)
{
    char out[256];
    lsd_log_escape("GET /live/\nFAKE\r\tx", out, sizeof(out));
    CHECK_EQ_STR(out, "GET /live/\\nFAKE\\r\\tx");
    lsd_log_escape("\x1b[31m\x7f\x01 a\\b", out, sizeof(out));
    CHECK_EQ_STR(out, "\\x1b[31m\\x7f\\x01 a\\b"); /* a backslash stays one */
    /* UTF-8 passes; C1 controls, U+2028/9 and what is not UTF-8 do not. */
    lsd_log_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb7", out, sizeof(out));
    CHECK_EQ_STR(out, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xb7");
    lsd_log_escape("\xc2\x85|\xc2\x9b|\xe2\x80\xa8|\xe2\x80\xa9", out, sizeof(out));
    CHECK_EQ_STR(out, "\\xc2\\x85|\\xc2\\x9b|\\xe2\\x80\\xa8|\\xe2\\x80\\xa9");
    lsd_log_escape("\xff\x80\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xe2\x82", out, sizeof(out));
    CHECK_EQ_STR(out, "\\xff\\x80\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80\\xe2\\x82");
    /* Cut before a piece that does not fit, never inside one. */
    CHECK_EQ_INT(lsd_log_escape("ab\ncd", out, 4), 2);
    CHECK_EQ_STR(out, "ab");
    CHECK_EQ_INT(lsd_log_escape("a\xc3\xa9", out, 3), 1);
    CHECK_EQ_STR(out, "a");
    CHECK_EQ_INT(lsd_log_escape("x", out, 1), 0);
    CHECK_EQ_STR(out, "");
}

static bool head_done(const char *text)
{
    struct lsd_head_scan scan = {0};
    return lsd_head_scan_feed(&scan, (const uint8_t *)text, strlen(text));
}

static void test_head_scan(void)
{
    CHECK(head_done("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    CHECK(head_done("GET / HTTP/1.0\r\n\r\n"));
    CHECK(head_done("GET / HTTP/1.1\nHost: h\n\n"));
    CHECK(!head_done("GET / HTTP/1.1\r\nHost: h\r\n"));
    CHECK(!head_done("GET / HTTP/1.1\r\nX: a\r\r\n")); /* a CR is not an empty line */
    CHECK(!head_done("\r\n\r\n")); /* no request line yet */
    /* Byte by byte, as a slow client sends it. */
    const char *head = "POST /x HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}";
    struct lsd_head_scan scan = {0};
    size_t i = 0;
    while (head[i] && !lsd_head_scan_feed(&scan, (const uint8_t *)head + i, 1))
        i++;
    CHECK_EQ_INT(i, strlen(head) - 3); /* stops at the last LF of the head */
}

static void test_peer_key(void)
{
    uint8_t k1[LSD_PEER_KEY_SIZE], k2[LSD_PEER_KEY_SIZE];
    char t1[64], t2[64];
    struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(1)};
    struct sockaddr_in6 a = {.sin6_family = AF_INET6}, b = {.sin6_family = AF_INET6};
    inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
    CHECK(lsd_peer_key((struct sockaddr *)&v4, k1, t1, sizeof(t1)));
    CHECK_EQ_STR(t1, "192.0.2.7");
    inet_pton(AF_INET6, "::ffff:192.0.2.7", &a.sin6_addr); /* mapped: the same client */
    CHECK(lsd_peer_key((struct sockaddr *)&a, k2, t2, sizeof(t2)));
    CHECK(memcmp(k1, k2, sizeof(k1)) == 0);
    CHECK_EQ_STR(t2, "192.0.2.7");
    inet_pton(AF_INET6, "2001:db8:1:2:aaaa::1", &a.sin6_addr); /* one /64, one client */
    inet_pton(AF_INET6, "2001:db8:1:2:bbbb::2", &b.sin6_addr);
    CHECK(lsd_peer_key((struct sockaddr *)&a, k1, t1, sizeof(t1)));
    CHECK(lsd_peer_key((struct sockaddr *)&b, k2, t2, sizeof(t2)));
    CHECK(memcmp(k1, k2, sizeof(k1)) == 0);
    CHECK_EQ_STR(t1, "2001:db8:1:2::/64");
    inet_pton(AF_INET6, "2001:db8:1:3::1", &b.sin6_addr);
    CHECK(lsd_peer_key((struct sockaddr *)&b, k2, t2, sizeof(t2)));
    CHECK(memcmp(k1, k2, sizeof(k1)) != 0);
    struct sockaddr unix_sa = {.sa_family = AF_UNIX};
    CHECK(!lsd_peer_key(&unix_sa, k1, t1, sizeof(t1)));
}

static void test_output_paths(void)
{
    static const char *const good[] = {
        "rtmp://h/live/a", "RTMPS://h/live/a", "cam1.flv", "front/cam1.FLV", "/rec/cam1.flv",
        "./cam1.flv", "a..b.flv", "..cam.flv",
    };
    static const char *const bad[] = {
        "../cam1.flv", "front/../../cam1.flv", "/rec/../etc/x.flv", "/rec/..", "..", ".flv",
        "/rec/.flv", "http://h/x.flv", "file://x.flv", "cam1.mp4", "cam 1.flv", "",
        "rtmp:///x",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!lsd_spec_output_valid(good[i]))
            fprintf(stderr, "refused: %s\n", good[i]);
        CHECK(lsd_spec_output_valid(good[i]));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (lsd_spec_output_valid(bad[i]))
            fprintf(stderr, "accepted: %s\n", bad[i]);
        CHECK(!lsd_spec_output_valid(bad[i]));
    }
    CHECK(!lsd_output_is_file("rtmp://h/a") && !lsd_output_is_file("RTMPS://h/a"));
    CHECK(lsd_output_is_file("cam1.flv") && lsd_output_is_file("/rec/cam1.flv"));
}

static void test_recordings_dir(void)
{
    char top[] = "/tmp/lsd-rec-XXXXXX";
    CHECK(mkdtemp(top) != NULL);
    char rec[PATH_MAX], out[PATH_MAX], want[PATH_MAX], why[PATH_MAX + 256], p[PATH_MAX + 64];
    /* Created with its parents. */
    snprintf(rec, sizeof(rec), "%s/data/recordings", top);
    CHECK_EQ_INT(lsd_recordings_prepare(rec), 0);
    CHECK_EQ_INT(lsd_recordings_prepare(rec), 0); /* and again: already there */
    snprintf(p, sizeof(p), "%s/front", rec);
    CHECK_EQ_INT(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/outside", top);
    CHECK_EQ_INT(mkdir(p, 0700), 0);
    snprintf(p, sizeof(p), "%s/out", rec); /* a symlink leading out */
    char target[PATH_MAX + 16];
    snprintf(target, sizeof(target), "%s/outside", top);
    CHECK_EQ_INT(symlink(target, p), 0);
    snprintf(p, sizeof(p), "%s/in", rec); /* a symlink staying inside */
    CHECK_EQ_INT(symlink("front", p), 0);
    snprintf(p, sizeof(p), "%s/ln.flv", rec); /* the pattern's own name is a symlink */
    CHECK_EQ_INT(symlink("/etc/passwd", p), 0);

    /* Inside: relative, in a subdirectory, absolute, through a symlink that stays in. */
    char real[PATH_MAX];
    CHECK(realpath(rec, real) != NULL);
    static const struct {
        const char *target, *want;
    } ok[] = {{"cam1.flv", "cam1.flv"}, {"front/cam1.flv", "front/cam1.flv"},
              {"in/cam1.flv", "front/cam1.flv"}, {"./cam1.flv", "cam1.flv"}};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        CHECK_EQ_INT(lsd_recordings_resolve(rec, ok[i].target, out, sizeof(out), why, sizeof(why)), 0);
        snprintf(want, sizeof(want), "%s/%s", real, ok[i].want);
        CHECK_EQ_STR(out, want);
    }
    snprintf(p, sizeof(p), "%s/front/abs.flv", rec);
    CHECK_EQ_INT(lsd_recordings_resolve(rec, p, out, sizeof(out), why, sizeof(why)), 0);

    /* Outside: elsewhere, through a symlink, traversal in an absolute path, the pattern a link. */
    const char *outs[] = {"/tmp/x.flv", "out/x.flv", NULL, "ln.flv"};
    snprintf(p, sizeof(p), "%s/../x.flv", rec);
    outs[2] = p;
    for (size_t i = 0; i < 4; i++) {
        why[0] = 0;
        CHECK_EQ_INT(lsd_recordings_resolve(rec, outs[i], out, sizeof(out), why, sizeof(why)), -EXDEV);
        CHECK(strstr(why, "outside the recordings directory") != NULL);
    }
    /* A directory that does not exist, said so. */
    CHECK_EQ_INT(lsd_recordings_resolve(rec, "nope/x.flv", out, sizeof(out), why, sizeof(why)), -ENOENT);
    CHECK(strstr(why, "does not exist") != NULL);
    /* A spec: the first bad output is named. */
    struct lsd_relay_spec spec;
    lsd_spec_init(&spec);
    spec.output_count = 3;
    snprintf(spec.outputs[0].url, sizeof(spec.outputs[0].url), "rtmp://h/live/a");
    snprintf(spec.outputs[1].url, sizeof(spec.outputs[1].url), "cam1.flv");
    snprintf(spec.outputs[2].url, sizeof(spec.outputs[2].url), "/tmp/x.flv");
    char err[512];
    CHECK_EQ_INT(lsd_recordings_check_spec(rec, &spec, err, sizeof(err)), -EINVAL);
    CHECK(strncmp(err, "outputs[2]: ", 12) == 0);
    spec.output_count = 2;
    CHECK_EQ_INT(lsd_recordings_check_spec(rec, &spec, err, sizeof(err)), 0);
    /* No recordings directory: refused, and said why. */
    snprintf(p, sizeof(p), "%s/missing", top);
    CHECK(lsd_recordings_resolve(p, "cam1.flv", out, sizeof(out), why, sizeof(why)) < 0);
    CHECK(strstr(why, "not available") != NULL);
    /* A file where the directory should be. */
    snprintf(p, sizeof(p), "%s/file", top);
    FILE *f = fopen(p, "w");
    if (f)
        fclose(f);
    CHECK_EQ_INT(lsd_recordings_prepare(p), -ENOTDIR);

    char cmd[PATH_MAX + 16];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
    CHECK_EQ_INT(system(cmd), 0);
}

int main(void)
{
    test_spec_valid();
    test_spec_errors();
    test_redaction();
    test_credentials();
    test_state_parse();
    test_state_roundtrip();
    test_config();
    test_config_merge_live();
    test_exposure();
    test_proc_stat();
    test_prom_escape();
    test_log_escape();
    test_head_scan();
    test_peer_key();
    test_output_paths();
    test_recordings_dir();
    return test_done("unit_daemon");
}
