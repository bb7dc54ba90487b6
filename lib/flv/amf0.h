/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * AMF0 (Adobe Action Message Format 0), the encoding of FLV script data and
 * of RTMP commands: a bounded writer into a caller buffer, and a reader of
 * untrusted bytes that never reads past its end. Only the types FLV and
 * RTMP servers use are written; the reader understands every AMF0 type a
 * server may send (and refuses AMF3 and references as -EBADMSG).
 * Pure: no allocation, no I/O.
 */
#ifndef LS_LIB_AMF0_H
#define LS_LIB_AMF0_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ls_amf0_type {
    LS_AMF0_NUMBER = 0x00,
    LS_AMF0_BOOLEAN = 0x01,
    LS_AMF0_STRING = 0x02,
    LS_AMF0_OBJECT = 0x03,
    LS_AMF0_NULL = 0x05,
    LS_AMF0_UNDEFINED = 0x06,
    LS_AMF0_ECMA_ARRAY = 0x08,
    LS_AMF0_OBJECT_END = 0x09,
    LS_AMF0_STRICT_ARRAY = 0x0a,
    LS_AMF0_DATE = 0x0b,
    LS_AMF0_LONG_STRING = 0x0c,
};

/** A bounded writer: once a write would pass @p cap it stops writing and sets @p overflow. */
struct ls_amf0_writer {
    uint8_t *out;
    size_t cap;
    size_t pos;
    bool overflow;
};

/** Room for @p n bytes at the end (NULL, and overflow set, when there is none). */
uint8_t *ls_amf0_reserve(struct ls_amf0_writer *w, size_t n);
void ls_amf0_bytes(struct ls_amf0_writer *w, const void *src, size_t n);
void ls_amf0_u8(struct ls_amf0_writer *w, uint8_t v);
/** A UTF-8 string without a type marker (property names); at most 65535 bytes. */
void ls_amf0_utf8(struct ls_amf0_writer *w, const char *s);
void ls_amf0_number(struct ls_amf0_writer *w, double v);
void ls_amf0_bool(struct ls_amf0_writer *w, bool v);
void ls_amf0_string(struct ls_amf0_writer *w, const char *s);
void ls_amf0_null(struct ls_amf0_writer *w);
void ls_amf0_object_begin(struct ls_amf0_writer *w);
void ls_amf0_object_end(struct ls_amf0_writer *w);
/** Properties of an object or ECMA array: the name, then a value. */
void ls_amf0_prop_number(struct ls_amf0_writer *w, const char *name, double v);
void ls_amf0_prop_bool(struct ls_amf0_writer *w, const char *name, bool v);
void ls_amf0_prop_string(struct ls_amf0_writer *w, const char *name, const char *v);

/** A reader over untrusted bytes. */
struct ls_amf0_reader {
    const uint8_t *p;
    size_t left;
};

/** One value read: its type and, for scalars, its content (strings point into the input). */
struct ls_amf0_value {
    enum ls_amf0_type type;
    double number;         /**< NUMBER, DATE */
    bool boolean;          /**< BOOLEAN */
    const char *str;       /**< STRING, LONG_STRING: not NUL-terminated */
    size_t len;
};

/**
 * Read the next value. Objects and arrays are skipped whole (nested up to 32
 * levels); use ls_amf0_object_find() to look inside an object.
 * @return 0, -ENODATA at the end of the input, -EBADMSG on malformed input.
 */
int ls_amf0_read(struct ls_amf0_reader *r, struct ls_amf0_value *v);

/**
 * Find property @p name in the object (or ECMA array) whose value starts at
 * @p r (the reader is not moved). @return 0 with @p v set, -ENOENT when absent,
 * -EBADMSG when the value is not an object or is malformed.
 */
int ls_amf0_object_find(const struct ls_amf0_reader *r, const char *name, struct ls_amf0_value *v);

/** True when @p v is a string equal to @p s. */
bool ls_amf0_is_string(const struct ls_amf0_value *v, const char *s);

#endif
