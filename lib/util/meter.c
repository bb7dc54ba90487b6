/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <string.h>

#include "lib/util/meter.h"

void ls_meter_init(struct ls_meter *m)
{
    memset(m, 0, sizeof(*m));
    for (int i = 0; i < LS_METER_BUCKETS; i++)
        m->second[i] = -1;
}

void ls_meter_add(struct ls_meter *m, int64_t now_ms, uint64_t bytes, uint32_t frames)
{
    int64_t sec = now_ms / 1000;
    int i = (int)(sec % LS_METER_BUCKETS);
    if (m->second[i] != sec) {
        m->second[i] = sec;
        m->bytes[i] = 0;
        m->frames[i] = 0;
    }
    m->bytes[i] += bytes;
    m->frames[i] += frames;
}

void ls_meter_rates(const struct ls_meter *m, int64_t now_ms, uint32_t *kbps, double *fps)
{
    int64_t sec = now_ms / 1000;
    uint64_t bytes = 0, frames = 0;
    int n = LS_METER_BUCKETS - 1; /* full seconds in the window */
    for (int i = 0; i < LS_METER_BUCKETS; i++) {
        if (m->second[i] < sec - n || m->second[i] >= sec)
            continue;
        bytes += m->bytes[i];
        frames += m->frames[i];
    }
    if (kbps)
        *kbps = (uint32_t)(bytes * 8 / 1000 / (uint64_t)n);
    if (fps)
        *fps = (double)frames / n;
}
