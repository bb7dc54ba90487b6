/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTMPS sink: our FLV bytes written into FFmpeg's rtmps:// protocol (TLS is
 * FFmpeg's; plain rtmp:// goes through our own publisher), which
 * skips the file header, sends each tag body as one RTMP message with the
 * tag's timestamp, and wraps script tags in @setDataFrame. So every codec
 * we can write in FLV (Enhanced RTMP HEVC included) goes out as RTMP.
 */
#include <errno.h>

#include <libavformat/avio.h>
#include <libavutil/dict.h>

#include "lib/util/error.h"
#include "lib/output/output.h"

static int interrupt_cb(void *opaque)
{
    return ls_output_interrupted(opaque);
}

static int rtmp_open(struct ls_output *o)
{
    AVIOInterruptCB cb = {.callback = interrupt_cb, .opaque = o};
    AVDictionary *opts = NULL;
    AVIOContext *pb = NULL;
    av_dict_set(&opts, "rtmp_live", "live", 0);
    av_dict_set(&opts, "tcp_nodelay", "1", 0);
    int err = avio_open2(&pb, o->target, AVIO_FLAG_WRITE, &cb, &opts);
    av_dict_free(&opts);
    if (err < 0)
        return ls_output_interrupted(o) ? -ETIMEDOUT : ls_error_from_av(err);
    o->sink = pb;
    return 0;
}

static int rtmp_write(struct ls_output *o, const struct ls_piece *pieces, int n, unsigned flags,
                      uint32_t ts_ms)
{
    (void)flags;
    (void)ts_ms;
    AVIOContext *pb = o->sink;
    for (int i = 0; i < n; i++)
        avio_write(pb, pieces[i].data, (int)pieces[i].size);
    /* Flush every tag: latency matters more than syscalls here. */
    avio_flush(pb);
    if (pb->error < 0)
        return ls_output_interrupted(o) ? -ETIMEDOUT : ls_error_from_av(pb->error);
    return 0;
}

static void rtmp_close(struct ls_output *o)
{
    AVIOContext *pb = o->sink;
    if (!pb)
        return;
    /* Closing sends deleteStream/FCUnpublish; bound it like any write. */
    ls_output_set_deadline(o, 300);
    avio_closep(&pb);
    o->sink = NULL;
}

const struct ls_sink_ops ls_sink_rtmps = {
    .open = rtmp_open,
    .write = rtmp_write,
    .close = rtmp_close,
};
