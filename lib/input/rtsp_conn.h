/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The native input's TCP connection to the camera: a non-blocking socket
 * whose every wait is a poll of at most 50 ms that checks the stop flag and
 * a deadline, so a stop is obeyed within 100 ms and nothing blocks past its
 * deadline. Reads go into one large buffer (256 KiB), as much as the kernel
 * holds per call, where the messages are parsed in place.
 */
#ifndef LS_LIB_RTSP_CONN_H
#define LS_LIB_RTSP_CONN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LS_RTSP_CONN_BUF (256u * 1024)

struct ls_rtsp_conn {
    int fd;
    atomic_bool *stop;
    uint8_t *buf;
    size_t start, end; /**< unparsed bytes: buf[start, end) */
};

/**
 * Connect to @p host:@p port before @p deadline_us (ls_now_us() time).
 * @return 0, -ECANCELED, -ETIMEDOUT, -ECONNREFUSED, -ENOENT (unknown host),
 *         -ENOMEM, other negative errno.
 */
int ls_rtsp_conn_open(struct ls_rtsp_conn *c, const char *host, int port, int64_t deadline_us,
                      atomic_bool *stop);

void ls_rtsp_conn_close(struct ls_rtsp_conn *c);

/** Send all of @p data before the deadline. @return 0, -ECANCELED, -ETIMEDOUT, -errno. */
int ls_rtsp_conn_send(struct ls_rtsp_conn *c, const void *data, size_t size,
                      int64_t deadline_us);

/**
 * Read what is there (waiting until the deadline for at least one byte),
 * after moving the unparsed bytes to the front of the buffer.
 * @return bytes read (> 0), -ECANCELED, -ETIMEDOUT, -ENODATA (closed by the
 *         camera), -EMSGSIZE (the buffer is full of one message), -errno.
 */
int ls_rtsp_conn_fill(struct ls_rtsp_conn *c, int64_t deadline_us);

#endif
