/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The output thread: open the sink, start from the relay's GOP cache, write
 * tags until an error, then back off and start over, until told to stop.
 * Each output has its own timeline: its first media tag is at 0 ms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util/clock.h"
#include "lib/flv/flv.h"
#include "lib/output/output.h"
#include "lib/util/log.h"

void ls_output_set_state_locked(struct ls_output *o, enum ls_state state, int err)
{
    o->st.state = state;
    if (err < 0) {
        o->st.last_error = err;
        snprintf(o->st.last_error_message, sizeof(o->st.last_error_message), "%s: %s",
                 o->target_redacted, ls_strerror(err));
    }
    if (state == LS_STATE_STREAMING)
        o->up_since_ms = ls_now_ms();
}

void ls_output_set_state(struct ls_output *o, enum ls_state state, int err)
{
    pthread_mutex_lock(&o->lock);
    ls_output_set_state_locked(o, state, err);
    pthread_mutex_unlock(&o->lock);
}

void ls_output_event(struct ls_output *o, enum ls_event_type type, int err)
{
    if (o->host.event)
        o->host.event(o->host.host, o, type, err);
}

static bool quitting(struct ls_output *o)
{
    return atomic_load(&o->quit);
}

/** Wait until the relay can give this output a decodable start, and take it. */
static int wait_sync(struct ls_output *o, bool *has_audio, bool *has_video)
{
    for (;;) {
        if (quitting(o))
            return -ECANCELED;
        if (o->host.sync && o->host.sync(o->host.host, o, has_audio, has_video) == 0)
            return 0;
        pthread_mutex_lock(&o->lock);
        if (!quitting(o))
            ls_cond_wait_until(&o->cond, &o->lock, ls_now_ms() + 100);
        pthread_mutex_unlock(&o->lock);
    }
}

static int write_item(struct ls_output *o, const struct ls_item *item)
{
    uint8_t hdr[LS_FLV_TAG_HEADER_SIZE], trailer[LS_FLV_PREV_SIZE];
    struct ls_piece pieces[3];
    uint32_t ts = ls_output_frame(o, item, hdr, trailer, pieces);
    ls_output_set_deadline(o, o->s.write_timeout_ms);
    int err = o->ops->write(o, pieces, 3, ls_output_tag_flags(item), ts);
    if (err < 0)
        return err;
    ls_output_record_write(o, item, sizeof(hdr) + item->size + sizeof(trailer));
    return 0;
}

/**
 * Next queued item, or NULL when stopping with an empty queue (or past the flush deadline),
 * or when the sink was handed over to direct writing (*handed set).
 */
static struct ls_item *pop(struct ls_output *o, bool *handed)
{
    struct ls_item *item = NULL;
    pthread_mutex_lock(&o->lock);
    /* Once the start is written, a sink that can write without a thread does. */
    if (!ls_tag_queue_len(&o->q) && !quitting(o) && ls_output_go_direct(o)) {
        *handed = true;
        pthread_mutex_unlock(&o->lock);
        return NULL;
    }
    while (!ls_tag_queue_len(&o->q) && !quitting(o))
        ls_cond_wait_until(&o->cond, &o->lock, ls_now_ms() + 200);
    if (!(quitting(o) && ls_output_interrupted(o)) && (item = ls_tag_queue_pop(&o->q)))
        o->st.queue_bytes = (uint32_t)ls_tag_queue_bytes(&o->q);
    pthread_mutex_unlock(&o->lock);
    return item;
}

static void went_up(struct ls_output *o)
{
    ls_output_set_state(o, LS_STATE_STREAMING, 0);
    pthread_mutex_lock(&o->lock);
    if (o->ever_up)
        o->st.reconnects++;
    pthread_mutex_unlock(&o->lock);
    o->ever_up = true;
    ls_backoff_reset(&o->backoff);
    if (o->kind == LS_OUTPUT_FILE) {
        char file[sizeof(o->st.file)];
        pthread_mutex_lock(&o->lock);
        memcpy(file, o->st.file, sizeof(file));
        pthread_mutex_unlock(&o->lock);
        ls_log_info(o->host.log, "output %d: recording to %s", o->id, file);
    }
    ls_output_event(o, LS_EVENT_OUTPUT_UP, 0);
}

/** Write from a fresh start until an error or a stop; 1 when handed over to direct writing. */
static int run(struct ls_output *o)
{
    bool has_audio, has_video;
    int err = wait_sync(o, &has_audio, &has_video);
    if (err < 0)
        return err;
    uint8_t hdr[LS_FLV_FILE_HEADER_SIZE];
    ls_flv_file_header(hdr, has_audio, has_video);
    ls_output_set_deadline(o, o->s.write_timeout_ms);
    const struct ls_piece piece = {hdr, sizeof(hdr)};
    err = o->ops->write(o, &piece, 1, LS_TAG_FILE_HEADER, 0);
    if (err < 0)
        return err;
    o->have_base = false;
    went_up(o);
    struct ls_item *item;
    bool handed = false;
    while ((item = pop(o, &handed))) {
        err = write_item(o, item);
        ls_item_unref(&item);
        if (err < 0)
            return err;
    }
    /* Handed over: o belongs to direct writing now, this thread touches nothing more. */
    return handed ? 1 : 0;
}

static void unsync(struct ls_output *o)
{
    pthread_mutex_lock(&o->lock);
    ls_tag_queue_end(&o->q);
    o->st.queue_bytes = 0;
    pthread_mutex_unlock(&o->lock);
}

/** After a failure: report, then sleep the backoff delay. @return false to give up. */
static bool back_off(struct ls_output *o, int err)
{
    const struct ls_log_ctx *log = o->host.log;
    ls_log_warn(log, "output %d (%s) failed: %s", o->id, o->target_redacted, ls_strerror(err));
    ls_output_set_state(o, LS_STATE_BACKOFF, err);
    ls_output_event(o, LS_EVENT_OUTPUT_DOWN, err);
    int64_t delay = ls_backoff_next(&o->backoff, err == -EACCES);
    if (delay < 0) {
        ls_output_set_state(o, LS_STATE_FAILED, err);
        return false;
    }
    int64_t until = ls_now_ms() + delay;
    pthread_mutex_lock(&o->lock);
    while (!quitting(o) && ls_now_ms() < until)
        ls_cond_wait_until(&o->cond, &o->lock, until);
    pthread_mutex_unlock(&o->lock);
    return !quitting(o);
}

/** Direct writing failed (its error in direct_err): close the sink, then back off. */
static bool recover(struct ls_output *o)
{
    pthread_mutex_lock(&o->lock);
    int err = o->direct_err;
    o->direct_err = 0;
    pthread_mutex_unlock(&o->lock);
    ls_io_loop_remove(o->host.io, &o->ioc);
    o->ops->nonblocking(o, false);
    o->ops->close(o);
    unsync(o);
    return !quitting(o) && back_off(o, err);
}

static void *output_main(void *arg)
{
    struct ls_output *o = arg;
    char name[16];
    snprintf(name, sizeof(name), "ls-out-%d", o->id);
    pthread_setname_np(pthread_self(), name); /* for top -H and debuggers */
    if (o->direct_err && !recover(o))
        goto out;
    for (;;) {
        ls_output_set_state(o, LS_STATE_CONNECTING, 0);
        ls_output_set_deadline(o, o->s.connect_timeout_ms);
        int err = o->ops->open(o);
        if (err == 0) {
            err = run(o);
            if (err == 1)
                return NULL; /* the sink stays open, written without this thread */
            o->ops->close(o);
        }
        unsync(o);
        if (quitting(o))
            break;
        if (o->kind == LS_OUTPUT_SUBSCRIBER && err != -ENOMEM) {
            /* The subscriber asked to be closed: it is not retried. */
            ls_output_set_state(o, LS_STATE_STOPPED, err);
            ls_output_event(o, LS_EVENT_OUTPUT_DOWN, err);
            return NULL;
        }
        if (!back_off(o, err))
            break;
    }
out:
    if (o->st.state != LS_STATE_FAILED)
        ls_output_set_state(o, LS_STATE_STOPPED, 0);
    return NULL;
}

int ls_output_spawn(struct ls_output *o)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* Output threads use little stack; keep their address space small. */
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int err = pthread_create(&o->thread, &attr, output_main, o);
    pthread_attr_destroy(&attr);
    if (err)
        return -err;
    o->thread_running = true;
    return 0;
}

int ls_output_start(struct ls_output *o)
{
    atomic_store(&o->quit, false);
    atomic_store(&o->quit_deadline_us, 0);
    o->started_ms = ls_now_ms();
    o->st.first_video_ms = 0;
    o->ever_up = false;
    pthread_mutex_lock(&o->lock);
    int err = ls_output_spawn(o);
    pthread_mutex_unlock(&o->lock);
    return err;
}

void ls_output_request_stop(struct ls_output *o)
{
    /* Half a second to flush what is queued, so a stop stays within one second. With no
     * thread running (direct writing) ls_output_join() does the flush. */
    atomic_store(&o->quit_deadline_us, ls_now_us() + 500 * 1000);
    atomic_store(&o->quit, true);
    pthread_mutex_lock(&o->lock);
    pthread_cond_broadcast(&o->cond);
    pthread_mutex_unlock(&o->lock);
}

void ls_output_finish_direct(struct ls_output *o)
{
    pthread_mutex_lock(&o->lock);
    bool open = o->direct || o->direct_err;
    int err = o->direct_err;
    o->direct = o->pending = false;
    o->direct_err = 0;
    pthread_mutex_unlock(&o->lock);
    if (!open)
        return;
    ls_io_loop_remove(o->host.io, &o->ioc);
    o->ops->nonblocking(o, false);
    /* What is queued goes out blocking, within the stop's deadline (pop() stops there). */
    struct ls_item *item;
    bool handed = false;
    while (!err && (item = pop(o, &handed))) {
        err = write_item(o, item);
        ls_item_unref(&item);
    }
    o->ops->close(o);
    unsync(o);
    ls_output_set_state(o, LS_STATE_STOPPED, 0);
}

void ls_output_join(struct ls_output *o)
{
    /* A failure of direct writing may have started a new thread: join until none is left
     * (none starts once quit is set). */
    for (;;) {
        pthread_mutex_lock(&o->lock);
        bool running = o->thread_running;
        pthread_t t = o->thread;
        o->thread_running = false;
        pthread_mutex_unlock(&o->lock);
        if (!running)
            break;
        pthread_join(t, NULL);
    }
    ls_output_finish_direct(o);
}
