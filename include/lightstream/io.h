/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file io.h
 * @brief A shared I/O thread: rtmp:// outputs without a thread of their own.
 *
 * Without it (the default) every output of a relay has a thread that waits
 * on its sink. Give relays one ls_io (ls_relay_settings.io) and an rtmp://
 * output that is streaming has no thread at all: the relay's thread sends
 * each tag straight to the output's non-blocking socket, in one sendmsg(),
 * while the socket has room. When it has none, the part of the message the
 * socket did not take is kept, the following tags wait in the output's queue
 * (with its usual bound and skip-to-keyframe policy), and the ls_io thread
 * sends them as soon as the server reads again — the camera and the other
 * outputs never wait. A socket that stays full longer than the output's
 * write_timeout_ms fails the connection, as without ls_io.
 *
 * Connecting (which waits on the server's answers) and the backoff after a
 * failure run on a short-lived thread of the output's own, which ends once
 * the output streams. rtmps://, file, mp4: and callback outputs keep their
 * thread; pollable subscriptions never had one. A program relaying N cameras
 * to RTMP servers thus runs N + 1 threads while they stream.
 *
 * Thread-safety: one ls_io serves any number of relays, from any threads.
 * Create it before the relays that use it and destroy it after them.
 */
#ifndef LIGHTSTREAM_IO_H
#define LIGHTSTREAM_IO_H

#include "lightstream/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The shared I/O thread (opaque). */
struct ls_io;

/**
 * Start an I/O thread.
 * @param[out] out the new object (NULL on error)
 * @return 0, -ENOMEM, -EMFILE/-ENFILE (no descriptor for epoll/eventfd), -EAGAIN (no thread)
 */
LS_API int ls_io_create(struct ls_io **out);

/**
 * Stop the thread and free the object; sets *io to NULL. Every relay given
 * this object must have been destroyed first. NULL or a pointer to NULL is a no-op.
 */
LS_API void ls_io_destroy(struct ls_io **io);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_IO_H */
