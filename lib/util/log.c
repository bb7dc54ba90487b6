/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdarg.h>
#include <stdio.h>

#include "lib/util/log.h"
#include "lib/util/url.h"

void ls_log(const struct ls_log_ctx *ctx, enum ls_log_level level, const char *fmt, ...)
{
    if (!ctx || !ctx->logger.callback || level > ctx->logger.level)
        return;
    char raw[1024], clean[1200];
    int n = 0;
    if (ctx->prefix)
        n = snprintf(raw, sizeof(raw), "%s: ", ctx->prefix);
    if (n < 0 || (size_t)n >= sizeof(raw))
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw + n, sizeof(raw) - (size_t)n, fmt, ap);
    va_end(ap);
    /* Redact last, over the whole line: a password can hide in any argument. */
    ls_redact_text(raw, ctx->secret, clean, sizeof(clean));
    ctx->logger.callback(ctx->logger.cookie, level, clean);
}
