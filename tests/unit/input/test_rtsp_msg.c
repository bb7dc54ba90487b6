/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The RTSP message parser (lib/input/rtsp_msg.c): replies with headers and a
 * Content-Length body, interleaved frames and server requests, each found
 * whole however the bytes are split across reads; garbage refused; header
 * parameters (Session timeout, RTP-Info rtptime).
 */
#include <errno.h>

#include "lib/input/rtsp_msg.h"
#include "tests/unit/test.h"

static const char stream[] =
    "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Base: rtsp://cam/s/\r\n"
    "Content-Type: application/sdp\r\nContent-Length: 10\r\n\r\nv=0\r\nm=x\r\n"
    "$\x01\x00\x03" "abc"
    "SET_PARAMETER rtsp://cam/s RTSP/1.0\nCSeq: 9\n\n"
    "RTSP/1.0 401 Unauthorized\r\nCSeq: 3\r\n"
    "WWW-Authenticate: Digest realm=\"r\", nonce=\"n\"\r\n\r\n";

/** Parse the stream fed @p step bytes at a time, as reads would. */
static void parse_split(size_t step)
{
    const uint8_t *all = (const uint8_t *)stream;
    size_t total = sizeof(stream) - 1, have = 0, at = 0;
    int kinds[4] = {0}, n = 0;
    while (at < total && n < 4) {
        struct ls_rtsp_msg msg;
        int r = ls_rtsp_parse(all + at, have - at, &msg);
        CHECK(r >= 0);
        if (r < 0)
            return;
        if (r == 0) {
            CHECK(have < total);
            have = have + step > total ? total : have + step;
            continue;
        }
        if (n == 0) {
            CHECK_EQ_INT(msg.status, 200);
            CHECK_EQ_INT(msg.body_size, 10);
            CHECK_EQ_MEM(msg.body, "v=0\r\nm=x\r\n", 10);
            char base[64];
            CHECK_EQ_INT(ls_rtsp_header_copy(&msg, "content-base", base, sizeof(base)), 13);
            CHECK_EQ_STR(base, "rtsp://cam/s/");
        } else if (n == 1) {
            CHECK_EQ_INT(msg.channel, 1);
            CHECK_EQ_INT(msg.body_size, 3);
            CHECK_EQ_MEM(msg.body, "abc", 3);
        } else if (n == 3) {
            CHECK_EQ_INT(msg.status, 401);
            CHECK(ls_rtsp_header(&msg, "WWW-Authenticate") != NULL);
        }
        kinds[n++] = (int)msg.kind;
        at += (size_t)r;
    }
    CHECK_EQ_INT(n, 4);
    CHECK_EQ_INT(kinds[0], LS_RTSP_REPLY);
    CHECK_EQ_INT(kinds[1], LS_RTSP_DATA);
    CHECK_EQ_INT(kinds[2], LS_RTSP_REQUEST);
    CHECK_EQ_INT(kinds[3], LS_RTSP_REPLY);
    CHECK_EQ_INT(at, total);
}

static void test_garbage(void)
{
    struct ls_rtsp_msg msg;
    const char *bad[] = {
        "HTTP/1.1 200 OK\r\n\r\n", "RTSP/1.0 2x0 OK\r\n\r\n", "hello\r\n\r\n",
        "RTSP/1.0 200 OK\r\nContent-Length: 1x\r\n\r\n",
        "RTSP/1.0 200 OK\r\nContent-Length: 999999999\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK(ls_rtsp_parse((const uint8_t *)bad[i], strlen(bad[i]), &msg) < 0);
    static uint8_t big[LS_RTSP_MAX_HEAD + 8];
    memset(big, 'a', sizeof(big));
    memcpy(big, "RTSP/1.0 200 OK\r\nX: ", 20);
    CHECK_EQ_INT(ls_rtsp_parse(big, sizeof(big), &msg), -EMSGSIZE);
    CHECK_EQ_INT(ls_rtsp_parse(big, 100, &msg), 0);
}

static void test_params(void)
{
    const char *head = "RTSP/1.0 200 OK\r\nSession: 1234ABC;timeout=60\r\n"
                       "RTP-Info: url=rtsp://cam/s/trackID=1;seq=7;rtptime=123456,"
                       "url=rtsp://cam/s/trackID=2;seq=9;rtptime=99\r\n\r\n";
    struct ls_rtsp_msg msg;
    CHECK_EQ_INT(ls_rtsp_parse((const uint8_t *)head, strlen(head), &msg), (int)strlen(head));
    const struct ls_rtsp_text *s = ls_rtsp_header(&msg, "Session");
    char v[64];
    CHECK(s != NULL);
    CHECK_EQ_INT(ls_rtsp_param(s, "", v, sizeof(v)), 7);
    CHECK_EQ_STR(v, "1234ABC");
    CHECK_EQ_INT(ls_rtsp_param(s, "timeout", v, sizeof(v)), 2);
    CHECK_EQ_STR(v, "60");
    CHECK_EQ_INT(ls_rtsp_param(s, "seq", v, sizeof(v)), -ENOENT);
}

int main(void)
{
    size_t steps[] = {1, 2, 3, 7, 13, 64, 1000};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        parse_split(steps[i]);
    test_garbage();
    test_params();
    return test_done("rtsp_msg");
}
