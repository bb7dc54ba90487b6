/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTCP sender reports read, receiver reports written: see rtcp.h.
 */
#include <errno.h>

#include "lib/util/bytes.h"
#include "lib/input/rtcp.h"

int ls_rtcp_find_sr(const uint8_t *p, size_t n, uint32_t *ssrc, uint32_t *lsr)
{
    while (n >= 4) {
        if ((p[0] >> 6) != 2)
            return -EBADMSG;
        size_t len = 4 * ((size_t)(p[2] << 8 | p[3]) + 1);
        if (len > n)
            return -EBADMSG;
        if (p[1] == 200 && len >= 28) { /* SR: SSRC, then NTP seconds and fraction */
            *ssrc = ls_get_be32(p + 4);
            *lsr = ls_get_be32(p + 8) << 16 | ls_get_be32(p + 12) >> 16;
            return 1;
        }
        p += len;
        n -= len;
    }
    return 0;
}

void ls_rtcp_write_rr(uint8_t out[LS_RTCP_RR_SIZE], uint32_t our_ssrc,
                      const struct ls_rtcp_report *r)
{
    out[0] = 0x81; /* version 2, one report block */
    out[1] = 201;  /* RR */
    out[2] = 0;
    out[3] = LS_RTCP_RR_SIZE / 4 - 1;
    ls_put_be32(out + 4, our_ssrc);
    ls_put_be32(out + 8, r->ssrc);
    uint32_t lost = r->lost > 0x7fffff ? 0x7fffff : r->lost;
    ls_put_be32(out + 12, lost); /* fraction lost 0: we report totals, not intervals */
    ls_put_be32(out + 16, r->ext_max_seq);
    ls_put_be32(out + 20, 0);    /* jitter: not measured over TCP */
    ls_put_be32(out + 24, r->lsr);
    ls_put_be32(out + 28, r->dlsr);
}
