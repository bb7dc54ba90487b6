/*
 * The segments a relay has recorded: its folder listed, each segment's start
 * read from its name (<id>-YYYYMMDDTHHMMSSZ[-n].mp4, UTC) and its length from
 * its own boxes (mp4_index.h), so the listing is right after a restart, a
 * crash, or files copied in; nothing else is kept.
 *
 * Loop thread (it reads the files: a few KB of moov/moof per segment).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_REC_LIST_H
#define LSD_REC_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/mp4_index.h"

struct lsd_relay;
struct lsd_server;

struct lsd_rec_segment {
    char name[128];          /**< the file name in the relay's folder */
    int64_t start_ms;        /**< wall clock of its first frame (from the name) */
    int64_t end_ms;          /**< start + duration */
    uint64_t bytes;          /**< the file's size */
    bool writing;            /**< the segment being written (never deleted) */
    struct lsd_mp4_index idx; /**< its fragments (empty when it could not be read) */
};

struct lsd_rec_list {
    struct lsd_rec_segment *seg; /**< by start time */
    size_t count;
};

/** How much a listing reads of each segment. */
enum lsd_rec_detail {
    LSD_REC_SIZES,     /**< names and sizes only (end_ms = start_ms): the budget's needs */
    LSD_REC_TIMES,     /**< and their boxes, for end_ms and codecs (fragments not kept) */
    LSD_REC_FRAGMENTS, /**< and keep every fragment (playlists) */
};

/**
 * List relay @p r's segments that overlap [@p from_ms, @p to_ms] (pass
 * INT64_MIN/INT64_MAX for all).
 * @return 0 (an absent folder is an empty list) or -errno
 */
int lsd_rec_list(struct lsd_server *s, const struct lsd_relay *r, int64_t from_ms, int64_t to_ms,
                 enum lsd_rec_detail detail, struct lsd_rec_list *out);
void lsd_rec_list_free(struct lsd_rec_list *l);

/** A segment's start from its name, for relay @p id. @return false when not one of ours */
bool lsd_rec_name_start(const char *id, const char *name, int64_t *start_ms);

/** Seconds (with a fraction) of @p ticks at the index's timescale. */
double lsd_rec_seconds(const struct lsd_mp4_index *idx, uint64_t ticks);

/**
 * Parse a time given in a query: RFC 3339 ("2026-12-07T17:35:01Z",
 * "...+01:00", fractions) or seconds since the epoch ("1796000000", "1796000000.5").
 * @return 0 or -EINVAL
 */
int lsd_rec_parse_time(const char *text, int64_t *ms);

#endif
