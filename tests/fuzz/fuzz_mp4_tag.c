/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target for what MP4 recording reads: FLV tag bodies (mp4_tag.h), the
 * avcC/hvcC records inside video configuration tags and AAC's
 * AudioSpecificConfig. The first byte picks the tag type; the rest is the
 * body, copied into an exactly-sized heap buffer so ASan sees any overread.
 * Checks: a payload found always lies inside the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "lib/output/mp4_tag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t type = data[0] & 1 ? 9 : 8;
    size_t n = size - 1;
    uint8_t *body = malloc(n ? n : 1);
    if (!body)
        return 0;
    memcpy(body, data + 1, n);
    struct ls_mp4_tag t;
    if (ls_mp4_tag_parse(type, body, n, &t) == 0 && t.type != LS_MP4_TAG_OTHER) {
        REQUIRE(t.data >= body && t.data + t.size == body + n);
        uint32_t a, b;
        if (t.type == LS_MP4_TAG_VIDEO_CONFIG)
            (void)ls_mp4_video_size(t.codec, t.data, t.size, &a, &b);
        if (t.type == LS_MP4_TAG_AUDIO_CONFIG)
            (void)ls_mp4_aac_format(t.data, t.size, &a, &b);
    }
    free(body);
    return 0;
}
