/*
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The SDP parser (lib/input/sdp.c): codecs and clocks from rtpmap and static
 * payload types, parameter sets decoded to Annex B (H.264 and H.265), AAC's
 * config and AU header sizes, media and session control URLs, and their
 * resolution against the base.
 */
#include <errno.h>

#include "lib/input/sdp.h"
#include "tests/unit/test.h"

static const char h264_aac[] =
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\na=control:*\r\n"
    "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1;profile-level-id=42001f;sprop-parameter-sets=Z0IAHw==,aM4G4g==\r\n"
    "a=control:trackID=1\r\n"
    "m=audio 0 RTP/AVP 97\r\na=rtpmap:97 MPEG4-GENERIC/48000/2\r\n"
    "a=fmtp:97 streamtype=5; profile-level-id=15; mode=AAC-hbr; config=1190; sizelength=13;"
    " indexlength=3; indexdeltalength=3\r\n"
    "a=control:rtsp://cam:554/s/trackID=2\r\n";

static void test_h264_aac(void)
{
    struct ls_sdp sdp;
    CHECK_EQ_INT(ls_sdp_parse(h264_aac, strlen(h264_aac), &sdp), 0);
    CHECK_EQ_INT(sdp.n_media, 2);
    CHECK_EQ_STR(sdp.control, "*");
    const struct ls_sdp_media *v = &sdp.media[0], *a = &sdp.media[1];
    CHECK_EQ_INT(v->kind, LS_SDP_VIDEO);
    CHECK_EQ_INT(v->codec, LS_CODEC_H264);
    CHECK_EQ_INT(v->payload_type, 96);
    CHECK_EQ_INT(v->clock_rate, 90000);
    const uint8_t ps[] = {0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1f, 0, 0, 0, 1, 0x68, 0xce, 0x06, 0xe2};
    CHECK_EQ_INT(v->extradata_size, sizeof(ps));
    CHECK_EQ_MEM(v->extradata, ps, sizeof(ps));
    CHECK_EQ_STR(v->control, "trackID=1");
    CHECK_EQ_INT(a->kind, LS_SDP_AUDIO);
    CHECK_EQ_INT(a->codec, LS_CODEC_AAC);
    CHECK_EQ_INT(a->clock_rate, 48000);
    CHECK_EQ_INT(a->channels, 2);
    CHECK_EQ_INT(a->extradata_size, 2);
    CHECK_EQ_INT(a->extradata[0], 0x11);
    CHECK_EQ_INT(a->extradata[1], 0x90);
    CHECK_EQ_INT(a->size_length, 13);
    CHECK_EQ_INT(a->index_length, 3);
    CHECK_EQ_INT(a->index_delta_length, 3);
    CHECK_EQ_STR(a->control, "rtsp://cam:554/s/trackID=2");
}

static void test_h265_g711(void)
{
    const char *text = "v=0\nm=video 0 RTP/AVP 98\na=rtpmap:98 H265/90000\n"
                       "a=fmtp:98 sprop-vps=QAE=;sprop-sps=QgE=;sprop-pps=RAE=\n"
                       "m=audio 0 RTP/AVP 8\na=control:track2\n"
                       "m=audio 0 RTP/AVP 0\n"
                       "m=application 0 RTP/AVP 107\na=rtpmap:107 vnd.onvif.metadata/90000\n";
    struct ls_sdp sdp;
    CHECK_EQ_INT(ls_sdp_parse(text, strlen(text), &sdp), 0);
    CHECK_EQ_INT(sdp.n_media, 4);
    CHECK_EQ_INT(sdp.media[0].codec, LS_CODEC_H265);
    const uint8_t ps[] = {0, 0, 0, 1, 0x40, 0x01, 0, 0, 0, 1, 0x42, 0x01, 0, 0, 0, 1, 0x44, 0x01};
    CHECK_EQ_INT(sdp.media[0].extradata_size, sizeof(ps));
    CHECK_EQ_MEM(sdp.media[0].extradata, ps, sizeof(ps));
    CHECK_EQ_INT(sdp.media[1].codec, LS_CODEC_PCMA);
    CHECK_EQ_INT(sdp.media[1].clock_rate, 8000);
    CHECK_EQ_STR(sdp.media[1].control, "track2");
    CHECK_EQ_INT(sdp.media[2].codec, LS_CODEC_PCMU);
    CHECK_EQ_INT(sdp.media[3].kind, LS_SDP_OTHER);
    CHECK_EQ_INT(sdp.media[3].codec, LS_CODEC_OTHER);
    CHECK_EQ_INT(ls_sdp_parse("v=0\r\n", 5, &sdp), -EBADMSG);
}

static void test_control_url(void)
{
    char out[64];
    CHECK_EQ_INT(ls_sdp_control_url("rtsp://cam/s/", "trackID=1", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "rtsp://cam/s/trackID=1");
    CHECK_EQ_INT(ls_sdp_control_url("rtsp://cam/s", "trackID=1", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "rtsp://cam/s/trackID=1");
    CHECK_EQ_INT(ls_sdp_control_url("rtsp://cam/s", "RTSP://other/t", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "RTSP://other/t");
    CHECK_EQ_INT(ls_sdp_control_url("rtsp://cam/s", "*", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "rtsp://cam/s");
    CHECK_EQ_INT(ls_sdp_control_url("rtsp://cam/s", "", out, sizeof(out)), 0);
    CHECK_EQ_STR(out, "rtsp://cam/s");
    CHECK_EQ_INT(ls_sdp_control_url("rtsp://cam/s", "t", out, 8), -ENAMETOOLONG);
}

int main(void)
{
    test_h264_aac();
    test_h265_g711();
    test_control_url();
    return test_done("sdp");
}
