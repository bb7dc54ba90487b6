/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Rate meter: bytes and frames per second over a sliding window of
 * one-second buckets. Pure (the caller passes the time).
 */
#ifndef LS_LIB_METER_H
#define LS_LIB_METER_H

#include <stdint.h>

#define LS_METER_BUCKETS 5

struct ls_meter {
    int64_t second[LS_METER_BUCKETS]; /**< which second each bucket holds */
    uint64_t bytes[LS_METER_BUCKETS];
    uint32_t frames[LS_METER_BUCKETS];
};

void ls_meter_init(struct ls_meter *m);
void ls_meter_add(struct ls_meter *m, int64_t now_ms, uint64_t bytes, uint32_t frames);
/** Rates over the last full seconds (the current, partial one excluded). */
void ls_meter_rates(const struct ls_meter *m, int64_t now_ms, uint32_t *kbps, double *fps);

#endif
