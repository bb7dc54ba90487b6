/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>

#include "lib/stream/gop_cache.h"

void ls_gop_init(struct ls_gop_cache *g, size_t max_bytes)
{
    *g = (struct ls_gop_cache){.max_bytes = max_bytes};
}

static void drop_items(struct ls_gop_cache *g)
{
    for (size_t i = 0; i < g->n; i++)
        ls_item_unref(&g->items[i]);
    g->n = 0;
    g->bytes = 0;
    g->has_key = false;
}

void ls_gop_finish(struct ls_gop_cache *g)
{
    drop_items(g);
    free(g->items);
    ls_item_unref(&g->meta);
    ls_item_unref(&g->vseq);
    ls_item_unref(&g->aseq);
    *g = (struct ls_gop_cache){0};
}

static void replace(struct ls_item **slot, struct ls_item *item)
{
    ls_item_unref(slot);
    *slot = ls_item_ref(item);
}

static int append(struct ls_gop_cache *g, struct ls_item *item)
{
    if (g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 64;
        struct ls_item **items = realloc(g->items, cap * sizeof(*items));
        if (!items) {
            drop_items(g);
            return -ENOMEM;
        }
        g->items = items;
        g->cap = cap;
    }
    g->items[g->n++] = ls_item_ref(item);
    g->bytes += item->size;
    return 0;
}

int ls_gop_push(struct ls_gop_cache *g, struct ls_item *item)
{
    switch (item->kind) {
    case LS_ITEM_METADATA:
        replace(&g->meta, item);
        return 0;
    case LS_ITEM_VIDEO_SEQ:
        replace(&g->vseq, item);
        return 0;
    case LS_ITEM_AUDIO_SEQ:
        replace(&g->aseq, item);
        return 0;
    default:
        break;
    }
    if (item->kind == LS_ITEM_VIDEO && item->keyframe) {
        drop_items(g);
        g->has_key = true;
    }
    if (!g->has_key)
        return 0; /* audio-only streams and pre-keyframe media are not cached */
    if (g->bytes + item->size > g->max_bytes) {
        /* A GOP this large is unusual (a keyframe interval of minutes); start over. */
        drop_items(g);
        return 0;
    }
    return append(g, item);
}

bool ls_gop_ready(const struct ls_gop_cache *g)
{
    if (!g->meta)
        return false;
    return g->vseq ? g->has_key : true;
}

void ls_gop_foreach(const struct ls_gop_cache *g, void (*fn)(void *opaque, struct ls_item *item),
                    void *opaque)
{
    if (g->meta)
        fn(opaque, g->meta);
    if (g->vseq)
        fn(opaque, g->vseq);
    if (g->aseq)
        fn(opaque, g->aseq);
    for (size_t i = 0; i < g->n; i++)
        fn(opaque, g->items[i]);
}
