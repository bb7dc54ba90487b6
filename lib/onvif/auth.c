/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include <libavutil/base64.h>
#include <libavutil/mem.h>
#include <libavutil/random_seed.h>
#include <libavutil/sha.h>

#include "lib/onvif/auth.h"
#include "lib/onvif/text.h"

bool ls_onvif_base64(const uint8_t *in, size_t len, char *out, size_t cap)
{
    if (len > (size_t)(INT32_MAX / 2) || cap > (size_t)INT32_MAX || cap < AV_BASE64_SIZE(len))
        return false;
    return av_base64_encode(out, (int)cap, in, (int)len) != NULL;
}

void ls_onvif_wsse_digest(const uint8_t *nonce, size_t nonce_len, const char *created,
                          const char *password, char out[LS_ONVIF_WSSE_DIGEST_SIZE])
{
    /* struct AVSHA is opaque: av_sha_alloc is the only way to get one. A
     * failed allocation leaves an empty digest, which the device refuses. */
    uint8_t hash[20];
    struct AVSHA *sha = av_sha_alloc();
    out[0] = '\0';
    if (!sha)
        return;
    av_sha_init(sha, 160);
    av_sha_update(sha, nonce, (unsigned)nonce_len);
    av_sha_update(sha, (const uint8_t *)created, (unsigned)strlen(created));
    av_sha_update(sha, (const uint8_t *)(password ? password : ""),
                  (unsigned)strlen(password ? password : ""));
    av_sha_final(sha, hash);
    av_free(sha);
    ls_onvif_base64(hash, sizeof(hash), out, LS_ONVIF_WSSE_DIGEST_SIZE);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

int64_t ls_onvif_utc_to_unix(int year, int month, int day, int hour, int minute, int second)
{
    if (year < 1970 || year > 9999 || month < 1 || month > 12 || day < 1 || day > 31 ||
        hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60)
        return INT64_MIN;
    return days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
}

bool ls_onvif_format_utc(int64_t unix_s, int ms, char *out, size_t cap)
{
    const int64_t max = 253402300799; /* 9999-12-31T23:59:59Z */
    if (unix_s < 0)
        unix_s = 0;
    if (unix_s > max)
        unix_s = max;
    int64_t days = unix_s / 86400, secs = unix_s % 86400;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    int h = (int)(secs / 3600), mi = (int)(secs / 60 % 60), s = (int)(secs % 60);
    int n = ms >= 0 ? snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, h, mi, s,
                               ms % 1000)
                    : snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, h, mi, s);
    return n > 0 && (size_t)n < cap;
}

void ls_onvif_random(uint8_t *buf, size_t len)
{
    size_t got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        while (got < len) {
            ssize_t n = read(fd, buf + got, len - got);
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        close(fd);
    }
    for (; got < len; got += 4) {
        uint32_t r = av_get_random_seed();
        size_t n = len - got < 4 ? len - got : 4;
        memcpy(buf + got, &r, n);
    }
}
