/*
 * The mailbox: how library threads (relay, output, subscriber) hand work to
 * the event loop without touching libevent. A mutex-protected FIFO and an
 * eventfd: posting appends and, when the list was empty, writes the eventfd;
 * the loop wakes, takes the whole list at once and runs it in order.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon/mailbox.h"
#include "daemon/server.h"

struct mail {
    lsd_mail_fn fn;
    void *arg;
    struct mail *next;
};

struct lsd_mailbox {
    struct lsd_server *server;
    pthread_mutex_t lock;
    struct mail *head, *tail;
    int fd;
    struct event *ev;
};

static void drain(evutil_socket_t fd, short what, void *arg)
{
    struct lsd_mailbox *mb = arg;
    uint64_t n;
    (void)what;
    if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
        return;
    pthread_mutex_lock(&mb->lock);
    struct mail *m = mb->head;
    mb->head = mb->tail = NULL;
    pthread_mutex_unlock(&mb->lock);
    while (m) {
        struct mail *next = m->next;
        m->fn(mb->server, m->arg);
        free(m);
        m = next;
    }
}

int lsd_mailbox_create(struct lsd_mailbox **out, struct lsd_server *s)
{
    struct lsd_mailbox *mb = calloc(1, sizeof(*mb));
    if (!mb)
        return -ENOMEM;
    mb->server = s;
    pthread_mutex_init(&mb->lock, NULL);
    mb->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (mb->fd < 0) {
        int e = -errno;
        pthread_mutex_destroy(&mb->lock);
        free(mb);
        return e;
    }
    mb->ev = event_new(s->base, mb->fd, EV_READ | EV_PERSIST, drain, mb);
    if (!mb->ev || event_add(mb->ev, NULL) < 0) {
        lsd_mailbox_destroy(&mb);
        return -ENOMEM;
    }
    *out = mb;
    return 0;
}

void lsd_mailbox_flush(struct lsd_mailbox *mb)
{
    drain(mb->fd, EV_READ, mb);
}

/* Mail still queued at the end is run: every item may own memory. */
void lsd_mailbox_destroy(struct lsd_mailbox **pmb)
{
    struct lsd_mailbox *mb = *pmb;
    if (!mb)
        return;
    drain(mb->fd, EV_READ, mb);
    if (mb->ev)
        event_free(mb->ev);
    close(mb->fd);
    pthread_mutex_destroy(&mb->lock);
    free(mb);
    *pmb = NULL;
}

int lsd_mailbox_post(struct lsd_mailbox *mb, lsd_mail_fn fn, void *arg)
{
    struct mail *m = malloc(sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->fn = fn;
    m->arg = arg;
    m->next = NULL;
    pthread_mutex_lock(&mb->lock);
    bool wake = mb->head == NULL;
    if (mb->tail)
        mb->tail->next = m;
    else
        mb->head = m;
    mb->tail = m;
    pthread_mutex_unlock(&mb->lock);
    if (wake) {
        uint64_t one = 1;
        /* Only EAGAIN (counter full) can fail here, and then the loop is awake anyway. */
        ssize_t w = write(mb->fd, &one, sizeof(one));
        (void)w;
    }
    return 0;
}
