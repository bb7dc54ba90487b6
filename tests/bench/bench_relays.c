/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Benchmark driver (not a test): N relays in this one process, each reading
 * the same RTSP URL over TCP and publishing to its own RTMP stream
 * (<output-prefix><i>). It waits until every output has written video, lets
 * things settle, then measures over a window:
 *
 *   - CPU time of the whole process (getrusage, all threads) / wall time;
 *   - RSS and PSS from /proc/self/smaps_rollup, minus a baseline taken after
 *     the libraries are loaded and initialised but before any relay exists;
 *   - the thread count (/proc/self/status);
 *   - each relay's and output's own stats: first_packet_ms, first_keyframe_ms,
 *     first_video_ms, and latency p50/p99 (av_read_frame returned → RTMP write
 *     returned), snapshotted every --sample-ms during the window because the
 *     library keeps only the last 256 tags.
 *
 * It prints one JSON object per line on stdout; the last "result" line holds
 * everything. tests/bench/run.py drives it (and samples /proc/<pid> itself
 * when it sees the window_start / window_end lines).
 *
 *   bench_relays --input rtsp://127.0.0.1:P/h264_720p --output-prefix rtmp://127.0.0.1:Q/live/bench
 *                --n N [--seconds 20] [--settle 3] [--start-timeout 60] [--sample-ms 3000] [--hold]
 *
 * --sink null: a discarding in-process subscriber instead of RTMP (the cost of the RTMP sink
 * by difference); --sink none: no output at all (input + remux + GOP cache only).
 * --hold: after the window_end line, wait for a line on stdin before going on (so that the
 * driver can sample /proc/<pid> before the teardown threads start).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <lightstream/lightstream.h>

struct mem {
    long rss_kib, pss_kib, pss_anon_kib, anon_kib, private_dirty_kib;
    int threads;
};

struct relay_slot {
    struct ls_relay *relay;
    int64_t t0_us;              /* monotonic time of ls_relay_start */
    struct ls_relay_stats st;   /* at window end */
    struct ls_output_stats out; /* at window end */
    struct ls_output_stats out0; /* at window start */
    uint32_t lat_p50_max, lat_p99_max; /* over the window's snapshots */
    uint32_t *p50s;             /* snapshot p50 values (median taken at the end) */
    int n_p50s;
    pthread_t destroyer;
    _Atomic int relay_tid;      /* the relay thread, learnt from its first event */
    _Atomic int output_tid;     /* the output thread, learnt from OUTPUT_UP */
};

/* A discarding subscriber, to separate the RTMP sink's cost from the rest (--sink null). */
static int null_sink(void *cookie, const uint8_t *data, size_t size, unsigned flags)
{
    (void)cookie, (void)data, (void)size, (void)flags;
    return 0;
}

/*
 * Events run on the relay thread (input events) or on the output's thread (output events):
 * note which thread is which, for the per-thread CPU split, and name them for perf/top.
 */
static void on_event(void *user, struct ls_relay *relay, const struct ls_event *ev)
{
    (void)relay;
    struct relay_slot *s = user;
    int tid = (int)gettid();
    if (ev->output_id < 0 && !s->relay_tid) {
        s->relay_tid = tid;
        prctl(PR_SET_NAME, "ls-relay", 0, 0, 0);
    } else if (ev->type == LS_EVENT_OUTPUT_UP && !s->output_tid) {
        s->output_tid = tid;
        prctl(PR_SET_NAME, "ls-output", 0, 0, 0);
    }
}

/** CPU time of one of our threads, in seconds (schedstat: nanoseconds on the CPU). */
static double task_cpu_s(int tid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    unsigned long long ns = 0;
    if (fscanf(f, "%llu", &ns) != 1)
        ns = 0;
    fclose(f);
    return (double)ns / 1e9;
}

/** CPU seconds of the relay threads, the output threads and the main thread. */
static void thread_cpu(const struct relay_slot *slots, int n, double out[3])
{
    out[0] = out[1] = 0;
    for (int i = 0; i < n; i++) {
        if (slots[i].relay_tid)
            out[0] += task_cpu_s(slots[i].relay_tid);
        if (slots[i].output_tid)
            out[1] += task_cpu_s(slots[i].output_tid);
    }
    out[2] = task_cpu_s((int)getpid());
}

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void sleep_us(int64_t us)
{
    if (us <= 0)
        return;
    struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) && errno == EINTR) {
    }
}

static int64_t cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

static long field_kib(const char *line, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(line, name, n) || line[n] != ':')
        return -1;
    return strtol(line + n + 1, NULL, 10);
}

static void read_mem(struct mem *m)
{
    memset(m, 0, sizeof(*m));
    char line[256];
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (f) {
        while (fgets(line, sizeof(line), f)) {
            long v;
            if ((v = field_kib(line, "Rss")) >= 0)
                m->rss_kib = v;
            else if ((v = field_kib(line, "Pss")) >= 0)
                m->pss_kib = v;
            else if ((v = field_kib(line, "Pss_Anon")) >= 0)
                m->pss_anon_kib = v;
            else if ((v = field_kib(line, "Anonymous")) >= 0)
                m->anon_kib = v;
            else if ((v = field_kib(line, "Private_Dirty")) >= 0)
                m->private_dirty_kib = v;
        }
        fclose(f);
    }
    f = fopen("/proc/self/status", "r");
    if (f) {
        while (fgets(line, sizeof(line), f))
            if (!strncmp(line, "Threads:", 8))
                m->threads = atoi(line + 8);
        fclose(f);
    }
}

static void print_mem(const char *key, const struct mem *m)
{
    printf("\"%s\":{\"rss_kib\":%ld,\"pss_kib\":%ld,\"pss_anon_kib\":%ld,\"anon_kib\":%ld,"
           "\"private_dirty_kib\":%ld,\"threads\":%d}",
           key, m->rss_kib, m->pss_kib, m->pss_anon_kib, m->anon_kib, m->private_dirty_kib,
           m->threads);
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int get_output(struct ls_relay *r, struct ls_output_stats *o)
{
    size_t n = 0;
    if (ls_relay_get_output_stats(r, o, 1, &n) < 0 || n < 1)
        return -1;
    return 0;
}

static void *destroy_one(void *arg)
{
    struct relay_slot *s = arg;
    ls_relay_destroy(&s->relay);
    return NULL;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_relays --input RTSP_URL --output-prefix RTMP_URL_PREFIX --n N\n"
                    "       [--seconds S] [--settle S] [--start-timeout S] [--sample-ms MS] [--hold]\n"
                    "       [--sink rtmp|null|none] [--engine libavformat|native]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"input", 1, NULL, 'i'},   {"output-prefix", 1, NULL, 'o'}, {"n", 1, NULL, 'n'},
        {"seconds", 1, NULL, 's'}, {"settle", 1, NULL, 'S'},        {"start-timeout", 1, NULL, 't'},
        {"sample-ms", 1, NULL, 'm'}, {"hold", 0, NULL, 'h'},       {"sink", 1, NULL, 'k'},
        {"engine", 1, NULL, 'e'},
        {NULL, 0, NULL, 0},
    };
    const char *input = NULL, *prefix = NULL;
    int n = 1;
    double seconds = 20, settle = 3, start_timeout = 60;
    int sample_ms = 3000;
    bool hold = false;
    const char *sink = "rtmp";
    bool native = false;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i': input = optarg; break;
        case 'o': prefix = optarg; break;
        case 'n': n = atoi(optarg); break;
        case 's': seconds = atof(optarg); break;
        case 'S': settle = atof(optarg); break;
        case 't': start_timeout = atof(optarg); break;
        case 'm': sample_ms = atoi(optarg); break;
        case 'h': hold = true; break;
        case 'k': sink = optarg; break;
        case 'e': native = !strcmp(optarg, "native"); break;
        default: usage();
        }
    }
    if (!input || !prefix || n < 1 || seconds <= 0 || sample_ms < 100 ||
        (strcmp(sink, "rtmp") && strcmp(sink, "null") && strcmp(sink, "none")))
        usage();
    bool want_output = strcmp(sink, "none") != 0;
    setvbuf(stdout, NULL, _IOFBF, 1 << 16);

    struct relay_slot *slots = calloc((size_t)n, sizeof(*slots));
    int max_snaps = (int)(seconds * 1000 / sample_ms) + 4;
    for (int i = 0; i < n && slots; i++)
        if (!(slots[i].p50s = calloc((size_t)max_snaps, sizeof(uint32_t))))
            return 1;
    if (!slots)
        return 1;

    struct ls_relay_settings rs;
    ls_relay_default_settings(&rs);
    rs.input_url = input;
    rs.transport = LS_TRANSPORT_TCP;
    rs.engine = native ? LS_ENGINE_NATIVE : LS_ENGINE_LIBAVFORMAT;
    /* As lightstreamd runs them: rtmp:// outputs write without threads of their own. */
    struct ls_io *io = NULL;
    if (ls_io_create(&io) < 0)
        return 1;

    /* Baseline: libraries loaded and initialised (the first create runs the library's
     * one-time FFmpeg network init), no relay alive. */
    {
        struct ls_relay *warm;
        if (ls_relay_create(&warm, &rs) == 0)
            ls_relay_destroy(&warm);
    }
    struct mem base;
    read_mem(&base);
    printf("{\"event\":\"baseline\",\"t_us\":%" PRId64 ",", now_us());
    print_mem("mem", &base);
    printf("}\n");
    fflush(stdout);

    char url[1024];
    rs.on_event = on_event;
    rs.io = io;
    for (int i = 0; i < n; i++) {
        rs.user_data = &slots[i];
        int err = ls_relay_create(&slots[i].relay, &rs);
        if (err < 0) {
            printf("{\"event\":\"error\",\"what\":\"create\",\"i\":%d,\"error\":%d}\n", i, err);
            return 1;
        }
        snprintf(url, sizeof(url), "%s%d", prefix, i);
        if (!want_output)
            continue;
        err = strcmp(sink, "null") ? ls_relay_add_output(slots[i].relay, url, NULL, NULL)
                                   : ls_relay_add_subscriber(slots[i].relay, null_sink, NULL, NULL,
                                                             NULL);
        if (err < 0) {
            printf("{\"event\":\"error\",\"what\":\"add_output\",\"i\":%d,\"error\":%d}\n", i, err);
            return 1;
        }
    }
    int64_t t_start = now_us();
    for (int i = 0; i < n; i++) {
        slots[i].t0_us = now_us();
        int err = ls_relay_start(slots[i].relay);
        if (err < 0) {
            printf("{\"event\":\"error\",\"what\":\"start\",\"i\":%d,\"error\":%d}\n", i, err);
            return 1;
        }
    }
    printf("{\"event\":\"started\",\"t0_us\":[");
    for (int i = 0; i < n; i++)
        printf("%s%" PRId64, i ? "," : "", slots[i].t0_us);
    printf("]}\n");
    fflush(stdout);

    /* Wait until every output has written its first video tag. */
    int streaming = 0;
    int64_t deadline = t_start + (int64_t)(start_timeout * 1e6);
    while (now_us() < deadline) {
        streaming = 0;
        for (int i = 0; i < n; i++) {
            struct ls_output_stats o;
            struct ls_relay_stats st;
            if (want_output ? get_output(slots[i].relay, &o) == 0 && o.first_video_ms
                            : ls_relay_get_stats(slots[i].relay, &st) == 0 &&
                                  st.first_keyframe_ms)
                streaming++;
        }
        if (streaming == n)
            break;
        sleep_us(20000);
    }
    printf("{\"event\":\"streaming\",\"t_us\":%" PRId64 ",\"streaming\":%d,\"n\":%d,"
           "\"elapsed_ms\":%.1f}\n",
           now_us(), streaming, n, (now_us() - t_start) / 1000.0);
    fflush(stdout);
    sleep_us((int64_t)(settle * 1e6));

    /* The window. */
    for (int i = 0; i < n; i++)
        get_output(slots[i].relay, &slots[i].out0);
    struct mem m0, m1;
    read_mem(&m0);
    double tc0[3], tc1[3];
    thread_cpu(slots, n, tc0);
    int64_t w0 = now_us(), c0 = cpu_us();
    printf("{\"event\":\"window_start\",\"t_us\":%" PRId64 "}\n", w0);
    fflush(stdout);
    int64_t w_end = w0 + (int64_t)(seconds * 1e6);
    int64_t snap_cpu_us = 0;
    for (;;) {
        int64_t next = now_us() + (int64_t)sample_ms * 1000;
        if (next > w_end)
            next = w_end;
        sleep_us(next - now_us());
        /* Latency snapshot: the library keeps the last 256 tags (about 3.5 s here). */
        int64_t s0 = cpu_us();
        for (int i = 0; i < n; i++) {
            struct ls_output_stats o;
            struct relay_slot *s = &slots[i];
            if (get_output(s->relay, &o) < 0 || !o.latency_p99_us)
                continue;
            if (s->n_p50s < max_snaps)
                s->p50s[s->n_p50s++] = o.latency_p50_us;
            if (o.latency_p50_us > s->lat_p50_max)
                s->lat_p50_max = o.latency_p50_us;
            if (o.latency_p99_us > s->lat_p99_max)
                s->lat_p99_max = o.latency_p99_us;
        }
        snap_cpu_us += cpu_us() - s0;
        if (now_us() >= w_end)
            break;
    }
    int64_t w1 = now_us(), c1 = cpu_us();
    thread_cpu(slots, n, tc1);
    read_mem(&m1);
    printf("{\"event\":\"window_end\",\"t_us\":%" PRId64 "}\n", w1);
    fflush(stdout);
    if (hold) {
        /* The driver samples /proc/<pid> now; it writes a line when done. */
        char go[16];
        if (!fgets(go, sizeof(go), stdin))
            go[0] = '\0';
    }
    for (int i = 0; i < n; i++) {
        ls_relay_get_stats(slots[i].relay, &slots[i].st);
        get_output(slots[i].relay, &slots[i].out);
    }

    double wall_s = (w1 - w0) / 1e6;
    double cpu_pct = 100.0 * (double)(c1 - c0) / (double)(w1 - w0);
    int known_tids = 0;
    for (int i = 0; i < n; i++)
        known_tids += (slots[i].relay_tid != 0) + (slots[i].output_tid != 0);
    printf("{\"event\":\"result\",\"n\":%d,\"sink\":\"%s\",\"input\":", n, sink);
    json_str(input);
    printf(",\"thread_cpu_pct\":{\"relay_threads\":%.3f,\"output_threads\":%.3f,\"main\":%.3f,"
           "\"known_threads\":%d}",
           100 * (tc1[0] - tc0[0]) / ((w1 - w0) / 1e6), 100 * (tc1[1] - tc0[1]) / ((w1 - w0) / 1e6),
           100 * (tc1[2] - tc0[2]) / ((w1 - w0) / 1e6), known_tids);
    printf(",\"window_s\":%.3f,\"cpu_s\":%.3f,\"cpu_pct_total\":%.3f,\"cpu_pct_per_relay\":%.4f,"
           "\"snapshot_cpu_s\":%.4f,",
           wall_s, (c1 - c0) / 1e6, cpu_pct, cpu_pct / n, snap_cpu_us / 1e6);
    print_mem("baseline", &base);
    putchar(',');
    print_mem("window_start", &m0);
    putchar(',');
    print_mem("window_end", &m1);
    printf(",\"rss_kib_per_relay\":%.1f,\"pss_kib_per_relay\":%.1f,\"relays\":[",
           (double)(m1.rss_kib - base.rss_kib) / n, (double)(m1.pss_kib - base.pss_kib) / n);
    for (int i = 0; i < n; i++) {
        struct relay_slot *s = &slots[i];
        const struct ls_relay_stats *st = &s->st;
        const struct ls_output_stats *o = &s->out;
        uint32_t p50 = 0;
        if (s->n_p50s) {
            qsort(s->p50s, (size_t)s->n_p50s, sizeof(uint32_t), cmp_u32);
            p50 = s->p50s[s->n_p50s / 2];
        }
        printf("%s{\"i\":%d,\"t0_us\":%" PRId64 ",\"state\":\"%s\",\"first_packet_ms\":%u,"
               "\"first_keyframe_ms\":%u,\"fps\":%.2f,\"bitrate_kbps\":%u,"
               "\"video_frames_in\":%" PRIu64 ",\"audio_frames_in\":%" PRIu64
               ",\"reconnects\":%u,\"last_error\":%d,"
               "\"out\":{\"state\":\"%s\",\"first_video_ms\":%u,\"latency_p50_us\":%u,"
               "\"latency_p99_us\":%u,\"latency_p50_max_us\":%u,\"snapshots\":%d,"
               "\"video_frames_window\":%" PRIu64 ",\"bytes_window\":%" PRIu64
               ",\"video_frames_out\":%" PRIu64 ",\"skips\":%" PRIu64 ",\"dropped_frames\":%" PRIu64
               ",\"reconnects\":%u,\"last_error\":%d}}",
               i ? "," : "", i, s->t0_us, ls_state_name(st->state), st->first_packet_ms,
               st->first_keyframe_ms, st->fps, st->bitrate_kbps, st->video_frames_in,
               st->audio_frames_in, st->reconnects, st->last_error, ls_state_name(o->state),
               o->first_video_ms, p50, s->lat_p99_max, s->lat_p50_max, s->n_p50s,
               o->video_frames_out - s->out0.video_frames_out, o->bytes_out - s->out0.bytes_out,
               o->video_frames_out, o->skips, o->dropped_frames, o->reconnects, o->last_error);
    }
    printf("]}\n");
    fflush(stdout);

    /* Tear down in parallel: each relay stops within about a second. */
    int64_t d0 = now_us();
    for (int i = 0; i < n; i++)
        if (pthread_create(&slots[i].destroyer, NULL, destroy_one, &slots[i]))
            destroy_one(&slots[i]), slots[i].destroyer = 0;
    for (int i = 0; i < n; i++)
        if (slots[i].destroyer)
            pthread_join(slots[i].destroyer, NULL);
    printf("{\"event\":\"teardown\",\"ms\":%.1f}\n", (now_us() - d0) / 1000.0);
    fflush(stdout);
    ls_io_destroy(&io);
    for (int i = 0; i < n; i++)
        free(slots[i].p50s);
    free(slots);
    return 0;
}
