/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTMP chunk stream (Adobe RTMP specification 1.0, section 5.3): headers for
 * the messages we send, and a reader that reassembles the messages a server
 * sends from its chunks. We always send a message's first chunk with a
 * type-0 header (absolute timestamp: no state to get wrong, 4 bytes more per
 * message) and its other chunks with type-3 headers. The reader accepts all
 * four header types, any chunk size the server sets (1..2^31-1), extended
 * timestamps, and treats the bytes as hostile: bounded message sizes and
 * chunk-stream table, never reading past what it was given.
 * Pure: no I/O.
 */
#ifndef LS_LIB_RTMP_CHUNK_H
#define LS_LIB_RTMP_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Largest chunk header we write: 1-byte basic header, 11-byte message header, 4-byte extended timestamp. */
#define LS_RTMP_HEADER_MAX 18
/** Largest continuation (type-3) header: 1 byte, plus a repeated extended timestamp. */
#define LS_RTMP_CONT_MAX 5
/** The chunk size every peer starts with. */
#define LS_RTMP_DEFAULT_CHUNK 128
/** Largest message the reader accepts from a server (a publisher gets only small ones). */
#define LS_RTMP_READ_MSG_MAX (256 * 1024)
/** Chunk streams the reader tracks at once. */
#define LS_RTMP_READ_STREAMS 16

enum ls_rtmp_type {
    LS_RTMP_SET_CHUNK_SIZE = 1,
    LS_RTMP_ABORT = 2,
    LS_RTMP_ACK = 3,
    LS_RTMP_USER_CONTROL = 4,
    LS_RTMP_WINDOW_ACK_SIZE = 5,
    LS_RTMP_SET_PEER_BW = 6,
    LS_RTMP_AUDIO = 8,
    LS_RTMP_VIDEO = 9,
    LS_RTMP_DATA_AMF3 = 15,
    LS_RTMP_COMMAND_AMF3 = 17,
    LS_RTMP_DATA_AMF0 = 18,
    LS_RTMP_COMMAND_AMF0 = 20,
};

/** A message's header fields. */
struct ls_rtmp_msg {
    uint32_t csid;      /**< chunk stream id, 2..65599 */
    uint8_t type;       /**< enum ls_rtmp_type */
    uint32_t stream_id; /**< message stream id */
    uint32_t timestamp; /**< ms */
    uint32_t size;      /**< payload bytes, < 2^24 */
};

/** The type-0 header of a message's first chunk. @return its size (<= LS_RTMP_HEADER_MAX). */
size_t ls_rtmp_header(uint8_t out[LS_RTMP_HEADER_MAX], const struct ls_rtmp_msg *m);

/** The type-3 header of each further chunk. @return its size (<= LS_RTMP_CONT_MAX). */
size_t ls_rtmp_cont_header(uint8_t out[LS_RTMP_CONT_MAX], const struct ls_rtmp_msg *m);

/** Chunks of @p chunk_size bytes a payload of @p size bytes takes (1 for an empty one). */
uint32_t ls_rtmp_chunk_count(uint32_t size, uint32_t chunk_size);

struct ls_rtmp_read_stream {
    uint32_t csid;         /**< 0: slot free */
    struct ls_rtmp_msg msg;  /**< the last header fields (for types 1-3) */
    uint32_t delta;        /**< timestamp delta of the last type-1/2 header */
    bool ext;              /**< the last header had an extended timestamp */
    uint8_t *buf;          /**< the message being reassembled */
    uint32_t have;         /**< payload bytes of it received */
};

/** Called for each complete message; a negative return stops the reader and is returned. */
typedef int (*ls_rtmp_msg_fn)(void *opaque, const struct ls_rtmp_msg *m, const uint8_t *payload);

struct ls_rtmp_reader {
    uint32_t chunk_size;               /**< the server's chunk size (Set Chunk Size updates it) */
    struct ls_rtmp_read_stream st[LS_RTMP_READ_STREAMS];
    uint8_t hdr[LS_RTMP_HEADER_MAX];   /**< a chunk header being gathered */
    size_t hdr_len;
    struct ls_rtmp_read_stream *cur;   /**< the chunk whose payload is being read */
    uint32_t chunk_left;               /**< payload bytes left in the current chunk */
    uint64_t total;                    /**< bytes read, for acknowledgements */
    int error;                         /**< sticky: the first error */
};

void ls_rtmp_reader_init(struct ls_rtmp_reader *r);
void ls_rtmp_reader_finish(struct ls_rtmp_reader *r);

/**
 * Take @p n bytes from the server; @p fn gets each complete message (Set
 * Chunk Size messages are also applied to the reader itself).
 * @return 0, -EBADMSG on malformed chunks, -EMSGSIZE for a message over
 * LS_RTMP_READ_MSG_MAX, -ENOMEM, or @p fn's error. Errors are sticky.
 */
int ls_rtmp_reader_feed(struct ls_rtmp_reader *r, const uint8_t *p, size_t n, ls_rtmp_msg_fn fn,
                        void *opaque);

#endif
