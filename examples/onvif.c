/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * lightstream-onvif: query and drive an ONVIF device from the command line.
 *
 *   lightstream-onvif --host H [--port P] [--path /onvif/device_service] [--user U]
 *                     [--password P | env LS_ONVIF_PASSWORD] [--timeout-ms N] [--soap11]
 *                     [--no-rewrite] [--show-password] [--json] COMMAND [ARGS]
 *
 * Commands: info, profiles, uri [TOKEN], snapshot [TOKEN], ptz PAN TILT ZOOM MS [TOKEN],
 * stop [TOKEN], presets [TOKEN], goto PRESET [TOKEN], absolute|relative PAN TILT ZOOM [TOKEN],
 * status [TOKEN], discover [--target HOST:PORT] [--timeout-ms N].
 * Exit status: 0 ok, 1 failure, 2 usage error. The password is never printed
 * (unless --show-password, and then only inside a URI).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lightstream/onvif.h>

struct opts {
    struct ls_onvif_settings s;
    bool json, show_password, verbose;
    const char *target;
    int timeout_ms;
    char last_log[512]; /* the last warning or error the library logged */
};

static void usage(void)
{
    fprintf(stderr,
            "usage: lightstream-onvif --host H [--port P] [--path PATH] [--user U] [--password P]\n"
            "         [--timeout-ms N] [--soap11] [--no-rewrite] [--show-password] [--json] [-v]\n"
            "         info | profiles | uri [TOKEN] | snapshot [TOKEN] | ptz PAN TILT ZOOM MS [TOKEN]\n"
            "         | stop [TOKEN] | presets [TOKEN] | goto PRESET [TOKEN]\n"
            "         | absolute PAN TILT ZOOM [TOKEN] | relative PAN TILT ZOOM [TOKEN]\n"
            "         | status [TOKEN] | discover [--target HOST:PORT] [--timeout-ms N]\n");
    exit(2);
}

/* A JSON string, escaped. */
static void jstr(const char *s)
{
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    putchar('"');
}

/* A space-separated list as a JSON array. */
static void jlist(const char *list)
{
    putchar('[');
    bool first = true;
    for (const char *s = list; *s;) {
        size_t n = strcspn(s, " ");
        if (n) {
            printf(first ? "\"%.*s\"" : ",\"%.*s\"", (int)n, s);
            first = false;
        }
        s += n + (s[n] == ' ');
    }
    putchar(']');
}

/* Keeps the last warning (ls_onvif_open() has no handle to report on) and
 * prints everything with -v. */
static void on_log(void *cookie, enum ls_log_level level, const char *msg)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    struct opts *o = cookie;
    if (level <= LS_LOG_WARN)
        snprintf(o->last_log, sizeof(o->last_log), "%s", msg);
    if (o->verbose)
        fprintf(stderr, "[%s] %s\n", names[level], msg);
}

static int fail(const struct opts *o, int err, const char *msg)
{
    if (!msg || !*msg)
        msg = ls_onvif_errname(err);
    fprintf(stderr, "lightstream-onvif: %s\n", msg);
    if (o->json) {
        printf("{\"error\":{\"code\":%d,\"name\":", err);
        jstr(ls_onvif_errname(err));
        printf(",\"message\":");
        jstr(msg);
        printf("}}\n");
    }
    return 1;
}

static double num(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (!*s || *end)
        usage();
    return v;
}

static int cmd_discover(struct opts *o)
{
    struct ls_onvif_discover_settings ds;
    ls_onvif_default_discover_settings(&ds);
    char addr[64];
    if (o->target) {
        const char *colon = strrchr(o->target, ':');
        if (!colon || (size_t)(colon - o->target) >= sizeof(addr))
            usage();
        snprintf(addr, sizeof(addr), "%.*s", (int)(colon - o->target), o->target);
        ds.address = addr;
        ds.port = (uint16_t)atoi(colon + 1);
    }
    if (o->timeout_ms)
        ds.timeout_ms = o->timeout_ms;
    ds.logger = o->s.logger;
    struct ls_onvif_discovered d[64];
    size_t n = 0;
    int ret = ls_onvif_discover(&ds, d, 64, &n);
    if (ret < 0)
        return fail(o, ret, "discovery failed");
    if (n > 64)
        n = 64;
    if (!o->json) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n  name: %s\n  hardware: %s\n  xaddrs: %s\n  scopes: %s\n  types: %s\n",
                   d[i].endpoint, d[i].name, d[i].hardware, d[i].xaddrs, d[i].scopes, d[i].types);
        return 0;
    }
    printf("{\"devices\":[");
    for (size_t i = 0; i < n; i++) {
        printf(i ? ",{\"endpoint\":" : "{\"endpoint\":");
        jstr(d[i].endpoint);
        printf(",\"xaddrs\":");
        jlist(d[i].xaddrs);
        printf(",\"scopes\":");
        jlist(d[i].scopes);
        printf(",\"types\":");
        jlist(d[i].types);
        printf(",\"name\":");
        jstr(d[i].name);
        printf(",\"hardware\":");
        jstr(d[i].hardware);
        putchar('}');
    }
    printf("]}\n");
    return 0;
}

static int cmd_info(struct ls_onvif *dev, const struct opts *o)
{
    struct ls_onvif_info i;
    int ret = ls_onvif_get_info(dev, &i);
    if (ret < 0)
        return fail(o, ret, ls_onvif_last_error(dev));
    if (!o->json) {
        printf("manufacturer: %s\nmodel: %s\nfirmware: %s\nserial: %s\nhardware id: %s\n",
               i.manufacturer, i.model, i.firmware, i.serial, i.hardware_id);
        return 0;
    }
    printf("{\"manufacturer\":");
    jstr(i.manufacturer);
    printf(",\"model\":");
    jstr(i.model);
    printf(",\"firmware\":");
    jstr(i.firmware);
    printf(",\"serial\":");
    jstr(i.serial);
    printf(",\"hardware_id\":");
    jstr(i.hardware_id);
    printf("}\n");
    return 0;
}

static void print_profile_json(const struct ls_onvif_profile *p)
{
    printf("{\"token\":");
    jstr(p->token);
    printf(",\"name\":");
    jstr(p->name);
    printf(",\"encoding\":\"%s\",\"width\":%u,\"height\":%u,\"fps\":%g,\"bitrate_kbps\":%u,"
           "\"ptz\":%s}",
           ls_onvif_encoding_name(p->encoding), p->width, p->height, p->fps, p->bitrate_kbps,
           p->ptz ? "true" : "false");
}

static int cmd_profiles(struct ls_onvif *dev, const struct opts *o)
{
    struct ls_onvif_profile p[256];
    size_t n = 0;
    int ret = ls_onvif_get_profiles(dev, p, 256, &n);
    if (ret < 0)
        return fail(o, ret, ls_onvif_last_error(dev));
    if (n > 256)
        n = 256;
    bool media2 = ls_onvif_services(dev) & LS_ONVIF_SERVICE_MEDIA2;
    if (!o->json) {
        printf("via %s\n", media2 ? "Media2" : "Media");
        for (size_t i = 0; i < n; i++)
            printf("%s  \"%s\"  %s %ux%u %g fps %u kbit/s%s\n", p[i].token, p[i].name,
                   ls_onvif_encoding_name(p[i].encoding), p[i].width, p[i].height, p[i].fps,
                   p[i].bitrate_kbps, p[i].ptz ? "  ptz" : "");
        return 0;
    }
    printf("{\"media2\":%s,\"profiles\":[", media2 ? "true" : "false");
    for (size_t i = 0; i < n; i++) {
        if (i)
            putchar(',');
        print_profile_json(&p[i]);
    }
    printf("]}\n");
    return 0;
}

/* The token a command names, else the first profile's (asked here so the
 * output can name it). */
static int resolve_token(struct ls_onvif *dev, const char *arg, char *tok, size_t cap)
{
    if (arg) {
        snprintf(tok, cap, "%s", arg);
        return 0;
    }
    struct ls_onvif_profile p;
    size_t n = 0;
    int ret = ls_onvif_get_profiles(dev, &p, 1, &n);
    if (ret < 0)
        return ret;
    if (!n)
        return -ENOENT;
    snprintf(tok, cap, "%s", p.token);
    return 0;
}

static int cmd_uri(struct ls_onvif *dev, const struct opts *o, const char *arg, bool snapshot)
{
    char tok[LS_ONVIF_STR_MAX], uri[LS_ONVIF_URI_MAX], shown[LS_ONVIF_URI_MAX];
    int ret = resolve_token(dev, arg, tok, sizeof(tok));
    if (ret == 0)
        ret = snapshot ? ls_onvif_get_snapshot_uri(dev, tok, uri, sizeof(uri))
                       : ls_onvif_get_stream_uri(dev, tok, uri, sizeof(uri));
    if (ret < 0)
        return fail(o, ret, ret == -ENOENT ? "the device has no media profile"
                                           : ls_onvif_last_error(dev));
    if (o->show_password)
        snprintf(shown, sizeof(shown), "%s", uri);
    else
        ls_onvif_mask_uri(uri, shown, sizeof(shown)); /* liblightstream's ls_url_redact() */
    if (!o->json) {
        printf("%s\n", shown);
        return 0;
    }
    printf("{\"token\":");
    jstr(tok);
    printf(",\"uri\":");
    jstr(shown);
    if (!snapshot)
        printf(",\"media2\":%s", ls_onvif_services(dev) & LS_ONVIF_SERVICE_MEDIA2 ? "true" : "false");
    printf("}\n");
    return 0;
}

static int ok(const struct opts *o)
{
    printf(o->json ? "{\"ok\":true}\n" : "ok\n");
    return 0;
}

static int cmd_presets(struct ls_onvif *dev, const struct opts *o, const char *tok)
{
    struct ls_onvif_preset p[256];
    size_t n = 0;
    int ret = ls_onvif_ptz_get_presets(dev, tok, p, 256, &n);
    if (ret < 0)
        return fail(o, ret, ls_onvif_last_error(dev));
    if (n > 256)
        n = 256;
    if (!o->json) {
        for (size_t i = 0; i < n; i++)
            printf("%s  \"%s\"\n", p[i].token, p[i].name);
        return 0;
    }
    printf("{\"presets\":[");
    for (size_t i = 0; i < n; i++) {
        printf(i ? ",{\"token\":" : "{\"token\":");
        jstr(p[i].token);
        printf(",\"name\":");
        jstr(p[i].name);
        putchar('}');
    }
    printf("]}\n");
    return 0;
}

static int cmd_status(struct ls_onvif *dev, const struct opts *o, const char *tok)
{
    struct ls_onvif_ptz_status st;
    int ret = ls_onvif_ptz_get_status(dev, tok, &st);
    if (ret < 0)
        return fail(o, ret, ls_onvif_last_error(dev));
    printf(o->json ? "{\"pan\":%g,\"tilt\":%g,\"zoom\":%g,\"moving\":%s}\n"
                   : "pan %g tilt %g zoom %g %s\n",
           st.position.pan, st.position.tilt, st.position.zoom,
           o->json ? (st.moving ? "true" : "false") : (st.moving ? "moving" : "idle"));
    return 0;
}

/* Commands on a device; argv[0] is the command. */
static int run(struct ls_onvif *dev, const struct opts *o, int argc, char **argv)
{
    const char *cmd = argv[0];
    int ret;
    if (!strcmp(cmd, "info") && argc == 1)
        return cmd_info(dev, o);
    if (!strcmp(cmd, "profiles") && argc == 1)
        return cmd_profiles(dev, o);
    if ((!strcmp(cmd, "uri") || !strcmp(cmd, "snapshot")) && argc <= 2)
        return cmd_uri(dev, o, argc == 2 ? argv[1] : NULL, cmd[0] == 's');
    if (!strcmp(cmd, "presets") && argc <= 2)
        return cmd_presets(dev, o, argc == 2 ? argv[1] : NULL);
    if (!strcmp(cmd, "status") && argc <= 2)
        return cmd_status(dev, o, argc == 2 ? argv[1] : NULL);
    if (!strcmp(cmd, "stop") && argc <= 2)
        ret = ls_onvif_ptz_stop(dev, argc == 2 ? argv[1] : NULL);
    else if (!strcmp(cmd, "goto") && (argc == 2 || argc == 3))
        ret = ls_onvif_ptz_goto_preset(dev, argc == 3 ? argv[2] : NULL, argv[1]);
    else if (!strcmp(cmd, "ptz") && (argc == 5 || argc == 6)) {
        struct ls_onvif_ptz_vector v = { num(argv[1]), num(argv[2]), num(argv[3]) };
        double ms = num(argv[4]);
        if (ms < 1 || ms > 600000)
            usage();
        ret = ls_onvif_ptz_move(dev, argc == 6 ? argv[5] : NULL, &v, (unsigned)ms);
    } else if ((!strcmp(cmd, "absolute") || !strcmp(cmd, "relative")) &&
               (argc == 4 || argc == 5)) {
        struct ls_onvif_ptz_vector v = { num(argv[1]), num(argv[2]), num(argv[3]) };
        const char *tok = argc == 5 ? argv[4] : NULL;
        ret = cmd[0] == 'a' ? ls_onvif_ptz_absolute_move(dev, tok, &v)
                            : ls_onvif_ptz_relative_move(dev, tok, &v);
    } else {
        usage();
        return 2;
    }
    return ret < 0 ? fail(o, ret, ls_onvif_last_error(dev)) : ok(o);
}

static bool known_command(const char *c)
{
    static const char *const cmds[] = { "info",   "profiles", "uri",      "snapshot",
                                        "ptz",    "stop",     "presets",  "goto",
                                        "status", "absolute", "relative", "discover" };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
        if (!strcmp(c, cmds[i]))
            return true;
    return false;
}

static void parse_args(struct opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "host", required_argument, NULL, 'H' },     { "port", required_argument, NULL, 'p' },
        { "path", required_argument, NULL, 'P' },     { "user", required_argument, NULL, 'u' },
        { "password", required_argument, NULL, 'w' }, { "timeout-ms", required_argument, NULL, 't' },
        { "soap11", no_argument, NULL, '1' },         { "no-rewrite", no_argument, NULL, 'n' },
        { "show-password", no_argument, NULL, 's' },  { "json", no_argument, NULL, 'j' },
        { "target", required_argument, NULL, 'T' },   { "verbose", no_argument, NULL, 'v' },
        { NULL, 0, NULL, 0 },
    };
    int c, port;
    while ((c = getopt_long(argc, argv, "+v", longopts, NULL)) != -1) {
        switch (c) {
        case 'H': o->s.host = optarg; break;
        case 'p':
            port = atoi(optarg);
            if (port < 1 || port > 65535)
                usage();
            o->s.port = (uint16_t)port;
            break;
        case 'P': o->s.path = optarg; break;
        case 'u': o->s.user = optarg; break;
        case 'w': o->s.password = optarg; break;
        case 't':
            o->timeout_ms = atoi(optarg);
            if (o->timeout_ms < 1 || o->timeout_ms > 600000)
                usage();
            o->s.connect_timeout_ms = o->s.io_timeout_ms = o->timeout_ms;
            break;
        case '1': o->s.soap11 = true; break;
        case 'n': o->s.rewrite_uris = false; break;
        case 's': o->show_password = true; break;
        case 'j': o->json = true; break;
        case 'T': o->target = optarg; break;
        case 'v': o->verbose = true; break;
        default: usage();
        }
    }
}

int main(int argc, char **argv)
{
    static struct opts o;
    ls_onvif_default_settings(&o.s);
    parse_args(&o, argc, argv);
    int first = optind;
    if (first >= argc || !known_command(argv[first]))
        usage();
    char **args = argv + first;
    int nargs = argc - first;
    if (!strcmp(args[0], "discover")) { /* its options follow it */
        optind = 0; /* GNU getopt: start over */
        parse_args(&o, nargs, args);
        if (optind != nargs)
            usage();
    }
    if (!o.s.password)
        o.s.password = getenv("LS_ONVIF_PASSWORD");
    o.s.logger = (struct ls_logger){ &o, on_log, o.verbose ? LS_LOG_DEBUG : LS_LOG_WARN };
    if (!strcmp(args[0], "discover"))
        return cmd_discover(&o);
    if (!o.s.host)
        usage();
    struct ls_onvif *dev = NULL;
    int ret = ls_onvif_open(&dev, &o.s);
    if (ret < 0)
        return fail(&o, ret, o.last_log[0] ? o.last_log : ls_onvif_errname(ret));
    ret = run(dev, &o, nargs, args);
    ls_onvif_close(&dev);
    return ret;
}
