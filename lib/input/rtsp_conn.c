/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Non-blocking TCP with deadlines for the native input: see rtsp_conn.h.
 * The name is resolved with getaddrinfo(), which can block on a slow DNS
 * server; cameras are nearly always addressed by IP, as libavformat's input
 * has the same limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util/clock.h"
#include "lib/input/rtsp_conn.h"

/** Poll slice: the stop flag is checked at least this often. */
#define SLICE_MS 50

/** Wait for @p events until the deadline, in slices. @return 0, -ECANCELED, -ETIMEDOUT. */
static int wait_fd(struct ls_rtsp_conn *c, short events, int64_t deadline_us)
{
    for (;;) {
        if (atomic_load_explicit(c->stop, memory_order_relaxed))
            return -ECANCELED;
        int64_t left_ms = (deadline_us - ls_now_us() + 999) / 1000;
        if (left_ms <= 0)
            return -ETIMEDOUT;
        struct pollfd p = {.fd = c->fd, .events = events};
        int n = poll(&p, 1, left_ms < SLICE_MS ? (int)left_ms : SLICE_MS);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return -errno;
    }
}

static int dial(struct ls_rtsp_conn *c, const struct addrinfo *ai, int64_t deadline_us)
{
    c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -errno;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS)
        return -errno;
    int err = wait_fd(c, POLLOUT, deadline_us);
    if (err < 0)
        return err;
    int so = 0;
    socklen_t len = sizeof(so);
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &so, &len);
    return -so;
}

int ls_rtsp_conn_open(struct ls_rtsp_conn *c, const char *host, int port, int64_t deadline_us,
                      atomic_bool *stop)
{
    *c = (struct ls_rtsp_conn){.fd = -1, .stop = stop};
    c->buf = malloc(LS_RTSP_CONN_BUF);
    if (!c->buf)
        return -ENOMEM;
    char service[8];
    snprintf(service, sizeof(service), "%d", port);
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    int gai = getaddrinfo(host, service, &hints, &res);
    if (gai)
        return gai == EAI_MEMORY ? -ENOMEM : gai == EAI_SYSTEM ? -errno : -ENOENT;
    int err = -ENOENT;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        err = dial(c, ai, deadline_us);
        if (err == 0 || err == -ECANCELED || err == -ETIMEDOUT)
            break;
        close(c->fd);
        c->fd = -1;
    }
    freeaddrinfo(res);
    return err;
}

void ls_rtsp_conn_close(struct ls_rtsp_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->buf);
    c->buf = NULL;
}

int ls_rtsp_conn_send(struct ls_rtsp_conn *c, const void *data, size_t size,
                      int64_t deadline_us)
{
    const uint8_t *p = data;
    while (size > 0) {
        ssize_t n = send(c->fd, p, size, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            size -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR)
            return -errno;
        int err = wait_fd(c, POLLOUT, deadline_us);
        if (err < 0)
            return err;
    }
    return 0;
}

int ls_rtsp_conn_fill(struct ls_rtsp_conn *c, int64_t deadline_us)
{
    if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    if (c->end == LS_RTSP_CONN_BUF)
        return -EMSGSIZE;
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->end, LS_RTSP_CONN_BUF - c->end, 0);
        if (n > 0) {
            c->end += (size_t)n;
            return (int)n;
        }
        if (n == 0)
            return -ENODATA;
        if (errno != EAGAIN && errno != EINTR)
            return -errno;
        int err = wait_fd(c, POLLIN, deadline_us);
        if (err < 0)
            return err;
    }
}
