/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * lightstream-relay: relay one RTSP camera to RTMP servers and/or FLV files,
 * printing stats every second, until Ctrl-C.
 *
 *   lightstream-relay [--transport tcp|udp|http|auto] [--audio all|aac|none]
 *                     [--hevc enhanced|codec12] [--duration SECONDS]
 *                     rtsp://camera/stream [rtmp://server/app/key | out.flv]...
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lightstream/lightstream.h>

static volatile sig_atomic_t quit;

static void on_signal(int sig)
{
    (void)sig;
    quit = 1;
}

static void on_log(void *cookie, enum ls_log_level level, const char *msg)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    (void)cookie;
    fprintf(stderr, "[%s] %s\n", names[level], msg);
}

static void print_stats(struct ls_relay *relay)
{
    struct ls_relay_stats st;
    struct ls_output_stats out[16];
    size_t n = 0;
    ls_relay_get_stats(relay, &st);
    ls_relay_get_output_stats(relay, out, 16, &n);
    printf("%-10s %s %ux%u %.1f fps %u kbit/s | %s | repairs %llu | reconnects %u",
           ls_state_name(st.state), st.video_codec[0] ? st.video_codec : "-", st.width,
           st.height, st.fps, st.bitrate_kbps, st.audio_codec[0] ? st.audio_codec : "no audio",
           (unsigned long long)(st.repairs.backward + st.repairs.jump + st.repairs.equal +
                                st.repairs.wrap + st.repairs.missing + st.repairs.reorder +
                                st.repairs.interleave),
           st.reconnects);
    for (size_t i = 0; i < n && i < 16; i++)
        printf(" | #%d %s %u kbit/s", out[i].id, ls_state_name(out[i].state),
               out[i].bitrate_kbps);
    printf("\n");
    fflush(stdout);
}

static int parse_enum(const char *arg, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(arg, names[i]) == 0)
            return i;
    fprintf(stderr, "unknown value: %s\n", arg);
    exit(2);
}

static void usage(void)
{
    fprintf(stderr, "usage: lightstream-relay [--transport tcp|udp|http|auto] "
                    "[--audio all|aac|none] [--hevc enhanced|codec12] [--duration S] "
                    "rtsp://... [rtmp://...|file.flv]...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const char *const transports[] = {"tcp", "udp", "http", "auto"};
    static const char *const audio[] = {"all", "aac", "none"};
    static const char *const hevc[] = {"enhanced", "codec12"};
    static const struct option opts[] = {
        {"transport", required_argument, NULL, 't'}, {"audio", required_argument, NULL, 'a'},
        {"hevc", required_argument, NULL, 'h'},      {"duration", required_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    struct ls_relay_settings s;
    ls_relay_default_settings(&s);
    s.logger = (struct ls_logger){.callback = on_log, .level = LS_LOG_INFO};
    long duration = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't': s.transport = parse_enum(optarg, transports, 4); break;
        case 'a': s.audio = parse_enum(optarg, audio, 3); break;
        case 'h': s.hevc = parse_enum(optarg, hevc, 2); break;
        case 'd': duration = strtol(optarg, NULL, 10); break;
        default: usage();
        }
    }
    if (optind >= argc)
        usage();
    s.input_url = argv[optind];

    /* FFmpeg's own lines (RTSP errors, packet loss) would go straight to
     * stderr, passwords and all: route them, redacted, through the same
     * logger. This is process-wide, so it belongs to the program, not to a relay. */
    ls_ffmpeg_log_route(&s.logger);

    /* Whatever we print of a URL goes through the library's redactor, as
     * the library's own log lines and stats do: no password on the terminal. */
    char shown[1024];
    ls_url_redact(s.input_url, shown, sizeof(shown));
    struct ls_relay *relay;
    int err = ls_relay_create(&relay, &s);
    if (err < 0) {
        fprintf(stderr, "cannot create relay for %s: %s\n", shown, ls_strerror(err));
        ls_ffmpeg_log_unroute();
        return 1;
    }
    printf("relaying %s\n", shown);
    for (int i = optind + 1; i < argc; i++) {
        err = ls_relay_add_output(relay, argv[i], NULL, NULL);
        if (err < 0) {
            ls_url_redact(argv[i], shown, sizeof(shown));
            fprintf(stderr, "cannot add output %s: %s\n", shown, ls_strerror(err));
            ls_relay_destroy(&relay);
            ls_ffmpeg_log_unroute();
            return 1;
        }
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    err = ls_relay_start(relay);
    for (long t = 0; err == 0 && !quit && (!duration || t < duration); t++) {
        sleep(1);
        print_stats(relay);
    }
    ls_relay_destroy(&relay); /* stops within a second, whatever the camera does */
    ls_ffmpeg_log_unroute();
    return err < 0 ? 1 : 0;
}
