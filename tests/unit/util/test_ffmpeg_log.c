/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * ls_ffmpeg_log_route(): FFmpeg's av_log lines reach the application's
 * logger redacted, whole and at the mapped level; unroute gives FFmpeg its
 * default stderr callback and level back.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libavutil/log.h>

#include "lightstream/ffmpeg_log.h"
#include "tests/unit/test.h"

#define MAX_LINES 1024

struct sink {
    pthread_mutex_t lock;
    int n;
    enum ls_log_level level[MAX_LINES];
    char line[MAX_LINES][256];
    int reentry_ret; /* what unroute() said from inside the callback */
    int reenter;     /* 1: call unroute() and av_log() from the callback */
};

static void on_log(void *cookie, enum ls_log_level level, const char *msg)
{
    struct sink *s = cookie;
    pthread_mutex_lock(&s->lock);
    if (s->n < MAX_LINES) {
        s->level[s->n] = level;
        snprintf(s->line[s->n], sizeof(s->line[0]), "%s", msg);
        s->n++;
    }
    pthread_mutex_unlock(&s->lock);
    if (s->reenter) {
        s->reentry_ret = ls_ffmpeg_log_unroute();
        av_log(NULL, AV_LOG_ERROR, "logged from inside the callback\n");
    }
}

/* A context FFmpeg names as it names its RTSP demuxer: "[rtsp @ 0x...]". */
static const AVClass fake_class = {
    .class_name = "rtsp",
    .item_name = av_default_item_name,
    .version = LIBAVUTIL_VERSION_INT,
};
struct fake_ctx {
    const AVClass *cls;
};

static void test_route_redacts_and_maps_levels(void)
{
    struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct fake_ctx ctx = {&fake_class};
    struct ls_logger logger = {.cookie = &s, .callback = on_log, .level = LS_LOG_INFO};
    CHECK_EQ_INT(ls_ffmpeg_log_route(&logger), 0);
    CHECK_EQ_INT(av_log_get_level(), AV_LOG_INFO);

    av_log(&ctx, AV_LOG_ERROR, "Connection to %s failed\n",
           "rtsp://admin:hunter2@127.0.0.1:554/Streaming/Channels/101");
    av_log(&ctx, AV_LOG_WARNING, "RTP: missed %d packets\n", 3);
    av_log(&ctx, AV_LOG_INFO, "SDP from %s\n", "rtsp://cam.local/live?user=a&password=s3cret");
    av_log(&ctx, AV_LOG_VERBOSE, "verbose: not at LS_LOG_INFO\n");
    av_log(&ctx, AV_LOG_FATAL, "fatal\n");

    CHECK_EQ_INT(s.n, 4);
    CHECK_EQ_INT(s.level[0], LS_LOG_ERROR);
    CHECK(strstr(s.line[0], "ffmpeg: [rtsp @ ") == s.line[0]);
    CHECK(strstr(s.line[0], "rtsp://admin:****@127.0.0.1:554/Streaming/Channels/101 failed"));
    CHECK(!strstr(s.line[0], "hunter2"));
    CHECK(!strchr(s.line[0], '\n'));
    CHECK_EQ_INT(s.level[1], LS_LOG_WARN);
    CHECK(strstr(s.line[1], "] RTP: missed 3 packets"));
    CHECK_EQ_INT(s.level[2], LS_LOG_INFO);
    CHECK(strstr(s.line[2], "password=****"));
    CHECK(!strstr(s.line[2], "s3cret"));
    CHECK_EQ_INT(s.level[3], LS_LOG_ERROR);
    CHECK(strstr(s.line[3], "] fatal"));

    /* A line written in pieces arrives once, whole, at its most severe level. */
    s.n = 0;
    av_log(&ctx, AV_LOG_INFO, "Stream #0:0: ");
    av_log(&ctx, AV_LOG_WARNING, "Video: h264 ");
    av_log(&ctx, AV_LOG_INFO, "1280x720\n");
    CHECK_EQ_INT(s.n, 1);
    CHECK(strstr(s.line[0], "] Stream #0:0: Video: h264 1280x720"));
    CHECK(!strstr(s.line[0] + 10, "[rtsp @"));
    CHECK_EQ_INT(s.level[0], LS_LOG_WARN);

    /* Two lines in one call: two calls to the logger. */
    s.n = 0;
    av_log(NULL, AV_LOG_ERROR, "first\nsecond\n");
    CHECK_EQ_INT(s.n, 2);
    CHECK_EQ_STR(s.line[0], "ffmpeg: first");
    CHECK_EQ_STR(s.line[1], "ffmpeg: second");

    /* LS_LOG_DEBUG lets FFmpeg's verbose lines through, not its debug ones. */
    logger.level = LS_LOG_DEBUG;
    CHECK_EQ_INT(ls_ffmpeg_log_route(&logger), 0);
    s.n = 0;
    av_log(&ctx, AV_LOG_VERBOSE, "verbose\n");
    av_log(&ctx, AV_LOG_DEBUG, "per-packet debug\n");
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(s.level[0], LS_LOG_DEBUG);
    CHECK(strstr(s.line[0], "] verbose"));
    CHECK_EQ_INT(ls_ffmpeg_log_unroute(), 0);
}

/* Returns what FFmpeg's default callback wrote to stderr during av_log(). */
static void log_to_captured_stderr(const char *msg, char *out, size_t cap)
{
    char path[] = "/tmp/ls_ffmpeg_log_XXXXXX";
    int fd = mkstemp(path), saved = dup(2);
    fflush(stderr);
    dup2(fd, 2);
    av_log(NULL, AV_LOG_ERROR, "%s\n", msg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, out, cap - 1, 0);
    out[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
}

static void test_unroute_restores_default(void)
{
    struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct ls_logger logger = {.cookie = &s, .callback = on_log, .level = LS_LOG_ERROR};
    av_log_set_level(AV_LOG_WARNING);
    CHECK_EQ_INT(ls_ffmpeg_log_unroute(), -EALREADY);
    CHECK_EQ_INT(ls_ffmpeg_log_route(&logger), 0);
    CHECK_EQ_INT(av_log_get_level(), AV_LOG_ERROR);
    char got[512];
    log_to_captured_stderr("routed line", got, sizeof(got));
    CHECK_EQ_STR(got, "");
    CHECK_EQ_INT(s.n, 1);

    CHECK_EQ_INT(ls_ffmpeg_log_unroute(), 0);
    CHECK_EQ_INT(av_log_get_level(), AV_LOG_WARNING);
    log_to_captured_stderr("default line", got, sizeof(got));
    CHECK(strstr(got, "default line\n"));
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_INT(ls_ffmpeg_log_unroute(), -EALREADY);
    av_log_set_level(AV_LOG_INFO);
}

static void test_bad_arguments_and_reentry(void)
{
    struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER, .reenter = 1};
    struct ls_logger logger = {.cookie = &s, .callback = NULL, .level = LS_LOG_INFO};
    CHECK_EQ_INT(ls_ffmpeg_log_route(NULL), -EINVAL);
    CHECK_EQ_INT(ls_ffmpeg_log_route(&logger), -EINVAL);
    logger.callback = on_log;
    logger.level = (enum ls_log_level)4;
    CHECK_EQ_INT(ls_ffmpeg_log_route(&logger), -EINVAL);
    logger.level = LS_LOG_INFO;
    CHECK_EQ_INT(ls_ffmpeg_log_route(&logger), 0);
    /* The callback unroutes and logs through FFmpeg: refused and dropped, no deadlock. */
    av_log(NULL, AV_LOG_ERROR, "outer\n");
    CHECK_EQ_INT(s.reentry_ret, -EDEADLK);
    CHECK_EQ_INT(s.n, 1);
    CHECK_EQ_STR(s.line[0], "ffmpeg: outer");
    CHECK_EQ_INT(ls_ffmpeg_log_unroute(), 0);
}

/* Threads writing lines in pieces at once: no line mixes two threads'. */
static void *write_pieces(void *arg)
{
    const char *tag = arg;
    for (int i = 0; i < 200; i++) {
        av_log(NULL, AV_LOG_INFO, "%s-", tag);
        av_log(NULL, AV_LOG_INFO, "%s-%d\n", tag, i);
    }
    return NULL;
}

static void test_threads_keep_lines_whole(void)
{
    struct sink s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    struct ls_logger logger = {.cookie = &s, .callback = on_log, .level = LS_LOG_INFO};
    CHECK_EQ_INT(ls_ffmpeg_log_route(&logger), 0);
    pthread_t a, b;
    pthread_create(&a, NULL, write_pieces, "aa");
    pthread_create(&b, NULL, write_pieces, "bb");
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    CHECK_EQ_INT(ls_ffmpeg_log_unroute(), 0);
    CHECK_EQ_INT(s.n, 400);
    int mixed = 0;
    for (int i = 0; i < s.n; i++) {
        char t[3] = {s.line[i][8], s.line[i][9], 0};
        char want[32];
        int k = -1;
        sscanf(s.line[i] + 8 + 6, "%d", &k);
        snprintf(want, sizeof(want), "ffmpeg: %s-%s-%d", t, t, k);
        mixed += strcmp(s.line[i], want) != 0;
    }
    CHECK_EQ_INT(mixed, 0);
}

int main(void)
{
    test_route_redacts_and_maps_levels();
    test_unroute_restores_default();
    test_bad_arguments_and_reentry();
    test_threads_keep_lines_whole();
    return test_done("ffmpeg_log");
}
