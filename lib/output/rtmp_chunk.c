/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTMP chunk headers and the chunk reader (see rtmp_chunk.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/bytes.h"
#include "lib/output/rtmp_chunk.h"

#define TS_EXTENDED 0xffffffu

/* --- writing ------------------------------------------------------------ */

static size_t basic_header(uint8_t *out, unsigned fmt, uint32_t csid)
{
    if (csid < 64) {
        out[0] = (uint8_t)(fmt << 6 | csid);
        return 1;
    }
    if (csid < 320) {
        out[0] = (uint8_t)(fmt << 6);
        out[1] = (uint8_t)(csid - 64);
        return 2;
    }
    out[0] = (uint8_t)(fmt << 6 | 1);
    out[1] = (uint8_t)((csid - 64) & 0xff);
    out[2] = (uint8_t)((csid - 64) >> 8);
    return 3;
}

size_t ls_rtmp_header(uint8_t out[LS_RTMP_HEADER_MAX], const struct ls_rtmp_msg *m)
{
    /* csid above 319 would need a 3-byte basic header; ours are all small. */
    size_t n = basic_header(out, 0, m->csid < 320 ? m->csid : 319);
    bool ext = m->timestamp >= TS_EXTENDED;
    ls_put_be24(out + n, ext ? TS_EXTENDED : m->timestamp);
    ls_put_be24(out + n + 3, m->size);
    out[n + 6] = m->type;
    /* The message stream id is the one little-endian field of RTMP. */
    for (int i = 0; i < 4; i++)
        out[n + 7 + i] = (uint8_t)(m->stream_id >> (8 * i));
    n += 11;
    if (ext) {
        ls_put_be32(out + n, m->timestamp);
        n += 4;
    }
    return n;
}

size_t ls_rtmp_cont_header(uint8_t out[LS_RTMP_CONT_MAX], const struct ls_rtmp_msg *m)
{
    size_t n = basic_header(out, 3, m->csid < 64 ? m->csid : 63);
    /* Servers (FFmpeg, nginx-rtmp, SRS) expect the extended timestamp repeated. */
    if (m->timestamp >= TS_EXTENDED) {
        ls_put_be32(out + n, m->timestamp);
        n += 4;
    }
    return n;
}

uint32_t ls_rtmp_chunk_count(uint32_t size, uint32_t chunk_size)
{
    return size == 0 ? 1 : (size - 1) / chunk_size + 1;
}

/* --- reading ------------------------------------------------------------ */

void ls_rtmp_reader_init(struct ls_rtmp_reader *r)
{
    memset(r, 0, sizeof(*r));
    r->chunk_size = LS_RTMP_DEFAULT_CHUNK;
}

void ls_rtmp_reader_finish(struct ls_rtmp_reader *r)
{
    for (int i = 0; i < LS_RTMP_READ_STREAMS; i++)
        free(r->st[i].buf);
    ls_rtmp_reader_init(r);
}

static struct ls_rtmp_read_stream *stream_of(struct ls_rtmp_reader *r, uint32_t csid, bool create)
{
    struct ls_rtmp_read_stream *free_slot = NULL;
    for (int i = 0; i < LS_RTMP_READ_STREAMS; i++) {
        if (r->st[i].csid == csid)
            return &r->st[i];
        if (!r->st[i].csid && !free_slot)
            free_slot = &r->st[i];
    }
    if (!create || !free_slot)
        return NULL;
    memset(free_slot, 0, sizeof(*free_slot));
    free_slot->csid = csid;
    return free_slot;
}

/* Bytes the header gathered so far needs in all, or 0 when that is not known yet. */
static size_t header_size(struct ls_rtmp_reader *r)
{
    const uint8_t *h = r->hdr;
    unsigned fmt = h[0] >> 6, cs = h[0] & 0x3f;
    size_t basic = cs == 0 ? 2 : cs == 1 ? 3 : 1;
    static const size_t msg_len[4] = {11, 7, 3, 0};
    size_t need = basic + msg_len[fmt];
    if (r->hdr_len < need)
        return need;
    bool ext;
    if (fmt < 3) {
        ext = ls_get_be24(h + basic) == TS_EXTENDED;
    } else {
        uint32_t csid = cs == 0 ? 64u + h[1] : cs == 1 ? 64u + h[1] + ((uint32_t)h[2] << 8) : cs;
        const struct ls_rtmp_read_stream *s = stream_of(r, csid, false);
        ext = s && s->ext;
    }
    return need + (ext ? 4 : 0);
}

static int begin_message(struct ls_rtmp_read_stream *s)
{
    if (s->msg.size > LS_RTMP_READ_MSG_MAX)
        return -EMSGSIZE;
    free(s->buf);
    s->buf = malloc(s->msg.size ? s->msg.size : 1);
    s->have = 0;
    return s->buf ? 0 : -ENOMEM;
}

/* A complete header is in r->hdr: update its chunk stream, start the chunk's payload. */
static int parse_header(struct ls_rtmp_reader *r)
{
    const uint8_t *h = r->hdr;
    unsigned fmt = h[0] >> 6, cs = h[0] & 0x3f;
    size_t at = cs == 0 ? 2 : cs == 1 ? 3 : 1;
    uint32_t csid = cs == 0 ? 64u + h[1] : cs == 1 ? 64u + h[1] + ((uint32_t)h[2] << 8) : cs;
    if (csid < 2)
        return -EBADMSG; /* 0 and 1 name the 2- and 3-byte forms; chunk stream 1 does not exist */
    struct ls_rtmp_read_stream *s = stream_of(r, csid, fmt == 0);
    if (!s)
        return -EBADMSG; /* a type 1-3 header for an unknown stream, or too many streams */
    bool mid = s->buf && s->have < s->msg.size;
    if (fmt < 3) {
        if (mid)
            return -EBADMSG; /* a new header in the middle of a message */
        uint32_t ts = ls_get_be24(h + at);
        s->ext = ts == TS_EXTENDED;
        if (fmt <= 1) {
            s->msg.size = ls_get_be24(h + at + 3);
            s->msg.type = h[at + 6];
        }
        if (fmt == 0)
            s->msg.stream_id = (uint32_t)h[at + 7] | (uint32_t)h[at + 8] << 8 |
                               (uint32_t)h[at + 9] << 16 | (uint32_t)h[at + 10] << 24;
        if (s->ext)
            ts = ls_get_be32(h + r->hdr_len - 4);
        s->delta = fmt == 0 ? 0 : ts;
        s->msg.timestamp = fmt == 0 ? ts : s->msg.timestamp + ts;
    } else if (!mid) {
        s->msg.timestamp += s->delta; /* a new message with the previous header */
    }
    s->msg.csid = csid;
    if (!mid) {
        int err = begin_message(s);
        if (err < 0)
            return err;
    }
    r->cur = s;
    uint32_t left = s->msg.size - s->have;
    r->chunk_left = left < r->chunk_size ? left : r->chunk_size;
    return 0;
}

static int apply(struct ls_rtmp_reader *r, const struct ls_rtmp_read_stream *s)
{
    if (s->msg.type == LS_RTMP_SET_CHUNK_SIZE) {
        if (s->msg.size < 4)
            return -EBADMSG;
        uint32_t size = ls_get_be32(s->buf) & 0x7fffffffu;
        if (size == 0)
            return -EBADMSG;
        r->chunk_size = size;
    } else if (s->msg.type == LS_RTMP_ABORT && s->msg.size >= 4) {
        struct ls_rtmp_read_stream *o = stream_of(r, ls_get_be32(s->buf), false);
        if (o && o != s)
            o->have = o->msg.size; /* drop the partial message */
    }
    return 0;
}

/* The current chunk's payload is complete: deliver the message if it is too. */
static int end_chunk(struct ls_rtmp_reader *r, ls_rtmp_msg_fn fn, void *opaque)
{
    struct ls_rtmp_read_stream *s = r->cur;
    r->cur = NULL;
    r->hdr_len = 0;
    if (s->have < s->msg.size)
        return 0;
    int err = apply(r, s);
    if (err == 0 && fn)
        err = fn(opaque, &s->msg, s->buf);
    free(s->buf);
    s->buf = NULL;
    return err;
}

static int feed(struct ls_rtmp_reader *r, const uint8_t *p, size_t n, ls_rtmp_msg_fn fn, void *opaque)
{
    while (n || (r->cur && r->chunk_left == 0)) {
        if (r->cur) {
            size_t k = n < r->chunk_left ? n : r->chunk_left;
            if (k)
                memcpy(r->cur->buf + r->cur->have, p, k);
            r->cur->have += (uint32_t)k;
            r->chunk_left -= (uint32_t)k;
            p += k;
            n -= k;
            if (r->chunk_left == 0) {
                int err = end_chunk(r, fn, opaque);
                if (err < 0)
                    return err;
            }
            continue;
        }
        r->hdr[r->hdr_len++] = *p++;
        n--;
        if (r->hdr_len == header_size(r)) {
            int err = parse_header(r);
            if (err < 0)
                return err;
        }
    }
    return 0;
}

int ls_rtmp_reader_feed(struct ls_rtmp_reader *r, const uint8_t *p, size_t n, ls_rtmp_msg_fn fn,
                        void *opaque)
{
    if (r->error)
        return r->error;
    r->total += n;
    int err = feed(r, p, n, fn, opaque);
    if (err < 0)
        r->error = err;
    return err;
}
