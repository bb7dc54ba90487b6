/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Big-endian integers in byte buffers, the byte order of FLV, AMF0 and RTMP.
 * The caller has checked the room. Pure.
 */
#ifndef LS_LIB_UTIL_BYTES_H
#define LS_LIB_UTIL_BYTES_H

#include <stdint.h>

static inline void ls_put_be16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void ls_put_be24(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

static inline void ls_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    ls_put_be24(p + 1, v);
}

static inline uint32_t ls_get_be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static inline uint32_t ls_get_be24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static inline uint32_t ls_get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | ls_get_be24(p + 1);
}

#endif
