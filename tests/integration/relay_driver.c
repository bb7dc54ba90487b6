/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test driver: runs one relay with the given outputs and prints JSON lines
 * on stdout — every event as it happens, stats at an interval, and a final
 * line with the relay's and every output's stats plus how long stop took.
 * The integration tests (Python) read these lines.
 *
 *   relay_driver --input URL [--transport tcp|udp|http|auto] [--audio all|aac|none]
 *     [--hevc enhanced|codec12] [--connect-ms N] [--stall-ms N] [--retry-ms N]
 *     [--output URL|PATH]... [--sub-file PATH] [--sub-stuck] [--queue-bytes N]
 *     [--duration S] [--interval-ms N] [--no-interleave] [--engine libavformat|native|auto]
 *     [--late-ms N [--late-output URL|PATH]... [--late-sub-file PATH] [--late-poll-file PATH]]
 *     [--remove-at ID:MS]... [--rec KEY=N]... [--poll-file PATH] [--threads]
 *
 * rtmp:// outputs write without threads of their own through an ls_io, as lightstreamd
 * runs them; --threads gives each output its thread instead (the library's default).
 * --late-ms adds the --late-output targets and the --late-sub-file subscriber N ms after
 * the start (printing {"added":id,"target":...,"error":e}); --remove-at removes output ID
 * (as numbered by the library: 1, 2, ... in the order added) MS ms after the start
 * (printing {"removed":id,"error":e,"remove_ms":how long the call took}).
 * --rec sets a field of ls_recording_settings for mp4: outputs (segment_ms, fragment_ms,
 * max_age_s, max_bytes, resume_free_bytes).
 * --poll-file (and --late-poll-file, added at --late-ms) write a pollable subscription
 * (lightstream/subscription.h) to a file from a poll() loop on a thread of the driver; the
 * final line then has "polls": [{"tags":n,"wakes":n,"empty_takes":n,"stats":{...}}].
 */
#include <poll.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lightstream/lightstream.h>

static volatile sig_atomic_t quit;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stuck_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stuck_cond = PTHREAD_COND_INITIALIZER;
static int stuck_release;

static void on_signal(int sig)
{
    (void)sig;
    quit = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
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

static void on_log(void *cookie, enum ls_log_level level, const char *msg)
{
    (void)cookie;
    fprintf(stderr, "[lib %d] %s\n", level, msg);
}

static void on_event(void *user, struct ls_relay *relay, const struct ls_event *ev)
{
    (void)user;
    (void)relay;
    pthread_mutex_lock(&out_lock);
    printf("{\"t\":%.3f,\"event\":\"%s\",\"state\":\"%s\",\"output\":%d,\"error\":%d,\"message\":",
           now_s(), ls_event_type_name(ev->type), ls_state_name(ev->state), ev->output_id,
           ev->error);
    json_str(ev->message);
    printf("}\n");
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static int sub_to_file(void *cookie, const uint8_t *data, size_t size, unsigned flags)
{
    (void)flags;
    return fwrite(data, 1, size, cookie) == size ? 0 : -1;
}

static int sub_stuck(void *cookie, const uint8_t *data, size_t size, unsigned flags)
{
    (void)cookie, (void)data, (void)size, (void)flags;
    pthread_mutex_lock(&stuck_lock);
    while (!stuck_release)
        pthread_cond_wait(&stuck_cond, &stuck_lock);
    pthread_mutex_unlock(&stuck_lock);
    return -1;
}

/* ---- pollable subscriptions, read by one poll() loop --------------------------- */

#define POLL_MAX 2

struct poller {
    pthread_mutex_t lock; /* the subscriptions: the main thread adds one late */
    struct ls_subscription *sub[POLL_MAX];
    FILE *file[POLL_MAX];
    unsigned long long tags[POLL_MAX], wakes[POLL_MAX], empty[POLL_MAX];
    int n;
    volatile int stop;
};

/* Write what a subscription has: head, shared body and trailer of each piece. */
static void poll_take(struct poller *p, int i)
{
    struct ls_sub_tag t[32];
    int n = ls_subscription_take(p->sub[i], t, 32);
    p->wakes[i]++;
    p->empty[i] += n == 0;
    for (int k = 0; k < n; k++) {
        fwrite(t[k].head, 1, t[k].head_size, p->file[i]);
        if (t[k].body_size)
            fwrite(t[k].body, 1, t[k].body_size, p->file[i]);
        fwrite(t[k].trailer, 1, t[k].trailer_size, p->file[i]);
        ls_tag_body_release(t[k].body_ref);
    }
    p->tags[i] += (unsigned long long)n;
}

static void *poll_main(void *arg)
{
    struct poller *p = arg;
    while (!p->stop) {
        struct pollfd pfd[POLL_MAX];
        pthread_mutex_lock(&p->lock);
        int n = p->n;
        for (int i = 0; i < n; i++)
            pfd[i] = (struct pollfd){.fd = ls_subscription_fd(p->sub[i]), .events = POLLIN};
        pthread_mutex_unlock(&p->lock);
        if (poll(pfd, (nfds_t)n, 100) <= 0)
            continue;
        for (int i = 0; i < n; i++)
            if (pfd[i].revents & POLLIN)
                poll_take(p, i);
    }
    return NULL;
}

static int poll_add(struct poller *p, struct ls_relay *relay, const char *path,
                    const struct ls_output_settings *os)
{
    FILE *f = fopen(path, "wb");
    if (!f || p->n == POLL_MAX) {
        if (f)
            fclose(f);
        return -EINVAL;
    }
    struct ls_subscription *sub;
    int err = ls_relay_subscribe(relay, os, &sub);
    if (err < 0) {
        fclose(f);
        return err;
    }
    pthread_mutex_lock(&p->lock);
    p->file[p->n] = f;
    p->sub[p->n++] = sub;
    pthread_mutex_unlock(&p->lock);
    return 0;
}

/* After the relay stopped and the poll thread ended: what each took, then unsubscribe. */
static void poll_finish(struct poller *p, struct ls_relay *relay)
{
    for (int i = 0; i < p->n; i++) {
        struct ls_output_stats st;
        ls_subscription_get_stats(p->sub[i], &st);
        printf("%s{\"tags\":%llu,\"wakes\":%llu,\"empty_takes\":%llu,\"video_frames_out\":%llu,"
               "\"audio_frames_out\":%llu,\"skips\":%llu,\"bytes_out\":%llu}",
               i ? "," : "", p->tags[i], p->wakes[i], p->empty[i],
               (unsigned long long)st.video_frames_out, (unsigned long long)st.audio_frames_out,
               (unsigned long long)st.skips, (unsigned long long)st.bytes_out);
        ls_relay_unsubscribe(relay, &p->sub[i]);
        fclose(p->file[i]);
    }
}

static void print_repairs(const struct ls_ts_repairs *r)
{
    printf("\"repairs\":{\"backward\":%llu,\"jump\":%llu,\"equal\":%llu,\"wrap\":%llu,"
           "\"missing\":%llu,\"reconnect\":%llu,\"reorder\":%llu,\"interleave\":%llu}",
           (unsigned long long)r->backward, (unsigned long long)r->jump,
           (unsigned long long)r->equal, (unsigned long long)r->wrap,
           (unsigned long long)r->missing, (unsigned long long)r->reconnect,
           (unsigned long long)r->reorder, (unsigned long long)r->interleave);
}

static void print_output(const struct ls_output_stats *o)
{
    printf("{\"id\":%d,\"state\":\"%s\",\"target\":", o->id, ls_state_name(o->state));
    json_str(o->target);
    printf(",\"file\":");
    json_str(o->file);
    printf(",\"bytes_out\":%llu,\"video_frames_out\":%llu,\"audio_frames_out\":%llu,"
           "\"bitrate_kbps\":%u,\"skips\":%llu,\"dropped_frames\":%llu,\"queue_bytes\":%u,"
           "\"reconnects\":%u,\"last_error\":%d,\"last_error_message\":",
           (unsigned long long)o->bytes_out, (unsigned long long)o->video_frames_out,
           (unsigned long long)o->audio_frames_out, o->bitrate_kbps,
           (unsigned long long)o->skips, (unsigned long long)o->dropped_frames, o->queue_bytes,
           o->reconnects, o->last_error);
    json_str(o->last_error_message);
    printf(",\"uptime_ms\":%llu,\"first_video_ms\":%u,\"latency_p50_us\":%u,"
           "\"latency_p99_us\":%u,",
           (unsigned long long)o->uptime_ms, o->first_video_ms, o->latency_p50_us,
           o->latency_p99_us);
    const struct ls_recording_stats *r = &o->recording;
    printf("\"recording\":{\"segments\":%llu,\"deleted_segments\":%llu,\"deleted_bytes\":%llu,"
           "\"paused\":%s,\"pauses\":%u,\"paused_frames\":%llu,\"dropped_audio_frames\":%llu}}",
           (unsigned long long)r->segments, (unsigned long long)r->deleted_segments,
           (unsigned long long)r->deleted_bytes, r->paused ? "true" : "false", r->pauses,
           (unsigned long long)r->paused_frames, (unsigned long long)r->dropped_audio_frames);
}

/** --rec KEY=N: one field of the mp4: outputs' recording settings. */
static int set_rec(struct ls_recording_settings *rs, const char *arg)
{
    char key[32];
    unsigned long long v;
    if (sscanf(arg, "%31[a-z_]=%llu", key, &v) != 2)
        return -1;
    if (!strcmp(key, "segment_ms"))
        rs->segment_ms = (uint32_t)v;
    else if (!strcmp(key, "fragment_ms"))
        rs->fragment_ms = (uint32_t)v;
    else if (!strcmp(key, "max_age_s"))
        rs->max_age_s = (uint32_t)v;
    else if (!strcmp(key, "max_bytes"))
        rs->max_bytes = v;
    else if (!strcmp(key, "resume_free_bytes"))
        rs->resume_free_bytes = v;
    else
        return -1;
    return 0;
}

static void print_stats(struct ls_relay *relay, const char *key, double stop_ms)
{
    struct ls_relay_stats st;
    struct ls_output_stats out[16];
    size_t n = 0;
    ls_relay_get_stats(relay, &st);
    ls_relay_get_output_stats(relay, out, 16, &n);
    pthread_mutex_lock(&out_lock);
    printf("{\"t\":%.3f,\"%s\":{\"state\":\"%s\",\"input\":", now_s(), key,
           ls_state_name(st.state));
    json_str(st.input);
    printf(",\"video_codec\":\"%s\",\"profile\":%d,\"level\":%d,\"width\":%u,\"height\":%u,"
           "\"fps\":%.2f,\"audio_codec\":\"%s\",\"audio_sample_rate\":%u,\"audio_channels\":%u,"
           "\"audio_dropped\":%s,\"bytes_in\":%llu,\"video_frames_in\":%llu,"
           "\"audio_frames_in\":%llu,\"frames_out\":%llu,\"bitrate_kbps\":%u,"
           "\"keyframe_interval_ms\":%u,\"reconnects\":%u,\"connect_attempts\":%u,"
           "\"last_error\":%d,\"last_error_message\":",
           st.video_codec, st.video_profile, st.video_level, st.width, st.height, st.fps,
           st.audio_codec, st.audio_sample_rate, st.audio_channels,
           st.audio_dropped ? "true" : "false", (unsigned long long)st.bytes_in,
           (unsigned long long)st.video_frames_in, (unsigned long long)st.audio_frames_in,
           (unsigned long long)st.frames_out, st.bitrate_kbps, st.keyframe_interval_ms,
           st.reconnects, st.connect_attempts, st.last_error);
    json_str(st.last_error_message);
    printf(",\"uptime_ms\":%llu,\"first_packet_ms\":%u,\"first_keyframe_ms\":%u,",
           (unsigned long long)st.uptime_ms, st.first_packet_ms, st.first_keyframe_ms);
    printf("\"engine\":\"%s\",\"engine_fallbacks\":%u,", st.engine, st.engine_fallbacks);
    print_repairs(&st.repairs);
    printf(",\"stop_ms\":%.1f,\"outputs\":[", stop_ms);
    for (size_t i = 0; i < n && i < 16; i++) {
        if (i)
            putchar(',');
        print_output(&out[i]);
    }
    printf("]}}\n");
    fflush(stdout);
    pthread_mutex_unlock(&out_lock);
}

static int pick(const char *arg, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(arg, names[i]))
            return i;
    fprintf(stderr, "bad value %s\n", arg);
    exit(2);
}

int main(int argc, char **argv)
{
    static const char *const transports[] = {"tcp", "udp", "http", "auto"};
    static const char *const audio[] = {"all", "aac", "none"};
    static const char *const hevc[] = {"enhanced", "codec12"};
    static const char *const engines[] = {"libavformat", "native", "auto"};
    static const struct option opts[] = {
        {"input", 1, NULL, 'i'},     {"transport", 1, NULL, 't'}, {"audio", 1, NULL, 'a'},
        {"hevc", 1, NULL, 'h'},      {"connect-ms", 1, NULL, 'c'}, {"stall-ms", 1, NULL, 's'},
        {"retry-ms", 1, NULL, 'r'},  {"output", 1, NULL, 'o'},    {"sub-file", 1, NULL, 'f'},
        {"sub-stuck", 0, NULL, 'x'}, {"queue-bytes", 1, NULL, 'q'}, {"duration", 1, NULL, 'd'},
        {"interval-ms", 1, NULL, 'n'}, {"late-ms", 1, NULL, 'L'},
        {"late-output", 1, NULL, 'O'}, {"late-sub-file", 1, NULL, 'F'},
        {"remove-at", 1, NULL, 'R'}, {"no-interleave", 0, NULL, 'I'}, {"rec", 1, NULL, 'E'},
        {"poll-file", 1, NULL, 'p'}, {"late-poll-file", 1, NULL, 'P'}, {"engine", 1, NULL, 'e'},
        {"threads", 0, NULL, 'T'}, {NULL, 0, NULL, 0},
    };
    struct ls_relay_settings s;
    ls_relay_default_settings(&s);
    s.logger = (struct ls_logger){.callback = on_log, .level = LS_LOG_DEBUG};
    s.on_event = on_event;
    struct ls_output_settings os;
    ls_output_default_settings(&os);
    const char *outputs[16], *sub_file = NULL;
    int n_outputs = 0, stuck = 0, threads = 0;
    const char *late_outputs[16], *late_sub_file = NULL;
    const char *poll_file = NULL, *late_poll_file = NULL;
    struct poller poller = {.lock = PTHREAD_MUTEX_INITIALIZER};
    pthread_t poll_thread;
    int n_late = 0, late_done = 0, n_remove = 0, remove_id[16], remove_done[16] = {0};
    double late_ms = -1, remove_ms[16];
    double duration = 10, interval_ms = 1000;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'i': s.input_url = optarg; break;
        case 't': s.transport = pick(optarg, transports, 4); break;
        case 'a': s.audio = pick(optarg, audio, 3); break;
        case 'h': s.hevc = pick(optarg, hevc, 2); break;
        case 'c': s.connect_timeout_ms = (uint32_t)atoi(optarg); break;
        case 's': s.stall_timeout_ms = (uint32_t)atoi(optarg); break;
        case 'r':
            s.reconnect.initial_delay_ms = os.reconnect.initial_delay_ms = (uint32_t)atoi(optarg);
            s.reconnect.max_delay_ms = os.reconnect.max_delay_ms = 4 * (uint32_t)atoi(optarg);
            break;
        case 'o': if (n_outputs < 16) outputs[n_outputs++] = optarg; break;
        case 'f': sub_file = optarg; break;
        case 'x': stuck = 1; break;
        case 'I': s.interleave = false; break;
        case 'e': s.engine = pick(optarg, engines, 3); break;
        case 'T': threads = 1; break;
        case 'E': if (set_rec(&os.recording, optarg) < 0) return 2; break;
        case 'q': os.queue_max_bytes = (uint32_t)atoi(optarg); break;
        case 'd': duration = atof(optarg); break;
        case 'n': interval_ms = atof(optarg); break;
        case 'L': late_ms = atof(optarg); break;
        case 'O': if (n_late < 16) late_outputs[n_late++] = optarg; break;
        case 'F': late_sub_file = optarg; break;
        case 'p': poll_file = optarg; break;
        case 'P': late_poll_file = optarg; break;
        case 'R':
            if (n_remove < 16 &&
                sscanf(optarg, "%d:%lf", &remove_id[n_remove], &remove_ms[n_remove]) == 2)
                n_remove++;
            else
                return 2;
            break;
        default: return 2;
        }
    }
    /* rtmp:// outputs without threads of their own, as lightstreamd runs them (--threads:
     * a thread per output, the library's default). */
    struct ls_io *io = NULL;
    if (!threads && ls_io_create(&io) < 0)
        return 1;
    s.io = io;
    struct ls_relay *relay;
    int err = ls_relay_create(&relay, &s);
    if (err < 0) {
        printf("{\"create_error\":%d,\"message\":\"%s\"}\n", err, ls_strerror(err));
        return 1;
    }
    for (int i = 0; i < n_outputs; i++)
        if ((err = ls_relay_add_output(relay, outputs[i], &os, NULL)) < 0)
            printf("{\"add_error\":%d}\n", err);
    FILE *sub = sub_file ? fopen(sub_file, "wb") : NULL, *late_sub = NULL;
    if (sub)
        ls_relay_add_subscriber(relay, sub_to_file, sub, &os, NULL);
    if (stuck)
        ls_relay_add_subscriber(relay, sub_stuck, NULL, &os, NULL);
    if (poll_file && (err = poll_add(&poller, relay, poll_file, &os)) < 0)
        printf("{\"subscribe_error\":%d}\n", err);
    bool polling = (poll_file || late_poll_file) &&
                   pthread_create(&poll_thread, NULL, poll_main, &poller) == 0;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    double t0 = now_s(), next = t0 + interval_ms / 1000;
    ls_relay_start(relay);
    while (!quit && now_s() - t0 < duration) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        if (late_ms >= 0 && !late_done && (now_s() - t0) * 1000 >= late_ms) {
            late_done = 1;
            for (int i = 0; i < n_late; i++) {
                int id = -1;
                err = ls_relay_add_output(relay, late_outputs[i], &os, &id);
                pthread_mutex_lock(&out_lock);
                printf("{\"t\":%.3f,\"added\":%d,\"target\":", now_s(), id);
                json_str(late_outputs[i]);
                printf(",\"error\":%d}\n", err);
                fflush(stdout);
                pthread_mutex_unlock(&out_lock);
            }
            if (late_sub_file && (late_sub = fopen(late_sub_file, "wb"))) {
                int id = -1;
                err = ls_relay_add_subscriber(relay, sub_to_file, late_sub, &os, &id);
                pthread_mutex_lock(&out_lock);
                printf("{\"t\":%.3f,\"added\":%d,\"target\":\"subscriber\",\"error\":%d}\n",
                       now_s(), id, err);
                fflush(stdout);
                pthread_mutex_unlock(&out_lock);
            }
            if (late_poll_file) {
                err = poll_add(&poller, relay, late_poll_file, &os);
                pthread_mutex_lock(&out_lock);
                printf("{\"t\":%.3f,\"added\":-1,\"target\":\"subscription\",\"error\":%d}\n",
                       now_s(), err);
                fflush(stdout);
                pthread_mutex_unlock(&out_lock);
            }
        }
        for (int i = 0; i < n_remove; i++) {
            if (remove_done[i] || (now_s() - t0) * 1000 < remove_ms[i])
                continue;
            remove_done[i] = 1;
            double t_rm = now_s();
            err = ls_relay_remove_output(relay, remove_id[i]);
            double took = (now_s() - t_rm) * 1000;
            pthread_mutex_lock(&out_lock);
            printf("{\"t\":%.3f,\"removed\":%d,\"error\":%d,\"remove_ms\":%.1f}\n", now_s(),
                   remove_id[i], err, took);
            fflush(stdout);
            pthread_mutex_unlock(&out_lock);
        }
        if (now_s() >= next) {
            print_stats(relay, "stats", 0);
            next += interval_ms / 1000;
        }
    }
    /* Release a stuck subscriber just before stop: stop must join its thread, which cannot
     * happen while the callback blocks (a callback is never interrupted by the library). */
    double t_stop = now_s();
    pthread_mutex_lock(&stuck_lock);
    stuck_release = 1;
    pthread_cond_broadcast(&stuck_cond);
    pthread_mutex_unlock(&stuck_lock);
    ls_relay_stop(relay);
    double stop_ms = (now_s() - t_stop) * 1000;
    print_stats(relay, "final", stop_ms);
    if (polling) {
        poller.stop = 1;
        pthread_join(poll_thread, NULL);
        pthread_mutex_lock(&out_lock);
        printf("{\"polls\":[");
        poll_finish(&poller, relay);
        printf("]}\n");
        fflush(stdout);
        pthread_mutex_unlock(&out_lock);
    }
    ls_relay_destroy(&relay);
    ls_io_destroy(&io);
    if (sub)
        fclose(sub);
    if (late_sub)
        fclose(late_sub);
    return 0;
}
