/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for the live HLS packager (lightstream/hls.h): a sequence of
 * pieces as a subscription hands them over, each read from the input as
 * [kind][timestamp step, 2 bytes][size, 2 bytes][body]: kind bit 0 a file
 * header, else bit 1 picks video (9) or audio (8), bit 2 the keyframe flag.
 * Each body is copied into an exactly-sized heap buffer so ASan sees any
 * overread. Timestamps may step back: the packager must cope, not crash.
 * Checks: every segment the playlist lists can be fetched, and the
 * playlist's length is what it says.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lightstream/hls.h"

static void push_one(struct ls_hls *h, uint8_t kind, uint32_t ts, const uint8_t *body,
                     size_t n)
{
    struct ls_sub_tag t = {.ts_ms = ts, .head_size = 11};
    if (kind & 1) {
        t.flags = LS_TAG_FILE_HEADER;
        t.head_size = 13;
        (void)ls_hls_push(h, &t);
        return;
    }
    uint8_t *copy = malloc(n ? n : 1);
    if (!copy)
        return;
    memcpy(copy, body, n);
    t.head[0] = kind & 2 ? 9 : 8;
    t.flags = (kind & 2 ? LS_TAG_VIDEO : LS_TAG_AUDIO) | (kind & 4 ? LS_TAG_KEYFRAME : 0);
    t.body = copy;
    t.body_size = (uint32_t)n;
    (void)ls_hls_push(h, &t);
    free(copy);
}

static void check(const struct ls_hls *h)
{
    struct ls_hls_info info;
    REQUIRE(ls_hls_get_info(h, &info) == 0);
    const uint8_t *d;
    size_t n;
    for (unsigned i = 0; i < info.segments; i++)
        REQUIRE(ls_hls_segment(h, info.first_seq + i, &d, &n) == 0);
    char buf[4096];
    long len = ls_hls_playlist(h, "?t=1", buf, sizeof(buf));
    REQUIRE(info.segments ? len > 0 : len < 0);
    if (len > 0 && (size_t)len < sizeof(buf))
        REQUIRE(strlen(buf) == (size_t)len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ls_hls_settings s;
    ls_hls_default_settings(&s);
    s.segments = 2;
    s.max_segment_bytes = 1 << 20;
    struct ls_hls *h;
    if (ls_hls_create(&h, &s) < 0)
        return 0;
    uint32_t ts = 0;
    size_t pos = 0;
    while (pos + 5 <= size) {
        uint8_t kind = data[pos];
        ts += (uint32_t)(data[pos + 1] << 8 | data[pos + 2]);
        size_t n = (size_t)(data[pos + 3] << 8 | data[pos + 4]);
        pos += 5;
        if (n > size - pos)
            n = size - pos;
        push_one(h, kind, ts, data + pos, n);
        pos += n;
    }
    check(h);
    ls_hls_destroy(&h);
    return 0;
}
