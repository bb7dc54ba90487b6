/*
 * The daemon's life: create the server, run its loop until SIGTERM/SIGINT,
 * reload on SIGHUP, destroy it (server.c, reload.c). For main.c and the
 * signal handler; handlers never need it.
 *
 * Threads: the loop (main's thread).
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_LIFECYCLE_H
#define LSD_LIFECYCLE_H

struct lsd_config;
struct lsd_server;

/* server.c. @p argc, @p argv: the command line @p config came from, kept (not copied) to be
 * read again on SIGHUP. lsd_server_create fails (-EACCES, logged) before binding anything
 * when lsd_config_exposure(config) is LSD_EXPOSURE_REFUSED. */
int lsd_server_create(struct lsd_server **out, const struct lsd_config *config, int argc,
                      char **argv);
int lsd_server_run(struct lsd_server *s);           /* until SIGTERM/SIGINT */
void lsd_server_destroy(struct lsd_server **s);

/* reload.c */
/** SIGHUP: reopen the log, reload the config, apply what can change live (logged). */
void lsd_server_reload(struct lsd_server *s);
/** Log the loud warning when @p c listens beyond loopback without api_token. */
void lsd_server_warn_exposure(struct lsd_server *s, const struct lsd_config *c);

#endif
