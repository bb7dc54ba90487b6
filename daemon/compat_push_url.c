/*
 * The push API's pure parts: Hikvision/Dahua RTSP URLs, its time format and
 * the PTZ command mapping. No I/O, no libevent.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "daemon/compat.h"

/* ---- times --------------------------------------------------------------- */

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* n digits at p, no sign, no spaces (sscanf would accept " 7" and "+7"). */
static bool digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

int lsd_push_time_parse(const char *text, struct lsd_push_time *out)
{
    struct lsd_push_time t;
    /* "YYYY-MM-DD hh:mm:ss": 19 characters exactly */
    if (strlen(text) != 19 || text[4] != '-' || text[7] != '-' || text[10] != ' ' ||
        text[13] != ':' || text[16] != ':')
        return -EINVAL;
    if (!digits(text, 4, &t.year) || !digits(text + 5, 2, &t.month) ||
        !digits(text + 8, 2, &t.day) || !digits(text + 11, 2, &t.hour) ||
        !digits(text + 14, 2, &t.minute) || !digits(text + 17, 2, &t.second))
        return -EINVAL;
    if (t.year < 1970 || t.month < 1 || t.month > 12 || t.day < 1 ||
        t.day > days_in_month(t.year, t.month) || t.hour > 23 || t.minute > 59 || t.second > 59)
        return -EINVAL;
    *out = t;
    return 0;
}

int64_t lsd_push_time_key(const struct lsd_push_time *t)
{
    /* days from civil (H. Hinnant), shifted so March is month 0 */
    int64_t y = t->year - (t->month <= 2);
    int64_t era = y / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (t->month + 9) % 12;
    int64_t doy = (153 * mp + 2) / 5 + t->day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe;
    return days * 86400 + t->hour * 3600 + t->minute * 60 + t->second;
}

void lsd_push_time_format(const struct lsd_push_time *t, char *out, size_t size)
{
    snprintf(out, size, "%04d-%02d-%02d %02d:%02d:%02d", t->year, t->month, t->day, t->hour,
             t->minute, t->second);
}

/* ---- URLs ---------------------------------------------------------------- */

bool lsd_push_addr_valid(const char *addr)
{
    size_t n = strlen(addr);
    if (n == 0 || n > 253)
        return false;
    size_t colons = 0;
    for (size_t i = 0; i < n; i++) {
        char c = addr[i];
        if (c == ':')
            colons++;
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-'))
            return false;
    }
    /* an IPv6 literal has two colons or more, and only hex digits and dots (v4-mapped)
     * besides; one colon is a "host:port", which has its own field */
    if (colons == 1 || (colons && strspn(addr, "0123456789abcdefABCDEF:.") != n))
        return false;
    return addr[0] != '-' && addr[0] != '.';
}

int lsd_push_pct_encode(const char *in, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                     (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (o + (plain ? 1 : 3) >= size)
            return -ENOSPC;
        if (plain) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (o >= size)
        return -ENOSPC;
    out[o] = '\0';
    return 0;
}

/* "rtsp://user:password@host:port" (credentials percent-encoded) */
static int authority(const struct lsd_push_target *t, char *out, size_t size)
{
    char user[3 * sizeof(t->user)], pwd[3 * sizeof(t->password)];
    if (!lsd_push_addr_valid(t->addr) || t->rtsp_port == 0 || t->rtsp_port > 65535 ||
        (t->vendor != LSD_NVR_HIKVISION && t->vendor != LSD_NVR_DAHUA))
        return -EINVAL;
    if (lsd_push_pct_encode(t->user, user, sizeof(user)) ||
        lsd_push_pct_encode(t->password, pwd, sizeof(pwd)))
        return -ENOSPC;
    bool v6 = strchr(t->addr, ':') != NULL;
    int n;
    if (t->user[0] || t->password[0])
        n = snprintf(out, size, "rtsp://%s%s%s@%s%s%s:%u", user, t->password[0] ? ":" : "", pwd,
                     v6 ? "[" : "", t->addr, v6 ? "]" : "", t->rtsp_port);
    else
        n = snprintf(out, size, "rtsp://%s%s%s:%u", v6 ? "[" : "", t->addr, v6 ? "]" : "",
                     t->rtsp_port);
    return n < 0 || (size_t)n >= size ? -ENOSPC : 0;
}

/* Append with snprintf semantics; -ENOSPC when truncated. */
static int append(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int append(char *out, size_t size, const char *fmt, ...)
{
    size_t len = strlen(out);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + len, size - len, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= size - len ? -ENOSPC : 0;
}

int lsd_push_live_url(const struct lsd_push_target *t, char *out, size_t size)
{
    int e = authority(t, out, size);
    if (e)
        return e;
    if (t->vendor == LSD_NVR_HIKVISION)
        return append(out, size, "/Streaming/Channels/%u", t->channel * 100 + 1);
    return append(out, size, "/cam/realmonitor?channel=%u&subtype=0", t->channel);
}

/* The query of a playback URL: the range in the vendor's format. */
static int playback_query(char *out, size_t size, enum lsd_nvr_vendor vendor, unsigned channel,
                          const struct lsd_push_time *a, const struct lsd_push_time *b)
{
    if (vendor == LSD_NVR_HIKVISION)
        return append(out, size,
                      "?starttime=%04d%02d%02dT%02d%02d%02dZ&endtime=%04d%02d%02dT%02d%02d%02dZ",
                      a->year, a->month, a->day, a->hour, a->minute, a->second, b->year,
                      b->month, b->day, b->hour, b->minute, b->second);
    return append(out, size,
                  "?channel=%u&subtype=0&starttime=%04d_%02d_%02d_%02d_%02d_%02d"
                  "&endtime=%04d_%02d_%02d_%02d_%02d_%02d",
                  channel, a->year, a->month, a->day, a->hour, a->minute, a->second, b->year,
                  b->month, b->day, b->hour, b->minute, b->second);
}

int lsd_push_playback_url(const struct lsd_push_target *t, const struct lsd_push_time *from,
                          const struct lsd_push_time *to, char *out, size_t size)
{
    int e = authority(t, out, size);
    if (e)
        return e;
    if (t->vendor == LSD_NVR_HIKVISION)
        e = append(out, size, "/Streaming/tracks/%u", t->channel * 100 + 1);
    else
        e = append(out, size, "/cam/playback");
    return e ? e : playback_query(out, size, t->vendor, t->channel, from, to);
}

int lsd_push_playback_reseek(const char *old_url, enum lsd_nvr_vendor vendor, unsigned channel,
                             const struct lsd_push_time *from, const struct lsd_push_time *to,
                             char *out, size_t size)
{
    size_t keep = strcspn(old_url, "?");
    if (keep >= size || (vendor != LSD_NVR_HIKVISION && vendor != LSD_NVR_DAHUA))
        return keep >= size ? -ENOSPC : -EINVAL;
    memcpy(out, old_url, keep);
    out[keep] = '\0';
    return playback_query(out, size, vendor, channel, from, to);
}

/* ---- PTZ ----------------------------------------------------------------- */

int lsd_push_ptz_vector(int command, double speed, struct lsd_ptz_vector *out)
{
    /* {pan, tilt, zoom, focus, iris} directions per command, as the vendor SDKs define them */
    static const signed char dir[14][5] = {
        {0, 0, 1, 0, 0},   /* 0 zoom in (tele) */
        {0, 0, -1, 0, 0},  /* 1 zoom out (wide) */
        {0, 0, 0, 1, 0},   /* 2 focus near */
        {0, 0, 0, -1, 0},  /* 3 focus far */
        {0, 0, 0, 0, 1},   /* 4 iris open */
        {0, 0, 0, 0, -1},  /* 5 iris close */
        {0, 1, 0, 0, 0},   /* 6 up */
        {0, -1, 0, 0, 0},  /* 7 down */
        {-1, 0, 0, 0, 0},  /* 8 left */
        {1, 0, 0, 0, 0},   /* 9 right */
        {-1, 1, 0, 0, 0},  /* 10 up + left */
        {1, 1, 0, 0, 0},   /* 11 up + right */
        {-1, -1, 0, 0, 0}, /* 12 down + left */
        {1, -1, 0, 0, 0},  /* 13 down + right */
    };
    if (command < 0 || command > 13 || !(speed > 0.0 && speed <= 1.0))
        return -EINVAL;
    out->pan = dir[command][0] * speed;
    out->tilt = dir[command][1] * speed;
    out->zoom = dir[command][2] * speed;
    out->focus = dir[command][3] * speed;
    out->iris = dir[command][4] * speed;
    return 0;
}
