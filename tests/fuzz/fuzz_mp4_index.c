/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target for the daemon's index of recorded fMP4 segments
 * (daemon/mp4_index.c, mp4_moov.c): the input is a segment file, read
 * through the same callback the daemon uses, in one piece and cut short (a
 * segment still being written). What is indexed must make sense:
 * - the init part and every fragment lie inside the file, in order, without
 *   overlapping;
 * - a file cut short indexes a prefix of the whole file's fragments;
 * - the codec string is a NUL-terminated string that starts with the video
 *   sample entry's type.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "daemon/mp4_index.h"

static void check(const struct lsd_mp4_index *idx, uint64_t size)
{
    REQUIRE(memchr(idx->codecs, '\0', sizeof(idx->codecs)));
    REQUIRE(memchr(idx->video, '\0', sizeof(idx->video)));
    REQUIRE(strncmp(idx->codecs, idx->video, strlen(idx->video)) == 0);
    REQUIRE(idx->init_size <= size && idx->timescale > 0);
    uint64_t end = idx->init_size;
    for (size_t i = 0; i < idx->count; i++) {
        REQUIRE(idx->frags[i].offset >= end);
        REQUIRE(idx->frags[i].size <= size - idx->frags[i].offset);
        end = idx->frags[i].offset + idx->frags[i].size;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct lsd_mp4_index all, part;
    int ret = lsd_mp4_index_read_mem(data, size, &all);
    REQUIRE(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
    if (ret < 0) {
        REQUIRE(all.frags == NULL && all.count == 0);
        return 0;
    }
    check(&all, size);
    /* The same file while it was being written: cut in the last fragment. */
    size_t cut = size - size / 7;
    if (lsd_mp4_index_read_mem(data, cut, &part) == 0) {
        check(&part, cut);
        REQUIRE(part.count <= all.count);
        for (size_t i = 0; i < part.count; i++)
            REQUIRE(part.frags[i].offset == all.frags[i].offset &&
                    part.frags[i].size == all.frags[i].size &&
                    part.frags[i].start == all.frags[i].start &&
                    part.frags[i].duration == all.frags[i].duration &&
                    part.frags[i].key == all.frags[i].key);
        lsd_mp4_index_free(&part);
    }
    lsd_mp4_index_free(&all);
    return 0;
}
