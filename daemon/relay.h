/*
 * One relay as the daemon sees it (the data only, like server.h): files that
 * read a relay include this; those that change the registry include
 * relays.h.
 *
 * Threads: the loop.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_RELAY_H
#define LSD_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include "lightstream/lightstream.h"

#include "daemon/spec.h"

struct event;
struct lsd_hub;
struct lsd_server;

/** One relay as the daemon sees it: its spec, and the running library relay. */
struct lsd_relay {
    struct lsd_server *server;
    struct lsd_relay_spec spec;  /**< validated configuration, persisted */
    struct ls_relay *relay;      /**< NULL while not running (on-demand idle) */
    struct lsd_hub *hub;         /**< HTTP-FLV viewers; always present */
    int *lib_output_ids;         /**< library output id per spec.outputs[i], -1 if none,
                                      LSD_OUTPUT_REFUSED if outside the recordings directory */
    size_t lib_output_cap;
    unsigned generation;         /**< bumped at every start: tells stale events apart */
    void *ctx;                   /**< the running instance's event context (relay_instance.c) */
    struct event *idle_timer;    /**< on-demand: stops the relay after the last viewer */
    int64_t started_at_ms;       /**< wall clock of the last start, 0 if not running */
    enum ls_state state;         /**< last input state reported by the library */
    char last_error[256];        /**< last input error message (redacted) */
    int rec_output_id;           /**< the recording's library output id, -1 if none */
    char rec_writing[256];       /**< the segment being written (file name), "" if none */
    struct lsd_relay *next;      /**< registry list, in creation order */
};

#endif
