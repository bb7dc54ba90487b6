/*
 * lightstreamd's command line: --config first, then every other flag over it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

static const char usage[] =
    "Usage: lightstreamd [OPTION]...\n"
    "Relay IP-camera RTSP streams to RTMP servers and to browsers (HTTP-FLV), with a JSON API.\n"
    "\n"
    "  -c, --config FILE      JSON config file (keys: see docs/lightstreamd.md)\n"
    "  -l, --listen ADDR      address to bind (default 127.0.0.1)\n"
    "  -p, --port N           port (default 2233; 0 picks a free one)\n"
    "      --port-file FILE   write the bound port to FILE once listening\n"
    "  -d, --data-dir DIR     where state.json is kept\n"
    "  -w, --web-dir DIR      the web page's files\n"
    "      --log-file FILE    log here instead of stderr (SIGHUP reopens it)\n"
    "  -v, --log-level LEVEL  error, warn, info (default) or debug\n"
    "  -h, --help             show this help and exit\n"
    "  -V, --version          show the version and exit\n"
    "\n"
    "Tokens come from the config (api_token, viewer_token) or from the environment\n"
    "(LSD_API_TOKEN, LSD_VIEWER_TOKEN), never from the command line, where every user\n"
    "of the machine could read them.\n";

enum { OPT_PORT_FILE = 256, OPT_LOG_FILE };

static const struct option long_opts[] = {
    {"config", required_argument, NULL, 'c'},
    {"listen", required_argument, NULL, 'l'},
    {"port", required_argument, NULL, 'p'},
    {"port-file", required_argument, NULL, OPT_PORT_FILE},
    {"data-dir", required_argument, NULL, 'd'},
    {"web-dir", required_argument, NULL, 'w'},
    {"log-file", required_argument, NULL, OPT_LOG_FILE},
    {"log-level", required_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

static int copy(char *dst, size_t cap, const char *src, const char *what, char *err,
                size_t err_size)
{
    if (strlen(src) >= cap) {
        snprintf(err, err_size, "%s is too long", what);
        return -EINVAL;
    }
    memcpy(dst, src, strlen(src) + 1);
    return 0;
}

static int apply(struct lsd_config *c, int opt, const char *arg, char *err, size_t err_size)
{
    char *end;
    long port;
    switch (opt) {
    case 'l': return copy(c->listen, sizeof(c->listen), arg, "--listen", err, err_size);
    case 'p':
        port = strtol(arg, &end, 10);
        if (*arg == '\0' || *end != '\0' || port < 0 || port > 65535) {
            snprintf(err, err_size, "--port wants a number from 0 to 65535");
            return -EINVAL;
        }
        c->port = (uint16_t)port;
        return 0;
    case OPT_PORT_FILE: return copy(c->port_file, sizeof(c->port_file), arg, "--port-file", err, err_size);
    case 'd': return copy(c->data_dir, sizeof(c->data_dir), arg, "--data-dir", err, err_size);
    case 'w': return copy(c->web_dir, sizeof(c->web_dir), arg, "--web-dir", err, err_size);
    case OPT_LOG_FILE: return copy(c->log_file, sizeof(c->log_file), arg, "--log-file", err, err_size);
    case 'v':
        if (lsd_log_level_parse(arg, &c->log_level) < 0) {
            snprintf(err, err_size, "--log-level wants error, warn, info or debug");
            return -EINVAL;
        }
        return 0;
    }
    return 0;
}

static void tokens_from_env(struct lsd_config *c)
{
    const char *t = getenv("LSD_API_TOKEN");
    if (t && strlen(t) < sizeof(c->api_token))
        snprintf(c->api_token, sizeof(c->api_token), "%s", t);
    t = getenv("LSD_VIEWER_TOKEN");
    if (t && strlen(t) < sizeof(c->viewer_token))
        snprintf(c->viewer_token, sizeof(c->viewer_token), "%s", t);
}

int lsd_config_parse_args(struct lsd_config *c, int argc, char **argv, char *err, size_t err_size)
{
    int opt, ret;
    /* Pass 1: --help, --version, --config (the file goes under the flags). */
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:l:p:d:w:v:hV", long_opts, NULL)) != -1) {
        if (opt == 'h') {
            fputs(usage, stdout);
            return 1;
        }
        if (opt == 'V') {
            printf("lightstreamd %s\n", LSD_VERSION);
            return 1;
        }
        if (opt == '?' || opt == ':') {
            snprintf(err, err_size, "unknown option or missing argument: %s (see --help)",
                     argv[optind - 1]);
            return -EINVAL;
        }
        if (opt == 'c' && (ret = lsd_config_load(c, optarg, err, err_size)) < 0)
            return ret;
    }
    if (optind < argc) {
        snprintf(err, err_size, "unexpected argument '%s' (see --help)", argv[optind]);
        return -EINVAL;
    }
    /* Pass 2: every other flag overrides the file. */
    optind = 1;
    while ((opt = getopt_long(argc, argv, "c:l:p:d:w:v:hV", long_opts, NULL)) != -1)
        if ((ret = apply(c, opt, optarg, err, err_size)) < 0)
            return ret;
    tokens_from_env(c);
    return 0;
}
