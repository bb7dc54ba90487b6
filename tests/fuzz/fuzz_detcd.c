/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the etcd client's parsers (daemon/etcd_proto.c): the input
 * is what an etcd endpoint (or anything listening at its address) sends. As
 * a watch stream, cut into chunks at the sizes its first byte picks, it must
 * never crash or leak, give each callback well-formed events (keys non-empty
 * without a NUL, values as long as they say), and stop at the first bad line;
 * as one reply, its kvs must parse or be refused, and base64 decoded and
 * encoded again must give the text back.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "tests/fuzz/fuzz.h"
#include "daemon/etcd_proto.h"

struct seen {
    int errors;
};

static void on_msg(void *cookie, int err, int64_t revision, const struct lsd_etcd_event *ev,
                   size_t count)
{
    struct seen *s = cookie;
    (void)revision;
    REQUIRE(s->errors == 0); /* nothing after the first bad line */
    if (err < 0) {
        REQUIRE(!ev && count == 0);
        s->errors++;
        return;
    }
    for (size_t i = 0; i < count; i++) {
        REQUIRE(ev[i].kv.key && ev[i].kv.key[0]);
        REQUIRE(ev[i].kv.value && ev[i].kv.value[ev[i].kv.value_len] == '\0');
    }
}

static void as_stream(const uint8_t *data, size_t size)
{
    struct lsd_etcd_lines l;
    struct seen s = {0};
    size_t chunk = size ? (size_t)data[0] % 17 + 1 : 1;
    lsd_etcd_lines_init(&l, 4096);
    for (size_t off = 0; off < size;) {
        size_t n = size - off < chunk ? size - off : chunk;
        int ret = lsd_etcd_lines_feed(&l, (const char *)data + off, n, on_msg, &s);
        if (ret < 0) {
            REQUIRE(ret == -EMSGSIZE || ret == -ENOMEM || s.errors == 1);
            break;
        }
        off += n;
    }
    lsd_etcd_lines_clear(&l);
}

static void as_reply(const uint8_t *data, size_t size)
{
    json_error_t je;
    json_t *root = json_loadb((const char *)data, size, 0, &je), *reply, *one;
    size_t i;
    if (!root)
        return;
    if (lsd_etcd_reply(root, &reply) == 0) {
        REQUIRE(json_is_object(reply));
        lsd_etcd_revision(reply);
        json_array_foreach(json_object_get(reply, "kvs"), i, one) {
            struct lsd_etcd_kv kv;
            if (lsd_etcd_kv_parse(one, &kv) == 0)
                REQUIRE(kv.key[0] && strlen(kv.key) > 0);
            lsd_etcd_kv_clear(&kv);
        }
    }
    json_decref(root);
}

/* Decoded and encoded again: the same text but for the unused bits of the last group,
 * and that text decodes to the same bytes. */
static void b64_roundtrip(const uint8_t *data, size_t size)
{
    size_t cap = size / 4 * 3 + 1;
    unsigned char *bytes = malloc(cap), *again = malloc(cap);
    char *text = malloc(size + 1);
    if (bytes && again && text) {
        int n = lsd_b64_decode((const char *)data, size, bytes, cap);
        if (n >= 0) {
            REQUIRE(lsd_b64_encode(bytes, (size_t)n, text, size + 1) == (int)size);
            REQUIRE(size < 4 || memcmp(text, data, size - 4) == 0);
            REQUIRE(lsd_b64_decode(text, size, again, cap) == n);
            REQUIRE(memcmp(again, bytes, (size_t)n) == 0);
        }
    }
    free(bytes);
    free(again);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    as_stream(data, size);
    as_reply(data, size);
    b64_roundtrip(data, size);
    return 0;
}
