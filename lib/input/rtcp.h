/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTCP for the native input (RFC 3550): the sender report's NTP time read
 * from a camera's compound packet, and the receiver report we send back.
 * Some cameras end a session that never reports; the report also tells
 * them what we lost. Pure: no I/O; the packets read are untrusted.
 */
#ifndef LS_LIB_RTCP_H
#define LS_LIB_RTCP_H

#include <stddef.h>
#include <stdint.h>

/** Size of a receiver report with one report block. */
#define LS_RTCP_RR_SIZE 32

/** What one report block says about a source. */
struct ls_rtcp_report {
    uint32_t ssrc;        /**< the source reported on */
    uint32_t ext_max_seq; /**< highest sequence number received, extended */
    uint32_t lost;        /**< packets lost so far (24 bits are sent) */
    uint32_t lsr;         /**< middle 32 bits of the last SR's NTP time, 0 when none */
    uint32_t dlsr;        /**< delay since that SR, in 1/65536 s */
};

/**
 * Find a sender report in a compound RTCP packet.
 * @return 1 with @p ssrc and @p lsr set, 0 when there is none, -EBADMSG.
 */
int ls_rtcp_find_sr(const uint8_t *p, size_t n, uint32_t *ssrc, uint32_t *lsr);

/** Write a receiver report from @p our_ssrc with one block into @p out (LS_RTCP_RR_SIZE). */
void ls_rtcp_write_rr(uint8_t out[LS_RTCP_RR_SIZE], uint32_t our_ssrc,
                      const struct ls_rtcp_report *r);

#endif
