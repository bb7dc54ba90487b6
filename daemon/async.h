/*
 * Requests answered later: a blocking job (an ONVIF exchange, seconds long)
 * runs on its own thread, and its answer is sent from the loop. If the
 * client goes away meanwhile, the answer is dropped, never sent to a freed
 * request.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_ASYNC_H
#define LSD_ASYNC_H

struct lsd_server;
struct lsd_async;
struct evhttp_request;

typedef void (*lsd_async_work_fn)(void *arg);
/** On the loop; @p req is NULL when the client has gone. Frees @p arg. */
typedef void (*lsd_async_done_fn)(struct lsd_server *s, struct evhttp_request *req, void *arg);

int lsd_async_create(struct lsd_async **out, struct lsd_server *s, unsigned max_jobs);
/** Waits for the jobs still running (each is bounded by its own timeouts). */
void lsd_async_destroy(struct lsd_async **a);
/**
 * Run @p work(arg) on a new thread, then @p done on the loop.
 * @return 0, -EBUSY (too many jobs: done is not called), -ENOMEM, -EAGAIN.
 */
int lsd_async_run(struct lsd_async *a, struct evhttp_request *req, lsd_async_work_fn work,
                  lsd_async_done_fn done, void *arg);

#endif
