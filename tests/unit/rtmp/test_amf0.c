/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AMF0 writer bytes against the AMF0 specification, and the reader over
 * valid, truncated and hostile input (never reading past the end).
 */
#include <errno.h>
#include <stdlib.h>

#include "lib/flv/amf0.h"
#include "tests/unit/test.h"

static void test_writer_bytes(void)
{
    uint8_t buf[64];
    struct ls_amf0_writer w = {.out = buf, .cap = sizeof(buf)};
    ls_amf0_string(&w, "ab");
    ls_amf0_number(&w, 1.0);
    ls_amf0_bool(&w, true);
    ls_amf0_null(&w);
    static const uint8_t want[] = {0x02, 0, 2, 'a', 'b', 0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0,
                                   0x01, 1, 0x05};
    CHECK_EQ_INT(w.pos, sizeof(want));
    CHECK(memcmp(buf, want, sizeof(want)) == 0);
    CHECK(!w.overflow);
    /* Overflow: nothing past cap, and remembered. */
    struct ls_amf0_writer small = {.out = buf, .cap = 4};
    ls_amf0_string(&small, "abc");
    CHECK(small.overflow);
    CHECK(small.pos <= 4);
}

static void test_object_roundtrip(void)
{
    uint8_t buf[256];
    struct ls_amf0_writer w = {.out = buf, .cap = sizeof(buf)};
    ls_amf0_string(&w, "_result");
    ls_amf0_number(&w, 4);
    ls_amf0_object_begin(&w);
    ls_amf0_prop_string(&w, "level", "status");
    ls_amf0_utf8(&w, "nested");
    ls_amf0_object_begin(&w);
    ls_amf0_prop_number(&w, "x", 2);
    ls_amf0_object_end(&w);
    ls_amf0_prop_string(&w, "code", "NetStream.Publish.Start");
    ls_amf0_prop_bool(&w, "ok", true);
    ls_amf0_object_end(&w);
    ls_amf0_number(&w, 7);
    CHECK(!w.overflow);

    struct ls_amf0_reader r = {.p = buf, .left = w.pos};
    struct ls_amf0_value v;
    CHECK_EQ_INT(ls_amf0_read(&r, &v), 0);
    CHECK(ls_amf0_is_string(&v, "_result"));
    CHECK(!ls_amf0_is_string(&v, "_resul"));
    CHECK_EQ_INT(ls_amf0_read(&r, &v), 0);
    CHECK(v.type == LS_AMF0_NUMBER && v.number == 4);
    struct ls_amf0_reader obj = r;
    CHECK_EQ_INT(ls_amf0_object_find(&obj, "code", &v), 0);
    CHECK(ls_amf0_is_string(&v, "NetStream.Publish.Start"));
    CHECK_EQ_INT(ls_amf0_object_find(&obj, "ok", &v), 0);
    CHECK(v.type == LS_AMF0_BOOLEAN && v.boolean);
    CHECK_EQ_INT(ls_amf0_object_find(&obj, "x", &v), -ENOENT); /* only the top level */
    CHECK_EQ_INT(ls_amf0_object_find(&obj, "missing", &v), -ENOENT);
    CHECK_EQ_INT(ls_amf0_read(&r, &v), 0); /* the object, skipped whole */
    CHECK(v.type == LS_AMF0_OBJECT);
    CHECK_EQ_INT(ls_amf0_read(&r, &v), 0);
    CHECK(v.type == LS_AMF0_NUMBER && v.number == 7);
    CHECK_EQ_INT(ls_amf0_read(&r, &v), -ENODATA);
    /* Not an object. */
    struct ls_amf0_reader s = {.p = buf, .left = w.pos};
    CHECK_EQ_INT(ls_amf0_object_find(&s, "code", &v), -EBADMSG);

    /* Every truncation is an error, never a read past the end (ASan watches). */
    for (size_t n = 0; n < w.pos; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        struct ls_amf0_reader t = {.p = copy, .left = n};
        int err = 0, reads = 0;
        while ((err = ls_amf0_read(&t, &v)) == 0)
            reads++;
        CHECK(err == -EBADMSG || err == -ENODATA);
        CHECK(reads < 4);
        free(copy);
    }
}

static void test_reader_types(void)
{
    /* ECMA array, strict array, long string, date, undefined. */
    static const uint8_t in[] = {
        0x08, 0, 0, 0, 1, 0, 1, 'k', 0x02, 0, 1, 'v', 0, 0, 0x09,
        0x0a, 0, 0, 0, 2, 0x05, 0x06,
        0x0c, 0, 0, 0, 3, 'x', 'y', 'z',
        0x0b, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0x06,
    };
    struct ls_amf0_reader r = {.p = in, .left = sizeof(in)};
    struct ls_amf0_value v;
    struct ls_amf0_reader ecma = r;
    CHECK_EQ_INT(ls_amf0_object_find(&ecma, "k", &v), 0);
    CHECK(ls_amf0_is_string(&v, "v"));
    CHECK_EQ_INT(ls_amf0_read(&r, &v), 0);
    CHECK(v.type == LS_AMF0_ECMA_ARRAY);
    CHECK_EQ_INT(ls_amf0_read(&r, &v), 0);
    CHECK(v.type == LS_AMF0_STRICT_ARRAY);
    CHECK_EQ_INT(ls_amf0_read(&r, &v), 0);
    CHECK(ls_amf0_is_string(&v, "xyz"));
    CHECK_EQ_INT(ls_amf0_read(&r, &v), 0);
    CHECK(v.type == LS_AMF0_DATE && v.number == 2.0);
    CHECK_EQ_INT(ls_amf0_read(&r, &v), 0);
    CHECK(v.type == LS_AMF0_UNDEFINED);
    CHECK_EQ_INT(ls_amf0_read(&r, &v), -ENODATA);

    /* Hostile: a reference, AMF3 switch, a strict array claiming 4 billion items, deep nesting. */
    static const uint8_t ref[] = {0x07, 0, 1}, amf3[] = {0x11, 0}, huge[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x05};
    struct ls_amf0_reader a = {.p = ref, .left = sizeof(ref)}, b = {.p = amf3, .left = sizeof(amf3)},
                          c = {.p = huge, .left = sizeof(huge)};
    CHECK_EQ_INT(ls_amf0_read(&a, &v), -EBADMSG);
    CHECK_EQ_INT(ls_amf0_read(&b, &v), -EBADMSG);
    CHECK_EQ_INT(ls_amf0_read(&c, &v), -EBADMSG);
    /* Nesting: 20 levels read, 40 refused (the reader recurses). */
    for (int levels = 20; levels <= 40; levels += 20) {
        uint8_t deep[7 * 40 + 1];
        size_t n = 0;
        for (int i = 0; i < levels; i++) { /* {"a":{"a":... */
            memcpy(deep + n, "\x03\x00\x01" "a", 4);
            n += 4;
        }
        deep[n++] = 0x05;
        for (int i = 0; i < levels; i++) {
            memcpy(deep + n, "\x00\x00\x09", 3);
            n += 3;
        }
        struct ls_amf0_reader d = {.p = deep, .left = n};
        CHECK_EQ_INT(ls_amf0_read(&d, &v), levels == 20 ? 0 : -EBADMSG);
        CHECK(levels != 20 || d.left == 0);
    }
}

int main(void)
{
    test_writer_bytes();
    test_object_roundtrip();
    test_reader_types();
    return test_done("test_amf0");
}
