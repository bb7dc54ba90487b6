/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file events.h
 * @brief Events a relay reports to its owner.
 *
 * Events are delivered by calling the relay's ls_event_fn **on the relay
 * thread** (the thread that reads the camera), or, for output events, on
 * that output's thread. The callback must return quickly and must not call
 * ls_relay_stop(), ls_relay_destroy(), ls_relay_add_output(),
 * ls_relay_add_subscriber() or ls_relay_remove_output() on the same relay
 * (they return -EDEADLK when called from a callback); other functions such as
 * ls_relay_get_stats() may be called. To act on an event
 * from another thread (an event loop), copy what you need and hand it over.
 */
#ifndef LIGHTSTREAM_EVENTS_H
#define LIGHTSTREAM_EVENTS_H

#include "lightstream/common.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ls_relay;

/** What happened. */
enum ls_event_type {
    LS_EVENT_STATE = 0,       /**< the input changed state (@ref ls_event.state) */
    LS_EVENT_CODEC = 1,       /**< codecs became known or changed (read them with ls_relay_get_stats()) */
    LS_EVENT_OUTPUT_UP = 2,   /**< an output is connected and writing (@ref ls_event.output_id) */
    LS_EVENT_OUTPUT_DOWN = 3, /**< an output failed (@ref ls_event.error), or was removed (error 0,
                                   state stopped; reported on the thread that removed it) */
    LS_EVENT_ERROR = 4,       /**< the input failed (@ref ls_event.error, @ref ls_event.message) */
    LS_EVENT_SEGMENT_OPENED = 5,   /**< an `mp4:` output began a segment (its path is the message) */
    LS_EVENT_SEGMENT_CLOSED = 6,   /**< an `mp4:` output finished a segment (its path is the message) */
    LS_EVENT_RECORDING_PAUSED = 7, /**< an `mp4:` output stopped recording: the disk is full
                                        (@ref ls_event.error is -ENOSPC or -EDQUOT) */
    LS_EVENT_RECORDING_RESUMED = 8, /**< an `mp4:` output records again after a pause */
};

/** One event. Valid only during the callback. */
struct ls_event {
    enum ls_event_type type;  /**< what happened */
    enum ls_state state;      /**< the new state (input for LS_EVENT_STATE, output otherwise) */
    enum ls_state old_state;  /**< the previous state (LS_EVENT_STATE only) */
    int output_id;            /**< the output concerned, or -1 for the input */
    int error;                /**< negative errno, or 0 */
    const char *message;      /**< human-readable detail, passwords redacted; never NULL */
};

/**
 * Event callback. See the file comment for the thread it runs on.
 *
 * @param user_data the relay settings' user_data
 * @param relay the relay the event is about
 * @param event the event, valid only during the call
 */
typedef void (*ls_event_fn)(void *user_data, struct ls_relay *relay,
                            const struct ls_event *event);

/** Name of an event type ("state", "codec", "output-up", "output-down", "error",
 *  "segment-opened", "segment-closed", "recording-paused", "recording-resumed"). */
LS_API const char *ls_event_type_name(enum ls_event_type type);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_EVENTS_H */
