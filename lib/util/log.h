/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Logging through a relay's ls_logger, with the camera password redacted
 * from every line before it leaves the library.
 */
#ifndef LS_LIB_LOG_H
#define LS_LIB_LOG_H

#include "lightstream/common.h"

struct ls_log_ctx {
    struct ls_logger logger;
    const char *secret; /**< the password to redact, or NULL */
    const char *prefix; /**< e.g. the redacted camera URL's host, or NULL */
};

#if defined(__GNUC__)
#define LS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define LS_PRINTF(a, b)
#endif

void ls_log(const struct ls_log_ctx *ctx, enum ls_log_level level, const char *fmt, ...)
    LS_PRINTF(3, 4);

#define ls_log_error(ctx, ...) ls_log(ctx, LS_LOG_ERROR, __VA_ARGS__)
#define ls_log_warn(ctx, ...) ls_log(ctx, LS_LOG_WARN, __VA_ARGS__)
#define ls_log_info(ctx, ...) ls_log(ctx, LS_LOG_INFO, __VA_ARGS__)
#define ls_log_debug(ctx, ...) ls_log(ctx, LS_LOG_DEBUG, __VA_ARGS__)

#endif
