/*
 * What the daemon needs to know of a recorded fragmented-MP4 segment, read
 * from its boxes: where the init part (ftyp + moov) ends, the video track's
 * codec (an RFC 6381 string for HLS's CODECS), and every complete fragment
 * (moof + mdat): its byte range, its decode time and its duration. That
 * gives a segment's length for the listing and the byte ranges of the HLS
 * VOD playlist.
 *
 * Pure: the file is read through a callback, the boxes are parsed with bounds
 * checks only (no libavformat); fuzzed by tests/fuzz/fuzz_mp4_index.c. A
 * segment still being written ends in a fragment not complete yet: the index
 * stops before it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_MP4_INDEX_H
#define LSD_MP4_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Reads @p n bytes at @p offset into @p buf. @return bytes read (fewer at the end), or -errno */
typedef long (*lsd_mp4_read_fn)(void *opaque, uint64_t offset, void *buf, size_t n);

/** The file to index. */
struct lsd_mp4_source {
    lsd_mp4_read_fn read;
    void *opaque;
    uint64_t size;          /**< the file's size now */
};

/** One complete fragment: moof, then its mdat. */
struct lsd_mp4_fragment {
    uint64_t offset;        /**< of the moof */
    uint64_t size;          /**< moof + mdat (and anything between) */
    uint64_t start;         /**< the video track's decode time (tfdt), in timescale units */
    uint64_t duration;      /**< the video samples' durations, in timescale units */
    bool key;               /**< its first video sample is a sync sample (a keyframe) */
};

/** A segment's index. */
struct lsd_mp4_index {
    uint64_t init_size;     /**< bytes of ftyp + moov, from offset 0 */
    uint32_t timescale;     /**< of the video track (mdhd) */
    uint32_t track_id;      /**< the video track's id */
    char video[5];          /**< its sample entry: "avc1", "hvc1", "hev1"... ("" if none) */
    uint16_t width, height; /**< of its sample entry (a resolution switch changes them) */
    char codecs[96];        /**< RFC 6381: "avc1.64001f,mp4a.40.2" */
    struct lsd_mp4_fragment *frags; /**< complete fragments, in file order */
    size_t count;
};

/** Largest moov or moof read into memory; a bigger one ends the index (not ours). */
#define LSD_MP4_BOX_MAX (4u << 20)

/**
 * Index the segment @p src.
 * @return 0; -EINVAL when there is no moov with a video track before the
 *         first fragment; -ENOMEM; a read error. The index is empty on error.
 */
int lsd_mp4_index_read(const struct lsd_mp4_source *src, struct lsd_mp4_index *out);

/** Index a segment held in memory (@p size bytes at @p data; a live init segment, a fuzz input). */
int lsd_mp4_index_read_mem(const uint8_t *data, size_t size, struct lsd_mp4_index *out);

/** Free the fragments (the struct itself is the caller's); zeroes it. */
void lsd_mp4_index_free(struct lsd_mp4_index *idx);

#endif
