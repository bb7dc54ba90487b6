/*
 * The worker (worker.c): blocking library calls (stop, destroy, remove) run
 * off the loop, one at a time, with an answer back on the loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_WORKER_H
#define LSD_WORKER_H

#include "daemon/mailbox.h"

struct lsd_worker;

typedef void (*lsd_work_fn)(void *arg);
int lsd_worker_create(struct lsd_worker **out, struct lsd_server *s);
/** Finish every queued job, then stop the thread. */
void lsd_worker_destroy(struct lsd_worker **w);
/**
 * Run @p work(arg) on the worker thread (jobs run one at a time, in order),
 * then @p done(server, arg) on the loop (done may be NULL).
 * @return 0 or -ENOMEM.
 */
int lsd_worker_queue(struct lsd_worker *w, lsd_work_fn work, lsd_mail_fn done, void *arg);

#endif
