/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The native engine's RTCP: each camera sender report is noted, and every
 * 5 s a receiver report per stream goes back on its interleaved RTCP channel
 * (RFC 3550 asks for about that rate at our bandwidth share). Some cameras
 * end a session that never reports, whatever the RTSP keep-alives say.
 */
#include "lib/util/clock.h"
#include "lib/input/native_private.h"
#include "lib/input/rtcp.h"

#define REPORT_INTERVAL_US (5 * 1000 * 1000)

void ls_native_rtcp_in(struct native_stream *st, const uint8_t *p, size_t n)
{
    uint32_t ssrc, lsr;
    if (ls_rtcp_find_sr(p, n, &ssrc, &lsr) == 1) {
        st->lsr = lsr;
        st->lsr_at_us = ls_now_us();
    }
}

static int report(struct native_input *in, struct native_stream *st, int64_t now)
{
    if (!st->depack_ready || !st->depack.stats.packets)
        return 0;
    int64_t since = st->lsr_at_us ? now - st->lsr_at_us : 0;
    struct ls_rtcp_report r = {
        .ssrc = st->depack.stats.ssrc,
        .ext_max_seq = st->depack.stats.ext_max_seq,
        .lost = (uint32_t)st->depack.stats.gaps,
        .lsr = st->lsr,
        .dlsr = st->lsr_at_us ? (uint32_t)(since * 65536 / 1000000) : 0,
    };
    uint8_t frame[4 + LS_RTCP_RR_SIZE] = {'$', (uint8_t)(st->channel + 1), 0, LS_RTCP_RR_SIZE};
    ls_rtcp_write_rr(frame + 4, in->our_ssrc, &r);
    return ls_rtsp_conn_send(&in->conn, frame, sizeof(frame), now + 1000 * 1000);
}

int ls_native_rtcp_report(struct native_input *in)
{
    int64_t now = ls_now_us();
    if (now < in->next_report_us)
        return 0;
    in->next_report_us = now + REPORT_INTERVAL_US;
    int err = report(in, &in->video, now);
    return err < 0 ? err : report(in, &in->audio, now);
}
