/*
 * etcd v3 JSON gateway: the pure part. Base64 (keys and values travel in it),
 * the requests' bodies, the replies' parsing and the watch stream's
 * newline-delimited JSON split incrementally, whatever the chunking. No I/O:
 * unit-tested and fuzzed (tests/fuzz/fuzz_detcd.c). etcd.c does the HTTP.
 *
 * 64-bit numbers (revisions, lease ids, TTLs) come as JSON strings; a
 * member that is 0 is left out of the JSON entirely (a PUT event has no
 * "type", a key without lease no "lease").
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_ETCD_PROTO_H
#define LSD_ETCD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/** Characters base64 needs for @p n bytes, without the NUL. */
size_t lsd_b64_encoded_len(size_t n);
/** Encode @p n bytes into @p out (NUL-terminated). @return the length, or -ENOSPC */
int lsd_b64_encode(const void *in, size_t n, char *out, size_t out_size);
/**
 * Decode standard, padded base64 (etcd always pads; a length that is not a multiple
 * of 4 is refused). @p out gets a NUL after the bytes.
 * @return the byte count, -EINVAL (not base64) or -ENOSPC
 */
int lsd_b64_decode(const char *in, size_t n, unsigned char *out, size_t out_size);

/** A JSON string holding base64 of @p s (new reference, NULL on ENOMEM). */
json_t *lsd_etcd_b64_json(const char *s, size_t n);
/** The first key after every key starting with @p prefix (the range_end of a prefix), as
 *  base64 JSON; "\0" (every key) when the prefix is all 0xff or empty. */
json_t *lsd_etcd_prefix_end_json(const char *prefix);

/** One key-value pair. key and value are NUL-terminated copies (value may hold NULs:
 *  value_len says its length). */
struct lsd_etcd_kv {
    char *key;
    char *value;
    size_t value_len;
    int64_t create_revision, mod_revision, lease;
};
void lsd_etcd_kv_clear(struct lsd_etcd_kv *kv);

/**
 * Parse a reply's object. A gateway error ({"error":..., "code": grpc code}) becomes a
 * negative errno: code 5 (not found) -ENOENT, 14 (unavailable) and 4 (deadline) -EAGAIN,
 * 3 (invalid argument) -EINVAL, 9 (failed precondition) -EPERM, other codes -EIO.
 * The stream form {"result": {...}} is unwrapped.
 * @return 0 and the reply object in @p out (borrowed from @p root), or -errno
 */
int lsd_etcd_reply(json_t *root, json_t **out);
/** header.revision of a reply object, 0 when absent. */
int64_t lsd_etcd_revision(json_t *reply);
/** A member holding a 64-bit integer as a string (or a JSON integer). @return 0 or -EINVAL
 *  (absent: 0 in @p out and 0 returned). */
int lsd_etcd_int64(json_t *o, const char *name, int64_t *out);
/** A kv object into @p kv (zeroed first). @return 0, -EINVAL or -ENOMEM */
int lsd_etcd_kv_parse(json_t *o, struct lsd_etcd_kv *kv);

/** A watch event: a key put (kv has its value) or deleted (kv has its key only). */
struct lsd_etcd_event {
    bool deleted;
    struct lsd_etcd_kv kv;
};

/** Called per watch message: its revision, and its events (none when it only says the
 *  watch was created). @p err < 0: the line was not a watch message (an error message or
 *  garbage); the stream should be dropped. */
typedef void (*lsd_etcd_watch_fn)(void *cookie, int err, int64_t revision,
                                  const struct lsd_etcd_event *events, size_t count);

/** A watch stream's line assembler: bytes in, whole messages out. */
struct lsd_etcd_lines {
    char *buf;
    size_t len, cap;
    size_t max;          /**< a line longer than this is an error (-EMSGSIZE) */
};

/** Start empty; @p max bounds one line (default 1 MiB when 0). */
void lsd_etcd_lines_init(struct lsd_etcd_lines *l, size_t max);
void lsd_etcd_lines_clear(struct lsd_etcd_lines *l);
/**
 * Feed @p n bytes of the stream; every complete line is parsed as a watch message and
 * given to @p fn. Stops at the first bad line.
 * @return 0, -EMSGSIZE (a line too long), -ENOMEM, or the first error passed to @p fn
 */
int lsd_etcd_lines_feed(struct lsd_etcd_lines *l, const char *data, size_t n,
                        lsd_etcd_watch_fn fn, void *cookie);
/** One watch message (a line), to @p fn. @return what was passed to @p fn as err */
int lsd_etcd_watch_message(const char *line, size_t n, lsd_etcd_watch_fn fn, void *cookie);

#endif
