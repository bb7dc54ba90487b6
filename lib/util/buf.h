/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A growable byte buffer's one growth rule, shared by the buffers that
 * collect frames and messages (access units, RTP frames, HLS segments, an
 * RTMP message a full socket did not take): capacity doubles from a first
 * size, so appending a frame costs amortised O(1) and a buffer that reached
 * a keyframe's size stays there. Pure.
 */
#ifndef LS_LIB_BUF_H
#define LS_LIB_BUF_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

/**
 * Make room for @p need bytes in *data (capacity *cap), first allocating
 * @p first bytes. Contents are kept. @return 0, or -ENOMEM (the buffer unchanged).
 */
static inline int ls_buf_reserve(uint8_t **data, size_t *cap, size_t need, size_t first)
{
    if (need <= *cap)
        return 0;
    if (need > SIZE_MAX / 2)
        return -ENOMEM;
    size_t n = *cap ? *cap : first;
    while (n < need)
        n *= 2;
    uint8_t *p = realloc(*data, n);
    if (!p)
        return -ENOMEM;
    *data = p;
    *cap = n;
    return 0;
}

#endif
