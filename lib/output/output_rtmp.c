/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTMP sink: our own publisher (rtmp_publish.h). Each FLV tag body goes out
 * as one RTMP message with the tag's timestamp, in one writev; the FLV file
 * header and the tag headers and trailers are FLV framing RTMP does not use.
 */
#include <errno.h>

#include "lib/flv/flv.h"
#include "lib/output/output.h"
#include "lib/output/rtmp_publish.h"

static int interrupted(void *opaque)
{
    return ls_output_interrupted(opaque);
}

static int rtmp_open(struct ls_output *o)
{
    struct ls_rtmp_pub_settings s = {.interrupted = interrupted, .opaque = o};
    struct ls_rtmp_pub *pub = NULL;
    int err = ls_rtmp_pub_open(&pub, o->target, &s);
    if (err < 0)
        return err;
    o->sink = pub;
    return 0;
}

static int rtmp_write(struct ls_output *o, const struct ls_piece *pieces, int n, unsigned flags,
                      uint32_t ts_ms)
{
    (void)flags;
    if (n != 3 || pieces[0].size != LS_FLV_TAG_HEADER_SIZE)
        return 0; /* the FLV file header: nothing to send */
    uint8_t type = pieces[0].data[0] & 0x1f;
    return ls_rtmp_pub_send(o->sink, type, ts_ms, pieces[1].data, pieces[1].size);
}

static void rtmp_close(struct ls_output *o)
{
    struct ls_rtmp_pub *pub = o->sink;
    /* Closing sends FCUnpublish/deleteStream; bound it like any write. */
    ls_output_set_deadline(o, 300);
    ls_rtmp_pub_close(&pub);
    o->sink = NULL;
}

static int rtmp_nonblocking(struct ls_output *o, bool on)
{
    ls_rtmp_pub_set_nonblocking(o->sink, on);
    return ls_rtmp_pub_fd(o->sink);
}

static int rtmp_flush(struct ls_output *o)
{
    return ls_rtmp_pub_flush(o->sink);
}

const struct ls_sink_ops ls_sink_rtmp = {
    .open = rtmp_open,
    .write = rtmp_write,
    .close = rtmp_close,
    .nonblocking = rtmp_nonblocking,
    .flush = rtmp_flush,
};
