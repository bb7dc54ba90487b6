/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ls_io's loop (lib/output/io_loop.c) on real sockets: a client armed on a
 * full socket is called once when the peer reads (one shot), and not before;
 * armed clients are ticked about every 100 ms, unarmed ones never; after
 * ls_io_loop_remove() returns, the loop never calls the client again, even
 * one that re-arms itself from its own callback as fast as it can; a stop
 * right after other wakes ends the thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lightstream/io.h"
#include "lib/output/io_loop.h"
#include "tests/unit/test.h"

struct client {
    struct ls_io_client c; /* first: the callbacks cast back */
    struct ls_io *io;
    atomic_int ready, ticks;
    atomic_bool removed, rearm, late_call;
};

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void on_ready(struct ls_io_client *c)
{
    struct client *k = (struct client *)c;
    if (atomic_load(&k->removed))
        atomic_store(&k->late_call, true);
    atomic_fetch_add(&k->ready, 1);
    if (atomic_load(&k->rearm))
        ls_io_loop_arm(k->io, c);
}

static void on_tick(struct ls_io_client *c, int64_t now_us)
{
    (void)now_us;
    struct client *k = (struct client *)c;
    if (atomic_load(&k->removed))
        atomic_store(&k->late_call, true);
    atomic_fetch_add(&k->ticks, 1);
}

/* A socket pair whose [0] end cannot take one more byte. */
static void full_pair(int sv[2])
{
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    static char junk[65536];
    while (send(sv[0], junk, sizeof(junk), MSG_DONTWAIT) > 0)
        ;
    CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void drain(int fd)
{
    char buf[65536];
    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        ;
}

static void init_client(struct client *k, struct ls_io *io, int fd)
{
    memset(k, 0, sizeof(*k));
    k->c.fd = fd;
    k->c.ready = on_ready;
    k->c.tick = on_tick;
    k->io = io;
}

static void test_ready_once_when_room(struct ls_io *io)
{
    int sv[2];
    full_pair(sv);
    struct client k;
    init_client(&k, io, sv[0]);
    CHECK_EQ_INT(ls_io_loop_add(io, &k.c), 0);
    CHECK_EQ_INT(ls_io_loop_arm(io, &k.c), 0);
    sleep_ms(250);
    CHECK_EQ_INT(atomic_load(&k.ready), 0); /* still full */
    int ticks = atomic_load(&k.ticks);
    CHECK(ticks >= 1 && ticks <= 4);
    drain(sv[1]);
    for (int i = 0; i < 100 && !atomic_load(&k.ready); i++)
        sleep_ms(10);
    CHECK_EQ_INT(atomic_load(&k.ready), 1);
    sleep_ms(250); /* one shot: room stays, no second call, and no ticks once disarmed */
    CHECK_EQ_INT(atomic_load(&k.ready), 1);
    ticks = atomic_load(&k.ticks);
    sleep_ms(250);
    CHECK_EQ_INT(atomic_load(&k.ticks), ticks);
    ls_io_loop_remove(io, &k.c);
    close(sv[0]);
    close(sv[1]);
}

static void test_unarmed_is_quiet(struct ls_io *io)
{
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
    struct client k;
    init_client(&k, io, sv[0]);
    CHECK_EQ_INT(ls_io_loop_add(io, &k.c), 0);
    sleep_ms(300); /* writable all along, but nothing was asked */
    CHECK_EQ_INT(atomic_load(&k.ready), 0);
    CHECK_EQ_INT(atomic_load(&k.ticks), 0);
    ls_io_loop_remove(io, &k.c);
    close(sv[0]);
    close(sv[1]);
}

static void test_remove_is_final(struct ls_io *io)
{
    for (int round = 0; round < 50; round++) {
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
        struct client k;
        init_client(&k, io, sv[0]);
        atomic_store(&k.rearm, true); /* fires again and again: always room */
        CHECK_EQ_INT(ls_io_loop_add(io, &k.c), 0);
        CHECK_EQ_INT(ls_io_loop_arm(io, &k.c), 0);
        while (atomic_load(&k.ready) < 3)
            sleep_ms(1);
        ls_io_loop_remove(io, &k.c);
        atomic_store(&k.removed, true);
        int calls = atomic_load(&k.ready);
        sleep_ms(5);
        CHECK_EQ_INT(atomic_load(&k.ready), calls);
        CHECK(!atomic_load(&k.late_call));
        CHECK(ls_io_loop_arm(io, &k.c) < 0); /* not registered any more */
        close(sv[0]);
        close(sv[1]);
    }
}

/* A stop asked right after other wakes (an arm, a removal) still ends the thread: a wake
 * read away with a batch must not be lost. */
static void test_destroy_after_wakes(void)
{
    for (int round = 0; round < 200; round++) {
        struct ls_io *io = NULL;
        CHECK_EQ_INT(ls_io_create(&io), 0);
        int sv[2];
        CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
        struct client k;
        init_client(&k, io, sv[0]);
        CHECK_EQ_INT(ls_io_loop_add(io, &k.c), 0);
        CHECK_EQ_INT(ls_io_loop_arm(io, &k.c), 0);
        ls_io_loop_remove(io, &k.c);
        ls_io_destroy(&io);
        close(sv[0]);
        close(sv[1]);
    }
}

int main(void)
{
    struct ls_io *io = NULL;
    CHECK_EQ_INT(ls_io_create(&io), 0);
    CHECK(io != NULL);
    test_ready_once_when_room(io);
    test_unarmed_is_quiet(io);
    test_remove_is_final(io);
    ls_io_destroy(&io);
    test_destroy_after_wakes();
    CHECK(io == NULL);
    ls_io_destroy(&io); /* a pointer to NULL: nothing */
    ls_io_destroy(NULL);
    return test_done("test_io_loop");
}
