/*
 * SIGHUP: reopen the log, read the config again (file, flags, environment,
 * in the order of a start) and apply what can change while the daemon runs,
 * without touching relays or connections. What cannot (the socket, the
 * directories, the log file) is named in the log and kept; a config that
 * does not parse, or that would be refused at start, is refused whole.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <event2/http.h>

#include "daemon/config.h"
#include "daemon/lifecycle.h"
#include "daemon/log.h"
#include "daemon/server.h"

void lsd_server_warn_exposure(struct lsd_server *s, const struct lsd_config *c)
{
    if (lsd_config_exposure(c) != LSD_EXPOSURE_OPEN)
        return;
    lsd_logf(s->log, LS_LOG_WARN,
             "SECURITY WARNING: listening on %s, beyond loopback, without api_token: anyone "
             "who reaches this port can add, change and delete relays and read every camera. "
             "Set api_token (and viewer_token), or listen on 127.0.0.1 behind a proxy; "
             "\"require_token_beyond_loopback\": true makes this a startup error",
             c->listen);
}

/* The same file, flags and environment as at start, over fresh defaults. */
static int read_again(struct lsd_server *s, struct lsd_config *next, char *err, size_t size)
{
    lsd_config_defaults(next);
    int ret = lsd_config_parse_args(next, s->argc, s->argv, err, size);
    if (ret != 0)
        return ret < 0 ? ret : -EINVAL;
    /* The recordings directory's default, as the start resolved it. */
    if (!next->recordings_dir[0])
        snprintf(next->recordings_dir, sizeof(next->recordings_dir), "%s/recordings",
                 next->data_dir);
    if (lsd_config_exposure(next) == LSD_EXPOSURE_REFUSED) {
        snprintf(err, size, "listen is %s, beyond loopback, without api_token while "
                 "require_token_beyond_loopback is true", next->listen);
        return -EACCES;
    }
    return 0;
}

/* Most keys are read where they are used; these two were handed over at start. */
static void apply(struct lsd_server *s, const struct lsd_config *old)
{
    if (old->log_level != s->config.log_level)
        lsd_log_set_level(s->log, s->config.log_level);
    if (old->max_body_bytes != s->config.max_body_bytes)
        evhttp_set_max_body_size(s->http, (ev_ssize_t)s->config.max_body_bytes * 4 + 65536);
}

void lsd_server_reload(struct lsd_server *s)
{
    int ret = lsd_log_reopen(s->log);
    lsd_logf(s->log, ret < 0 ? LS_LOG_ERROR : LS_LOG_INFO, "SIGHUP: log reopened%s%s",
             ret < 0 ? ": " : "", ret < 0 ? strerror(-ret) : "");
    struct lsd_config next;
    char err[1024] = "", changed[512], restart[256];
    if ((ret = read_again(s, &next, err, sizeof(err))) < 0) {
        s->reloads_failed++;
        lsd_logf(s->log, LS_LOG_ERROR, "SIGHUP: config refused, the running one is kept: %s",
                 err);
        return;
    }
    struct lsd_config old = s->config;
    unsigned n = lsd_config_merge_live(&s->config, &next, changed, sizeof(changed), restart,
                                       sizeof(restart));
    apply(s, &old);
    s->reloads_ok++;
    lsd_logf(s->log, LS_LOG_INFO, "SIGHUP: config reloaded%s%s: %s%s",
             s->config.config_path[0] ? " from " : "", s->config.config_path,
             n ? "changed " : "nothing changed", changed);
    if (restart[0])
        lsd_logf(s->log, LS_LOG_WARN, "SIGHUP: %s changed in the config but needs restart: "
                 "the running value is kept until then", restart);
    lsd_server_warn_exposure(s, &s->config);
}
