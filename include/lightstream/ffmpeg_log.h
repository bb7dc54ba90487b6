/*
 * liblightstream — RTSP to FLV/RTMP relay library
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * @file ffmpeg_log.h
 * @brief Opt-in: FFmpeg's own log lines through the application's logger.
 *
 * The library reads cameras with libavformat, and FFmpeg logs on its own
 * (connection errors, RTP packet loss, SDP warnings), to stderr by default.
 * A relay's ls_logger receives only the library's lines. An application
 * that wants FFmpeg's lines in its own log, redacted like the library's,
 * calls ls_ffmpeg_log_route() once, early, and ls_ffmpeg_log_unroute()
 * before its logger goes away.
 *
 * **Process-global.** FFmpeg has one log callback and one log level per
 * process (av_log_set_callback(), av_log_set_level()), shared by every
 * library in it that uses FFmpeg. Routing sets both, for the whole process:
 * it is the only global state liblightstream ever touches, and only when
 * the application asks. Unrouting puts back FFmpeg's default callback and
 * the level found when routing began. An application that installs its own
 * av_log callback should not use this too: the last one set wins.
 *
 * What the logger receives, per line:
 * - the line as FFmpeg's av_log_format_line2() formats it, prefixed with
 *   `ffmpeg: ` and keeping FFmpeg's component name, without the newline:
 *   `ffmpeg: [rtsp @ 0x5581c4e0] method DESCRIBE failed: 401 Unauthorized`.
 *   A line FFmpeg writes in several calls arrives once, whole (per thread);
 * - with the secrets of every URL in it hidden by ls_redact_text() (no
 *   extra secret: a password FFmpeg prints apart from its URL is not known
 *   here);
 * - at a level mapped from FFmpeg's: panic, fatal and error →
 *   LS_LOG_ERROR; warning → LS_LOG_WARN; info → LS_LOG_INFO; verbose →
 *   LS_LOG_DEBUG. FFmpeg's debug and trace levels (per packet) are never
 *   delivered.
 *
 * The logger's callback is called on whichever thread FFmpeg logs from (a
 * relay's thread, an output's thread, or any thread of the application
 * that uses FFmpeg), one call at a time: calls are serialized by a lock
 * held during the callback. From inside that callback, FFmpeg's own lines
 * (if it calls FFmpeg) are dropped, and ls_ffmpeg_log_route() and
 * ls_ffmpeg_log_unroute() fail with -EDEADLK.
 */
#ifndef LIGHTSTREAM_FFMPEG_LOG_H
#define LIGHTSTREAM_FFMPEG_LOG_H

#include "lightstream/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Send FFmpeg's log lines to @p logger, for the whole process (see the top
 * of this file), and set FFmpeg's log level to match @p logger->level
 * (LS_LOG_DEBUG sets FFmpeg's verbose level). Calling it again while routed
 * replaces the logger; the level to restore stays the one found first.
 *
 * @param logger where the lines go; copied, so it may be a local variable.
 *        Its cookie must stay valid until ls_ffmpeg_log_unroute() returns.
 * @return 0 on success;
 *         -EINVAL if @p logger or its callback is NULL or its level is not
 *         an ls_log_level;
 *         -EDEADLK if called from the routed callback itself.
 *
 * Thread-safety: safe; process-global.
 */
LS_API int ls_ffmpeg_log_route(const struct ls_logger *logger);

/**
 * Stop routing: put back FFmpeg's default callback (stderr) and the log
 * level found when routing began. When it returns, the logger is not being
 * called and will not be called again, so its cookie may be freed.
 *
 * @return 0 on success;
 *         -EALREADY if FFmpeg's log was not routed;
 *         -EDEADLK if called from the routed callback itself.
 *
 * Thread-safety: safe; process-global.
 */
LS_API int ls_ffmpeg_log_unroute(void);

#ifdef __cplusplus
}
#endif

#endif /* LIGHTSTREAM_FFMPEG_LOG_H */
