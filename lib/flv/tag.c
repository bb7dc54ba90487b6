/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdlib.h>

#include "lib/flv/flv.h"
#include "lib/flv/tag.h"

struct ls_item *ls_item_new(enum ls_item_kind kind, uint32_t size)
{
    struct ls_item *item = malloc(sizeof(*item) + size);
    if (!item)
        return NULL;
    atomic_init(&item->refs, 1);
    item->kind = (uint8_t)kind;
    item->tag_type = kind == LS_ITEM_METADATA ? LS_FLV_TAG_SCRIPT
                     : (kind == LS_ITEM_AUDIO_SEQ || kind == LS_ITEM_AUDIO) ? LS_FLV_TAG_AUDIO
                                                                            : LS_FLV_TAG_VIDEO;
    item->keyframe = false;
    item->dts_ms = 0;
    item->recv_us = 0;
    item->size = size;
    return item;
}

struct ls_item *ls_item_ref(struct ls_item *item)
{
    atomic_fetch_add_explicit(&item->refs, 1, memory_order_relaxed);
    return item;
}

void ls_item_unref(struct ls_item **item)
{
    if (!*item)
        return;
    if (atomic_fetch_sub_explicit(&(*item)->refs, 1, memory_order_acq_rel) == 1)
        free(*item);
    *item = NULL;
}
