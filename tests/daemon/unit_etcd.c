/*
 * Unit tests of fleet mode's pure parts: base64 against RFC 4648's vectors,
 * etcd's replies (kvs, errors, 64-bit strings, the stream wrapper), the watch
 * stream cut at every byte, and the "cluster" config key.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/etcd_proto.h"
#include "tests/unit/test.h"

static void test_b64(void)
{
    static const char *const vec[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="},
        {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
    char enc[32];
    unsigned char dec[32];
    for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
        CHECK_EQ_INT(lsd_b64_encode(vec[i][0], strlen(vec[i][0]), enc, sizeof(enc)),
                     (int)strlen(vec[i][1]));
        CHECK(strcmp(enc, vec[i][1]) == 0);
        CHECK_EQ_INT(lsd_b64_decode(vec[i][1], strlen(vec[i][1]), dec, sizeof(dec)),
                     (int)strlen(vec[i][0]));
        CHECK(strcmp((char *)dec, vec[i][0]) == 0);
    }
    unsigned char all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (unsigned char)i;
    char big[400];
    unsigned char back[260];
    CHECK_EQ_INT(lsd_b64_encode(all, 256, big, sizeof(big)), 344);
    CHECK_EQ_INT(lsd_b64_decode(big, 344, back, sizeof(back)), 256);
    CHECK_EQ_MEM(back, all, 256);
    CHECK_EQ_INT(lsd_b64_encode("foo", 3, enc, 4), -ENOSPC); /* no room for the NUL */
    CHECK_EQ_INT(lsd_b64_decode("Zm9", 3, dec, sizeof(dec)), -EINVAL);    /* unpadded */
    CHECK_EQ_INT(lsd_b64_decode("Zm9v!A==", 8, dec, sizeof(dec)), -EINVAL);
    CHECK_EQ_INT(lsd_b64_decode("Zg==Zg==", 8, dec, sizeof(dec)), -EINVAL); /* pad inside */
    CHECK_EQ_INT(lsd_b64_decode("=Zg=", 4, dec, sizeof(dec)), -EINVAL);
    CHECK_EQ_INT(lsd_b64_decode("Zm9vYmFy", 8, dec, 6), -ENOSPC);
}

static void test_prefix_end(void)
{
    json_t *j = lsd_etcd_prefix_end_json("/ls/nodes/");
    CHECK_EQ_STR(json_string_value(j), "L2xzL25vZGVzMA=="); /* "/ls/nodes0": the last / + 1 */
    json_decref(j);
    j = lsd_etcd_prefix_end_json("a\xff");
    CHECK_EQ_STR(json_string_value(j), "Yg=="); /* "b" */
    json_decref(j);
    j = lsd_etcd_prefix_end_json("");
    CHECK_EQ_STR(json_string_value(j), "AA=="); /* "\0": every key */
    json_decref(j);
}

static json_t *load(const char *text)
{
    json_error_t je;
    return json_loads(text, 0, &je);
}

static void test_replies(void)
{
    json_t *root = load("{\"header\":{\"revision\":\"9007199254740993\"},\"kvs\":[{\"key\":"
                        "\"L2xzL25vZGVzL2E=\",\"create_revision\":\"2\",\"mod_revision\":\"3\","
                        "\"value\":\"e30=\",\"lease\":\"7587869837592064263\"}],\"count\":\"1\"}");
    json_t *reply;
    CHECK_EQ_INT(lsd_etcd_reply(root, &reply), 0);
    CHECK(reply == root);
    CHECK(lsd_etcd_revision(reply) == 9007199254740993LL); /* beyond a double's precision */
    struct lsd_etcd_kv kv;
    CHECK_EQ_INT(lsd_etcd_kv_parse(json_array_get(json_object_get(reply, "kvs"), 0), &kv), 0);
    CHECK_EQ_STR(kv.key, "/ls/nodes/a");
    CHECK_EQ_STR(kv.value, "{}");
    CHECK_EQ_INT(kv.value_len, 2);
    CHECK(kv.lease == 7587869837592064263LL);
    CHECK_EQ_INT(kv.create_revision, 2);
    lsd_etcd_kv_clear(&kv);
    json_decref(root);

    /* The keep-alive's stream form; a lease that is gone has no TTL. */
    root = load("{\"result\":{\"header\":{},\"ID\":\"1234\"}}");
    int64_t ttl = 99;
    CHECK_EQ_INT(lsd_etcd_reply(root, &reply), 0);
    CHECK_EQ_INT(lsd_etcd_int64(reply, "TTL", &ttl), 0);
    CHECK_EQ_INT(ttl, 0);
    json_decref(root);

    static const struct { const char *text; int err; } errs[] = {
        {"{\"error\":\"etcdserver: requested lease not found\",\"code\":5}", -ENOENT},
        {"{\"error\":\"x\",\"code\":14}", -EAGAIN},
        {"{\"error\":\"x\",\"code\":3}", -EINVAL},
        {"{\"error\":{\"grpc_code\":9,\"http_code\":400}}", -EPERM},
        {"{\"error\":\"x\"}", -EIO},
        {"{\"result\":[]}", -EINVAL},
        {"[]", -EINVAL},
    };
    for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
        root = load(errs[i].text);
        CHECK_EQ_INT(lsd_etcd_reply(root, &reply), errs[i].err);
        json_decref(root);
    }
    root = load("{\"a\":\"12x\",\"b\":\"\",\"c\":true,\"d\":\"-5\",\"e\":\"99999999999999999999\"}");
    int64_t v;
    CHECK_EQ_INT(lsd_etcd_int64(root, "a", &v), -EINVAL);
    CHECK_EQ_INT(lsd_etcd_int64(root, "b", &v), -EINVAL);
    CHECK_EQ_INT(lsd_etcd_int64(root, "c", &v), -EINVAL);
    CHECK_EQ_INT(lsd_etcd_int64(root, "d", &v), 0);
    CHECK_EQ_INT(v, -5);
    CHECK_EQ_INT(lsd_etcd_int64(root, "e", &v), -EINVAL); /* overflows */
    json_decref(root);
    /* Keys we read are never empty nor hold a NUL; values may be anything. */
    root = load("{\"key\":\"YQBi\",\"value\":\"AAE=\"}");
    CHECK_EQ_INT(lsd_etcd_kv_parse(root, &kv), -EINVAL);
    json_decref(root);
    root = load("{\"key\":\"YQ==\",\"value\":\"AAE=\"}");
    CHECK_EQ_INT(lsd_etcd_kv_parse(root, &kv), 0);
    CHECK_EQ_INT(kv.value_len, 2);
    CHECK(kv.value[0] == 0 && kv.value[1] == 1);
    lsd_etcd_kv_clear(&kv);
    json_decref(root);
}

struct seen {
    int messages, errors, puts, deletes;
    int64_t revision;
    char last_key[64];
};

static void on_msg(void *cookie, int err, int64_t revision, const struct lsd_etcd_event *ev,
                   size_t count)
{
    struct seen *s = cookie;
    if (err < 0) {
        s->errors++;
        return;
    }
    s->messages++;
    s->revision = revision;
    for (size_t i = 0; i < count; i++) {
        ev[i].deleted ? s->deletes++ : s->puts++;
        snprintf(s->last_key, sizeof(s->last_key), "%s", ev[i].kv.key);
    }
}

/* What etcd 3.4 sent for a watch: created, a put (no "type"), a delete. */
static const char stream[] =
    "{\"result\":{\"header\":{\"revision\":\"3\"},\"created\":true}}\n"
    "{\"result\":{\"header\":{\"revision\":\"4\"},\"events\":[{\"kv\":{\"key\":\"YQ==\","
    "\"create_revision\":\"4\",\"mod_revision\":\"4\",\"version\":\"1\",\"value\":\"Yg==\","
    "\"lease\":\"44\"}}]}}\r\n"
    "{\"result\":{\"header\":{\"revision\":\"5\"},\"events\":[{\"type\":\"DELETE\",\"kv\":"
    "{\"key\":\"Yg==\",\"mod_revision\":\"5\"}}]}}\n";

static void test_watch_stream(void)
{
    size_t n = strlen(stream);
    /* Every cut of the stream into two chunks gives the same three messages. */
    for (size_t cut = 0; cut <= n; cut++) {
        struct lsd_etcd_lines l;
        struct seen s = {0};
        lsd_etcd_lines_init(&l, 0);
        CHECK_EQ_INT(lsd_etcd_lines_feed(&l, stream, cut, on_msg, &s), 0);
        CHECK_EQ_INT(lsd_etcd_lines_feed(&l, stream + cut, n - cut, on_msg, &s), 0);
        CHECK_EQ_INT(s.messages, 3);
        CHECK_EQ_INT(s.puts, 1);
        CHECK_EQ_INT(s.deletes, 1);
        CHECK_EQ_INT(s.revision, 5);
        CHECK_EQ_STR(s.last_key, "b");
        CHECK_EQ_INT(s.errors, 0);
        lsd_etcd_lines_clear(&l);
    }
    /* Byte by byte too. */
    struct lsd_etcd_lines l;
    struct seen s = {0};
    lsd_etcd_lines_init(&l, 0);
    for (size_t i = 0; i < n; i++)
        CHECK_EQ_INT(lsd_etcd_lines_feed(&l, stream + i, 1, on_msg, &s), 0);
    CHECK_EQ_INT(s.messages, 3);
    /* An error message, a canceled watch, garbage, an unknown event type: errors. */
    static const char *const bad[] = {
        "{\"error\":{\"grpc_code\":14,\"message\":\"unavailable\"}}\n",
        "{\"result\":{\"header\":{},\"canceled\":true,\"compact_revision\":\"9\"}}\n",
        "not json\n",
        "{\"result\":{\"events\":[{\"type\":\"PATCH\",\"kv\":{\"key\":\"YQ==\"}}]}}\n",
        "{\"result\":{\"events\":{}}}\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct seen b = {0};
        lsd_etcd_lines_clear(&l);
        CHECK(lsd_etcd_lines_feed(&l, bad[i], strlen(bad[i]), on_msg, &b) < 0);
        CHECK_EQ_INT(b.errors, 1);
        CHECK_EQ_INT(b.messages, 0);
    }
    lsd_etcd_lines_clear(&l);
    /* A line longer than the bound is refused before it is complete. */
    lsd_etcd_lines_init(&l, 16);
    CHECK_EQ_INT(lsd_etcd_lines_feed(&l, "{\"result\":{\"header\":{}}}", 24, on_msg, &s),
                 -EMSGSIZE);
    lsd_etcd_lines_clear(&l);
}

static int load_text(struct lsd_config *c, const char *text, char *err, size_t size)
{
    char path[] = "/tmp/lsd-etcd-conf-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return -1000;
    ssize_t w = write(fd, text, strlen(text));
    close(fd);
    int ret = w == (ssize_t)strlen(text) ? lsd_config_load(c, path, err, size) : -1000;
    unlink(path);
    return ret;
}

static void test_cluster_config(void)
{
    struct lsd_config c, d;
    char err[256] = "";
    lsd_config_defaults(&c);
    CHECK(!c.cluster.enabled);
    CHECK_EQ_STR(c.cluster.prefix, "/lightstreamd/");
    CHECK_EQ_INT(c.cluster.lease_ttl_s, 5);
    CHECK_EQ_INT(load_text(&c, "{\"cluster\":{\"etcd\":[\"http://127.0.0.1:2379\","
                           "\"http://10.0.0.2:2379\"],\"node\":\"n-1.a_b\"}}", err, sizeof(err)), 0);
    CHECK(c.cluster.enabled);
    CHECK_EQ_INT(c.cluster.endpoint_count, 2);
    CHECK_EQ_STR(c.cluster.endpoints[1], "http://10.0.0.2:2379");
    CHECK_EQ_STR(c.cluster.node, "n-1.a_b");
    CHECK_EQ_STR(c.cluster.prefix, "/lightstreamd/");
    CHECK_EQ_INT(c.cluster.lease_ttl_s, 5);
    static const char *const bad[][2] = {
        {"{\"cluster\":{}}", "cluster.etcd"},                           /* no endpoints */
        {"{\"cluster\":[]}", "object"},
        {"{\"cluster\":{\"etcd\":[\"http://h:1\"],\"ttl\":5}}", "cluster.ttl"}, /* unknown */
        {"{\"cluster\":{\"etcd\":[\"https://h:1\"]}}", "cluster.etcd"},  /* no TLS yet */
        {"{\"cluster\":{\"etcd\":[\"http://u:pw@h:1\"]}}", "cluster.etcd"}, /* no secrets */
        {"{\"cluster\":{\"etcd\":[\"http://h\"]}}", "cluster.etcd"},     /* no port */
        {"{\"cluster\":{\"etcd\":[\"http://h:1/v3\"]}}", "cluster.etcd"},
        {"{\"cluster\":{\"etcd\":[]}}", "cluster.etcd"},
        {"{\"cluster\":{\"etcd\":[\"http://h:1\"],\"node\":\"a b\"}}", "cluster.node"},
        {"{\"cluster\":{\"etcd\":[\"http://h:1\"],\"lease_ttl_s\":1}}", "cluster.lease_ttl_s"},
        {"{\"cluster\":{\"etcd\":[\"http://h:1\"],\"prefix\":\"a b\"}}", "cluster.prefix"},
        {"{\"cluster\":{\"etcd\":[\"http://h:1\"],\"advertise_url\":\"ftp://x\"}}",
         "cluster.advertise_url"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        lsd_config_defaults(&d);
        err[0] = '\0';
        CHECK_EQ_INT(load_text(&d, bad[i][0], err, sizeof(err)), -EINVAL);
        CHECK(strstr(err, bad[i][1]) != NULL);
        CHECK(!strstr(err, "pw")); /* an endpoint's password is never quoted */
        CHECK(!d.cluster.enabled);
    }
    lsd_config_defaults(&d);
    CHECK_EQ_INT(load_text(&d, "{\"cluster\":null}", err, sizeof(err)), 0);
    CHECK(!d.cluster.enabled);
    /* SIGHUP: a changed cluster key needs a restart and is named so. */
    char changed[256], restart[256];
    lsd_config_defaults(&d);
    lsd_config_merge_live(&d, &c, changed, sizeof(changed), restart, sizeof(restart));
    CHECK(strstr(restart, "cluster") != NULL);
    CHECK(!d.cluster.enabled);
    lsd_config_merge_live(&c, &c, changed, sizeof(changed), restart, sizeof(restart));
    CHECK_EQ_STR(restart, "");
}

int main(void)
{
    test_b64();
    test_prefix_end();
    test_replies();
    test_watch_stream();
    test_cluster_config();
    return test_done("unit_etcd");
}
