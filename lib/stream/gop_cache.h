/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The GOP cache: the latest headers (metadata, video and audio sequence
 * headers) plus every item since the last video keyframe, so an output that
 * joins late starts decodable at once. Not thread-safe: the relay guards it
 * with its fan-out lock.
 */
#ifndef LS_LIB_GOP_CACHE_H
#define LS_LIB_GOP_CACHE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/flv/tag.h"

struct ls_gop_cache {
    struct ls_item *meta, *vseq, *aseq;
    struct ls_item **items;   /**< items[0] is a video keyframe when has_key */
    size_t n, cap;
    size_t bytes, max_bytes;
    bool has_key;
};

void ls_gop_init(struct ls_gop_cache *g, size_t max_bytes);
void ls_gop_finish(struct ls_gop_cache *g);

/** Take a reference to @p item as it fits. @return 0 or -ENOMEM (the cache is then emptied). */
int ls_gop_push(struct ls_gop_cache *g, struct ls_item *item);

/** Whether an output can start now: headers, and a keyframe when there is video. */
bool ls_gop_ready(const struct ls_gop_cache *g);

/**
 * Call @p fn with every item a new output needs, in order: metadata, video
 * sequence header, audio sequence header, then the GOP. @p fn takes its own
 * references.
 */
void ls_gop_foreach(const struct ls_gop_cache *g, void (*fn)(void *opaque, struct ls_item *item),
                    void *opaque);

#endif
