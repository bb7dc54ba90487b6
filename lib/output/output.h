/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An output: a bounded queue of items, a thread that writes them as FLV
 * tags to a sink (RTMP, file or subscriber callback), and its own reconnect
 * schedule. The relay thread only ever pushes into the queue (O(1), never
 * blocking on the sink); a full queue makes the output skip to the next
 * keyframe.
 */
#ifndef LS_LIB_OUTPUT_H
#define LS_LIB_OUTPUT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "lightstream/relay.h"
#include "lib/util/backoff.h"
#include "lib/flv/flv.h"
#include "lib/flv/tag.h"
#include "lib/util/meter.h"
#include "lib/output/io_loop.h"
#include "lib/output/queue.h"

struct ls_output;
struct ls_log_ctx;

/**
 * What an output needs from its owner (the relay) without knowing it: the
 * output layer sits below the relay layer and never includes it.
 */
struct ls_output_host {
    /** Give @p o a decodable start (ls_output_sync_begin/_item). 0, or -EAGAIN: not yet. */
    int (*sync)(void *host, struct ls_output *o, bool *has_audio, bool *has_video);
    /** Report an output event (output thread). */
    void (*event)(void *host, struct ls_output *o, enum ls_event_type type, int err);
    const struct ls_log_ctx *log;
    void *host;
    /** The shared I/O thread, when the owner has one (outputs that can then write without a
     *  thread of their own do: output_direct.c). */
    struct ls_io *io;
};

enum ls_output_kind {
    LS_OUTPUT_RTMP,
    LS_OUTPUT_FILE,
    LS_OUTPUT_SUBSCRIBER,
    LS_OUTPUT_MP4,
    LS_OUTPUT_POLL, /**< a pollable subscription: no thread, no sink (output_poll.c) */
};

/** A run of bytes; a tag is written as header, shared body and trailer without copying. */
struct ls_piece {
    const uint8_t *data;
    size_t size;
};

/** A sink writes whole FLV units: the file header, then one tag per call. */
struct ls_sink_ops {
    /** Open within o->s.connect_timeout_ms (use ls_output_interrupted() for deadlines). */
    int (*open)(struct ls_output *o);
    /**
     * Write one unit given as @p n pieces: the file header is one piece, a tag
     * three (11-byte header, body, PreviousTagSize). @p flags are ls_tag_flags,
     * @p ts_ms the tag's timestamp (0 for the file header). A negative return
     * fails the connection.
     */
    int (*write)(struct ls_output *o, const struct ls_piece *pieces, int n, unsigned flags,
                 uint32_t ts_ms);
    /** Close; free sink state. */
    void (*close)(struct ls_output *o);
    /**
     * Optional (NULL: the sink needs its thread): switch an open sink to non-blocking writes
     * (@p on) or back. When on, write() never waits: what the socket does not take is kept as
     * pending bytes. @return the descriptor to wait on for room, or a negative errno.
     */
    int (*nonblocking)(struct ls_output *o, bool on);
    /** With nonblocking(): send pending bytes; 0 when none are left, -EAGAIN, or an error. */
    int (*flush)(struct ls_output *o);
};

extern const struct ls_sink_ops ls_sink_rtmp;  /**< rtmp://: our publisher */
extern const struct ls_sink_ops ls_sink_rtmps; /**< rtmps://: FFmpeg's rtmp protocol over TLS */
extern const struct ls_sink_ops ls_sink_file;
extern const struct ls_sink_ops ls_sink_subscriber;
extern const struct ls_sink_ops ls_sink_mp4; /**< mp4:<pattern>: segmented MP4 recording */

struct ls_output {
    int id;
    enum ls_output_kind kind;
    char *target;               /**< as given, credentials included: used only to open */
    char target_redacted[512];
    struct ls_output_settings s;
    const struct ls_sink_ops *ops;
    void *sink;
    ls_tag_fn sub_fn;
    void *sub_cookie;
    struct ls_output_host host; /**< its owner; zeroed when it has none (tests) */

    pthread_t thread;
    bool thread_running;        /**< under lock once the output can go direct */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    atomic_bool quit;               /**< stop requested: flush what is queued, then close */
    atomic_llong quit_deadline_us;  /**< after this, blocking I/O is interrupted */
    int64_t deadline_us;            /**< per-operation deadline, output thread only */

    struct ls_tag_queue q; /**< under lock */

    /* Writing without a thread (output_direct.c), under lock. */
    struct ls_io_client ioc;
    bool direct;            /**< the sink is open and written by whoever queues or the ls_io */
    bool pending;           /**< the socket was full: bytes wait, tags stay queued */
    int direct_err;         /**< why direct writing ended; the next thread closes the sink */
    int64_t stall_since_us; /**< when pending began */

    /* Output thread only. */
    bool have_base;
    int64_t base_ms;
    uint8_t *scratch;     /**< subscribers only: a tag made contiguous for the callback */
    size_t scratch_cap;
    struct ls_backoff backoff;
    bool ever_up;

    /* Stats, under lock. */
    struct ls_output_stats st;
    int64_t up_since_ms;
    struct ls_meter meter;
    int64_t started_ms;
    uint32_t lat_us[256];  /**< recent read-to-written latencies (ring) */
    unsigned lat_n, lat_pos;
};

/**
 * Make an output (no thread yet): with @p fn a callback subscriber, with
 * neither @p fn nor @p target a pollable subscription's (no sink), else a sink
 * chosen by the target.
 * @return 0, -EINVAL, -EPROTONOSUPPORT, -ENOMEM
 */
int ls_output_create(struct ls_output **out, const struct ls_output_host *host, int id, const char *target,
                     ls_tag_fn fn, void *cookie, const struct ls_output_settings *s);
void ls_output_destroy(struct ls_output **o);

/** Start the output's thread. @return 0 or a negative errno. */
int ls_output_start(struct ls_output *o);
/** Create the output's thread (again, after direct writing failed). @return 0 or a negative errno. */
int ls_output_spawn(struct ls_output *o);

/**
 * The output's thread has its sink open and its queue empty (lock held): hand the sink to
 * direct writing when the owner has an ls_io and the sink can. @return true when handed over
 * (the thread then ends without closing the sink).
 */
bool ls_output_go_direct(struct ls_output *o);
/** Write what is queued while the socket takes it (lock held, direct). */
void ls_output_drain(struct ls_output *o);
/** After the thread was joined: close a sink left open by direct writing, flushing within the stop deadline. */
void ls_output_finish_direct(struct ls_output *o);
/** Frame @p item as an FLV tag on this output's timeline (lock held or output thread). */
uint32_t ls_output_frame(struct ls_output *o, const struct ls_item *item,
                         uint8_t hdr[LS_FLV_TAG_HEADER_SIZE], uint8_t trailer[LS_FLV_PREV_SIZE],
                         struct ls_piece pieces[3]);
/** Report an output event to the owner. */
void ls_output_event(struct ls_output *o, enum ls_event_type type, int err);
/** Set the output's state (takes the lock), with an error message when @p err < 0. */
void ls_output_set_state(struct ls_output *o, enum ls_state state, int err);
/** The same with the lock held. */
void ls_output_set_state_locked(struct ls_output *o, enum ls_state state, int err);

/** Ask the thread to flush and stop (returns at once). */
void ls_output_request_stop(struct ls_output *o);
/** Wait for the thread to end (after ls_output_request_stop). */
void ls_output_join(struct ls_output *o);

/** Queue an item (relay thread, under the relay's fan-out lock). Never blocks on I/O. */
void ls_output_push(struct ls_output *o, struct ls_item *item);

/**
 * Replace the queue with a decodable start (relay's fan-out lock held): then
 * ls_output_sync_item() for each tag of it. With @p skip_to_keyframe only
 * headers are taken until the next keyframe (a start without the cached GOP).
 */
void ls_output_sync_begin(struct ls_output *o, bool has_video, bool skip_to_keyframe);
void ls_output_sync_item(void *opaque, struct ls_item *item);

/** For sinks: true when the current operation must give up (deadline or stop). */
bool ls_output_interrupted(struct ls_output *o);
/** For sinks: set the deadline of the next blocking operation. */
void ls_output_set_deadline(struct ls_output *o, uint32_t ms);

/** For the file sink: the name of the file now written, for stats ("" when none). */
void ls_output_set_file(struct ls_output *o, const char *path);

/** Count a written item (output thread). */
void ls_output_record_write(struct ls_output *o, const struct ls_item *item, size_t bytes);
/** The same with o->lock held, at @p now_us (a consumer counting a batch under one lock). */
void ls_output_count_write(struct ls_output *o, const struct ls_item *item, size_t bytes,
                           int64_t now_us);

/** What an item is, as LS_TAG_* flags. */
unsigned ls_output_tag_flags(const struct ls_item *item);

/** Copy this output's stats. */
void ls_output_get_stats(struct ls_output *o, struct ls_output_stats *st);

#endif
