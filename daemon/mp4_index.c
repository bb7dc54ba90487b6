/*
 * Index of a recorded fMP4 segment: the top-level boxes and each moof's
 * video timing (mp4_index.h). Pure.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/mp4_box.h"

/* tfhd flags (ISO/IEC 14496-12 8.8.7) */
#define TFHD_BASE_OFFSET 0x01
#define TFHD_DESC_INDEX 0x02
#define TFHD_DEFAULT_DURATION 0x08
#define TFHD_DEFAULT_SIZE 0x10
#define TFHD_DEFAULT_FLAGS 0x20
/* trun flags (8.8.8) */
#define TRUN_DATA_OFFSET 0x001
#define TRUN_FIRST_FLAGS 0x004
#define TRUN_DURATION 0x100
#define TRUN_SIZE 0x200
#define TRUN_FLAGS 0x400
#define TRUN_CTO 0x800
/* sample flags: sample_is_non_sync_sample */
#define SAMPLE_NON_SYNC 0x10000

/* Sum of the sample durations of one trun; the first trun also says whether
 * the fragment starts with a keyframe (@p def: the defaults of tfhd or trex). */
static bool trun_duration(struct lsd_span trun, const struct lsd_mp4_trex *def, bool first,
                          struct lsd_mp4_fragment *f)
{
    if (trun.n < 8)
        return false;
    uint32_t flags = lsd_be32(trun.p) & 0xffffff, count = lsd_be32(trun.p + 4);
    size_t at = 8 + (flags & TRUN_DATA_OFFSET ? 4 : 0);
    size_t per = 4u * (!!(flags & TRUN_DURATION) + !!(flags & TRUN_SIZE) +
                       !!(flags & TRUN_FLAGS) + !!(flags & TRUN_CTO));
    if (at + (flags & TRUN_FIRST_FLAGS ? 4 : 0) > trun.n)
        return false;
    uint32_t sample_flags = def->flags;
    if (flags & TRUN_FIRST_FLAGS)
        sample_flags = lsd_be32(trun.p + at);
    at += flags & TRUN_FIRST_FLAGS ? 4 : 0;
    if (per && count > (trun.n - at) / per)
        return false;
    if (!(flags & TRUN_FIRST_FLAGS) && (flags & TRUN_FLAGS) && count)
        sample_flags = lsd_be32(trun.p + at + 4u * (!!(flags & TRUN_DURATION) +
                                                    !!(flags & TRUN_SIZE)));
    if (first)
        f->key = count && !(sample_flags & SAMPLE_NON_SYNC);
    uint64_t *sum = &f->duration;
    if (!(flags & TRUN_DURATION)) {
        *sum += (uint64_t)count * def->duration;
        return true;
    }
    for (uint32_t i = 0; i < count; i++, at += per)
        *sum += lsd_be32(trun.p + at);
    return true;
}

/* The video track's traf of a moof: its tfdt and total duration. */
static bool parse_moof(struct lsd_span moof, const struct lsd_mp4_index *idx,
                       const struct lsd_mp4_trex *trex, struct lsd_mp4_fragment *f)
{
    struct lsd_span traf, tfhd, tfdt, box;
    char type[5];
    while (lsd_box_next(&moof, type, &traf)) {
        if (memcmp(type, "traf", 4) != 0 || !lsd_box_find(traf, "tfhd", &tfhd) || tfhd.n < 8 ||
            lsd_be32(tfhd.p + 4) != idx->track_id)
            continue;
        uint32_t flags = lsd_be32(tfhd.p) & 0xffffff;
        struct lsd_mp4_trex def = *trex;
        size_t at = 8 + (flags & TFHD_BASE_OFFSET ? 8 : 0) + (flags & TFHD_DESC_INDEX ? 4 : 0);
        size_t need = at + 4u * (!!(flags & TFHD_DEFAULT_DURATION) +
                                 !!(flags & TFHD_DEFAULT_SIZE) + !!(flags & TFHD_DEFAULT_FLAGS));
        if (need > tfhd.n)
            return false;
        if (flags & TFHD_DEFAULT_DURATION)
            def.duration = lsd_be32(tfhd.p + at);
        if (flags & TFHD_DEFAULT_FLAGS)
            def.flags = lsd_be32(tfhd.p + need - 4);
        if (!lsd_box_find(traf, "tfdt", &tfdt) || tfdt.n < (tfdt.p[0] == 1 ? 12u : 8u))
            return false;
        f->start = tfdt.p[0] == 1 ? lsd_be64(tfdt.p + 4) : lsd_be32(tfdt.p + 4);
        f->duration = 0;
        f->key = false;
        struct lsd_span it = traf;
        bool first = true;
        while (lsd_box_next(&it, type, &box)) {
            if (memcmp(type, "trun", 4) != 0)
                continue;
            if (!trun_duration(box, &def, first, f))
                return false;
            first = false;
        }
        return true;
    }
    return false;
}

/* Read a whole box of @p size bytes at @p offset. @return a malloc'd copy or NULL */
static uint8_t *load(const struct lsd_mp4_source *src, uint64_t offset, uint64_t size, int *err)
{
    uint8_t *buf = size <= LSD_MP4_BOX_MAX ? malloc(size ? size : 1) : NULL;
    if (!buf) {
        *err = size <= LSD_MP4_BOX_MAX ? -ENOMEM : 0;
        return NULL;
    }
    long got = src->read(src->opaque, offset, buf, size);
    if (got != (long)size) {
        *err = got < 0 ? (int)got : 0;
        free(buf);
        return NULL;
    }
    return buf;
}

static int append(struct lsd_mp4_index *idx, size_t *cap, const struct lsd_mp4_fragment *f)
{
    if (idx->count == *cap) {
        size_t n = *cap ? *cap * 2 : 64;
        struct lsd_mp4_fragment *p = realloc(idx->frags, n * sizeof(*p));
        if (!p)
            return -ENOMEM;
        idx->frags = p;
        *cap = n;
    }
    idx->frags[idx->count++] = *f;
    return 0;
}

/* A top-level box header at @p off: its type and total size. */
static bool header(const struct lsd_mp4_source *src, uint64_t off, char type[5], uint64_t *size,
                   int *err)
{
    uint8_t h[16];
    long got = off + 8 <= src->size ? src->read(src->opaque, off, h, 16) : 0;
    if (got < 8) {
        *err = got < 0 ? (int)got : 0;
        return false;
    }
    *size = lsd_be32(h);
    if (*size == 1 && got >= 16)
        *size = lsd_be64(h + 8);
    memcpy(type, h + 4, 4);
    type[4] = '\0';
    /* size 0 ("to the end") is the box being written; one past the end is not complete */
    return *size >= 8 && *size <= src->size - off;
}

/* One top-level box: moov fills the header fields, moof starts a fragment, mdat ends it. */
static int visit(const struct lsd_mp4_source *src, struct lsd_mp4_index *idx, uint64_t off,
                 const char *type, uint64_t size, struct lsd_mp4_fragment *pending,
                 struct lsd_mp4_trex *trex, size_t *cap)
{
    int err = 0;
    bool moov = strcmp(type, "moov") == 0, moof = strcmp(type, "moof") == 0;
    if (moov && !idx->track_id) {
        uint8_t *b = load(src, off, size, &err);
        struct lsd_span box = {b, b ? (size_t)size : 0}, body;
        char t[5];
        int ret = b && lsd_box_next(&box, t, &body) ? lsd_mp4_parse_moov(body, idx, trex)
                                                     : (err ? err : -EINVAL);
        free(b);
        if (ret == 0)
            idx->init_size = off + size;
        return ret;
    }
    if (moof && idx->track_id) {
        uint8_t *b = load(src, off, size, &err);
        struct lsd_span box = {b, b ? (size_t)size : 0}, body;
        char t[5];
        pending->offset = UINT64_MAX;
        if (b && lsd_box_next(&box, t, &body) && parse_moof(body, idx, trex, pending))
            pending->offset = off;
        free(b);
        return err;
    }
    if (strcmp(type, "mdat") == 0 && pending->offset != UINT64_MAX) {
        pending->size = off + size - pending->offset;
        err = append(idx, cap, pending);
        pending->offset = UINT64_MAX;
        return err;
    }
    return moof ? -EINVAL : 0; /* a fragment before the moov */
}

int lsd_mp4_index_read(const struct lsd_mp4_source *src, struct lsd_mp4_index *out)
{
    memset(out, 0, sizeof(*out));
    struct lsd_mp4_fragment pending = {.offset = UINT64_MAX};
    struct lsd_mp4_trex trex = {0, 0};
    size_t cap = 0;
    uint64_t off = 0, size;
    char type[5];
    int err = 0;
    while (header(src, off, type, &size, &err)) {
        if ((err = visit(src, out, off, type, size, &pending, &trex, &cap)) < 0)
            break;
        off += size;
    }
    if (!err && !out->track_id)
        err = -EINVAL;
    if (err < 0)
        lsd_mp4_index_free(out);
    return err < 0 ? err : 0;
}

struct mem_file {
    const uint8_t *data;
    size_t size;
};

static long mem_read(void *opaque, uint64_t offset, void *buf, size_t n)
{
    const struct mem_file *f = opaque;
    if (offset >= f->size)
        return 0;
    size_t k = f->size - (size_t)offset < n ? f->size - (size_t)offset : n;
    memcpy(buf, f->data + offset, k);
    return (long)k;
}

int lsd_mp4_index_read_mem(const uint8_t *data, size_t size, struct lsd_mp4_index *out)
{
    struct mem_file f = {data, size};
    const struct lsd_mp4_source src = {.read = mem_read, .opaque = &f, .size = size};
    return lsd_mp4_index_read(&src, out);
}

void lsd_mp4_index_free(struct lsd_mp4_index *idx)
{
    free(idx->frags);
    memset(idx, 0, sizeof(*idx));
}
