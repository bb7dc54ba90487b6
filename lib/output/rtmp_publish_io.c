/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RTMP publisher's socket: non-blocking, every wait a poll() of at most
 * 50 ms followed by a look at the interrupt callback, so a stop or a deadline
 * is honoured within 50 ms whatever the server does. While waiting to write,
 * what the server sends is read too: a server blocked on sending to us (a
 * ping, a status) must never block us in turn. Writes never raise SIGPIPE.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/util/buf.h"
#include "lib/output/rtmp_publish_private.h"

#define SLICE_MS 50

static bool interrupted(struct ls_rtmp_pub *p)
{
    return p->s.interrupted && p->s.interrupted(p->s.opaque);
}

/* Wait for @p events; 0 when ready, -ETIMEDOUT when interrupted. */
static int wait_for(struct ls_rtmp_pub *p, short events, short *got)
{
    for (;;) {
        if (interrupted(p))
            return -ETIMEDOUT;
        struct pollfd pfd = {.fd = p->fd, .events = events};
        int n = poll(&pfd, 1, SLICE_MS);
        if (n < 0 && errno != EINTR)
            return -errno;
        if (n > 0) {
            *got = pfd.revents;
            return 0;
        }
    }
}

static int connect_one(struct ls_rtmp_pub *p, const struct addrinfo *ai)
{
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0)
        return -errno;
    p->fd = fd;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)); /* a tag goes out when written */
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
        return 0;
    if (errno != EINPROGRESS)
        goto fail;
    short got = 0;
    int err = wait_for(p, POLLOUT, &got);
    if (err < 0)
        goto fail_err;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        goto fail;
    if (err == 0)
        return 0;
    errno = err;
fail:
    err = -errno;
fail_err:
    close(fd);
    p->fd = -1;
    return err;
}

int ls_rtmp_io_connect(struct ls_rtmp_pub *p)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(p->url.host, p->url.port, &hints, &res);
    if (gai != 0)
        return gai == EAI_SYSTEM ? -errno : gai == EAI_MEMORY ? -ENOMEM : -EHOSTUNREACH;
    int err = -EHOSTUNREACH;
    for (const struct addrinfo *ai = res; ai; ai = ai->ai_next)
        if ((err = connect_one(p, ai)) == 0 || err == -ETIMEDOUT)
            break;
    freeaddrinfo(res);
    return err;
}

/* Read what the socket has into the chunk reader. 0, or -EAGAIN when nothing was there. */
static int read_some(struct ls_rtmp_pub *p)
{
    uint8_t buf[8192];
    ssize_t n = recv(p->fd, buf, sizeof(buf), 0);
    if (n == 0)
        return -ECONNRESET;
    if (n < 0)
        return errno == EAGAIN || errno == EWOULDBLOCK ? -EAGAIN : errno == EINTR ? 0 : -errno;
    return ls_rtmp_reader_feed(&p->rd, buf, (size_t)n, ls_rtmp_pub_on_msg, p);
}

int ls_rtmp_io_pump(struct ls_rtmp_pub *p, bool wait)
{
    if (wait) {
        short got = 0;
        int err = wait_for(p, POLLIN, &got);
        if (err < 0)
            return err;
    }
    for (;;) {
        int err = read_some(p);
        if (err == -EAGAIN)
            return 0;
        if (err < 0)
            return err;
    }
}

int ls_rtmp_io_writev(struct ls_rtmp_pub *p, struct iovec *iov, int n)
{
    while (n > 0) {
        /* sendmsg() is writev() with flags: MSG_NOSIGNAL, or a server's reset kills the
         * application with SIGPIPE. */
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)(n > IOV_MAX ? IOV_MAX : n)};
        ssize_t w = sendmsg(p->fd, &mh, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return errno == EPIPE ? -ECONNRESET : -errno;
            short got = 0;
            int err = wait_for(p, POLLOUT | POLLIN, &got);
            if (err == 0 && (got & POLLIN))
                err = ls_rtmp_io_pump(p, false);
            if (err < 0)
                return err;
            continue;
        }
        p->bytes_out += (uint64_t)w;
        size_t left = (size_t)w;
        for (; n > 0 && left >= iov->iov_len; iov++, n--)
            left -= iov->iov_len;
        if (n > 0 && left) { /* stopped inside an iovec */
            iov->iov_base = (uint8_t *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

int ls_rtmp_io_read_exact(struct ls_rtmp_pub *p, uint8_t *out, size_t n)
{
    while (n) {
        ssize_t r = recv(p->fd, out, n, 0);
        if (r == 0)
            return -ECONNRESET;
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return -errno;
            short got = 0;
            int err = wait_for(p, POLLIN, &got);
            if (err < 0)
                return err;
            continue;
        }
        out += r;
        n -= (size_t)r;
    }
    return 0;
}

/* --- non-blocking sends ----------------------------------------------------
 * A full socket is the slow path: what it did not take is copied into one
 * buffer (at most a message, plus the small control replies made meanwhile),
 * so the tags it came from need not stay alive and chunk boundaries stay
 * whole. The caller sends nothing else until ls_rtmp_io_flush() empties it. */

static int keep(struct ls_rtmp_pub *p, const struct iovec *iov, int n)
{
    size_t need = p->pend_len;
    for (int i = 0; i < n; i++)
        need += iov[i].iov_len;
    if (ls_buf_reserve(&p->pend, &p->pend_cap, need, 4096) < 0)
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        memcpy(p->pend + p->pend_len, iov[i].iov_base, iov[i].iov_len);
        p->pend_len += iov[i].iov_len;
    }
    return 0;
}

static int send_nonblocking(struct ls_rtmp_pub *p, struct iovec *iov, int n)
{
    if (p->pend_len > p->pend_off) /* behind bytes already waiting: keep the order */
        return keep(p, iov, n);
    p->pend_off = p->pend_len = 0;
    while (n > 0) {
        struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)(n > IOV_MAX ? IOV_MAX : n)};
        ssize_t w = sendmsg(p->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return keep(p, iov, n);
        if (w < 0)
            return errno == EPIPE ? -ECONNRESET : -errno;
        p->bytes_out += (uint64_t)w;
        size_t left = (size_t)w;
        for (; n > 0 && left >= iov->iov_len; iov++, n--)
            left -= iov->iov_len;
        if (n > 0 && left) {
            iov->iov_base = (uint8_t *)iov->iov_base + left;
            iov->iov_len -= left;
        }
    }
    return 0;
}

int ls_rtmp_io_flush(struct ls_rtmp_pub *p)
{
    while (p->pend_off < p->pend_len) {
        ssize_t w = send(p->fd, p->pend + p->pend_off, p->pend_len - p->pend_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return -EAGAIN;
        if (w < 0)
            return errno == EPIPE ? -ECONNRESET : -errno;
        p->bytes_out += (uint64_t)w;
        p->pend_off += (size_t)w;
    }
    p->pend_off = p->pend_len = 0;
    return 0;
}

int ls_rtmp_io_send(struct ls_rtmp_pub *p, struct iovec *iov, int n)
{
    if (p->nonblock)
        return send_nonblocking(p, iov, n);
    if (p->pend_len > p->pend_off) { /* left by non-blocking mode: they go first */
        struct iovec rest = {.iov_base = p->pend + p->pend_off, .iov_len = p->pend_len - p->pend_off};
        int err = ls_rtmp_io_writev(p, &rest, 1);
        if (err < 0)
            return err;
        p->pend_off = p->pend_len = 0;
    }
    return ls_rtmp_io_writev(p, iov, n);
}
