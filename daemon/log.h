/*
 * lightstreamd's log: one line per message, with time and level, to stderr or
 * a file (reopened on SIGHUP). Thread-safe: the library's threads log here
 * too. Every line goes through the URL redaction, so a camera password that
 * slipped into a message never reaches the log, and then through
 * lsd_log_escape(), so text from outside (request paths, headers, JSON
 * fields, camera and FFmpeg messages) can neither forge nor hide a line.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#ifndef LSD_LOG_H
#define LSD_LOG_H

#include <stddef.h>

#include "lightstream/common.h"

struct lsd_log;

/** @param path "" for stderr. @return 0 or -errno (file not writable) */
int lsd_log_create(struct lsd_log **out, const char *path, enum ls_log_level level);
void lsd_log_destroy(struct lsd_log **log);
/** Reopen the file (after logrotate moved it). Thread-safety: safe. @return 0 or -errno */
int lsd_log_reopen(struct lsd_log *log);
/** Thread-safety: safe. */
void lsd_logf(struct lsd_log *log, enum ls_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Suits struct ls_logger.callback with the log as cookie. */
void lsd_log_library(void *log, enum ls_log_level level, const char *message);
/** Route FFmpeg's own messages (av_log) here, redacted, at debug level. */
void lsd_log_capture_ffmpeg(struct lsd_log *log);
/**
 * Copy @p in to @p out (always NUL-terminated; cut before a character that
 * does not fit) as one line of printable UTF-8: control characters become
 * \n \r \t or \xHH, and so do the bytes of C1 controls, of U+2028 and U+2029
 * and every byte that is not part of well-formed UTF-8. A backslash is kept
 * as it is. Pure; @return strlen(out)
 */
size_t lsd_log_escape(const char *in, char *out, size_t size);
/**
 * FFmpeg's messages name no relay, and may quote pieces of a password it
 * read as a host, a port or a path (a raw '/' in a password): while a
 * relay's instance runs, its URL's password (ls_url_password()) is hidden in
 * every FFmpeg message too. @p key names the registration for
 * lsd_log_unwatch(). Thread-safety: safe. @return 0 or -ENOMEM
 */
int lsd_log_watch_url(struct lsd_log *log, const void *key, const char *url);
/** Forget what lsd_log_watch_url() registered under @p key. Thread-safety: safe. */
void lsd_log_unwatch(struct lsd_log *log, const void *key);
/** The configured level. Thread-safety: safe. */
enum ls_log_level lsd_log_level(const struct lsd_log *log);
/** Change the level (SIGHUP). Thread-safety: safe. */
void lsd_log_set_level(struct lsd_log *log, enum ls_log_level level);

#endif
