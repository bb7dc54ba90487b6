/*
 * lightstreamd's log.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libavutil/log.h>

#include "lightstream/redact.h"

#include "daemon/log.h"

/* The password of a running instance's URL (see lsd_log_watch_url). */
struct watched {
    struct watched *next;
    const void *key;
    char password[];
};

struct lsd_log {
    pthread_mutex_t lock; /* the file, and the watched passwords */
    FILE *file;           /* NULL: stderr */
    char path[512];
    int level;            /* enum ls_log_level, atomic: see lsd_log_level() */
    struct watched *watched;
};

static const char *const level_names[] = {"error", "warn", "info", "debug"};

/* FFmpeg's log callback has no cookie: the one log it writes to is kept here.
 * This is the daemon, not the library: one process, one FFmpeg log. */
static struct lsd_log *ffmpeg_log;

int lsd_log_create(struct lsd_log **out, const char *path, enum ls_log_level level)
{
    struct lsd_log *log = calloc(1, sizeof(*log));
    if (!log)
        return -ENOMEM;
    pthread_mutex_init(&log->lock, NULL);
    log->level = (int)level;
    snprintf(log->path, sizeof(log->path), "%s", path ? path : "");
    int ret = lsd_log_reopen(log);
    if (ret < 0) {
        lsd_log_destroy(&log);
        return ret;
    }
    *out = log;
    return 0;
}

void lsd_log_destroy(struct lsd_log **plog)
{
    struct lsd_log *log = *plog;
    if (!log)
        return;
    if (ffmpeg_log == log) {
        av_log_set_callback(av_log_default_callback);
        ffmpeg_log = NULL;
    }
    if (log->file)
        fclose(log->file);
    while (log->watched) {
        struct watched *w = log->watched;
        log->watched = w->next;
        free(w);
    }
    pthread_mutex_destroy(&log->lock);
    free(log);
    *plog = NULL;
}

int lsd_log_reopen(struct lsd_log *log)
{
    if (log->path[0] == '\0')
        return 0;
    FILE *f = fopen(log->path, "a");
    if (!f)
        return -errno;
    setvbuf(f, NULL, _IOLBF, 0);
    pthread_mutex_lock(&log->lock);
    FILE *old = log->file;
    log->file = f;
    pthread_mutex_unlock(&log->lock);
    if (old)
        fclose(old);
    return 0;
}

/* The level changes on SIGHUP while library threads log: an atomic int,
 * so that a thread sees the old level or the new one. */
enum ls_log_level lsd_log_level(const struct lsd_log *log)
{
    return (enum ls_log_level)__atomic_load_n(&log->level, __ATOMIC_RELAXED);
}

void lsd_log_set_level(struct lsd_log *log, enum ls_log_level level)
{
    __atomic_store_n(&log->level, (int)level, __ATOMIC_RELAXED);
}

static void write_line(struct lsd_log *log, enum ls_log_level level, const char *msg)
{
    char clean[2048];
    char line[4 * sizeof(clean)]; /* escaping makes a byte four characters at most */
    ls_redact_text(msg, NULL, clean, sizeof(clean));
    size_t n = strlen(clean);
    while (n && (clean[n - 1] == '\n' || clean[n - 1] == '\r'))
        clean[--n] = '\0';
    /* Escaped after the redaction, which must see the text as it was. */
    lsd_log_escape(clean, line, sizeof(line));
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    pthread_mutex_lock(&log->lock);
    FILE *f = log->file ? log->file : stderr;
    fprintf(f, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %-5s %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
            ts.tv_nsec / 1000000, level_names[level], line);
    fflush(f);
    pthread_mutex_unlock(&log->lock);
}

void lsd_logf(struct lsd_log *log, enum ls_log_level level, const char *fmt, ...)
{
    if (!log || level > lsd_log_level(log))
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    write_line(log, level, msg);
}

void lsd_log_library(void *cookie, enum ls_log_level level, const char *message)
{
    struct lsd_log *log = cookie;
    if (log && level <= lsd_log_level(log))
        write_line(log, level, message);
}

int lsd_log_watch_url(struct lsd_log *log, const void *key, const char *url)
{
    char password[2048];
    size_t n = ls_url_password(url, password, sizeof(password));
    if (n == 0)
        return 0;
    struct watched *w = malloc(sizeof(*w) + n + 1);
    if (!w)
        return -ENOMEM;
    w->key = key;
    memcpy(w->password, password, n + 1);
    pthread_mutex_lock(&log->lock);
    w->next = log->watched;
    log->watched = w;
    pthread_mutex_unlock(&log->lock);
    return 0;
}

void lsd_log_unwatch(struct lsd_log *log, const void *key)
{
    pthread_mutex_lock(&log->lock);
    for (struct watched **p = &log->watched; *p;) {
        struct watched *w = *p;
        if (w->key == key) {
            *p = w->next;
            free(w);
        } else {
            p = &w->next;
        }
    }
    pthread_mutex_unlock(&log->lock);
}

/* FFmpeg's lines do not say which relay they come from: each is redacted
 * with the password of every running instance. */
static void ffmpeg_callback(void *avcl, int level, const char *fmt, va_list ap)
{
    struct lsd_log *log = ffmpeg_log;
    (void)avcl;
    if (!log || level > AV_LOG_INFO || lsd_log_level(log) < LS_LOG_DEBUG)
        return;
    char msg[2048];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    char line[2100], clean[2100];
    snprintf(line, sizeof(line), "ffmpeg: %s", msg);
    pthread_mutex_lock(&log->lock);
    for (struct watched *w = log->watched; w; w = w->next) {
        ls_redact_text(line, w->password, clean, sizeof(clean));
        memcpy(line, clean, strlen(clean) + 1);
    }
    pthread_mutex_unlock(&log->lock);
    write_line(log, LS_LOG_DEBUG, line);
}

void lsd_log_capture_ffmpeg(struct lsd_log *log)
{
    ffmpeg_log = log;
    av_log_set_callback(ffmpeg_callback);
}
