/*
 * Requests answered later (see async.h).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <event2/http.h>

#include "daemon/async.h"
#include "daemon/http.h"
#include "daemon/mailbox.h"
#include "daemon/server.h"

struct lsd_async {
    struct lsd_server *server;
    pthread_mutex_t lock;
    pthread_cond_t idle;
    unsigned running, max;
};

struct job {
    struct lsd_async *pool;
    struct evhttp_request *req;      /* NULL once the client is gone */
    struct evhttp_connection *conn;
    lsd_async_work_fn work;
    lsd_async_done_fn done;
    void *arg;
};

static void client_gone(struct evhttp_connection *conn, void *arg)
{
    struct job *j = arg;
    (void)conn;
    j->req = NULL;
}

static void finish(struct lsd_server *s, void *arg)
{
    struct job *j = arg;
    if (j->req)
        evhttp_connection_set_closecb(j->conn, NULL, NULL);
    j->done(s, j->req, j->arg);
    if (j->req)
        lsd_http_count_reply(s, j->req); /* answered now, not when dispatched */
    pthread_mutex_lock(&j->pool->lock);
    if (--j->pool->running == 0)
        pthread_cond_broadcast(&j->pool->idle);
    pthread_mutex_unlock(&j->pool->lock);
    free(j);
}

static void *run(void *arg)
{
    struct job *j = arg;
    j->work(j->arg);
    /* The answer is sent from the loop, never from here: out of memory is
     * waited out (the close callback still points at j until finish runs). */
    while (lsd_mailbox_post(j->pool->server->mailbox, finish, j) < 0)
        usleep(10000);
    return NULL;
}

int lsd_async_create(struct lsd_async **out, struct lsd_server *s, unsigned max_jobs)
{
    struct lsd_async *a = calloc(1, sizeof(*a));
    if (!a)
        return -ENOMEM;
    a->server = s;
    a->max = max_jobs;
    pthread_mutex_init(&a->lock, NULL);
    pthread_cond_init(&a->idle, NULL);
    *out = a;
    return 0;
}

void lsd_async_destroy(struct lsd_async **pa)
{
    struct lsd_async *a = *pa;
    if (!a)
        return;
    /* Jobs end by posting to the mailbox; it is still alive here, and its
     * mails are run when it is destroyed. */
    pthread_mutex_lock(&a->lock);
    while (a->running) {
        unsigned before = a->running;
        pthread_mutex_unlock(&a->lock);
        lsd_mailbox_flush(a->server->mailbox);
        pthread_mutex_lock(&a->lock);
        if (a->running == before) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 50 * 1000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&a->idle, &a->lock, &ts);
        }
    }
    pthread_mutex_unlock(&a->lock);
    pthread_cond_destroy(&a->idle);
    pthread_mutex_destroy(&a->lock);
    free(a);
    *pa = NULL;
}

int lsd_async_run(struct lsd_async *a, struct evhttp_request *req, lsd_async_work_fn work,
                  lsd_async_done_fn done, void *arg)
{
    pthread_mutex_lock(&a->lock);
    bool full = a->running >= a->max;
    if (!full)
        a->running++;
    pthread_mutex_unlock(&a->lock);
    if (full)
        return -EBUSY;
    struct job *j = calloc(1, sizeof(*j));
    int ret = -ENOMEM;
    if (!j)
        goto fail;
    j->pool = a;
    j->req = req;
    j->conn = evhttp_request_get_connection(req);
    j->work = work;
    j->done = done;
    j->arg = arg;
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int e = pthread_create(&t, &attr, run, j);
    pthread_attr_destroy(&attr);
    if (e) {
        ret = -e;
        goto fail;
    }
    if (j->conn)
        evhttp_connection_set_closecb(j->conn, client_gone, j);
    return 0;
fail:
    free(j);
    pthread_mutex_lock(&a->lock);
    a->running--;
    pthread_mutex_unlock(&a->lock);
    return ret;
}
