/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Recording names and spans (see recording.h; pure), and the one place a
 * recording's file is created.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "lib/output/recording.h"

/* Basic ISO 8601 in UTC: sorts as text in time order, and holds no ':' (Windows shares). */
#define STAMP_SIZE sizeof("-20261207T173501Z")

int ls_recording_name(char *out, size_t size, const char *target, time_t start, unsigned n)
{
    size_t len = target ? strlen(target) : 0;
    if (!len || target[len - 1] == '/' || n > LS_RECORDING_MAX_SUFFIX)
        return -EINVAL;
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    const char *dot = strrchr(base, '.');
    size_t stem = dot && dot != base ? (size_t)(dot - target) : len;

    struct tm tm;
    char stamp[STAMP_SIZE + 4];
    if (!gmtime_r(&start, &tm))
        return -EINVAL;
    size_t k = strftime(stamp, STAMP_SIZE, "-%Y%m%dT%H%M%SZ", &tm);
    if (!k)
        return -EINVAL; /* a year past 9999 */
    if (n)
        snprintf(stamp + k, sizeof(stamp) - k, "-%u", n);

    int w = snprintf(out, size, "%.*s%s%s", (int)stem, target, stamp, target + stem);
    return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
}

void ls_span_add(struct ls_span *s, bool audio, uint32_t ts_ms)
{
    if (!s->any || ts_ms < s->first_ms)
        s->first_ms = ts_ms;
    s->any = true;
    int i = audio ? 1 : 0;
    if (s->stream[i].seen && ts_ms > s->stream[i].last_ms)
        s->stream[i].frame_ms = ts_ms - s->stream[i].last_ms;
    if (!s->stream[i].seen || ts_ms > s->stream[i].last_ms)
        s->stream[i].last_ms = ts_ms;
    s->stream[i].seen = true;
}

double ls_span_seconds(const struct ls_span *s)
{
    if (!s->any)
        return 0;
    uint64_t end = s->first_ms;
    for (int i = 0; i < 2; i++) {
        uint64_t e = (uint64_t)s->stream[i].last_ms + s->stream[i].frame_ms;
        if (s->stream[i].seen && e > end)
            end = e;
    }
    return (double)(end - s->first_ms) / 1000.0;
}

int ls_recording_create(const char *pattern, char *name, size_t size)
{
    time_t now = time(NULL);
    for (unsigned n = 0; n <= LS_RECORDING_MAX_SUFFIX; n++) {
        int err = ls_recording_name(name, size, pattern, now, n);
        if (err < 0)
            return err;
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : -errno;
    }
    return -EEXIST;
}
