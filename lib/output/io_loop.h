/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Inside ls_io (lightstream/io.h): one thread waiting with epoll for room on
 * the sockets of outputs that had to stop writing, and ticking their write
 * deadlines. A client is embedded in its owner (an output) and registered
 * while the owner writes without a thread.
 *
 * Locks: a client's callbacks run on the ls_io thread with no ls_io lock
 * held, so they may take their owner's lock; the owner may call
 * ls_io_loop_arm() with its own lock held. ls_io_loop_remove() must be
 * called without the owner's lock (it waits for the thread to be done with
 * the client).
 */
#ifndef LS_LIB_IO_LOOP_H
#define LS_LIB_IO_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct ls_io;

struct ls_io_client {
    int fd;
    /** The socket has room (or an error to read): ls_io thread. */
    void (*ready)(struct ls_io_client *c);
    /** Every 100 ms while armed, to check a deadline: ls_io thread. */
    void (*tick)(struct ls_io_client *c, int64_t now_us);
    /* The loop's own (under its lock). */
    bool registered, armed, removing;
};

/** Watch @p c->fd (nothing is waited for until ls_io_loop_arm()). @return 0 or a negative errno. */
int ls_io_loop_add(struct ls_io *io, struct ls_io_client *c);

/** Wait once for room on the socket: ready() runs when there is. @return 0 or a negative errno. */
int ls_io_loop_arm(struct ls_io *io, struct ls_io_client *c);

/** Stop watching; when it returns, the ls_io thread no longer touches @p c. */
void ls_io_loop_remove(struct ls_io *io, struct ls_io_client *c);

#endif
