/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Writing without a thread (lightstream/io.h). Once an output's thread has
 * connected and written the decodable start, a sink that can write without
 * blocking is handed over: every tag the relay queues is written at once by
 * the relay's thread (ls_output_push -> ls_output_drain), all under the
 * output's lock, so the relay thread, the ls_io thread and a stop never
 * write at the same time. When the socket is full the sink keeps the rest
 * of that message, the output is "pending", later tags wait in the queue
 * under its usual bound, and the ls_io thread drains it when room comes
 * back. A failure stops direct writing and starts the output's thread
 * again, which closes the sink, backs off and reconnects as always.
 */
#include <errno.h>
#include <stddef.h>

#include "lib/flv/flv.h"
#include "lib/output/output.h"
#include "lib/util/clock.h"
#include "lib/util/log.h"

static struct ls_output *of_client(struct ls_io_client *c)
{
    return (struct ls_output *)((char *)c - offsetof(struct ls_output, ioc));
}

/* Lock held. Direct writing ends; the thread started here closes the sink and reconnects. */
static void fail(struct ls_output *o, int err)
{
    o->direct = false;
    o->pending = false;
    o->direct_err = err;
    if (atomic_load(&o->quit))
        return; /* stopping: ls_output_join() closes the sink */
    if (o->thread_running) { /* the thread that handed over: it has ended or is ending */
        pthread_join(o->thread, NULL);
        o->thread_running = false;
    }
    int e = ls_output_spawn(o);
    if (e < 0) {
        ls_log_error(o->host.log, "output %d: no thread to reconnect: %s", o->id, ls_strerror(e));
        ls_output_set_state_locked(o, LS_STATE_FAILED, err);
    }
}

static void ready(struct ls_io_client *c)
{
    struct ls_output *o = of_client(c);
    pthread_mutex_lock(&o->lock);
    if (o->direct && o->pending) {
        int err = o->ops->flush(o);
        if (err == -EAGAIN)
            err = ls_io_loop_arm(o->host.io, &o->ioc);
        else if (err == 0)
            o->pending = false;
        if (err < 0)
            fail(o, err);
        else
            ls_output_drain(o);
    }
    /* An error or hang-up while nothing was pending: the next write finds it. */
    pthread_mutex_unlock(&o->lock);
}

static void tick(struct ls_io_client *c, int64_t now_us)
{
    struct ls_output *o = of_client(c);
    pthread_mutex_lock(&o->lock);
    if (o->direct && o->pending &&
        now_us - o->stall_since_us > (int64_t)o->s.write_timeout_ms * 1000)
        fail(o, -ETIMEDOUT);
    pthread_mutex_unlock(&o->lock);
}

bool ls_output_go_direct(struct ls_output *o)
{
    if (!o->host.io || !o->ops || !o->ops->nonblocking || o->direct)
        return false;
    int fd = o->ops->nonblocking(o, true);
    if (fd < 0)
        return false;
    o->ioc = (struct ls_io_client){.fd = fd, .ready = ready, .tick = tick};
    if (ls_io_loop_add(o->host.io, &o->ioc) < 0) {
        o->ops->nonblocking(o, false); /* the thread keeps writing */
        return false;
    }
    o->direct = true;
    o->pending = false;
    return true;
}

/* One queued tag, without waiting. 0 (sent or kept pending) or a negative errno. */
static int write_now(struct ls_output *o, const struct ls_item *item)
{
    uint8_t hdr[LS_FLV_TAG_HEADER_SIZE], trailer[LS_FLV_PREV_SIZE];
    struct ls_piece pieces[3];
    uint32_t ts = ls_output_frame(o, item, hdr, trailer, pieces);
    int err = o->ops->write(o, pieces, 3, ls_output_tag_flags(item), ts);
    if (err < 0)
        return err;
    int64_t now = ls_now_us();
    ls_output_count_write(o, item, sizeof(hdr) + item->size + sizeof(trailer), now);
    err = o->ops->flush(o);
    if (err != -EAGAIN)
        return err;
    o->pending = true;
    o->stall_since_us = now;
    return ls_io_loop_arm(o->host.io, &o->ioc);
}

void ls_output_drain(struct ls_output *o)
{
    struct ls_item *item;
    while (o->direct && !o->pending && (item = ls_tag_queue_pop(&o->q))) {
        int err = write_now(o, item);
        ls_item_unref(&item);
        if (err < 0)
            fail(o, err);
    }
    o->st.queue_bytes = (uint32_t)ls_tag_queue_bytes(&o->q);
}
