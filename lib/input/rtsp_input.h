/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RTSP input: libavformat's RTSP demuxer with deadlines on every
 * blocking call and no stream probing. Used only by the relay thread.
 */
#ifndef LS_LIB_RTSP_INPUT_H
#define LS_LIB_RTSP_INPUT_H

#include <stdatomic.h>
#include <stdbool.h>

#include "lightstream/relay.h"
#include "lib/util/log.h"
#include "lib/codec/packet.h"

struct ls_input_settings {
    const char *url;
    enum ls_transport transport;
    uint32_t connect_timeout_ms;
    uint32_t stall_timeout_ms;
    const struct ls_log_ctx *log;
    atomic_bool *stop;  /**< set by another thread: every blocking call returns -ECANCELED soon */
};

struct ls_input;

/**
 * Connect, DESCRIBE, SETUP and PLAY within the connect timeout.
 * @return 0, -ECANCELED (stop), -ETIMEDOUT, -EACCES, -ENOENT, -ECONNREFUSED,
 *         -EBADMSG, -ENOTSUP (nothing relayable), -ENOMEM, other negative errno.
 */
int ls_input_open(struct ls_input **out, const struct ls_input_settings *s);

/** Close, sending TEARDOWN unless stopping. Sets *in to NULL; NULL accepted. */
void ls_input_close(struct ls_input **in);

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
