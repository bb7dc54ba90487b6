/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Engine selection and dispatch. `auto` decides before any I/O, from the URL
 * and the transport alone: a camera the native engine cannot read (rtsps,
 * HTTP tunnelling, UDP) goes to libavformat at once, without a failed
 * connection first, so a fallback never costs a connect timeout.
 */
#include <errno.h>

#include "lib/input/input.h"

static int open_with(const struct ls_input_ops *ops, struct ls_input **out,
                     const struct ls_input_settings *s)
{
    int err = ops->open(out, s);
    if (err == 0)
        (*out)->ops = ops;
    return err;
}

int ls_input_open(struct ls_input **out, const struct ls_input_settings *s,
                  struct ls_input_memo *memo)
{
    *out = NULL;
    memo->fell_back = false;
    switch (s->engine) {
    case LS_ENGINE_LIBAVFORMAT:
        return open_with(&ls_input_lavf_ops, out, s);
    case LS_ENGINE_NATIVE:
        if (!ls_input_native_ops.supports(s))
            return -EPROTONOSUPPORT;
        return open_with(&ls_input_native_ops, out, s);
    case LS_ENGINE_AUTO:
        if (ls_input_native_ops.supports(s))
            return open_with(&ls_input_native_ops, out, s);
        memo->fell_back = true;
        if (!memo->fallback_logged) {
            memo->fallback_logged = true;
            ls_log_info(s->log, "input engine auto: the native engine reads rtsp:// over TCP "
                                "only; libavformat reads this camera");
        }
        return open_with(&ls_input_lavf_ops, out, s);
    }
    return -EINVAL;
}

void ls_input_close(struct ls_input **in)
{
    if (!*in)
        return;
    (*in)->ops->close(*in);
    *in = NULL;
}

const char *ls_input_engine_name(const struct ls_input *in)
{
    return in->ops->name;
}

void ls_input_streams(const struct ls_input *in, struct ls_stream_info *video,
                      struct ls_stream_info *audio)
{
    in->ops->streams(in, video, audio);
}

int ls_input_read(struct ls_input *in, struct ls_packet *pkt, bool *is_video)
{
    return in->ops->read(in, pkt, is_video);
}
