/*
 * Bounds-checked reading of ISO BMFF boxes in memory, shared by
 * mp4_index.c (fragments) and mp4_moov.c (tracks, codecs). Pure.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_MP4_BOX_H
#define LSD_MP4_BOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "daemon/mp4_index.h"

/** Bytes left to read. */
struct lsd_span {
    const uint8_t *p;
    size_t n;
};

static inline uint32_t lsd_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t lsd_be64(const uint8_t *p)
{
    return (uint64_t)lsd_be32(p) << 32 | lsd_be32(p + 4);
}

/**
 * The next child box of @p in: its type and body; @p in moves past it.
 * @return false at the end or on a box that does not fit (the rest is ignored)
 */
static inline bool lsd_box_next(struct lsd_span *in, char type[5], struct lsd_span *body)
{
    if (in->n < 8)
        return false;
    uint64_t size = lsd_be32(in->p);
    size_t head = 8;
    if (size == 1) {
        if (in->n < 16)
            return false;
        size = lsd_be64(in->p + 8);
        head = 16;
    } else if (size == 0) {
        size = in->n;
    }
    if (size < head || size > in->n)
        return false;
    memcpy(type, in->p + 4, 4);
    type[4] = '\0';
    body->p = in->p + head;
    body->n = (size_t)size - head;
    in->p += size;
    in->n -= (size_t)size;
    return true;
}

/** The first child of @p in of type @p want, into @p body. */
static inline bool lsd_box_find(struct lsd_span in, const char *want, struct lsd_span *body)
{
    char type[5];
    while (lsd_box_next(&in, type, body))
        if (memcmp(type, want, 4) == 0)
            return true;
    return false;
}

/** The video track's defaults for its fragments (trex). */
struct lsd_mp4_trex {
    uint32_t duration;      /**< default sample duration (0 if none) */
    uint32_t flags;         /**< default sample flags */
};

/** Parse a moov's body into @p idx (video track, timescale, codecs) and @p trex; mp4_moov.c.
 *  @return 0 or -EINVAL (no video track) */
int lsd_mp4_parse_moov(struct lsd_span moov, struct lsd_mp4_index *idx,
                       struct lsd_mp4_trex *trex);

#endif
