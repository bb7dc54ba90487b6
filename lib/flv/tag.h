/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ls_item: one FLV tag body, built once by the remuxer and shared by
 * reference between the GOP cache, every output queue and every subscriber.
 * Each output writes its own tag header around it (its own timestamp base),
 * so the body is never copied per output.
 */
#ifndef LS_LIB_FLV_TAG_H
#define LS_LIB_FLV_TAG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum ls_item_kind {
    LS_ITEM_METADATA = 0,
    LS_ITEM_VIDEO_SEQ,
    LS_ITEM_AUDIO_SEQ,
    LS_ITEM_VIDEO,
    LS_ITEM_AUDIO,
};

struct ls_item {
    atomic_uint refs;
    uint8_t kind;       /**< enum ls_item_kind */
    uint8_t tag_type;   /**< FLV tag type (8, 9, 18) */
    bool keyframe;
    int64_t dts_ms;     /**< on the relay's repaired timeline */
    int64_t recv_us;    /**< monotonic time its packet was read from the camera (latency stats) */
    uint32_t size;      /**< body size */
    uint8_t body[];
};

/** A new item with @p size body bytes and one reference, or NULL. */
struct ls_item *ls_item_new(enum ls_item_kind kind, uint32_t size);
struct ls_item *ls_item_ref(struct ls_item *item);
/** Drop a reference; sets *item to NULL; NULL accepted. */
void ls_item_unref(struct ls_item **item);

static inline bool ls_item_is_header(const struct ls_item *item)
{
    return item->kind <= LS_ITEM_AUDIO_SEQ;
}

#endif
