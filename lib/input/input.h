/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The input interface: one camera connection behind an ops table, so the
 * relay thread does not know which RTSP engine reads the camera (the way a
 * wlroots backend sits behind struct wlr_backend). Two engines exist:
 * libavformat (rtsp_input.c, the default and the fallback) and the native
 * client (native_input.c). ls_input_open() picks one from the settings and,
 * for `auto`, falls back to libavformat for what the native engine does not
 * support. Used only by the relay thread.
 */
#ifndef LS_LIB_INPUT_H
#define LS_LIB_INPUT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "lightstream/relay.h"
#include "lib/util/log.h"
#include "lib/codec/packet.h"

struct ls_input_settings {
    const char *url;
    enum ls_transport transport;
    enum ls_input_engine engine;
    uint32_t connect_timeout_ms;
    uint32_t stall_timeout_ms;
    const struct ls_log_ctx *log;
    atomic_bool *stop;  /**< set by another thread: every blocking call returns -ECANCELED soon */
};

struct ls_input;

/** What one engine implements. Every function runs on the relay thread. */
struct ls_input_ops {
    const char *name; /**< "libavformat", "native": shown in the stats */
    /** Can this engine read this URL with these settings? (no I/O) */
    bool (*supports)(const struct ls_input_settings *s);
    /** Connect, DESCRIBE, SETUP and PLAY within the connect timeout (see ls_input_open). */
    int (*open)(struct ls_input **out, const struct ls_input_settings *s);
    void (*close)(struct ls_input *in);
    void (*streams)(const struct ls_input *in, struct ls_stream_info *video,
                    struct ls_stream_info *audio);
    int (*read)(struct ls_input *in, struct ls_packet *pkt, bool *is_video);
};

/** The base every engine embeds first (its own state follows, private to its file). */
struct ls_input {
    const struct ls_input_ops *ops;
};

/** Kept by the relay thread across sessions, so a fallback is logged once. */
struct ls_input_memo {
    bool fallback_logged;
    bool fell_back; /**< the last open fell back to libavformat */
};

extern const struct ls_input_ops ls_input_lavf_ops;
extern const struct ls_input_ops ls_input_native_ops;

/**
 * Open the camera with the engine the settings ask for: libavformat, native,
 * or auto (native when it supports the URL and transport, libavformat
 * otherwise; the first fallback is logged, @p memo says whether it happened).
 * @return 0, -ECANCELED (stop), -ETIMEDOUT, -EACCES, -ENOENT, -ECONNREFUSED,
 *         -EBADMSG, -ENOTSUP (nothing relayable), -EPROTONOSUPPORT (engine
 *         native asked for a URL or transport it does not read), -ENOMEM,
 *         other negative errno.
 */
int ls_input_open(struct ls_input **out, const struct ls_input_settings *s,
                  struct ls_input_memo *memo);

/** Close, sending TEARDOWN unless stopping. Sets *in to NULL; NULL accepted. */
void ls_input_close(struct ls_input **in);

/** The engine's name ("libavformat", "native"). */
const char *ls_input_engine_name(const struct ls_input *in);

/** Codec parameters from the SDP. Pointers stay valid until close. */
void ls_input_streams(const struct ls_input *in, struct ls_stream_info *video,
                      struct ls_stream_info *audio);

/**
 * Read the next packet of a relayed stream within the stall timeout.
 * @p pkt stays valid until the next read or close.
 * @return 0, -ETIMEDOUT (stall), -ENODATA (EOF), -ECANCELED, other negative errno.
 */
int ls_input_read(struct ls_input *in, struct ls_packet *pkt, bool *is_video);

#endif
