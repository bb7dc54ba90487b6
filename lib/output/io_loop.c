/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ls_io: the shared I/O thread (lightstream/io.h, io_loop.h).
 *
 * One epoll set. A client is added when its output starts writing without a
 * thread, armed (EPOLLOUT, one shot) only when its socket was full, and
 * removed before its socket is closed. Removal is a round trip through the
 * thread: the thread deletes the descriptor between two batches of events
 * and drops events of the batch it holds for that client, so once
 * ls_io_loop_remove() returns nothing touches the client again. The thread
 * sleeps without a timeout while no client is armed; armed clients are
 * ticked every 100 ms for their write deadlines.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "lightstream/io.h"
#include "lib/output/io_loop.h"
#include "lib/util/clock.h"

#define TICK_MS 100
#define BATCH 64

struct ls_io {
    int epfd, evfd;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;      /**< a removal was done */
    bool quit;
    bool sleeping;            /**< in epoll_wait without a timeout */
    size_t n_armed;
    struct ls_io_client **removing;
    size_t n_removing, cap_removing;
    struct ls_io_client **clients; /**< registered */
    size_t n_clients, cap_clients;
    struct ls_io_client **ticks;   /**< thread only: the armed clients to tick */
    size_t cap_ticks;
};

static int grow(struct ls_io_client ***list, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need)
        n *= 2;
    struct ls_io_client **l = realloc(*list, n * sizeof(*l));
    if (!l)
        return -ENOMEM;
    *list = l;
    *cap = n;
    return 0;
}

static void wake(struct ls_io *io)
{
    uint64_t one = 1;
    /* A full counter (never here) still wakes the thread: the write can be dropped. */
    (void)!write(io->evfd, &one, sizeof(one));
}

static void drop_client(struct ls_io *io, struct ls_io_client *c)
{
    epoll_ctl(io->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    for (size_t i = 0; i < io->n_clients; i++) {
        if (io->clients[i] == c) {
            io->clients[i] = io->clients[--io->n_clients];
            break;
        }
    }
    if (c->armed)
        io->n_armed--;
    c->registered = c->armed = c->removing = false;
}

/* Between batches, lock held: finish removals, drop their events, note what fired. */
static void settle(struct ls_io *io, struct epoll_event *ev, int n)
{
    for (size_t i = 0; i < io->n_removing; i++)
        drop_client(io, io->removing[i]);
    if (io->n_removing) {
        io->n_removing = 0;
        pthread_cond_broadcast(&io->cond);
    }
    for (int i = 0; i < n; i++) {
        struct ls_io_client *c = ev[i].data.ptr;
        if (c == (void *)io) /* the eventfd */
            continue;
        if (!c->registered) {
            ev[i].data.ptr = NULL;
        } else if (c->armed) { /* one shot: it fired */
            c->armed = false;
            io->n_armed--;
        }
    }
}

/* Lock held: copy the armed clients, to tick them once the lock is released. */
static size_t take_ticks(struct ls_io *io)
{
    if (grow(&io->ticks, &io->cap_ticks, io->n_armed) < 0)
        return 0; /* ticked next time */
    size_t n = 0;
    for (size_t i = 0; i < io->n_clients && n < io->n_armed; i++)
        if (io->clients[i]->armed)
            io->ticks[n++] = io->clients[i];
    return n;
}

static void *io_main(void *arg)
{
    struct ls_io *io = arg;
    pthread_setname_np(pthread_self(), "ls-io");
    struct epoll_event ev[BATCH];
    int64_t next_tick = 0;
    for (;;) {
        /* Before sleeping, under the lock: a wake consumed by the last batch's read of the
         * eventfd may have been for a stop or a removal asked since; they are seen here. */
        pthread_mutex_lock(&io->lock);
        settle(io, NULL, 0);
        if (io->quit) {
            pthread_mutex_unlock(&io->lock);
            return NULL;
        }
        io->sleeping = io->n_armed == 0;
        int timeout = io->sleeping ? -1 : TICK_MS;
        pthread_mutex_unlock(&io->lock);
        int n = epoll_wait(io->epfd, ev, BATCH, timeout);
        if (n < 0)
            n = 0; /* EINTR */
        pthread_mutex_lock(&io->lock);
        io->sleeping = false;
        if (io->quit) {
            pthread_mutex_unlock(&io->lock);
            return NULL;
        }
        settle(io, ev, n);
        int64_t now = ls_now_us();
        size_t ticks = 0;
        if (io->n_armed && now >= next_tick) {
            ticks = take_ticks(io);
            next_tick = now + TICK_MS * 1000;
        }
        pthread_mutex_unlock(&io->lock);
        for (int i = 0; i < n; i++) {
            struct ls_io_client *c = ev[i].data.ptr;
            if (c == (void *)io) {
                uint64_t v;
                (void)!read(io->evfd, &v, sizeof(v));
            } else if (c) {
                c->ready(c);
            }
        }
        for (size_t i = 0; i < ticks; i++)
            io->ticks[i]->tick(io->ticks[i], now);
    }
}

int ls_io_loop_add(struct ls_io *io, struct ls_io_client *c)
{
    pthread_mutex_lock(&io->lock);
    int err = grow(&io->clients, &io->cap_clients, io->n_clients + 1);
    if (err == 0) /* so that removing never needs memory */
        err = grow(&io->removing, &io->cap_removing, io->n_clients + 1);
    /* Nothing waited for yet; one shot, so an error or hang-up is reported once. */
    struct epoll_event e = {.events = EPOLLONESHOT, .data.ptr = c};
    if (err == 0 && epoll_ctl(io->epfd, EPOLL_CTL_ADD, c->fd, &e) < 0)
        err = -errno;
    if (err == 0) {
        io->clients[io->n_clients++] = c;
        c->registered = true;
        c->armed = c->removing = false;
    }
    pthread_mutex_unlock(&io->lock);
    return err;
}

int ls_io_loop_arm(struct ls_io *io, struct ls_io_client *c)
{
    pthread_mutex_lock(&io->lock);
    int err = c->registered && !c->removing ? 0 : -EINVAL;
    struct epoll_event e = {.events = EPOLLOUT | EPOLLONESHOT, .data.ptr = c};
    if (err == 0 && epoll_ctl(io->epfd, EPOLL_CTL_MOD, c->fd, &e) < 0)
        err = -errno;
    if (err == 0 && !c->armed) {
        c->armed = true;
        io->n_armed++;
        if (io->sleeping) /* its deadline needs ticks */
            wake(io);
    }
    pthread_mutex_unlock(&io->lock);
    return err;
}

void ls_io_loop_remove(struct ls_io *io, struct ls_io_client *c)
{
    pthread_mutex_lock(&io->lock);
    if (c->registered) {
        if (!c->removing) { /* room was made at add time */
            c->removing = true;
            io->removing[io->n_removing++] = c;
            wake(io);
        }
        while (c->registered)
            pthread_cond_wait(&io->cond, &io->lock);
    }
    pthread_mutex_unlock(&io->lock);
}

int ls_io_create(struct ls_io **out)
{
    if (!out)
        return -EINVAL;
    *out = NULL;
    struct ls_io *io = calloc(1, sizeof(*io));
    if (!io)
        return -ENOMEM;
    int err = -ENOMEM;
    if (pthread_mutex_init(&io->lock, NULL))
        goto fail_free;
    if (pthread_cond_init(&io->cond, NULL))
        goto fail_mutex;
    io->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (io->epfd < 0) {
        err = -errno;
        goto fail_cond;
    }
    io->evfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (io->evfd < 0) {
        err = -errno;
        goto fail_ep;
    }
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = io};
    if (epoll_ctl(io->epfd, EPOLL_CTL_ADD, io->evfd, &e) < 0) {
        err = -errno;
        goto fail_ev;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    err = -pthread_create(&io->thread, &attr, io_main, io);
    pthread_attr_destroy(&attr);
    if (err < 0)
        goto fail_ev;
    *out = io;
    return 0;
fail_ev:
    close(io->evfd);
fail_ep:
    close(io->epfd);
fail_cond:
    pthread_cond_destroy(&io->cond);
fail_mutex:
    pthread_mutex_destroy(&io->lock);
fail_free:
    free(io);
    return err;
}

void ls_io_destroy(struct ls_io **iop)
{
    struct ls_io *io = iop ? *iop : NULL;
    if (!io)
        return;
    pthread_mutex_lock(&io->lock);
    io->quit = true;
    wake(io);
    pthread_mutex_unlock(&io->lock);
    pthread_join(io->thread, NULL);
    close(io->evfd);
    close(io->epfd);
    pthread_cond_destroy(&io->cond);
    pthread_mutex_destroy(&io->lock);
    free(io->removing);
    free(io->clients);
    free(io->ticks);
    free(io);
    *iop = NULL;
}
