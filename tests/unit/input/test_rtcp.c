/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * RTCP (lib/input/rtcp.c): a sender report found in a compound packet after
 * a receiver report and its NTP middle bits taken; truncated and non-RTCP
 * bytes refused; the receiver report written bit for bit (RFC 3550 6.4.2).
 */
#include <errno.h>

#include "lib/input/rtcp.h"
#include "tests/unit/test.h"

static void test_find_sr(void)
{
    /* An empty RR (4 + 4 bytes), then an SR: SSRC 0x11223344, NTP 0xaabbccdd.0xeeff0011. */
    const uint8_t p[] = {0x80, 201, 0, 1, 1, 2, 3, 4,
                         0x80, 200, 0, 6, 0x11, 0x22, 0x33, 0x44, 0xaa, 0xbb, 0xcc, 0xdd,
                         0xee, 0xff, 0x00, 0x11, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0, 2};
    uint32_t ssrc = 0, lsr = 0;
    CHECK_EQ_INT(ls_rtcp_find_sr(p, sizeof(p), &ssrc, &lsr), 1);
    CHECK_EQ_INT(ssrc, 0x11223344u);
    CHECK_EQ_INT(lsr, 0xccddeeffu);
    CHECK_EQ_INT(ls_rtcp_find_sr(p, 8, &ssrc, &lsr), 0);
    CHECK_EQ_INT(ls_rtcp_find_sr(p, sizeof(p) - 1, &ssrc, &lsr), -EBADMSG);
    const uint8_t rtp[] = {0x40, 200, 0, 0};
    CHECK_EQ_INT(ls_rtcp_find_sr(rtp, sizeof(rtp), &ssrc, &lsr), -EBADMSG);
}

static void test_write_rr(void)
{
    struct ls_rtcp_report r = {.ssrc = 0x01020304, .ext_max_seq = 0x00010005, .lost = 3,
                               .lsr = 0xccddeeff, .dlsr = 0x00018000};
    uint8_t out[LS_RTCP_RR_SIZE];
    ls_rtcp_write_rr(out, 0xdeadbeef, &r);
    const uint8_t want[LS_RTCP_RR_SIZE] = {
        0x81, 201, 0, 7, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 0, 0, 0, 3,
        0, 1, 0, 5, 0, 0, 0, 0, 0xcc, 0xdd, 0xee, 0xff, 0, 1, 0x80, 0};
    CHECK_EQ_MEM(out, want, sizeof(want));
    r.lost = 0x12345678; /* 24 bits at most */
    ls_rtcp_write_rr(out, 1, &r);
    CHECK_EQ_INT(out[12], 0);
    CHECK_EQ_INT(out[13], 0x7f);
}

int main(void)
{
    test_find_sr();
    test_write_rr();
    return test_done("rtcp");
}
