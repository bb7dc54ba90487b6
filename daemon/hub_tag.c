/*
 * The HTTP-FLV hub's pure part (see hub_tag.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdio.h>
#include <string.h>

#include "daemon/hub_tag.h"

/* A new subscription's first tag comes this long after the previous one's last. */
#define RESTART_GAP_MS 40

/* ---- framing --------------------------------------------------------------- */

size_t lsd_tag_flv_size(const struct ls_sub_tag *t)
{
    return (size_t)t->head_size + t->body_size + t->trailer_size;
}

size_t lsd_tag_head(const struct ls_sub_tag *t, bool chunked, uint8_t out[LSD_TAG_HEAD_MAX])
{
    size_t n = 0;
    if (chunked) {
        char line[LSD_CHUNK_HEAD_MAX + 1];
        n = (size_t)snprintf(line, sizeof(line), "%zx\r\n", lsd_tag_flv_size(t));
        memcpy(out, line, n);
    }
    memcpy(out + n, t->head, t->head_size);
    return n + t->head_size;
}

size_t lsd_tag_tail(const struct ls_sub_tag *t, bool chunked, uint8_t out[LSD_TAG_TAIL_MAX])
{
    memcpy(out, t->trailer, t->trailer_size);
    size_t n = t->trailer_size;
    if (chunked) {
        memcpy(out + n, "\r\n", 2);
        n += 2;
    }
    return n;
}

/* ---- a viewer's timeline ------------------------------------------------------ */

void lsd_timeline_restart(struct lsd_timeline *tl)
{
    tl->rebase = true;
}

void lsd_timeline_apply(struct lsd_timeline *tl, struct ls_sub_tag *t)
{
    /* onMetaData keeps its time: FFmpeg takes one other than 0 for a subtitle packet. */
    if (t->flags & (LS_TAG_FILE_HEADER | LS_TAG_METADATA))
        return;
    uint32_t in = t->ts_ms;
    if (tl->rebase) {
        tl->offset = tl->have_ts ? (int64_t)tl->last_ts + RESTART_GAP_MS - in : 0;
        tl->rebase = false;
    }
    if (tl->offset) {
        int64_t ts = (int64_t)in + tl->offset;
        in = (uint32_t)(ts < 0 ? 0 : ts > UINT32_MAX ? UINT32_MAX : ts);
        ls_sub_tag_set_timestamp(t, in);
    }
    /* FLV time wraps after 49 days; a viewer watching that long sees it wrap. */
    if (!tl->have_ts || in > tl->last_ts)
        tl->last_ts = in;
    tl->have_ts = true;
}

/* ---- what a connection holds ----------------------------------------------- */

void lsd_inflight_add(struct lsd_inflight *f, size_t len)
{
    if (f->count >= LSD_INFLIGHT_MAX)
        return; /* the caller's bug; never overwrite the ring */
    f->len[(f->first + f->count) % LSD_INFLIGHT_MAX] = (uint32_t)len;
    f->count++;
    f->bytes += len;
}

void lsd_inflight_settle(struct lsd_inflight *f, size_t out_len)
{
    /* The oldest is written out when the newer ones alone cover what is left. */
    while (f->count && f->bytes - f->len[f->first] >= out_len) {
        f->bytes -= f->len[f->first];
        f->first = (f->first + 1) % LSD_INFLIGHT_MAX;
        f->count--;
    }
}
