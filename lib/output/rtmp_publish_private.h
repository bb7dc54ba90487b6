/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Inside the RTMP publisher: its state, shared by the socket half
 * (rtmp_publish_io.c) and the protocol half (rtmp_publish.c).
 */
#ifndef LS_LIB_RTMP_PUBLISH_PRIVATE_H
#define LS_LIB_RTMP_PUBLISH_PRIVATE_H

#include <stdbool.h>
#include <sys/uio.h>

#include "lib/output/rtmp_chunk.h"
#include "lib/output/rtmp_publish.h"

struct ls_rtmp_pub {
    int fd;
    struct ls_rtmp_pub_settings s;
    struct ls_rtmp_url url;
    struct ls_rtmp_reader rd;
    uint32_t chunk_size;    /**< ours, announced at connect */
    uint32_t stream_id;     /**< from createStream */
    uint32_t ack_window;    /**< the server's: acknowledge what we read each time it fills */
    uint64_t acked;         /**< bytes read when we last acknowledged */
    uint64_t bytes_out;
    int64_t next_read_us;   /**< when streaming: the next look at what the server sent */
    bool ping_pending;      /**< a ping request to answer */
    uint32_t ping_ts;

    /* What the command being waited for got. */
    double want_txn;
    bool got_result;
    int result;             /**< 0 for _result, else the errno its _error maps to */
    double result_number;   /**< createStream's stream id */
    int status;             /**< 0 none yet, 1 publishing, or the errno of an error status */
    char status_code[64];   /**< the last onStatus code, for logs */

    /* Non-blocking mode (ls_rtmp_pub_set_nonblocking): what a full socket did not take. */
    bool nonblock;
    uint8_t *pend;
    size_t pend_off, pend_len, pend_cap;

    /* Scratch for one message's chunks. */
    struct iovec *iov;
    uint8_t *cont;          /**< LS_RTMP_CONT_MAX bytes per chunk */
    size_t iov_cap;
};

/** Connect the socket (non-blocking) to the URL's host. */
int ls_rtmp_io_connect(struct ls_rtmp_pub *p);
/** Write all of @p iov (modified), reading what the server sends meanwhile. */
int ls_rtmp_io_writev(struct ls_rtmp_pub *p, struct iovec *iov, int n);
/**
 * Send one message's @p iov: blocking, all of it (ls_rtmp_io_writev, after any pending bytes);
 * non-blocking, what the socket takes now, the rest kept as pending bytes.
 */
int ls_rtmp_io_send(struct ls_rtmp_pub *p, struct iovec *iov, int n);
/** Send pending bytes: 0 when none are left, -EAGAIN when the socket is full, or an error. */
int ls_rtmp_io_flush(struct ls_rtmp_pub *p);
/** Read exactly @p n raw bytes (the handshake). */
int ls_rtmp_io_read_exact(struct ls_rtmp_pub *p, uint8_t *out, size_t n);
/** Read what is there into the chunk reader; with @p wait, wait for something first. */
int ls_rtmp_io_pump(struct ls_rtmp_pub *p, bool wait);
/** The chunk reader's message callback (rtmp_publish.c). */
int ls_rtmp_pub_on_msg(void *opaque, const struct ls_rtmp_msg *m, const uint8_t *payload);

#endif
