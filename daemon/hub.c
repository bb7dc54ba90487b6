/*
 * The HTTP-FLV hub of a relay: the stream side. The library's subscriber
 * thread copies each FLV piece into a struct lsd_tag and posts it through the
 * server's mailbox (one mail per tag: the mailbox keeps them in order with the
 * relay code's own mails, such as the reset before a new library relay). On
 * the loop a tag updates what a new viewer needs — the file header, the
 * latest onMetaData and sequence headers, the GOP cache — and goes to every
 * viewer (hub_viewer.c).
 *
 * Lifetime: relays.c destroys the hub on the loop only after the library
 * relay feeding it was destroyed and after a mail posted after that destroy
 * has run. Every tag mail of this hub was posted before (the subscriber
 * callback cannot run once its relay is gone), and the mailbox runs mails in
 * order, so no pending mail can point at a freed hub.
 *
 * Timeline: tags carry the library relay's timeline, which starts near 0 at
 * each new library relay. A viewer that stays connected across a restart must
 * not see time go back, so the hub rewrites the timestamps of each new stream
 * to continue after the last one (in place, before the tag is shared: the
 * first stream keeps its own timestamps). Late viewers start at the GOP's
 * timestamp, not 0; players (ffmpeg, mpegts.js) accept that.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdlib.h>

#include "daemon/hub.h"
#include "daemon/server.h"

/* A new stream's first tag comes this long after the previous stream's last one. */
#define RESTART_GAP_MS 40
/* The loop may fall behind the subscriber by this much (plus the GOP bound) before
 * the subscriber side drops media until the next keyframe. */
#define INFLIGHT_SLACK_BYTES (4u << 20)

/* ---- held tags ------------------------------------------------------------ */

/* Replace a held tag (header kinds): the hub keeps one reference to each. */
static void hold(struct lsd_tag **slot, struct lsd_tag *t)
{
    if (t)
        t->refs++;
    lsd_tag_unref(*slot);
    *slot = t;
}

/* ---- the GOP cache ------------------------------------------------------- */

static void gop_drop(struct lsd_hub *hub)
{
    for (size_t i = 0; i < hub->gop_count; i++)
        lsd_tag_unref(hub->gop[i]);
    hub->gop_count = 0;
    hub->gop_bytes = 0;
}

static int gop_reserve(struct lsd_hub *hub)
{
    if (hub->gop_count < hub->gop_cap)
        return 0;
    size_t cap = hub->gop_cap ? hub->gop_cap * 2 : 256;
    struct lsd_tag **g = realloc(hub->gop, cap * sizeof(*g));
    if (!g)
        return -ENOMEM;
    hub->gop = g;
    hub->gop_cap = cap;
    return 0;
}

/* Every media tag since the last video keyframe; audio before the first one is
 * useless to a new viewer and never cached. Past the bound, nothing is cached
 * until the next keyframe: viewers arriving meanwhile wait for it. */
static void gop_add(struct lsd_hub *hub, struct lsd_tag *t)
{
    if ((t->flags & LS_TAG_VIDEO) && (t->flags & LS_TAG_KEYFRAME)) {
        gop_drop(hub);
        hub->gop_open = true;
    }
    if (!hub->gop_open)
        return;
    if (hub->gop_bytes + t->size > hub->server->config.gop_cache_max_bytes ||
        gop_reserve(hub) < 0) {
        gop_drop(hub);
        hub->gop_open = false;
        return;
    }
    t->refs++;
    hub->gop[hub->gop_count++] = t;
    hub->gop_bytes += t->size;
}

void lsd_hub_stream_clear(struct lsd_hub *hub)
{
    hold(&hub->file_header, NULL);
    hold(&hub->metadata, NULL);
    hold(&hub->video_seq, NULL);
    hold(&hub->audio_seq, NULL);
    gop_drop(hub);
    hub->gop_open = false;
    hub->rebase = true;
}

/* ---- tags on the loop ---------------------------------------------------- */

static void retime(struct lsd_hub *hub, struct lsd_tag *t)
{
    /* onMetaData keeps its time: FFmpeg takes one at a time other than 0 for a
     * subtitle packet. */
    if (t->flags & LS_TAG_METADATA)
        return;
    uint32_t in = lsd_tag_ts(t);
    if (hub->rebase) {
        hub->ts_offset = hub->have_ts ? (int64_t)hub->last_ts + RESTART_GAP_MS - in : 0;
        hub->rebase = false;
    }
    if (hub->ts_offset) {
        int64_t ts = (int64_t)in + hub->ts_offset;
        in = (uint32_t)(ts < 0 ? 0 : ts);
        lsd_tag_set_ts(t, in);
    }
    /* FLV time wraps after 49 days; a viewer watching that long sees it wrap. */
    if (!hub->have_ts || in > hub->last_ts)
        hub->last_ts = in;
    hub->have_ts = true;
}

/* The library may start a subscriber before the video's sequence header is
 * known (onMetaData comes first), with a file header that announces audio
 * only. Players believe it (mpegts.js makes no video track), so the header
 * given to later viewers announces what actually flows. */
static void header_announce(struct lsd_hub *hub, unsigned flags)
{
    uint8_t bit = flags & LS_TAG_VIDEO ? 0x01 : flags & LS_TAG_AUDIO ? 0x04 : 0;
    struct lsd_tag *old = hub->file_header;
    if (!bit || (old->data[4] & bit))
        return;
    struct lsd_tag *t = lsd_tag_copy(old);
    if (!t)
        return;
    t->data[4] |= bit;
    lsd_tag_unref(old);
    hub->file_header = t;
    hub->has_video = t->data[4] & 0x01;
    if (bit == 0x01)
        lsd_hub_viewers_restart(hub); /* those playing wait for the first keyframe */
}

static void ingest(struct lsd_hub *hub, struct lsd_tag *t)
{
    if (t->flags & LS_TAG_FILE_HEADER) {
        lsd_hub_stream_clear(hub);
        hub->has_video = t->data[4] & 0x01;
        hold(&hub->file_header, t);
        lsd_hub_viewers_restart(hub);
        return;
    }
    if (!hub->file_header)
        return; /* not part of a stream we know the start of */
    header_announce(hub, t->flags);
    retime(hub, t);
    if (t->flags & LS_TAG_METADATA)
        hold(&hub->metadata, t);
    else if (t->flags & LS_TAG_SEQUENCE_HEADER)
        hold(t->flags & LS_TAG_VIDEO ? &hub->video_seq : &hub->audio_seq, t);
    else
        gop_add(hub, t);
    lsd_hub_viewers_feed(hub, t);
}

static void tag_mail(struct lsd_server *s, void *arg)
{
    struct lsd_tag *t = arg;
    struct lsd_hub *hub = t->hub;
    (void)s;
    atomic_fetch_sub(&hub->inflight_bytes, t->size);
    ingest(hub, t);
    lsd_tag_unref(t);
}

/* ---- the subscriber thread ----------------------------------------------- */

static bool piece_valid(const uint8_t *data, size_t size, unsigned flags)
{
    if (flags & LS_TAG_FILE_HEADER)
        return size == LSD_FLV_FILE_HEADER_SIZE && data[0] == 'F';
    return size >= LSD_FLV_TAG_HEADER_SIZE + LSD_FLV_PREV_SIZE;
}

/* Whether to pass a media tag: when the loop is far behind, media is dropped
 * until the next keyframe (headers always pass), so the loop's backlog stays
 * bounded and what passes stays decodable. Subscriber thread only. */
static bool admit(struct lsd_hub *hub, size_t size, unsigned flags)
{
    if (flags & LS_TAG_VIDEO)
        hub->sub_has_video = true; /* even if the file header said otherwise */
    if (flags & (LS_TAG_FILE_HEADER | LS_TAG_METADATA | LS_TAG_SEQUENCE_HEADER))
        return true;
    bool key = (flags & LS_TAG_VIDEO) && (flags & LS_TAG_KEYFRAME);
    size_t max = (size_t)hub->server->config.gop_cache_max_bytes * 2 + INFLIGHT_SLACK_BYTES;
    if (atomic_load(&hub->inflight_bytes) + size > max) {
        hub->sub_skipping = true;
        return false;
    }
    /* Audio-only streams (no keyframes) resume as soon as the backlog allows. */
    if (hub->sub_skipping && !key && hub->sub_has_video)
        return false;
    hub->sub_skipping = false;
    return true;
}

int lsd_hub_on_tag(void *cookie, const uint8_t *data, size_t size, unsigned flags)
{
    struct lsd_hub *hub = cookie;
    if (!piece_valid(data, size, flags))
        return 0;
    if (flags & LS_TAG_FILE_HEADER) { /* a new stream: start clean */
        hub->sub_skipping = false;
        hub->sub_has_video = data[4] & 0x01;
    }
    if (!admit(hub, size, flags))
        return 0;
    struct lsd_tag *t = lsd_tag_new(hub, data, size, flags);
    if (!t)
        goto lost;
    atomic_fetch_add(&hub->inflight_bytes, size);
    if (lsd_mailbox_post(hub->server->mailbox, tag_mail, t) < 0) {
        atomic_fetch_sub(&hub->inflight_bytes, size);
        lsd_tag_unref(t);
        goto lost;
    }
    return 0;
lost:
    /* Out of memory: never close the subscriber for it (that would be final);
     * skip to the next keyframe instead. */
    hub->sub_skipping = true;
    return 0;
}

/* ---- the public side ------------------------------------------------------ */

int lsd_hub_create(struct lsd_hub **out, struct lsd_relay *r)
{
    struct lsd_hub *hub = calloc(1, sizeof(*hub));
    if (!hub)
        return -ENOMEM;
    hub->relay = r;
    hub->server = r->server;
    atomic_init(&hub->inflight_bytes, 0);
    hub->rebase = true;
    int ret = lsd_hub_viewers_init(hub);
    if (ret < 0) {
        free(hub);
        return ret;
    }
    *out = hub;
    return 0;
}

void lsd_hub_destroy(struct lsd_hub **phub)
{
    struct lsd_hub *hub = *phub;
    if (!hub)
        return;
    hub->closing = true; /* the relay is going: no viewers_changed from here */
    lsd_hub_viewers_finish(hub, true);
    lsd_hub_stream_clear(hub);
    free(hub->gop);
    free(hub);
    *phub = NULL;
}

void lsd_hub_reset(struct lsd_hub *hub)
{
    /* Runs after every tag of the old library relay (they were posted before
     * this reset was) and before any of the new one's. */
    lsd_hub_stream_clear(hub);
    lsd_hub_viewers_restart(hub);
}

void lsd_hub_close_viewers(struct lsd_hub *hub)
{
    lsd_hub_viewers_finish(hub, false);
}

unsigned lsd_hub_viewers(const struct lsd_hub *hub)
{
    return hub->viewer_count;
}

void lsd_hub_get_stats(const struct lsd_hub *hub, struct lsd_hub_stats *out)
{
    *out = hub->st;
    out->viewers = hub->viewer_count;
}
