/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Error codes: FFmpeg's tagged errors are mapped here and nowhere else, so
 * no AVERROR value ever leaves the library.
 */
#include <errno.h>
#include <string.h>

#include <libavutil/error.h>

#include "lightstream/common.h"
#include "lib/util/error.h"

int ls_error_from_av(int averror)
{
    if (averror >= 0)
        return averror;
    switch (averror) {
    case AVERROR_EOF:
        return -ENODATA;
    case AVERROR_INVALIDDATA:
    case AVERROR_BUG:
    case AVERROR_BUG2:
        return -EBADMSG;
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN:
        return -EACCES;
    case AVERROR_HTTP_NOT_FOUND:
        return -ENOENT;
    case AVERROR_HTTP_BAD_REQUEST:
    case AVERROR_HTTP_OTHER_4XX:
    case AVERROR_HTTP_SERVER_ERROR:
        return -EPROTO;
    case AVERROR_PROTOCOL_NOT_FOUND:
        return -EPROTONOSUPPORT;
    case AVERROR_EXIT:
        return -ECANCELED;
    case AVERROR_DECODER_NOT_FOUND:
    case AVERROR_DEMUXER_NOT_FOUND:
    case AVERROR_ENCODER_NOT_FOUND:
    case AVERROR_MUXER_NOT_FOUND:
    case AVERROR_OPTION_NOT_FOUND:
    case AVERROR_PATCHWELCOME:
    case AVERROR_STREAM_NOT_FOUND:
        return -ENOTSUP;
    default:
        break;
    }
    /* AVERROR(e) is -e on POSIX systems; tagged errors are large negatives. */
    if (averror > -4096)
        return averror;
    return -EIO;
}

const char *ls_strerror(int err)
{
    if (err > 0)
        err = -err;
    switch (err) {
    case 0:
        return "success";
    case -EINVAL:
        return "invalid argument";
    case -ENOMEM:
        return "out of memory";
    case -EACCES:
    case -EPERM:
        return "authentication failed";
    case -ENOENT:
        return "not found";
    case -ECONNREFUSED:
        return "connection refused";
    case -ETIMEDOUT:
        return "timed out";
    case -EBADMSG:
        return "invalid data from peer";
    case -ENODATA:
        return "stream ended";
    case -ENOTSUP:
        return "not supported";
    case -EPROTONOSUPPORT:
        return "unsupported URL scheme";
    case -EPROTO:
        return "protocol error";
    case -EALREADY:
        return "already in that state";
    case -EDEADLK:
        return "not allowed from a callback";
    case -ECANCELED:
        return "cancelled";
    case -EAGAIN:
        return "resource temporarily unavailable";
    case -EHOSTUNREACH:
        return "host unreachable";
    case -ENETUNREACH:
        return "network unreachable";
    case -ECONNRESET:
        return "connection reset by peer";
    case -EPIPE:
        return "connection closed";
    case -ENOSPC:
        return "no space left";
    case -EIO:
        return "input/output error";
    default:
        return "unknown error";
    }
}

const char *ls_state_name(enum ls_state state)
{
    static const char *const names[] = {
        [LS_STATE_IDLE] = "idle",           [LS_STATE_CONNECTING] = "connecting",
        [LS_STATE_STREAMING] = "streaming", [LS_STATE_BACKOFF] = "backoff",
        [LS_STATE_STOPPED] = "stopped",     [LS_STATE_FAILED] = "failed",
    };
    if ((unsigned)state < sizeof(names) / sizeof(names[0]))
        return names[state];
    return "unknown";
}
