/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What an RTSP server sends on the TCP connection, parsed in place: replies
 * ("RTSP/1.0 200 OK", headers, a Content-Length body), requests a server may
 * send (ANNOUNCE, SET_PARAMETER, …: read and skipped), and interleaved data
 * frames ('$', channel, 16-bit length). The parser is given everything read
 * so far and says whether a whole message is there, so a message split across
 * reads in any way is parsed once its last byte arrived. Pure: no I/O; the
 * bytes are untrusted (fuzzed).
 */
#ifndef LS_LIB_RTSP_MSG_H
#define LS_LIB_RTSP_MSG_H

#include <stddef.h>
#include <stdint.h>

/** A head (start line and headers) longer than this is refused. */
#define LS_RTSP_MAX_HEAD 16384
/** A body longer than this is refused (an SDP is a few KiB). */
#define LS_RTSP_MAX_BODY 65536
#define LS_RTSP_MAX_HEADERS 32

enum ls_rtsp_kind {
    LS_RTSP_REPLY = 1,   /**< a reply to one of our requests */
    LS_RTSP_REQUEST,     /**< a request from the server */
    LS_RTSP_DATA,        /**< an interleaved frame */
};

struct ls_rtsp_text {
    const char *p; /**< into the parsed bytes; not NUL-terminated */
    size_t n;
};

struct ls_rtsp_header {
    struct ls_rtsp_text name, value;
};

/** One message; every pointer is into the parsed bytes. */
struct ls_rtsp_msg {
    enum ls_rtsp_kind kind;
    int status;                    /**< replies: 100 … 999 */
    struct ls_rtsp_header headers[LS_RTSP_MAX_HEADERS];
    size_t n_headers;              /**< headers past LS_RTSP_MAX_HEADERS are skipped */
    const uint8_t *body;           /**< the body, or an interleaved frame's payload */
    size_t body_size;
    uint8_t channel;               /**< interleaved frames */
};

/**
 * Parse the message at the start of @p buf.
 * @return its whole size (> 0) when all of it is in @p buf; 0 when more bytes
 *         are needed; -EBADMSG when the bytes are no RTSP message (the
 *         connection is unusable); -EMSGSIZE past the head or body bound.
 */
int ls_rtsp_parse(const uint8_t *buf, size_t size, struct ls_rtsp_msg *msg);

/** The value of header @p name (case-insensitive), or NULL. */
const struct ls_rtsp_text *ls_rtsp_header(const struct ls_rtsp_msg *msg, const char *name);

/**
 * Copy header @p name's value into @p out (NUL-terminated, truncated to
 * @p cap). @return its length, or -ENOENT.
 */
int ls_rtsp_header_copy(const struct ls_rtsp_msg *msg, const char *name, char *out, size_t cap);

/**
 * Parameter @p key of a header value like `Session: 12345;timeout=60` or
 * `RTP-Info: url=…;seq=1;rtptime=2` (the first value before ';' is key "").
 * Copied into @p out. @return its length, or -ENOENT.
 */
int ls_rtsp_param(const struct ls_rtsp_text *value, const char *key, char *out, size_t cap);

#endif
