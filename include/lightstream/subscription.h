/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file subscription.h
 * @brief A pollable subscriber: a relay's FLV tags for event-loop programs, without copies.
 *
 * A subscription is a relay output that has no thread of its own. Its
 * consumer watches a file descriptor (an eventfd) with poll(), epoll or its
 * event loop; when the descriptor is readable, ls_subscription_take() hands
 * over the tags waiting, each as its own 11-byte tag header and 4-byte
 * PreviousTagSize plus a pointer to the tag body the relay shares with its
 * GOP cache and every other output: the body is not copied, the consumer
 * holds a reference to it until it calls ls_tag_body_release().
 *
 * The policy every output follows is the library's, not the consumer's: a
 * subscription starts at a decodable point (the FLV file header, onMetaData,
 * the sequence headers, then the GOP cache from its keyframe, or the next
 * keyframe when ls_output_settings.start_with_gop_cache is false), has its
 * own timeline (its first media tag at 0 ms), and when the consumer falls
 * behind by more than ls_output_settings.queue_max_bytes it drops the queued
 * media and skips to the next keyframe (counted in ls_output_stats.skips).
 * When the relay is stopped and started again, the subscription starts
 * over: a new FLV file header, then a new decodable start.
 *
 * The relay's thread only queues a reference and, when the queue was empty
 * (or a subscription waiting for its start sees a keyframe), writes the
 * eventfd once: a consumer that keeps up costs one eventfd write and one
 * read per batch of tags, not per tag.
 *
 * Typical use, in an event loop:
 * @code
 * struct ls_subscription *sub;
 * ls_relay_subscribe(relay, NULL, &sub);
 * // watch ls_subscription_fd(sub) for reading; when readable:
 * struct ls_sub_tag tags[32];
 * int n = ls_subscription_take(sub, tags, 32);
 * for (int i = 0; i < n; i++) {
 *     writev-like: tags[i].head (head_size), tags[i].body (body_size), tags[i].trailer (trailer_size)
 *     ls_tag_body_release(tags[i].body_ref);   // when the body is no longer needed
 * }
 * ...
 * ls_relay_unsubscribe(relay, &sub);
 * @endcode
 *
 * Thread-safety: ls_relay_subscribe() and ls_relay_unsubscribe() may be
 * called from any thread, including the relay's callbacks. The other calls
 * on one subscription are made by one thread at a time (its consumer), never
 * concurrently with ls_relay_unsubscribe() of it. ls_tag_body_release() may
 * be called from any thread, at any time, also after the subscription and
 * the relay are gone.
 */
#ifndef LIGHTSTREAM_SUBSCRIPTION_H
#define LIGHTSTREAM_SUBSCRIPTION_H

#include <stdint.h>

#include "lightstream/common.h"
#include "lightstream/relay.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque pollable subscription. */
struct ls_subscription;

/** Opaque reference to a shared tag body. */
struct ls_tag_body;

/** Opaque notifier: one descriptor shared by many subscriptions (see ls_notifier_create()). */
struct ls_notifier;

/** Size of the FLV file header (signature, flags, PreviousTagSize0). */
#define LS_FLV_FILE_HEADER_BYTES 13
/** Size of an FLV tag header. */
#define LS_FLV_TAG_HEADER_BYTES 11
/** Size of the PreviousTagSize that follows each FLV tag. */
#define LS_FLV_TAG_TRAILER_BYTES 4

/**
 * One FLV piece taken from a subscription: `head`, then `body`, then
 * `trailer`, written one after the other, are its FLV bytes, and the pieces
 * taken one after the other form a valid FLV file.
 */
struct ls_sub_tag {
    unsigned flags;        /**< what it is: enum ls_tag_flags */
    uint32_t ts_ms;        /**< its FLV timestamp on this subscription's timeline (0 for
                                the file header) */
    uint8_t head[LS_FLV_FILE_HEADER_BYTES]; /**< the file header (13 bytes), or the tag's
                                                 11-byte header, this subscription's own */
    uint8_t head_size;     /**< bytes used in @ref head */
    uint8_t trailer[LS_FLV_TAG_TRAILER_BYTES]; /**< the tag's PreviousTagSize */
    uint8_t trailer_size;  /**< 4, or 0 for the file header */
    const uint8_t *body;   /**< the tag body, shared and read-only; NULL for the file header */
    uint32_t body_size;    /**< bytes of @ref body */
    struct ls_tag_body *body_ref; /**< the reference that keeps @ref body alive (NULL for the
                                       file header): give it to ls_tag_body_release() */
};

/**
 * Subscribe to a relay's FLV stream, running or not. The subscription's tags
 * start once the relay runs and has a decodable start.
 *
 * @param r the relay
 * @param s settings, or NULL for the defaults: queue_max_bytes and
 *        start_with_gop_cache apply, the RTMP and reconnect fields do not
 * @param[out] out the subscription
 * @return 0, -EINVAL, -ENOMEM, -EMFILE or -ENFILE (no file descriptor left)
 *
 * Thread-safety: safe, from any thread.
 */
LS_API int ls_relay_subscribe(struct ls_relay *r, const struct ls_output_settings *s,
                              struct ls_subscription **out);

/**
 * Make a notifier: one eventfd for many subscriptions, for a consumer of so
 * many (lightstreamd: one per HTTP-FLV viewer) that a descriptor and a wake-up
 * each would cost more than the tags. The relay then writes the shared
 * descriptor once per batch, whatever the number of subscriptions that got
 * tags. Protocol: when ls_notifier_fd() is readable, call ls_notifier_ack(),
 * then ls_subscription_take() on every subscription of the notifier until
 * each returns fewer pieces than asked (or leave one for later: a later ack
 * will not remind you of it, only new tags wake the notifier).
 *
 * @return 0, -EINVAL, -ENOMEM, -EMFILE or -ENFILE
 *
 * Thread-safety: the notifier's calls may be made from any thread.
 */
LS_API int ls_notifier_create(struct ls_notifier **out);

/** The descriptor to watch for reading (owned by the notifier). */
LS_API int ls_notifier_fd(const struct ls_notifier *n);

/** Rearm: read the descriptor back; call before taking from the subscriptions. */
LS_API void ls_notifier_ack(struct ls_notifier *n);

/**
 * Give up the caller's hold on the notifier; it is freed with its last
 * subscription. Sets @p *n to NULL; a pointer to NULL is accepted.
 */
LS_API void ls_notifier_destroy(struct ls_notifier **n);

/**
 * ls_relay_subscribe() with the subscription's wake-ups going to @p n
 * (shared) rather than to a descriptor of its own: ls_subscription_fd() then
 * returns the notifier's, and ls_subscription_take() leaves it alone (see
 * ls_notifier_create() for the protocol).
 *
 * @return as ls_relay_subscribe(), -EINVAL also for a NULL @p n
 *
 * Thread-safety: safe, from any thread.
 */
LS_API int ls_relay_subscribe_notify(struct ls_relay *r, const struct ls_output_settings *s,
                                     struct ls_notifier *n, struct ls_subscription **out);

/**
 * End a subscription: the relay no longer queues for it, its queued tags are
 * dropped, its descriptor is closed and @p *sub is set to NULL (a pointer to
 * NULL is accepted). Tags already taken stay valid until released. Every
 * subscription must be ended before ls_relay_destroy() of its relay.
 *
 * @return 0, -EINVAL (NULL relay or a subscription of another relay)
 *
 * Thread-safety: safe, from any thread, also the relay's callbacks; not
 * concurrently with another call on the same subscription.
 */
LS_API int ls_relay_unsubscribe(struct ls_relay *r, struct ls_subscription **sub);

/**
 * The descriptor to watch for reading: readable while tags (or a start) may
 * be taken. Level-triggered: it stays readable until ls_subscription_take()
 * returns fewer tags than it was asked for. Owned by the subscription: do
 * not read, write or close it.
 *
 * Thread-safety: safe.
 */
LS_API int ls_subscription_fd(const struct ls_subscription *sub);

/**
 * Take up to @p max waiting pieces, oldest first. When the subscription has
 * no start yet (just subscribed, or the relay restarted) and the relay can
 * give one, it is taken here: the file header comes first. Each piece with a
 * body holds one reference to it, which the caller releases with
 * ls_tag_body_release(), on any thread, when done with the bytes.
 *
 * @return the number of pieces written to @p out (0 when none wait), or
 *         -EINVAL
 *
 * Thread-safety: one thread at a time per subscription.
 */
LS_API int ls_subscription_take(struct ls_subscription *sub, struct ls_sub_tag *out, size_t max);

/**
 * Release a body reference from ls_subscription_take(); NULL is a no-op.
 *
 * Thread-safety: safe, from any thread, at any time.
 */
LS_API void ls_tag_body_release(struct ls_tag_body *body);

/**
 * Change the timestamp of a taken tag (its header and @ref ls_sub_tag.ts_ms),
 * for a consumer that joins several subscriptions into one timeline. The
 * file header has none: it is left as it is.
 *
 * Thread-safety: safe (touches only @p tag).
 */
LS_API void ls_sub_tag_set_timestamp(struct ls_sub_tag *tag, uint32_t ts_ms);

/**
 * This subscription's statistics, like an output's (target "subscription";
 * state LS_STATE_STREAMING from its start until the relay stops, else
 * LS_STATE_CONNECTING; bytes, frames and latency counted when taken).
 * Subscriptions are not listed by ls_relay_get_output_stats().
 *
 * @return 0 or -EINVAL
 *
 * Thread-safety: safe.
 */
LS_API int ls_subscription_get_stats(struct ls_subscription *sub, struct ls_output_stats *out);

/**
 * What waits in the subscription now and how often it skipped, without the
 * rest of the stats (cheap enough to ask for every subscription often).
 *
 * @param sub the subscription
 * @param[out] queued_bytes tag bytes waiting to be taken (may be NULL)
 * @param[out] skips times it overflowed and skipped to a keyframe (may be NULL)
 * @return 0 or -EINVAL
 *
 * Thread-safety: safe.
 */
LS_API int ls_subscription_backlog(struct ls_subscription *sub, size_t *queued_bytes,
                                   uint64_t *skips);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_SUBSCRIPTION_H */
