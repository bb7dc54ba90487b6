/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file common.h
 * @brief Errors, logging and states shared by every liblightstream object.
 *
 * Errors: every function that can fail returns 0 (or a non-negative value)
 * on success and a negative errno value on failure (e.g. `-EINVAL`). The
 * library adds no error codes of its own; it gives common errno values a
 * meaning for streaming (see ls_strerror()):
 *
 * | value           | meaning                                              |
 * |-----------------|------------------------------------------------------|
 * | -EINVAL         | bad argument or setting                              |
 * | -ENOMEM         | out of memory                                        |
 * | -EACCES         | authentication failed (RTSP 401/403)                 |
 * | -ENOENT         | stream not found (RTSP 404) or file missing          |
 * | -ECONNREFUSED   | connection refused                                   |
 * | -ETIMEDOUT      | connect timeout, or no packet within the stall timeout |
 * | -EBADMSG        | invalid data from the peer (garbage, bad SDP, bad NAL) |
 * | -ENODATA        | the peer ended the stream (EOF)                      |
 * | -ENOTSUP        | codec or protocol not supported                      |
 * | -EPROTONOSUPPORT| output URL scheme not supported                      |
 * | -EPROTO         | other protocol error (RTSP/HTTP 4xx or 5xx)          |
 * | -ECANCELED      | interrupted by a stop                                |
 * | -EALREADY       | already started / already stopped                    |
 * | -EDEADLK        | called from a callback where that would deadlock     |
 * | -EIO            | other I/O error                                      |
 */
#ifndef LIGHTSTREAM_COMMON_H
#define LIGHTSTREAM_COMMON_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#if defined(LS_BUILDING_LIBRARY) && defined(__GNUC__)
#define LS_API __attribute__((visibility("default")))
#else
#define LS_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/** Severity of a log message. A logger receives messages at its level and more severe. */
enum ls_log_level {
    LS_LOG_ERROR = 0, /**< something failed (a connection, a write) */
    LS_LOG_WARN = 1,  /**< something was repaired or retried */
    LS_LOG_INFO = 2,  /**< state changes, codecs found */
    LS_LOG_DEBUG = 3, /**< per-connection detail, FFmpeg's own messages */
};

/**
 * A log callback. @p message is one line without a trailing newline, with
 * any password already redacted; it is valid only during the call.
 * Called on whichever library thread logs (the relay thread or an output
 * thread), so it must be thread-safe if shared between relays.
 */
typedef void (*ls_log_fn)(void *cookie, enum ls_log_level level, const char *message);

/** A logger: where and how much a relay logs. */
struct ls_logger {
    void *cookie;          /**< passed to @ref callback (default NULL) */
    ls_log_fn callback;    /**< NULL: no logging at all (default NULL) */
    enum ls_log_level level; /**< most verbose level delivered (default LS_LOG_INFO) */
};

/** State of a relay's input, or of one output. */
enum ls_state {
    LS_STATE_IDLE = 0,       /**< created, not started */
    LS_STATE_CONNECTING = 1, /**< opening the camera / the RTMP server / the file */
    LS_STATE_STREAMING = 2,  /**< media flows */
    LS_STATE_BACKOFF = 3,    /**< failed; waiting before the next attempt */
    LS_STATE_STOPPED = 4,    /**< stopped by the user */
    LS_STATE_FAILED = 5,     /**< gave up: reconnect attempts exhausted */
};

/**
 * A short English description of an error code returned by the library.
 *
 * @param err a negative errno value (a positive one is accepted too).
 * @return a static string, never NULL.
 *
 * Thread-safety: safe.
 */
LS_API const char *ls_strerror(int err);

/**
 * Name of a state ("idle", "connecting", "streaming", "backoff", "stopped",
 * "failed"); "unknown" for any other value.
 *
 * Thread-safety: safe.
 */
LS_API const char *ls_state_name(enum ls_state state);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_COMMON_H */
