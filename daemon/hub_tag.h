/*
 * The HTTP-FLV hub's pure part: a taken tag's framing on the wire, a
 * viewer's timeline across restarts, and what a connection still holds.
 * No I/O, no libevent: unit-tested in tests/daemon/unit_hub.c.
 *
 * A tag goes to a viewer's connection in three pieces: the head (the HTTP/1.1
 * chunk-size line, when the reply is chunked, and the tag header the library
 * made for this viewer's subscription), the body (the library's shared bytes,
 * by reference: never copied), and the tail (the PreviousTagSize and the
 * chunk's CRLF). Head and tail are small copies; see hub_viewer.c for how they
 * are added without making libevent allocate a body-sized block.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_HUB_TAG_H
#define LSD_HUB_TAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lightstream/subscription.h"

/** Room for a chunk-size line: 16 hex digits and CRLF. */
#define LSD_CHUNK_HEAD_MAX 18
/** Room for a head piece: the chunk-size line and the file header (the largest head). */
#define LSD_TAG_HEAD_MAX (LSD_CHUNK_HEAD_MAX + LS_FLV_FILE_HEADER_BYTES)
/** Room for a tail piece: PreviousTagSize and CRLF. */
#define LSD_TAG_TAIL_MAX (LS_FLV_TAG_TRAILER_BYTES + 2)

/** The FLV bytes of a taken piece: head, body and trailer. */
size_t lsd_tag_flv_size(const struct ls_sub_tag *t);
/** Write @p t's head piece to @p out (@p chunked: after its chunk-size line). @return its length */
size_t lsd_tag_head(const struct ls_sub_tag *t, bool chunked, uint8_t out[LSD_TAG_HEAD_MAX]);
/** Write @p t's tail piece to @p out (@p chunked: the chunk's CRLF after it). @return its length */
size_t lsd_tag_tail(const struct ls_sub_tag *t, bool chunked, uint8_t out[LSD_TAG_TAIL_MAX]);

/**
 * A viewer's timeline. Each library relay (a new one at every start of the
 * daemon's relay) gives a subscription a timeline starting at 0; a viewer
 * that stays connected across a restart must not see time go back, so the
 * tags of each new subscription after the first continue after the last
 * timestamp sent. Zero-initialised: the first subscription keeps its times.
 */
struct lsd_timeline {
    bool rebase;       /**< the next timed tag starts a new subscription's timeline */
    bool have_ts;
    int64_t offset;    /**< added to the subscription's timestamps */
    uint32_t last_ts;  /**< the latest timestamp sent */
};

/** A new subscription begins: its tags continue after what was sent. */
void lsd_timeline_restart(struct lsd_timeline *tl);
/** Put @p t on the viewer's timeline (onMetaData and the file header keep theirs). */
void lsd_timeline_apply(struct lsd_timeline *tl, struct ls_sub_tag *t);

/** Tags a connection may hold at once: each costs libevent about 2 KiB of chains. */
#define LSD_INFLIGHT_MAX 16

/**
 * The tags handed to a connection and not yet written out, known by their
 * lengths only: the connection's output buffer ends with them, in order, so
 * its length tells how many are left. Zero-initialised is empty.
 */
struct lsd_inflight {
    uint32_t len[LSD_INFLIGHT_MAX]; /**< a ring, oldest at @ref first */
    unsigned first, count;
    size_t bytes;
};

/** One more tag of @p len bytes handed over. The caller keeps count < LSD_INFLIGHT_MAX. */
void lsd_inflight_add(struct lsd_inflight *f, size_t len);
/**
 * Forget the tags written out, given the output buffer's length now (which
 * may also hold bytes before the first tag: those only keep a tag counted
 * a little longer).
 */
void lsd_inflight_settle(struct lsd_inflight *f, size_t out_len);

#endif
