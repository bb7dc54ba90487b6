/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The live HLS packager's finished segments: a ring of the last N, and the
 * media playlist that lists them (RFC 8216 with fMP4: version 7, an
 * EXT-X-MAP per epoch). Pure: memory only.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/buf.h"
#include "lib/output/hls_private.h"

int ls_hls_buf_add(struct ls_hls_buf *b, const uint8_t *data, size_t size)
{
    if (size > SIZE_MAX / 2 - b->size)
        return -ENOMEM;
    if (ls_buf_reserve(&b->data, &b->cap, b->size + size, 64 * 1024) < 0)
        return -ENOMEM;
    memcpy(b->data + b->size, data, size);
    b->size += size;
    return 0;
}

void ls_hls_buf_free(struct ls_hls_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

static struct ls_hls_seg *slot(const struct ls_hls *h, unsigned i)
{
    return &h->ring[(h->oldest + i) % h->set.segments];
}

void ls_hls_ring_push(struct ls_hls *h, uint32_t duration_ms)
{
    if (h->count == h->set.segments) {
        h->oldest = (h->oldest + 1) % h->set.segments;
        h->count--;
    }
    struct ls_hls_seg *s = slot(h, h->count);
    /* The buffers swap: the oldest segment's memory is reused for the next one. */
    struct ls_hls_buf spare = s->b;
    s->b = h->cur;
    s->seq = h->next_seq++;
    s->duration_ms = duration_ms;
    h->cur = spare;
    h->cur.size = 0;
    h->count++;
    h->made++;
    unsigned rounded = (duration_ms + 500) / 1000;
    if (rounded > h->target_s)
        h->target_s = rounded;
}

void ls_hls_ring_clear(struct ls_hls *h)
{
    for (unsigned i = 0; i < h->set.segments; i++)
        ls_hls_buf_free(&h->ring[i].b);
    h->oldest = h->count = 0;
}

int ls_hls_segment(const struct ls_hls *h, uint64_t seq, const uint8_t **data, size_t *size)
{
    if (!h || !data || !size)
        return -EINVAL;
    if (!h->count || seq < slot(h, 0)->seq || seq - slot(h, 0)->seq >= h->count)
        return -ENOENT;
    const struct ls_hls_seg *s = slot(h, (unsigned)(seq - slot(h, 0)->seq));
    *data = s->b.data;
    *size = s->b.size;
    return 0;
}

/* snprintf onto the end of what is written so far; counts what did not fit. */
static void put(char *buf, size_t size, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(*len < size ? buf + *len : NULL, *len < size ? size - *len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        *len += (size_t)n;
}

long ls_hls_playlist(const struct ls_hls *h, const char *query, char *buf, size_t size)
{
    if (!h || (!buf && size))
        return -EINVAL;
    if (!h->count)
        return -EAGAIN;
    const char *q = query ? query : "";
    size_t len = 0;
    if (size)
        buf[0] = '\0';
    /* Every segment starts at a keyframe: players may start or switch at any of them. */
    put(buf, size, &len,
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%u\n#EXT-X-MEDIA-SEQUENCE:%" PRIu64
        "\n#EXT-X-DISCONTINUITY-SEQUENCE:%u\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MAP:URI=\"init%u.mp4%s\"\n",
        h->target_s ? h->target_s : 1, slot(h, 0)->seq, h->disc_seq, h->disc_seq, q);
    for (unsigned i = 0; i < h->count; i++) {
        const struct ls_hls_seg *s = slot(h, i);
        put(buf, size, &len, "#EXTINF:%u.%03u,\n%" PRIu64 ".m4s%s\n", s->duration_ms / 1000,
            s->duration_ms % 1000, s->seq, q);
    }
    return (long)len;
}

int ls_hls_get_info(const struct ls_hls *h, struct ls_hls_info *out)
{
    if (!h || !out)
        return -EINVAL;
    memset(out, 0, sizeof(*out));
    out->first_seq = h->count ? slot(h, 0)->seq : h->next_seq;
    out->segments = h->count;
    out->segments_made = h->made;
    out->discontinuity_seq = h->disc_seq;
    out->target_duration_s = h->target_s ? h->target_s : 1;
    out->width = h->width;
    out->height = h->height;
    out->audio_dropped = h->audio_dropped;
    out->bytes = h->init.size;
    for (unsigned i = 0; i < h->count; i++) {
        const struct ls_hls_seg *s = slot(h, i);
        out->bytes += s->b.size;
        uint64_t bps = s->duration_ms ? (uint64_t)s->b.size * 8000 / s->duration_ms : 0;
        if (bps > out->peak_bits_per_s)
            out->peak_bits_per_s = bps;
    }
    return 0;
}
