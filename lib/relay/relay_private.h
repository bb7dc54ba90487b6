/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The relay object, shared by relay.c (public API, outputs, stats) and
 * relay_thread.c (the thread that reads the camera).
 *
 * Locks, always taken in this order, never two of the same level:
 *   ctl_lock   serialises start/stop/add/remove (held while joining threads)
 *   fan_lock   the output and subscription lists and the GOP cache (held while fanning out)
 *   o->lock    one output's queue and stats
 *   stats_lock the input's stats
 * wait_lock/wait_cond only put the relay thread to sleep during a backoff.
 */
#ifndef LS_LIB_RELAY_PRIVATE_H
#define LS_LIB_RELAY_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>

#include "lightstream/relay.h"
#include "lib/stream/gop_cache.h"
#include "lib/stream/interleave.h"
#include "lib/util/log.h"
#include "lib/util/meter.h"
#include "lib/output/output.h"
#include "lib/output/output_poll.h"
#include "lib/stream/remux.h"

struct ls_relay {
    struct ls_relay_settings s;
    char *url;
    char url_redacted[512];
    char password[256];
    struct ls_log_ctx log;

    pthread_mutex_t ctl_lock;
    pthread_t thread;
    atomic_bool running;
    atomic_bool stop;
    pthread_mutex_t wait_lock;
    pthread_cond_t wait_cond;

    pthread_mutex_t fan_lock;
    struct ls_output **outputs;
    size_t n_outputs, cap_outputs;
    int next_id;
    struct ls_subscription **subs; /**< pollable subscriptions (relay_subs.c) */
    size_t n_subs, cap_subs;
    int next_sub_id;
    struct ls_gop_cache gop;
    bool has_audio; /**< relayed audio exists now (for new outputs' FLV header) */
    bool wants_video; /**< the metadata announces video: outputs wait for its sequence header */

    pthread_mutex_t stats_lock;
    struct ls_relay_stats st;
    struct ls_meter meter;
    int64_t streaming_since_ms;
    int64_t last_key_ms;
    bool ever_streamed;

    struct ls_remux *remux; /**< relay thread only while running */
    struct ls_interleave il; /**< between the remuxer and the fan-out (relay thread) */
    int64_t pkt_recv_us;    /**< when the packet being remuxed was read (relay thread) */
    int64_t session_start_ms; /**< when the current connection attempt began (relay thread) */
};

/** Relay thread entry point (relay_thread.c). */
void *ls_relay_thread_main(void *arg);

/** Fan an item out to the GOP cache and every output (relay thread). */
int ls_relay_fan_out(void *opaque, struct ls_item *item);

/** Give an output or subscription its decodable start (ls_output_host.sync). */
int ls_relay_sync_output(void *host, struct ls_output *o, bool *has_audio, bool *has_video);

/** Queue an item for every subscription (fan_lock held). */
void ls_relay_subs_push(struct ls_relay *r, struct ls_item *item);
/** The stream ended: every subscription starts over at the next start (fan_lock held). */
void ls_relay_subs_unsync(struct ls_relay *r);
/** Free the subscriptions left at destroy. */
void ls_relay_subs_finish(struct ls_relay *r);

/** Report an input event (relay thread). */
void ls_relay_event(struct ls_relay *r, enum ls_event_type type, enum ls_state state,
                    enum ls_state old_state, int err, const char *message);

/** True when the calling thread is one of this relay's threads (inside a callback). */
bool ls_relay_on_own_thread(struct ls_relay *r);

#endif
