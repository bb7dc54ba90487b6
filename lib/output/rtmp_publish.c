/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RTMP publisher's protocol (see rtmp_publish.h): the simple handshake
 * (C1 version zero, which every server accepts from an encoder), the FMLE
 * command sequence, the messages a server sends a publisher, and media
 * messages framed into chunks for one writev each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/util/bytes.h"
#include "lib/flv/amf0.h"
#include "lib/util/clock.h"
#include "lib/output/rtmp_publish_private.h"

#define HANDSHAKE 1536
#define CHUNK_DEFAULT 65536
#define CSID_CONTROL 2
#define CSID_COMMAND 3
#define CSID_AUDIO 4
#define CSID_DATA 5
#define CSID_VIDEO 6
#define USER_PING_REQUEST 6
#define USER_PING_RESPONSE 7
#define CMD_MAX 1024
#define READ_EVERY_US 50000

static const uint8_t set_data_frame[] = {LS_AMF0_STRING, 0, 13, '@', 's', 'e', 't', 'D', 'a', 't',
                                         'a', 'F', 'r', 'a', 'm', 'e'};

static int grow_scratch(struct ls_rtmp_pub *p, size_t chunks)
{
    size_t need = chunks * 2 + 2;
    if (need <= p->iov_cap)
        return 0;
    struct iovec *iov = realloc(p->iov, need * sizeof(*iov));
    if (!iov)
        return -ENOMEM;
    p->iov = iov;
    uint8_t *cont = realloc(p->cont, chunks * LS_RTMP_CONT_MAX);
    if (!cont)
        return -ENOMEM;
    p->cont = cont;
    p->iov_cap = need;
    return 0;
}

/* One message from up to two pieces of payload, all its chunks in one writev. */
static int send_msg(struct ls_rtmp_pub *p, struct ls_rtmp_msg *m, const uint8_t *a, size_t alen,
                    const uint8_t *b, size_t blen)
{
    if (alen + blen > 0xffffff)
        return -EMSGSIZE;
    m->size = (uint32_t)(alen + blen);
    uint32_t chunks = ls_rtmp_chunk_count(m->size, p->chunk_size);
    int err = grow_scratch(p, chunks);
    if (err < 0)
        return err;
    uint8_t hdr[LS_RTMP_HEADER_MAX];
    int n = 0;
    p->iov[n++] = (struct iovec){.iov_base = hdr, .iov_len = ls_rtmp_header(hdr, m)};
    const uint8_t *src[2] = {a, b};
    size_t len[2] = {alen, blen}, room = p->chunk_size;
    uint8_t *cont = p->cont;
    for (int i = 0; i < 2; i++) {
        while (len[i]) {
            if (room == 0) { /* the next chunk starts */
                size_t c = ls_rtmp_cont_header(cont, m);
                p->iov[n++] = (struct iovec){.iov_base = cont, .iov_len = c};
                cont += c;
                room = p->chunk_size;
            }
            size_t k = len[i] < room ? len[i] : room;
            p->iov[n++] = (struct iovec){.iov_base = (void *)src[i], .iov_len = k};
            src[i] += k;
            len[i] -= k;
            room -= k;
        }
    }
    return ls_rtmp_io_send(p, p->iov, n);
}

static int send_control(struct ls_rtmp_pub *p, uint8_t type, const uint8_t *payload, size_t n)
{
    struct ls_rtmp_msg m = {.csid = CSID_CONTROL, .type = type};
    return send_msg(p, &m, payload, n, NULL, 0);
}

/* Answer pings and acknowledge what we read, as the server expects. */
static int flush_control(struct ls_rtmp_pub *p)
{
    int err = 0;
    if (p->ping_pending) {
        uint8_t b[6] = {0, USER_PING_RESPONSE};
        ls_put_be32(b + 2, p->ping_ts);
        p->ping_pending = false;
        err = send_control(p, LS_RTMP_USER_CONTROL, b, sizeof(b));
    }
    if (err == 0 && p->ack_window && p->rd.total - p->acked >= p->ack_window) {
        uint8_t b[4];
        ls_put_be32(b, (uint32_t)p->rd.total);
        p->acked = p->rd.total;
        err = send_control(p, LS_RTMP_ACK, b, sizeof(b));
    }
    return err;
}

/* --- commands ----------------------------------------------------------- */

static int send_command(struct ls_rtmp_pub *p, const uint8_t *body, size_t n, uint32_t stream_id)
{
    struct ls_rtmp_msg m = {.csid = CSID_COMMAND, .type = LS_RTMP_COMMAND_AMF0, .stream_id = stream_id};
    return send_msg(p, &m, body, n, NULL, 0);
}

/* name, transaction id, null, and a string argument (releaseStream, FCPublish, ...). */
static int simple_command(struct ls_rtmp_pub *p, const char *name, double txn, const char *arg,
                          const char *arg2, uint32_t stream_id)
{
    uint8_t buf[CMD_MAX + 64];
    struct ls_amf0_writer w = {.out = buf, .cap = sizeof(buf)};
    ls_amf0_string(&w, name);
    ls_amf0_number(&w, txn);
    ls_amf0_null(&w);
    if (arg)
        ls_amf0_string(&w, arg);
    if (arg2)
        ls_amf0_string(&w, arg2);
    return w.overflow ? -ENAMETOOLONG : send_command(p, buf, w.pos, stream_id);
}

static int send_connect(struct ls_rtmp_pub *p)
{
    uint8_t buf[3 * CMD_MAX];
    struct ls_amf0_writer w = {.out = buf, .cap = sizeof(buf)};
    ls_amf0_string(&w, "connect");
    ls_amf0_number(&w, 1);
    ls_amf0_object_begin(&w);
    ls_amf0_prop_string(&w, "app", p->url.app);
    ls_amf0_prop_string(&w, "type", "nonprivate");
    ls_amf0_prop_string(&w, "flashVer", "FMLE/3.0 (compatible; liblightstream)");
    ls_amf0_prop_string(&w, "tcUrl", p->url.tc_url);
    /* Enhanced RTMP: the codecs we may send beyond the legacy ones. */
    ls_amf0_utf8(&w, "fourCcList");
    static const uint8_t hvc1_list[] = {LS_AMF0_STRICT_ARRAY, 0, 0, 0, 1, LS_AMF0_STRING, 0, 4,
                                        'h', 'v', 'c', '1'};
    ls_amf0_bytes(&w, hvc1_list, sizeof(hvc1_list));
    ls_amf0_object_end(&w);
    return w.overflow ? -ENAMETOOLONG : send_command(p, buf, w.pos, 0);
}

/* Wait until the command with @p txn has its answer (or publishing its status). */
static int await(struct ls_rtmp_pub *p, double txn, bool status)
{
    p->want_txn = txn;
    p->got_result = false;
    while (status ? p->status == 0 : !p->got_result) {
        int err = ls_rtmp_io_pump(p, true);
        if (err == 0)
            err = flush_control(p);
        if (err < 0)
            return err;
    }
    if (status)
        return p->status < 0 ? p->status : 0;
    return p->result;
}

/* --- handshake ---------------------------------------------------------- */

static int handshake(struct ls_rtmp_pub *p)
{
    uint8_t c01[1 + HANDSHAKE] = {3}, s01[1 + HANDSHAKE], s2[HANDSHAKE];
    /* C1: time, four zero bytes (the simple handshake), then bytes that need not be secret. */
    uint64_t x = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15u ^ (uintptr_t)p;
    for (size_t i = 9; i < sizeof(c01); i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        c01[i] = (uint8_t)x;
    }
    struct iovec iov = {.iov_base = c01, .iov_len = sizeof(c01)};
    int err = ls_rtmp_io_writev(p, &iov, 1);
    if (err == 0)
        err = ls_rtmp_io_read_exact(p, s01, sizeof(s01));
    if (err < 0)
        return err;
    if (s01[0] != 3)
        return -EBADMSG; /* not an RTMP server (an HTTP server says 'H') */
    iov = (struct iovec){.iov_base = s01 + 1, .iov_len = HANDSHAKE}; /* C2 echoes S1 */
    err = ls_rtmp_io_writev(p, &iov, 1);
    return err < 0 ? err : ls_rtmp_io_read_exact(p, s2, sizeof(s2));
}

/* --- open, send, close --------------------------------------------------- */

static int start(struct ls_rtmp_pub *p)
{
    int err = ls_rtmp_io_connect(p);
    if (err == 0)
        err = handshake(p);
    uint8_t cs[4];
    ls_put_be32(cs, p->chunk_size);
    if (err == 0)
        err = send_control(p, LS_RTMP_SET_CHUNK_SIZE, cs, sizeof(cs));
    if (err == 0)
        err = send_connect(p);
    if (err == 0)
        err = await(p, 1, false);
    if (err == 0)
        err = simple_command(p, "releaseStream", 2, p->url.stream, NULL, 0);
    if (err == 0)
        err = simple_command(p, "FCPublish", 3, p->url.stream, NULL, 0);
    if (err == 0)
        err = simple_command(p, "createStream", 4, NULL, NULL, 0);
    if (err == 0)
        err = await(p, 4, false);
    if (err < 0)
        return err;
    if (!(p->result_number >= 1 && p->result_number < 1e9))
        return -EBADMSG;
    p->stream_id = (uint32_t)p->result_number;
    err = simple_command(p, "publish", 5, p->url.stream, "live", p->stream_id);
    return err < 0 ? err : await(p, 5, true);
}

int ls_rtmp_pub_open(struct ls_rtmp_pub **out, const char *url, const struct ls_rtmp_pub_settings *s)
{
    *out = NULL;
    struct ls_rtmp_pub *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    p->fd = -1;
    if (s)
        p->s = *s;
    p->chunk_size = p->s.chunk_size ? p->s.chunk_size : CHUNK_DEFAULT;
    if (p->chunk_size > 0x7fffffff)
        p->chunk_size = 0x7fffffff;
    ls_rtmp_reader_init(&p->rd);
    int err = ls_rtmp_url_parse(&p->url, url);
    if (err == 0)
        err = start(p);
    if (err < 0) {
        ls_rtmp_pub_close(&p);
        return err;
    }
    *out = p;
    return 0;
}

int ls_rtmp_pub_send(struct ls_rtmp_pub *p, uint8_t tag_type, uint32_t ts_ms, const uint8_t *body,
                     size_t size)
{
    /* What the server sent while we streamed (pings, errors), looked at every 50 ms rather
     * than with a recv() per tag: a publisher's server has little to say. */
    int err = 0;
    int64_t now = ls_now_us();
    if (now >= p->next_read_us) {
        p->next_read_us = now + READ_EVERY_US;
        err = ls_rtmp_io_pump(p, false);
    }
    if (err == 0 && p->status < 0)
        err = p->status;
    if (err == 0)
        err = flush_control(p);
    if (err < 0)
        return err;
    struct ls_rtmp_msg m = {.type = tag_type, .stream_id = p->stream_id, .timestamp = ts_ms};
    if (tag_type == LS_RTMP_DATA_AMF0) {
        m.csid = CSID_DATA;
        return send_msg(p, &m, set_data_frame, sizeof(set_data_frame), body, size);
    }
    m.csid = tag_type == LS_RTMP_AUDIO ? CSID_AUDIO : CSID_VIDEO;
    return send_msg(p, &m, body, size, NULL, 0);
}

void ls_rtmp_pub_set_nonblocking(struct ls_rtmp_pub *p, bool on)
{
    p->nonblock = on;
}

bool ls_rtmp_pub_pending(const struct ls_rtmp_pub *p)
{
    return p->pend_len > p->pend_off;
}

int ls_rtmp_pub_flush(struct ls_rtmp_pub *p)
{
    return ls_rtmp_io_flush(p);
}

int ls_rtmp_pub_fd(const struct ls_rtmp_pub *p)
{
    return p->fd;
}

uint64_t ls_rtmp_pub_bytes(const struct ls_rtmp_pub *p)
{
    return p->bytes_out;
}

void ls_rtmp_pub_close(struct ls_rtmp_pub **pp)
{
    struct ls_rtmp_pub *p = *pp;
    if (!p)
        return;
    *pp = NULL;
    p->nonblock = false; /* what is pending goes first, bounded by the interrupt callback */
    if (p->fd >= 0 && p->status == 1) {
        /* Best effort: the server frees the stream name at once instead of at its timeout. */
        if (simple_command(p, "FCUnpublish", 6, p->url.stream, NULL, 0) == 0) {
            uint8_t buf[64];
            struct ls_amf0_writer w = {.out = buf, .cap = sizeof(buf)};
            ls_amf0_string(&w, "deleteStream");
            ls_amf0_number(&w, 7);
            ls_amf0_null(&w);
            ls_amf0_number(&w, p->stream_id);
            send_command(p, buf, w.pos, 0);
        }
    }
    if (p->fd >= 0)
        close(p->fd);
    ls_rtmp_reader_finish(&p->rd);
    free(p->pend);
    free(p->iov);
    free(p->cont);
    free(p);
}
