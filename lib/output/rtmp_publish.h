/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Our RTMP publisher for rtmp:// URLs: handshake, connect (with the Enhanced
 * RTMP fourCcList), releaseStream/FCPublish/createStream/publish, then each
 * FLV tag body sent as one RTMP message — all its chunks in one writev() on
 * a non-blocking socket. It reads what the server sends while publishing
 * (pings, acknowledgement windows, onStatus errors) so the server never
 * blocks on us. Server refusals come back as errno values:
 *   connect rejected / publish denied   -EACCES
 *   unknown application / bad name     -ENOENT
 *   stream already published           -EBUSY
 *   other _error / onStatus error      -EPROTO
 *   malformed data from the server     -EBADMSG
 *   closed by the server               -ECONNRESET
 *   deadline passed or stop asked      -ETIMEDOUT
 * rtmps:// is not handled here (FFmpeg's avio does TLS).
 * Blocking calls poll in short slices and ask @p interrupted whether to give up;
 * once publishing, the publisher can also be switched to non-blocking sends.
 * Not thread-safe: one thread uses a publisher at a time.
 */
#ifndef LS_LIB_RTMP_PUBLISH_H
#define LS_LIB_RTMP_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ls_rtmp_pub;

/** Parts of an rtmp:// URL. */
struct ls_rtmp_url {
    char host[256];
    char port[8];
    char app[256];
    char stream[1024]; /**< the stream name, with its ?query if any */
    char tc_url[1024]; /**< rtmp://host[:port]/app, without credentials */
};

/**
 * Split an rtmp:// URL: the application is the first path segment, the stream
 * name the rest (query included, as FFmpeg and nginx-rtmp expect).
 * @return 0, -EINVAL (not rtmp://, no application or stream name), -ENAMETOOLONG
 */
int ls_rtmp_url_parse(struct ls_rtmp_url *u, const char *url);

struct ls_rtmp_pub_settings {
    /** Polled while waiting; nonzero makes the call give up with -ETIMEDOUT. */
    int (*interrupted)(void *opaque);
    void *opaque;
    /** Our chunk size (Set Chunk Size at connect); 0 for the default (64 KiB). */
    uint32_t chunk_size;
};

/** Connect and publish. @return 0 with *out set, or a negative errno (above). */
int ls_rtmp_pub_open(struct ls_rtmp_pub **out, const char *url, const struct ls_rtmp_pub_settings *s);

/**
 * Send one FLV tag body as an RTMP message of type @p tag_type (8, 9, 18)
 * with timestamp @p ts_ms; script data is wrapped in @setDataFrame.
 * @return 0 or a negative errno (the connection is then unusable).
 */
int ls_rtmp_pub_send(struct ls_rtmp_pub *p, uint8_t tag_type, uint32_t ts_ms, const uint8_t *body,
                     size_t size);

/**
 * Non-blocking mode: ls_rtmp_pub_send() never waits. What the socket does not
 * take at once is kept (copied) as pending bytes; send nothing more until
 * ls_rtmp_pub_flush() returns 0. Switching back to blocking sends the pending
 * bytes first, at the next send or at close.
 */
void ls_rtmp_pub_set_nonblocking(struct ls_rtmp_pub *p, bool on);

/** True while bytes of a sent message wait for room in the socket. */
bool ls_rtmp_pub_pending(const struct ls_rtmp_pub *p);

/** Send pending bytes. @return 0 when none remain, -EAGAIN when the socket is full, or an error. */
int ls_rtmp_pub_flush(struct ls_rtmp_pub *p);

/** The socket, to wait for room on it (POLLOUT) while bytes are pending. */
int ls_rtmp_pub_fd(const struct ls_rtmp_pub *p);

/** Bytes written to the socket so far. */
uint64_t ls_rtmp_pub_bytes(const struct ls_rtmp_pub *p);

/** Unpublish (FCUnpublish, deleteStream: best effort, bounded by interrupted) and free. */
void ls_rtmp_pub_close(struct ls_rtmp_pub **p);

#endif
