/*
 * The HTTP-FLV hub's tags, and a viewer's queue of them. Pure (no I/O, no
 * libevent): unit-tested in tests/daemon/unit_hub.c.
 *
 * Memory is what this file is about. A viewer's connection gets every tag by
 * reference (evbuffer_add_reference), and libevent spends a 1 KiB chain on
 * each reference; it also allocates a new chain as large as the referenced
 * block when anything is copied in after a reference (evhttp's chunk trailer
 * did that for every chunk: a stuck viewer cost about a copy of the stream).
 * So a tag is stored ready to go out as one HTTP/1.1 chunk — size line, FLV
 * piece, CRLF in one block — and nothing is ever copied after it; and a
 * viewer's backlog is a queue of tag pointers (8 bytes a tag), handed to its
 * connection only a few at a time (struct lsd_inflight).
 *
 * Threads: a tag is made on the subscriber thread (lsd_tag_new) and then
 * only touched on the loop; everything else runs on the loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_HUB_TAG_H
#define LSD_HUB_TAG_H

#include <stddef.h>
#include <stdint.h>

struct lsd_hub;

/** Room before a piece for its chunk-size line: 16 hex digits and CRLF. */
#define LSD_CHUNK_HEAD_MAX 18
/** After the piece: the CRLF that ends the chunk. */
#define LSD_CHUNK_TAIL 2

/**
 * One FLV piece as the subscriber gave it (the file header, or a whole tag:
 * header, body, PreviousTagSize). @ref refs is only touched on the loop, so
 * it needs no atomics. Every queue and every evbuffer that holds the tag
 * holds one reference, so a tag outlives the hub if a connection still
 * sends it.
 */
struct lsd_tag {
    struct lsd_hub *hub;   /**< for the mail that carries it to the loop */
    unsigned refs;
    unsigned flags;        /**< LS_TAG_* */
    size_t size;           /**< bytes of the FLV piece */
    uint8_t *data;         /**< the FLV piece (inside @ref mem) */
    const uint8_t *chunk;  /**< the piece as one HTTP/1.1 chunk: "<hex size>\r\n" piece "\r\n" */
    size_t chunk_size;
    uint8_t mem[];         /**< LSD_CHUNK_HEAD_MAX + size + LSD_CHUNK_TAIL */
};

/** A tag holding a copy of @p data, with one reference. NULL when out of memory. Any thread. */
struct lsd_tag *lsd_tag_new(struct lsd_hub *hub, const uint8_t *data, size_t size,
                            unsigned flags);
/** A copy of @p t (same hub and flags) with one reference, NULL when out of memory. */
struct lsd_tag *lsd_tag_copy(const struct lsd_tag *t);
/** Drop a reference; the last one frees the tag. NULL is a no-op. */
void lsd_tag_unref(struct lsd_tag *t);
/** The FLV timestamp of a tag (not of the file header). */
uint32_t lsd_tag_ts(const struct lsd_tag *t);
/** Rewrite the FLV timestamp of a tag (only while nobody else holds it). */
void lsd_tag_set_ts(struct lsd_tag *t, uint32_t ts);

/**
 * A FIFO of tags, each held by one reference: a viewer's media not yet handed
 * to its connection. A ring of pointers that grows by doubling and shrinks
 * back once drained. Zero-initialised is empty.
 */
struct lsd_tag_queue {
    struct lsd_tag **ring;
    size_t cap;            /**< a power of two, or 0 */
    size_t head;           /**< index of the oldest */
    size_t count;
    size_t bytes;          /**< the queued FLV bytes */
};

/** The most tags a queue holds: its ring is then 64 KiB. */
#define LSD_TAG_QUEUE_MAX 8192

/** Append @p t, taking a new reference. @return 0, -ENOSPC (full) or -ENOMEM */
int lsd_tag_queue_push(struct lsd_tag_queue *q, struct lsd_tag *t);
/** The oldest tag (still queued), NULL when empty. */
struct lsd_tag *lsd_tag_queue_peek(const struct lsd_tag_queue *q);
/** Remove the oldest tag; its reference passes to the caller. NULL when empty. */
struct lsd_tag *lsd_tag_queue_pop(struct lsd_tag_queue *q);
/** Drop every tag and free the ring. */
void lsd_tag_queue_clear(struct lsd_tag_queue *q);
/** Heap bytes the queue itself takes (its ring; the tags are shared). */
size_t lsd_tag_queue_memory(const struct lsd_tag_queue *q);

/** Tags a connection may hold at once: each costs libevent a 1 KiB chain. */
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
