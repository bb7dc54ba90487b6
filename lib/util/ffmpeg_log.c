/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * FFmpeg's log routed to an application's ls_logger, on request only.
 *
 * This file holds the library's only global state, and on purpose: FFmpeg's
 * av_log callback is one per process and takes no cookie, so the logger it
 * reaches can only live in a static. Nothing here runs unless the
 * application calls ls_ffmpeg_log_route().
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libavutil/log.h>

#include "lightstream/ffmpeg_log.h"
#include "lightstream/redact.h"

/* FFmpeg's own default callback formats into 1024 bytes too. */
#define LINE_CAP 1024
#define PREFIX "ffmpeg: "

/* Held while the route changes and while the application's callback runs,
 * so that unroute() returning means the callback is done for good. */
static pthread_mutex_t route_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ls_logger route;  /* callback NULL: not routed */
static int saved_av_level;      /* FFmpeg's level before the first route */

/* FFmpeg writes some lines in several av_log calls (av_dump_format, the
 * RTSP "method X failed" lines): each thread collects its own pieces until
 * the newline, so lines of two threads never mix. */
static _Thread_local char pending[LINE_CAP];
static _Thread_local size_t pending_len;
static _Thread_local int pending_level = LS_LOG_DEBUG;
static _Thread_local int in_callback;

static enum ls_log_level level_from_av(int av_level)
{
    if (av_level <= AV_LOG_ERROR)
        return LS_LOG_ERROR;
    if (av_level <= AV_LOG_WARNING)
        return LS_LOG_WARN;
    if (av_level <= AV_LOG_INFO)
        return LS_LOG_INFO;
    return LS_LOG_DEBUG;
}

static int av_level_from(enum ls_log_level level)
{
    static const int av[] = {AV_LOG_ERROR, AV_LOG_WARNING, AV_LOG_INFO, AV_LOG_VERBOSE};
    return av[level];
}

/* Called with route_lock held: one finished line, redacted, to the logger. */
static void deliver(const char *line, size_t len, enum ls_log_level level)
{
    char raw[sizeof(PREFIX) + LINE_CAP], clean[2 * LINE_CAP];
    snprintf(raw, sizeof(raw), PREFIX "%.*s", (int)len, line);
    ls_redact_text(raw, NULL, clean, sizeof(clean));
    in_callback = 1;
    route.callback(route.cookie, level, clean);
    in_callback = 0;
}

/* Called with route_lock held: appends a formatted piece to this thread's
 * pending line and delivers every line it completes. A line longer than
 * FFmpeg's own cap is cut there; empty lines are skipped. */
static void collect(const char *piece, enum ls_log_level level)
{
    if ((int)level < pending_level)
        pending_level = (int)level;
    for (const char *p = piece; *p;) {
        size_t n = strcspn(p, "\n");
        size_t room = sizeof(pending) - 1 - pending_len;
        size_t take = n < room ? n : room;
        memcpy(pending + pending_len, p, take);
        pending_len += take;
        p += n;
        if (*p != '\n')
            break; /* the line goes on in a later call */
        if (pending_len > 0)
            deliver(pending, pending_len, (enum ls_log_level)pending_level);
        pending_len = 0;
        pending_level = LS_LOG_DEBUG;
        p++;
    }
}

static void route_callback(void *avcl, int av_level, const char *fmt, va_list ap)
{
    /* FFmpeg called from the application's own callback: dropped, as the
     * lock is held and FFmpeg's line would only loop back here. */
    if (in_callback)
        return;
    pthread_mutex_lock(&route_lock);
    if (!route.callback) {
        /* Unrouted between FFmpeg reading its callback and calling it. */
        pthread_mutex_unlock(&route_lock);
        av_log_default_callback(avcl, av_level, fmt, ap);
        return;
    }
    int level = av_level & 0xff; /* the high bits may carry a colour */
    if (level <= av_level_from(route.level)) {
        char piece[LINE_CAP];
        int print_prefix = pending_len == 0;
        if (av_log_format_line2(avcl, level, fmt, ap, piece, sizeof(piece), &print_prefix) >= 0)
            collect(piece, level_from_av(level));
    }
    pthread_mutex_unlock(&route_lock);
}

int ls_ffmpeg_log_route(const struct ls_logger *logger)
{
    if (!logger || !logger->callback || (unsigned)logger->level > LS_LOG_DEBUG)
        return -EINVAL;
    if (in_callback)
        return -EDEADLK;
    pthread_mutex_lock(&route_lock);
    if (!route.callback)
        saved_av_level = av_log_get_level();
    route = *logger;
    av_log_set_level(av_level_from(logger->level));
    av_log_set_callback(route_callback);
    pthread_mutex_unlock(&route_lock);
    return 0;
}

int ls_ffmpeg_log_unroute(void)
{
    if (in_callback)
        return -EDEADLK;
    pthread_mutex_lock(&route_lock);
    int ret = -EALREADY;
    if (route.callback) {
        av_log_set_callback(av_log_default_callback);
        av_log_set_level(saved_av_level);
        memset(&route, 0, sizeof(route));
        ret = 0;
    }
    pthread_mutex_unlock(&route_lock);
    return ret;
}
