/*
 * lightstreamd at its file-descriptor limit.
 *
 * When accept() fails for want of a descriptor (EMFILE, ENFILE), libevent's
 * listener retries at once, forever: without this, the daemon spins on a core
 * and logs each failure (millions of lines a minute). The guard pauses the
 * listener instead, logs one line when an episode starts and one when it
 * ends (with how many clients were turned away), and resumes once a
 * descriptor is free: checked every 250 ms, and at once when a connection
 * is seen closed. Meanwhile the clients waiting in the listen queue are not
 * left hanging: a reserve descriptor (/dev/null, opened at start) is given up
 * to accept each of them, answer 503 with Retry-After, and close it.
 *
 * Threads: the loop thread only.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_ACCEPT_GUARD_H
#define LSD_ACCEPT_GUARD_H

struct lsd_accept_guard;
struct lsd_server;
struct evhttp_bound_socket;

/**
 * Guard the listener of @p sock. Also raises the soft descriptor limit
 * towards the hard one (max_connections needs more than the usual 1024),
 * and lengthens the listen queue.
 * @return 0, -EBUSY (a guard exists already: one listener per process), -ENOMEM or -errno
 */
int lsd_accept_guard_create(struct lsd_accept_guard **out, struct lsd_server *s,
                            struct evhttp_bound_socket *sock);
/** Before evhttp_free() (the listener is evhttp's). NULL is a no-op. */
void lsd_accept_guard_destroy(struct lsd_accept_guard **guard);
/** A descriptor was freed: if paused, try to resume now. NULL is a no-op. */
void lsd_accept_guard_kick(struct lsd_accept_guard *guard);

#endif
