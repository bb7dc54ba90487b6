/*
 * The worker: one thread for the library calls that may block (stopping or
 * destroying a relay waits up to about a second for its outputs to flush),
 * so the event loop never waits on a camera or a server. Jobs run one at a
 * time in order, which also orders the calls made on one relay.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/mailbox.h"
#include "daemon/server.h"
#include "daemon/worker.h"

struct job {
    lsd_work_fn work;
    lsd_mail_fn done;
    void *arg;
    struct job *next;
};

struct lsd_worker {
    struct lsd_server *server;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct job *head, *tail;
    bool quit;
};

static void *run(void *arg)
{
    struct lsd_worker *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->quit)
            pthread_cond_wait(&w->cond, &w->lock);
        struct job *j = w->head;
        if (!j)
            break; /* quit, and nothing left */
        w->head = j->next;
        if (!w->head)
            w->tail = NULL;
        pthread_mutex_unlock(&w->lock);
        j->work(j->arg);
        /* "done" runs on the loop, never here: out of memory is waited out. */
        while (j->done && lsd_mailbox_post(w->server->mailbox, j->done, j->arg) < 0)
            usleep(10000);
        free(j);
        pthread_mutex_lock(&w->lock);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int lsd_worker_create(struct lsd_worker **out, struct lsd_server *s)
{
    struct lsd_worker *w = calloc(1, sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->server = s;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    int e = pthread_create(&w->thread, NULL, run, w);
    if (e) {
        pthread_cond_destroy(&w->cond);
        pthread_mutex_destroy(&w->lock);
        free(w);
        return -e;
    }
    *out = w;
    return 0;
}

void lsd_worker_destroy(struct lsd_worker **pw)
{
    struct lsd_worker *w = *pw;
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->quit = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->cond);
    pthread_mutex_destroy(&w->lock);
    free(w);
    *pw = NULL;
}

int lsd_worker_queue(struct lsd_worker *w, lsd_work_fn work, lsd_mail_fn done, void *arg)
{
    struct job *j = calloc(1, sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->work = work;
    j->done = done;
    j->arg = arg;
    pthread_mutex_lock(&w->lock);
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    return 0;
}
