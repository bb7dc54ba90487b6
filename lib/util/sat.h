/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Saturating 64-bit arithmetic for timestamps: camera input can be any
 * value, and no timestamp computation may overflow (UB) on it. Pure.
 */
#ifndef LS_LIB_SAT_H
#define LS_LIB_SAT_H

#include <stdint.h>

static inline int64_t ls_sat_add(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static inline int64_t ls_sat_sub(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

static inline int64_t ls_sat_mul(int64_t a, int64_t b)
{
    if (a != 0 && (b > INT64_MAX / a || b < INT64_MIN / a))
        return (a > 0) == (b > 0) ? INT64_MAX : INT64_MIN;
    return a * b;
}

#endif
