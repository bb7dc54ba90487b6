/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An output's queue of shared tags: a ring of references, bounded in bytes,
 * that starts from a decodable point and, when a slow sink lets it fill,
 * drops its queued media and skips to the next keyframe (headers always
 * pass: what follows may need them). Pure and single-threaded: the output
 * holds its lock around every call. Fields are private to queue.c.
 */
#ifndef LS_LIB_OUTPUT_QUEUE_H
#define LS_LIB_OUTPUT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/flv/tag.h"

struct ls_tag_queue {
    struct ls_item **ring;
    size_t cap, head, len, bytes, max_bytes;
    bool synced;      /* holds a decodable start: pushes are accepted */
    bool skipping;    /* overflowed: dropping media until the next keyframe */
    bool has_video;   /* the stream has keyframes to resume at */
    uint64_t dropped; /* media tags not queued or dropped from the queue */
    uint64_t skips;   /* times it overflowed */
};

/** What ls_tag_queue_push() did with a tag. */
enum ls_queue_push {
    LS_QUEUE_QUEUED,   /**< queued */
    LS_QUEUE_UNSYNCED, /**< no decodable start yet: ignored */
    LS_QUEUE_DROPPED,  /**< skipping to a keyframe, or out of memory: dropped */
    LS_QUEUE_SKIPPED,  /**< did not fit: queued media dropped, skipping begins */
};

void ls_tag_queue_init(struct ls_tag_queue *q, size_t max_bytes);
/** Drop every tag and free the ring. */
void ls_tag_queue_finish(struct ls_tag_queue *q);

/** Start from a decodable point: empty, accepting pushes; resume at keyframes when @p has_video. */
void ls_tag_queue_begin(struct ls_tag_queue *q, bool has_video);
/** Stop accepting pushes and drop every tag (the sink went down). */
void ls_tag_queue_end(struct ls_tag_queue *q);
/** Accept only headers until the next keyframe (a start without the cached GOP). */
void ls_tag_queue_skip_to_keyframe(struct ls_tag_queue *q);

/** Queue a tag of the live stream (takes its own reference), by the policy above. */
enum ls_queue_push ls_tag_queue_push(struct ls_tag_queue *q, struct ls_item *item);
/** Queue a tag of the decodable start whatever its size (takes its own reference). 0 or -ENOMEM. */
int ls_tag_queue_push_start(struct ls_tag_queue *q, struct ls_item *item);
/** The oldest tag (the caller owns the reference), or NULL when empty. */
struct ls_item *ls_tag_queue_pop(struct ls_tag_queue *q);

size_t ls_tag_queue_len(const struct ls_tag_queue *q);
size_t ls_tag_queue_bytes(const struct ls_tag_queue *q);
bool ls_tag_queue_synced(const struct ls_tag_queue *q);
bool ls_tag_queue_skipping(const struct ls_tag_queue *q);
uint64_t ls_tag_queue_dropped(const struct ls_tag_queue *q);
uint64_t ls_tag_queue_skips(const struct ls_tag_queue *q);

#endif
