/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The pollable subscription (public side: lightstream/subscription.h): an
 * output without a thread. It embeds nothing of the sinks: its queue, sync
 * and stats are the generic output's (output.h, queue.c); what is its own is
 * the eventfd that tells its consumer to take, and the consumer-side state
 * (its start, its timeline), touched only by the consumer's take().
 *
 * Threads: ls_poll_push() and ls_poll_unsync() run under the relay's fan-out
 * lock (relay thread, or the caller stopping the relay); take() runs on the
 * consumer's thread and calls the host's sync, which takes that lock: take
 * never holds the output's lock while it does.
 */
#ifndef LS_LIB_OUTPUT_POLL_H
#define LS_LIB_OUTPUT_POLL_H

#include <stdatomic.h>
#include <stdbool.h>

#include "lightstream/subscription.h"
#include "lib/output/output.h"

/** An eventfd and whether it holds a count not yet read back; shared or a subscription's own. */
struct ls_notifier {
    atomic_uint refs;
    atomic_bool signalled;
    int efd;
};

struct ls_subscription {
    struct ls_output *out; /**< queue, host sync, stats */
    void *owner;           /**< the relay it belongs to (checked by unsubscribe) */
    struct ls_notifier *n; /**< readable while something may be taken */
    bool shared;           /**< @ref n is the consumer's: take() leaves it alone */
    unsigned wakes;        /**< under out->lock: reasons to wake so far */

    /* The consumer's (take) only. */
    bool need_header;      /**< a new start: the file header goes first */
    bool has_audio, has_video;
    bool have_base;
    int64_t base_ms;       /**< the DTS of its first media tag: 0 on its timeline */
};

/**
 * A subscription whose sync and logger are @p host's, waking @p n (shared),
 * or a notifier of its own when @p n is NULL.
 * @return 0, -EINVAL, -ENOMEM, -EMFILE, -ENFILE
 */
int ls_poll_create(struct ls_subscription **out, const struct ls_output_host *host, void *owner,
                   int id, const struct ls_output_settings *s, struct ls_notifier *n);
/** Free it (its queued tags are dropped, its descriptor closed); NULL accepted. */
void ls_poll_destroy(struct ls_subscription **sub);

/** Queue a tag of the live stream; wake the consumer when it has something new to do. */
void ls_poll_push(struct ls_subscription *sub, struct ls_item *item);
/** The stream ended (relay stopped): drop the queue; the next start begins with a file header. */
void ls_poll_unsync(struct ls_subscription *sub);

#endif
