/*
 * HLS VOD playlist over recorded segments (rec_hls.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "daemon/rec_hls.h"

/* A gap or a jump in decode time this large between two segments is a
 * discontinuity (the relay restarted, or recording paused). So is another
 * codec string or picture size (a camera reconfigured): RFC 8216 wants one
 * where the encoding parameters change, and players reset their decoder. */
#define GAP_TICKS_S 0.5

/* Without libm: the daemon does not link it for three comparisons. */
static double dmax(double a, double b)
{
    return a > b ? a : b;
}

struct pick {
    size_t seg, first, last; /* fragments first..last of segment seg */
};

/* Wall clock of a fragment: its segment's start plus its offset in decode time. */
static int64_t frag_ms(const struct lsd_rec_segment *s, const struct lsd_mp4_fragment *f)
{
    return s->start_ms + (int64_t)(lsd_rec_seconds(&s->idx, f->start - s->idx.frags[0].start) *
                                   1000);
}

/* The fragments of segment @p s in the range; false when none. */
static bool pick_range(const struct lsd_rec_segment *s, int64_t from_ms, int64_t to_ms,
                       struct pick *p)
{
    size_t n = s->idx.count, first = n, last = n;
    for (size_t i = 0; i < n; i++) {
        const struct lsd_mp4_fragment *f = &s->idx.frags[i];
        int64_t a = frag_ms(s, f), z = a + (int64_t)(lsd_rec_seconds(&s->idx, f->duration) * 1000);
        if (z <= from_ms || a >= to_ms || f->start < s->idx.frags[0].start)
            continue;
        if (first == n)
            first = i;
        last = i;
    }
    if (first == n)
        return false;
    while (first > 0 && !s->idx.frags[first].key)
        first--; /* back to a keyframe: the first frame must decode */
    p->first = first;
    p->last = last;
    return true;
}

static double target_duration(const struct lsd_rec_list *l, const struct pick *picks, size_t n)
{
    double max = 1;
    for (size_t k = 0; k < n; k++) {
        const struct lsd_rec_segment *s = &l->seg[picks[k].seg];
        for (size_t i = picks[k].first; i <= picks[k].last; i++)
            max = dmax(max, lsd_rec_seconds(&s->idx, s->idx.frags[i].duration));
    }
    return (double)(uint64_t)max < max ? (double)(uint64_t)max + 1 : max;
}

static bool discontinuous(const struct lsd_rec_segment *prev, size_t prev_last,
                          const struct lsd_rec_segment *s, size_t first)
{
    const struct lsd_mp4_fragment *a = &prev->idx.frags[prev_last], *b = &s->idx.frags[first];
    double end = lsd_rec_seconds(&prev->idx, a->start + a->duration);
    double start = lsd_rec_seconds(&s->idx, b->start);
    return prev->idx.timescale != s->idx.timescale || (start - end > GAP_TICKS_S || end - start > GAP_TICKS_S) ||
           strcmp(prev->idx.codecs, s->idx.codecs) != 0 || prev->idx.width != s->idx.width ||
           prev->idx.height != s->idx.height;
}

static void write_segment(const struct lsd_rec_segment *s, const struct pick *p, const char *query,
                          struct evbuffer *out)
{
    evbuffer_add_printf(out, "#EXT-X-MAP:URI=\"recordings/%s%s\",BYTERANGE=\"%llu@0\"\n",
                        s->name, query, (unsigned long long)s->idx.init_size);
    for (size_t i = p->first; i <= p->last; i++) {
        const struct lsd_mp4_fragment *f = &s->idx.frags[i];
        evbuffer_add_printf(out,
                            "#EXTINF:%.3f,\n#EXT-X-BYTERANGE:%llu@%llu\nrecordings/%s%s\n",
                            lsd_rec_seconds(&s->idx, f->duration), (unsigned long long)f->size,
                            (unsigned long long)f->offset, s->name, query);
    }
}

int lsd_rec_hls_playlist(const struct lsd_rec_list *l, int64_t from_ms, int64_t to_ms,
                         const char *query, struct evbuffer *out)
{
    struct pick *picks = calloc(l->count ? l->count : 1, sizeof(*picks));
    if (!picks)
        return -ENOMEM;
    size_t n = 0;
    int frags = 0;
    for (size_t i = 0; i < l->count; i++) {
        if (l->seg[i].idx.count && pick_range(&l->seg[i], from_ms, to_ms, &picks[n])) {
            picks[n].seg = i;
            frags += (int)(picks[n].last - picks[n].first + 1);
            n++;
        }
    }
    evbuffer_add_printf(out, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:%.0f\n"
                        "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MEDIA-SEQUENCE:0\n",
                        target_duration(l, picks, n));
    for (size_t k = 0; k < n; k++) {
        const struct lsd_rec_segment *s = &l->seg[picks[k].seg];
        if (k > 0 && discontinuous(&l->seg[picks[k - 1].seg], picks[k - 1].last, s,
                                   picks[k].first))
            evbuffer_add_printf(out, "#EXT-X-DISCONTINUITY\n");
        write_segment(s, &picks[k], query, out);
    }
    evbuffer_add_printf(out, "#EXT-X-ENDLIST\n");
    free(picks);
    return frags;
}

/* The highest bit rate of a fragment: HLS's BANDWIDTH is a peak. */
static uint64_t peak_bits_per_s(const struct lsd_rec_list *l)
{
    double peak = 0;
    for (size_t i = 0; i < l->count; i++) {
        for (size_t j = 0; j < l->seg[i].idx.count; j++) {
            const struct lsd_mp4_fragment *f = &l->seg[i].idx.frags[j];
            double d = lsd_rec_seconds(&l->seg[i].idx, f->duration);
            if (d > 0.1)
                peak = dmax(peak, (double)f->size * 8 / d);
        }
    }
    return peak > 0 ? (uint64_t)peak : 1000000;
}

void lsd_rec_hls_master(const struct lsd_rec_list *l, const char *media_uri, struct evbuffer *out)
{
    const char *codecs = "";
    for (size_t i = 0; i < l->count && !codecs[0]; i++)
        codecs = l->seg[i].idx.codecs;
    evbuffer_add_printf(out, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-STREAM-INF:BANDWIDTH=%llu%s%s%s\n"
                        "%s\n", (unsigned long long)peak_bits_per_s(l),
                        codecs[0] ? ",CODECS=\"" : "", codecs, codecs[0] ? "\"" : "", media_uri);
}
