/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The native engine's state, shared by native_session.c (the RTSP dialogue:
 * OPTIONS, DESCRIBE, SETUP, PLAY, keep-alive, TEARDOWN) and native_input.c
 * (the engine's ops: interleaved data to packets).
 */
#ifndef LS_LIB_NATIVE_PRIVATE_H
#define LS_LIB_NATIVE_PRIVATE_H

#include "lib/codec/rtp_depack.h"
#include "lib/input/input.h"
#include "lib/input/rtsp_auth.h"
#include "lib/input/rtsp_conn.h"
#include "lib/input/rtsp_msg.h"
#include "lib/input/sdp.h"

/** One relayed medium: its SDP entry, SETUP URL, interleaved channel and depacketiser. */
struct native_stream {
    const struct ls_sdp_media *media; /**< NULL when the SDP has none of this kind */
    char url[1024];
    uint8_t channel;                  /**< RTP; RTCP is channel + 1 */
    struct ls_depack depack;
    bool depack_ready;
    uint32_t lsr;                     /**< the last sender report's NTP middle bits */
    int64_t lsr_at_us;                /**< when it came */
};

struct native_input {
    struct ls_input base; /* first: the interface casts between the two */
    atomic_bool *stop;
    const struct ls_log_ctx *log;
    uint32_t stall_timeout_ms;
    struct ls_rtsp_url url;
    struct ls_rtsp_auth auth;
    struct ls_rtsp_conn conn;
    struct ls_sdp sdp;
    char base_url[1024];             /**< Content-Base, else the DESCRIBE URL */
    char session[256];             /**< Session id, "" before SETUP */
    uint32_t session_timeout_s;    /**< from the Session header (default 60) */
    bool get_parameter;            /**< the server lists GET_PARAMETER: keep alive with it */
    unsigned cseq;
    char redirect[1024];           /**< a 3xx reply's Location, until followed */
    size_t reply_size;             /**< bytes of the reply being read, freed after */
    int64_t next_keepalive_us;
    int64_t next_report_us;        /**< the next RTCP receiver reports */
    uint32_t our_ssrc;
    struct native_stream video, audio;
    /* Frames handed out one per read: d->out of the stream that made them. */
    struct native_stream *pending_stream;
    int pending_next, pending_count;
    size_t pending_consume;        /**< bytes of the message they came from, freed after */
};

/** The whole dialogue up to PLAY within @p deadline_us. @return 0 or a negative errno. */
int ls_native_session_open(struct native_input *in, int64_t deadline_us);

/** TEARDOWN, without waiting for the reply (best effort). */
void ls_native_session_teardown(struct native_input *in);

/** Send the keep-alive request when due; its reply is skipped by the reader. @return 0 or -errno. */
int ls_native_session_keepalive(struct native_input *in);

/** Take a camera's RTCP packet on @p st's RTCP channel (its sender report's time). */
void ls_native_rtcp_in(struct native_stream *st, const uint8_t *p, size_t n);

/** Send each stream's receiver report when due (every 5 s). @return 0 or -errno. */
int ls_native_rtcp_report(struct native_input *in);

#endif
