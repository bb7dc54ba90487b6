/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every captured answer in tests/data/onvif (copied from
 * ../shared/onvif-captures with its LICENSE) parsed through the generated
 * gSOAP deserializers and the client's own code, replayed as HTTP answers to
 * a real handle: vendor strings, tokens, encodings, resolutions, URIs. The
 * captures name LAN hosts; nothing here touches a network.
 */
#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "lib/onvif/discovery.h"
#include "lib/onvif/transport.h"
#include "tests/onvif/unit/replay_util.h"
#include "tests/unit/test.h"

#define PW "p@ss"

static void agsh_device(void)
{
    struct script s = { 0 };
    static const char *const files[] = {
        "agsh-onvif/GetSystemDateAndTime.xml", "agsh-onvif/GetServices.xml",
        "agsh-onvif/GetDeviceInformation.xml", "agsh-onvif/GetProfiles.xml",
        "agsh-onvif/GetStreamUri.xml",         "agsh-onvif/GetSnapshotUri.xml", NULL,
        "agsh-onvif/GetNodes.xml",             "agsh-onvif/GetStatus.xml",
        "agsh-onvif/ptz.AbsoluteMove.xml",     "agsh-onvif/ptz.RelativeMove.xml",
        "agsh-onvif/ptz.GotoPreset.xml",       "agsh-onvif/ptz.ContinuousMove.xml",
        "agsh-onvif/ptz.Stop.xml",             "agsh-onvif/Error.xml", NULL,
    };
    /* GetSnapshotUri.xml and Error.xml use the SOAP-ENV prefix without
     * declaring it: as captured they are rejected (-EBADMSG); each is then
     * replayed again with the declaration added, to check its fields. */
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (files[i])
            script_add_file(&s, files[i]);
        else
            script_add_file_replace(&s, files[i - 1], "<SOAP-ENV:Envelope ",
                                    "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\""
                                    "http://www.w3.org/2003/05/soap-envelope\" ");
    }
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, "admin", PW), 0);
    if (!dev)
        return script_free(&s);
    CHECK_EQ_INT(ls_onvif_services(dev),
                 LS_ONVIF_SERVICE_MEDIA | LS_ONVIF_SERVICE_PTZ);
    /* 2014-12-24T19:14:37Z, the capture's clock. */
    CHECK_EQ_INT(ls_onvif_clock_offset(dev) + time(NULL), 1419448477);

    struct ls_onvif_info info;
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), 0);
    CHECK_EQ_STR(info.manufacturer, "Mockup Manufacturer");
    CHECK_EQ_STR(info.model, "Mockup Model");
    CHECK_EQ_STR(info.firmware, "Mockup_15_14_13");
    CHECK_EQ_STR(info.serial, "00000000");
    CHECK_EQ_STR(info.hardware_id, "MOCKUP");

    struct ls_onvif_profile p[4];
    size_t n = 0;
    CHECK_EQ_INT(ls_onvif_get_profiles(dev, p, 4, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(p[0].token, "main");
    CHECK_EQ_STR(p[0].name, "main");
    CHECK_EQ_INT(p[0].encoding, LS_ONVIF_ENCODING_H264);
    CHECK_EQ_INT(p[0].width, 1920);
    CHECK_EQ_INT(p[0].height, 1080);
    CHECK(test_near(p[0].fps, 5));
    CHECK_EQ_INT(p[0].bitrate_kbps, 1000);
    CHECK(p[0].ptz);

    char uri[LS_ONVIF_URI_MAX];
    CHECK_EQ_INT(ls_onvif_get_stream_uri(dev, "main", uri, sizeof(uri)), 0);
    CHECK_EQ_STR(uri, "rtsp://admin:p%40ss@127.0.0.1/h264main"); /* LAN host rewritten */
    CHECK_EQ_INT(ls_onvif_get_snapshot_uri(dev, "main", uri, sizeof(uri)), -EBADMSG);
    CHECK(strstr(ls_onvif_last_error(dev), "GetSnapshotUri: ") != NULL);
    CHECK_EQ_INT(ls_onvif_get_snapshot_uri(dev, "main", uri, sizeof(uri)), 0);
    CHECK_EQ_STR(uri, "http://admin:p%40ss@127.0.0.1/onvif-cgi/jpg/image.cgi"
                      "?resolution=800x600&compression=20&camera=1");

    struct ls_onvif_ptz_node node;
    CHECK_EQ_INT(ls_onvif_ptz_get_node(dev, &node), 0);
    CHECK_EQ_STR(node.token, "default");
    CHECK(node.absolute && node.relative && node.continuous && node.home);
    CHECK_EQ_INT(node.max_presets, 360);

    struct ls_onvif_ptz_status st;
    CHECK_EQ_INT(ls_onvif_ptz_get_status(dev, "main", &st), 0);
    CHECK(test_near(st.position.pan, -0.864665985));
    CHECK(test_near(st.position.tilt, 0.267444015));
    CHECK(test_near(st.position.zoom, 0.211861998));
    CHECK(!st.moving);

    struct ls_onvif_ptz_vector v = { 0.5, -0.25, 0 };
    CHECK_EQ_INT(ls_onvif_ptz_absolute_move(dev, "main", &v), 0);
    CHECK_EQ_INT(ls_onvif_ptz_relative_move(dev, "main", &v), 0);
    CHECK_EQ_INT(ls_onvif_ptz_goto_preset(dev, "main", "1"), 0);
    CHECK_EQ_INT(ls_onvif_ptz_move(dev, "main", &v, 10), 0); /* ContinuousMove + Stop */
    CHECK(strstr(script_request(&s, 12), "ContinuousMove") != NULL);
    CHECK(strstr(script_request(&s, 12), "x=\"0.5\" y=\"-0.25\"") != NULL);
    CHECK(strstr(script_request(&s, 12), "<tptz:Timeout>PT0.010S</tptz:Timeout>") != NULL);
    CHECK(strstr(script_request(&s, 13), "<tptz:Stop>") != NULL);
    CHECK(strstr(script_request(&s, 13), "<tptz:PanTilt>true</tptz:PanTilt>") != NULL);
    CHECK(strstr(script_request(&s, 13), "<tptz:Zoom>true</tptz:Zoom>") != NULL);

    /* Error.xml (also curly quotes in its XML declaration). */
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EBADMSG);
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EPROTO);
    CHECK(strstr(ls_onvif_last_error(dev), "ter:fault subcode") != NULL);
    CHECK(strstr(ls_onvif_last_error(dev), "fault reason") != NULL);
    CHECK(!strstr(ls_onvif_last_error(dev), PW));
    CHECK_EQ_INT(script_requests(&s), 16);
    /* Every request went to the XAddr's path at the address reached. */
    CHECK(strstr(script_request(&s, 2), "POST /onvif/services HTTP/1.1") != NULL);
    CHECK(strstr(script_request(&s, 2), "Host: 127.0.0.1:8080") != NULL);
    ls_onvif_close(&dev);
    CHECK(dev == NULL);
    script_free(&s);
}

static void bosch(void)
{
    struct script s = { 0 };
    script_add_file(&s, "onvif-go-bosch/bosch_flexidome_5100i_GetSystemDateAndTime.xml");
    script_add(&s, 400, NULL, ""); /* no GetServices: fall back */
    script_add_file(&s, "onvif-go-bosch/bosch_flexidome_5100i_GetCapabilities.xml");
    script_add_file(&s, "onvif-go-bosch/bosch_flexidome_5100i_GetDeviceInformation.xml");
    script_add_file(&s, "onvif-go-bosch/bosch_flexidome_5100i_GetProfiles.xml");
    script_add_file(&s, "onvif-go-bosch/bosch_flexidome_5100i_GetStreamUri.xml");
    script_add_file(&s, "onvif-go-bosch/bosch_flexidome_5100i_GetSnapshotUri.xml");
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, "service", "x"), 0);
    if (!dev)
        return script_free(&s);
    CHECK(ls_onvif_services(dev) & LS_ONVIF_SERVICE_FROM_CAPABILITIES);
    CHECK(ls_onvif_services(dev) & LS_ONVIF_SERVICE_MEDIA);
    CHECK(!(ls_onvif_services(dev) & LS_ONVIF_SERVICE_PTZ));
    /* The camera's clock said 2023-05-24T21:25:05Z (1684963505). */
    CHECK_EQ_INT(ls_onvif_clock_offset(dev) + time(NULL), 1684963505);
    struct ls_onvif_info info;
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), 0);
    CHECK_EQ_STR(info.manufacturer, "Bosch");
    CHECK_EQ_STR(info.model, "FLEXIDOME indoor 5100i IR");
    CHECK_EQ_STR(info.firmware, "8.71.0066");
    CHECK_EQ_STR(info.serial, "404754734001050102");
    CHECK_EQ_STR(info.hardware_id, "F000B543");
    struct ls_onvif_profile p[8];
    size_t n = 0;
    CHECK_EQ_INT(ls_onvif_get_profiles(dev, p, 8, &n), 0);
    CHECK_EQ_INT(n, 4);
    static const unsigned w[] = { 1920, 1536, 1280, 512 }, h[] = { 1080, 864, 720, 288 },
                          br[] = { 5200, 3400, 2400, 400 };
    for (size_t i = 0; i < 4 && i < n; i++) {
        char tok[2] = { (char)('0' + i), 0 };
        CHECK_EQ_STR(p[i].token, tok);
        CHECK_EQ_INT(p[i].encoding, LS_ONVIF_ENCODING_H264);
        CHECK_EQ_INT(p[i].width, w[i]);
        CHECK_EQ_INT(p[i].height, h[i]);
        CHECK_EQ_INT(p[i].bitrate_kbps, br[i]);
        CHECK(test_near(p[i].fps, 30));
        CHECK(!p[i].ptz);
    }
    CHECK_EQ_STR(p[0].name, "Profile_L1S1");
    char uri[LS_ONVIF_URI_MAX];
    CHECK_EQ_INT(ls_onvif_get_stream_uri(dev, NULL, uri, sizeof(uri)), 0); /* first profile */
    CHECK_EQ_STR(uri, "rtsp://service:x@127.0.0.1/rtsp_tunnel?p=0&line=1&inst=1&vcd=2");
    CHECK(strstr(script_request(&s, 5), "<trt:ProfileToken>0</trt:ProfileToken>") != NULL);
    CHECK(strstr(script_request(&s, 5), "POST /onvif/media_service ") != NULL);
    CHECK_EQ_INT(ls_onvif_get_snapshot_uri(dev, "0", uri, sizeof(uri)), 0);
    CHECK_EQ_STR(uri, "http://service:x@127.0.0.1/snap.jpg?JpegCam=1");
    /* Bosch requests are stamped in the camera's time. */
    CHECK(strstr(script_request(&s, 3), "<wsu:Created>2023-05-2") != NULL);
    ls_onvif_close(&dev);
    script_free(&s);
}

static void dahua(void)
{
    struct script s = { 0 };
    script_add_file(&s, "hammeraj-onvif/get_system_date_and_time.xml");
    script_add_file_status(&s, 500, "ex_onvif/soap_fault.xml");
    script_add_file(&s, "go2rtc/dahua_GetCapabilities.xml");
    script_add_file(&s, "go2rtc/dahua_GetStreamUri_formatted_whitespace.xml");
    script_add_file(&s, "go2rtc/dahua_GetStreamUri.xml");
    script_add_file(&s, "go2rtc/dahua_GetSnapshotUri.xml");
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, NULL, NULL), 0);
    if (!dev)
        return script_free(&s);
    CHECK_EQ_INT(ls_onvif_clock_offset(dev) + time(NULL), 1720554546); /* 2024-07-09T19:49:06Z */
    CHECK(ls_onvif_services(dev) & LS_ONVIF_SERVICE_FROM_CAPABILITIES);
    char uri[LS_ONVIF_URI_MAX];
    const char *want = "rtsp://127.0.0.1:554/cam/realmonitor?channel=1&subtype=1&unicast=true"
                       "&proto=Onvif";
    CHECK_EQ_INT(ls_onvif_get_stream_uri(dev, "tok", uri, sizeof(uri)), 0);
    CHECK_EQ_STR(uri, want); /* whitespace trimmed, host rewritten, port kept */
    CHECK_EQ_INT(ls_onvif_get_stream_uri(dev, "tok", uri, sizeof(uri)), 0);
    CHECK_EQ_STR(uri, want);
    CHECK_EQ_INT(ls_onvif_get_snapshot_uri(dev, "tok", uri, 20), -ENOSPC);
    ls_onvif_close(&dev);
    script_free(&s);
}

static void nvr_profiles(void)
{
    struct script s = { 0 };
    script_add_file(&s, "hammeraj-onvif/get_system_date_and_time.xml");
    script_add_file(&s, "agsh-onvif/GetServices.xml");
    script_add_file(&s, "hammeraj-onvif/get_profiles_response_with_invalid_video_encoder.xml");
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, NULL, NULL), 0);
    if (!dev)
        return script_free(&s);
    struct ls_onvif_profile p[40];
    size_t n = 0;
    CHECK_EQ_INT(ls_onvif_get_profiles(dev, p, 40, &n), 0);
    CHECK_EQ_INT(n, 36);
    for (size_t i = 0; i < n && i < 40; i++) {
        /* No Encoding: unknown, never JPEG; no resolution, no rate. */
        CHECK_EQ_INT(p[i].encoding, LS_ONVIF_ENCODING_UNKNOWN);
        CHECK_EQ_INT(p[i].width, 0);
        CHECK_EQ_INT(p[i].bitrate_kbps, 0);
        CHECK(!p[i].ptz);
    }
    CHECK_EQ_STR(p[0].token, "MediaProfile00000");
    CHECK_EQ_STR(p[0].name, "MediaProfile_Channel1_MainStream");
    CHECK_EQ_STR(p[35].token, "MediaProfile01102");
    CHECK_EQ_STR(p[35].name, "MediaProfile_Channel12_SubStream2");
    ls_onvif_close(&dev);
    script_free(&s);
}

static void milesight(void)
{
    struct script s = { 0 };
    script_add_file(&s, "hammeraj-onvif/get_system_date_and_time.xml");
    script_add_file(&s, "agsh-onvif/GetServices.xml");
    script_add_file(&s, "ex_onvif/get_device_information.xml");
    script_add_file(&s, "ex_onvif/get_ptz_presets.xml");
    script_add_file(&s, "ex_onvif/get_ptz_status.xml");
    script_add_file(&s, "ex_onvif/goto_ptz_preset.xml");
    script_add_file_status(&s, 400, "ex_onvif/soap_fault.xml");
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, "admin", PW), 0);
    if (!dev)
        return script_free(&s);
    struct ls_onvif_info info;
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), 0);
    CHECK_EQ_STR(info.manufacturer, "Milesight Technology Co.,Ltd.");
    CHECK_EQ_STR(info.model, "MS-C8165-PE");
    CHECK_EQ_STR(info.firmware, "61.8.0.3-r8");
    CHECK_EQ_STR(info.serial, "EM82V102329001403");
    CHECK_EQ_STR(info.hardware_id, "V1.0");
    struct ls_onvif_preset pr[1];
    size_t n = 0;
    CHECK_EQ_INT(ls_onvif_ptz_get_presets(dev, "p", pr, 1, &n), 0);
    CHECK_EQ_INT(n, 2); /* counted past cap */
    CHECK_EQ_STR(pr[0].token, "PresetToken001");
    CHECK_EQ_STR(pr[0].name, "Entrance");
    struct ls_onvif_ptz_status st;
    CHECK_EQ_INT(ls_onvif_ptz_get_status(dev, "p", &st), 0);
    CHECK(test_near(st.position.pan, 0.164178) && test_near(st.position.tilt, -0.618316));
    CHECK(test_near(st.position.zoom, 0) && !st.moving);
    CHECK_EQ_INT(ls_onvif_ptz_goto_preset(dev, "p", "PresetToken002"), 0);
    CHECK(strstr(script_request(&s, 5), "<tptz:PresetToken>PresetToken002</tptz:PresetToken>"));
    CHECK_EQ_INT(ls_onvif_ptz_goto_preset(dev, "p", "x"), -EPROTO);
    CHECK(strstr(ls_onvif_last_error(dev), "ter:InvalidArgVal") != NULL);
    CHECK(strstr(ls_onvif_last_error(dev), "ter:NoProfile") != NULL);
    CHECK(strstr(ls_onvif_last_error(dev), "Argument Value Invalid") != NULL);
    ls_onvif_close(&dev);
    script_free(&s);
}

/* Media2, from answers written after the schema (tests/data/onvif/media2/README). */
static void media2(void)
{
    struct script s = { 0 };
    script_add_file(&s, "agsh-onvif/GetSystemDateAndTime.xml");
    script_add_file(&s, "media2/GetServices.xml");
    script_add_file(&s, "media2/GetProfiles.xml");
    script_add_file_replace(&s, "media2/GetStreamUri.xml", "PROFILE_TOKEN", "Profile_1");
    script_add_file_replace(&s, "media2/GetSnapshotUri.xml", "PROFILE_TOKEN", "Profile_1");
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, "admin", PW), 0);
    if (!dev)
        return script_free(&s);
    CHECK(ls_onvif_services(dev) & LS_ONVIF_SERVICE_MEDIA2);
    struct ls_onvif_profile p[4];
    size_t n = 0;
    CHECK_EQ_INT(ls_onvif_get_profiles(dev, p, 4, &n), 0);
    CHECK_EQ_INT(n, 3);
    CHECK_EQ_STR(p[0].token, "Profile_1");
    CHECK_EQ_STR(p[0].name, "mainStream");
    CHECK_EQ_INT(p[0].encoding, LS_ONVIF_ENCODING_H265);
    CHECK_EQ_INT(p[0].width, 2560);
    CHECK_EQ_INT(p[0].height, 1440);
    CHECK(test_near(p[0].fps, 25));
    CHECK_EQ_INT(p[0].bitrate_kbps, 6144);
    CHECK(p[0].ptz);
    CHECK_EQ_INT(p[1].encoding, LS_ONVIF_ENCODING_H264);
    CHECK_EQ_INT(p[2].encoding, LS_ONVIF_ENCODING_JPEG);
    CHECK(strstr(script_request(&s, 2), "<tr2:Type>All</tr2:Type>") != NULL);
    CHECK(strstr(script_request(&s, 2), "POST /onvif/media2_service ") != NULL);
    char uri[LS_ONVIF_URI_MAX];
    CHECK_EQ_INT(ls_onvif_get_stream_uri(dev, "Profile_1", uri, sizeof(uri)), 0);
    CHECK_EQ_STR(uri, "rtsp://admin:p%40ss@127.0.0.1:554/Streaming/Channels/Profile_1"
                      "?transportmode=unicast");
    CHECK(strstr(script_request(&s, 3), "<tr2:Protocol>RTSP</tr2:Protocol>") != NULL);
    CHECK_EQ_INT(ls_onvif_get_snapshot_uri(dev, "Profile_1", uri, sizeof(uri)), 0);
    CHECK_EQ_STR(uri, "http://admin:p%40ss@127.0.0.1:80/onvif/snapshot?profile=Profile_1");
    ls_onvif_close(&dev);
    script_free(&s);
}

/* A header block we cannot know, marked mustUnderstand (env: the envelope's prefix). */
#define VENDOR_HEADER(env)                                                                \
    "<v:Session xmlns:v=\"urn:example:vendor\" " env ":mustUnderstand=\"1\">7</v:Session>"

/* Faults whose Header carries WS-Addressing 1.0 elements marked mustUnderstand,
 * written in a third-party device's shape (tests/data/onvif/wsa-faults/README):
 * read as faults, NotAuthorized is -EACCES, subcodes are kept. */
static void wsa_faults(void)
{
    struct script s = { 0 };
    script_add_file(&s, "agsh-onvif/GetSystemDateAndTime.xml");
    script_add_file(&s, "agsh-onvif/GetServices.xml");
    script_add_file_status(&s, 400, "wsa-faults/NotAuthorized.xml");
    script_add_file_status(&s, 400, "wsa-faults/InvalidArgVal.xml");
    /* An answer with the same kind of header: understood, parsed; an unknown
     * block not marked mustUnderstand is skipped, as always. */
    script_add_file_replace(&s, "agsh-onvif/GetDeviceInformation.xml", "<SOAP-ENV:Header>",
                            "<SOAP-ENV:Header><wsa5:Action SOAP-ENV:mustUnderstand=\"true\">"
                            "http://www.onvif.org/ver10/device/wsdl/GetDeviceInformationResponse"
                            "</wsa5:Action><wsa5:RelatesTo>urn:uuid:1</wsa5:RelatesTo>"
                            "<v:Trace xmlns:v=\"urn:example:vendor\">1</v:Trace>");
    /* A header block nobody knows: the fault is still read... */
    script_add_file_replace_status(&s, 400, "wsa-faults/NotAuthorized.xml", "<s:Header>",
                                   "<s:Header>" VENDOR_HEADER("s"));
    /* ...an answer is refused, naming it (SOAP: not understood, not processed). */
    script_add_file_replace(&s, "agsh-onvif/GetDeviceInformation.xml", "<SOAP-ENV:Header>",
                            "<SOAP-ENV:Header>" VENDOR_HEADER("SOAP-ENV"));
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, "admin", PW), 0);
    if (!dev)
        return script_free(&s);
    struct ls_onvif_info info;
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EACCES);
    CHECK(strstr(ls_onvif_last_error(dev), "ter:NotAuthorized") != NULL);
    CHECK(strstr(ls_onvif_last_error(dev), "Sender not Authorized") != NULL);
    struct ls_onvif_profile p[2];
    size_t n = 0;
    CHECK_EQ_INT(ls_onvif_get_profiles(dev, p, 2, &n), -EPROTO);
    CHECK(strstr(ls_onvif_last_error(dev), "ter:InvalidArgVal/ter:NoProfile") != NULL);
    CHECK(strstr(ls_onvif_last_error(dev), "Argument Value Invalid") != NULL);
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), 0);
    CHECK_EQ_STR(info.manufacturer, "Mockup Manufacturer");
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EACCES);
    CHECK(strstr(ls_onvif_last_error(dev), "ter:NotAuthorized") != NULL);
    CHECK_EQ_INT(ls_onvif_get_info(dev, &info), -EBADMSG);
    CHECK(strstr(ls_onvif_last_error(dev), "v:Session") != NULL);
    CHECK(strstr(ls_onvif_last_error(dev), "mustUnderstand") != NULL);
    CHECK_EQ_INT(script_requests(&s), 7); /* one request each, no retry */
    ls_onvif_close(&dev);
    script_free(&s);
}

/* Media2 GetProfiles answered with HTTP 500 and no SOAP fault (a device bug):
 * Media's profiles instead, and the handle keeps to Media for their URIs. */
static void media2_http_error(const char *status_body)
{
    struct script s = { 0 };
    script_add_file(&s, "agsh-onvif/GetSystemDateAndTime.xml");
    script_add_file(&s, "media2/GetServices.xml");
    script_add(&s, 500, NULL, status_body);
    script_add_file(&s, "agsh-onvif/GetProfiles.xml");
    script_add_file(&s, "agsh-onvif/GetStreamUri.xml");
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, "admin", PW), 0);
    if (!dev)
        return script_free(&s);
    CHECK(ls_onvif_services(dev) & LS_ONVIF_SERVICE_MEDIA2);
    struct ls_onvif_profile p[4];
    size_t n = 0;
    CHECK_EQ_INT(ls_onvif_get_profiles(dev, p, 4, &n), 0);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(p[0].token, "main");
    CHECK_EQ_INT(p[0].encoding, LS_ONVIF_ENCODING_H264);
    CHECK(strstr(script_request(&s, 2), "POST /onvif/media2_service ") != NULL);
    CHECK(strstr(script_request(&s, 3), "POST /onvif/media_service ") != NULL);
    CHECK(strstr(script_request(&s, 3), "<trt:GetProfiles") != NULL);
    CHECK(!(ls_onvif_services(dev) & LS_ONVIF_SERVICE_MEDIA2));
    CHECK(ls_onvif_services(dev) & LS_ONVIF_SERVICE_MEDIA);
    char uri[LS_ONVIF_URI_MAX];
    CHECK_EQ_INT(ls_onvif_get_stream_uri(dev, NULL, uri, sizeof(uri)), 0);
    CHECK_EQ_STR(uri, "rtsp://admin:p%40ss@127.0.0.1/h264main");
    CHECK(strstr(script_request(&s, 4), "<trt:GetStreamUri>") != NULL);
    CHECK_EQ_INT(script_requests(&s), 5);
    ls_onvif_close(&dev);
    script_free(&s);
}

/* No fallback after an authentication failure: cameras lock accounts. */
static void media2_not_authorized(void)
{
    struct script s = { 0 };
    script_add_file(&s, "agsh-onvif/GetSystemDateAndTime.xml");
    script_add_file(&s, "media2/GetServices.xml");
    script_add_file_status(&s, 400, "wsa-faults/NotAuthorized.xml");
    script_add_file(&s, "agsh-onvif/GetProfiles.xml"); /* must never be asked for */
    struct ls_onvif *dev = NULL;
    CHECK_EQ_INT(script_open(&s, &dev, "admin", PW), 0);
    if (!dev)
        return script_free(&s);
    size_t n = 0;
    CHECK_EQ_INT(ls_onvif_get_profiles(dev, NULL, 0, &n), -EACCES);
    CHECK_EQ_INT(script_requests(&s), 3);
    CHECK(ls_onvif_services(dev) & LS_ONVIF_SERVICE_MEDIA2);
    ls_onvif_close(&dev);
    script_free(&s);
}

static void probe_matches(void)
{
    struct soap *soap = soap_new1(SOAP_C_UTFSTRING);
    struct Namespace *ns = ls_onvif_namespaces(false);
    soap_set_namespaces(soap, ns);
    struct script tmp = { 0 };
    script_add_file_replace(&tmp, "agsh-onvif/Probe.xml", "RELATES_TO", "urn:uuid:1");
    char *xml = strstr(tmp.answers[0], "\r\n\r\n") + 4;
    struct ls_onvif_discovered d[2];
    size_t n = 0;
    /* The placeholder XAddrs stay; filled in by the fake responder elsewhere. */
    CHECK_EQ_INT(ls_onvif_read_probe_matches(soap, xml, strlen(xml), "urn:uuid:1", d, 2, &n), 1);
    CHECK_EQ_INT(n, 1);
    CHECK_EQ_STR(d[0].endpoint, "uuid:c9790c3a-701b-464d-a189-0060351c8ada");
    CHECK_EQ_STR(d[0].xaddrs, "SERVICE_URI");
    CHECK_EQ_STR(d[0].types, "dn:NetworkVideoTransmitter tds:Device");
    CHECK_EQ_STR(d[0].name, "PREDATOR");
    CHECK_EQ_STR(d[0].hardware, "HD_PREDATOR");
    CHECK(strncmp(d[0].scopes, "onvif://www.onvif.org/Profile/Streaming onvif://", 48) == 0);
    /* The same device again: not added. Another probe's answer: ignored. */
    CHECK_EQ_INT(ls_onvif_read_probe_matches(soap, xml, strlen(xml), "urn:uuid:1", d, 2, &n), 0);
    CHECK_EQ_INT(ls_onvif_read_probe_matches(soap, xml, strlen(xml), "urn:uuid:2", d, 2, &n),
                 -EBADMSG);
    CHECK_EQ_INT(n, 1);
    /* The Probe we send. */
    char msg[4096];
    CHECK(ls_onvif_probe_message(soap, "urn:uuid:abc", msg, sizeof(msg)) > 0);
    CHECK(strstr(msg, "<wsa:MessageID>urn:uuid:abc</wsa:MessageID>") != NULL);
    CHECK(strstr(msg, "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe") != NULL);
    CHECK(strstr(msg, "dn:NetworkVideoTransmitter") != NULL);
    CHECK(strstr(msg, "http://www.w3.org/2003/05/soap-envelope") != NULL);
    script_free(&tmp);
    soap_destroy(soap);
    soap_end(soap);
    soap_free(soap);
    free(ns);
}

/* Answers to operations the client does not make, parsed by the generated
 * deserializers of the "parse only" declarations in lib/onvif/onvif_soap.h. */
typedef void *(*get_fn)(struct soap *soap, void *resp);

static struct soap *parse(const char *rel, get_fn get, void *resp)
{
    struct soap *soap = soap_new1(SOAP_C_UTFSTRING);
    struct Namespace *ns = ls_onvif_namespaces(false);
    soap_set_namespaces(soap, ns);
    char *xml = load_capture(rel);
    soap->is = xml;
    soap_set_imode(soap, SOAP_ENC_PLAIN);
    soap->length = strlen(xml);
    int err = soap_begin_recv(soap) || soap_envelope_begin_in(soap) || soap_recv_header(soap) ||
              soap_body_begin_in(soap) || !get(soap, resp) || soap_body_end_in(soap) ||
              soap_envelope_end_in(soap) || soap_end_recv(soap);
    if (err)
        fprintf(stderr, "%s: gSOAP error %d\n", rel, soap->error);
    CHECK(!err);
    soap->is = NULL;
    free(xml);
    soap->user = ns; /* freed with the context below */
    return soap;
}

static void parse_done(struct soap *soap)
{
    free(soap->user);
    soap_destroy(soap);
    soap_end(soap);
    soap_free(soap);
}

#define GETTER(T, tag)                                                \
    static void *get_##T(struct soap *soap, void *resp)               \
    {                                                                 \
        return soap_get_##T(soap, (struct T *)resp, tag, NULL);       \
    }
GETTER(_tds__GetHostnameResponse, "tds:GetHostnameResponse")
GETTER(_tds__GetScopesResponse, "tds:GetScopesResponse")
GETTER(_tr2__GetServiceCapabilitiesResponse, "tr2:GetServiceCapabilitiesResponse")
GETTER(_tptz__GetConfigurationsResponse, "tptz:GetConfigurationsResponse")
GETTER(_tr2__GetVideoEncoderConfigurationOptionsResponse,
       "tr2:GetVideoEncoderConfigurationOptionsResponse")
GETTER(_trt__GetVideoEncoderConfigurationResponse, "trt:GetVideoEncoderConfigurationResponse")
GETTER(_tptz__GetNodesResponse, "tptz:GetNodesResponse")

static void parse_only(void)
{
    struct _tds__GetHostnameResponse host = { 0 };
    struct soap *soap = parse("ex_onvif/get_hostname.xml", get__tds__GetHostnameResponse, &host);
    CHECK(host.HostnameInformation && !strcmp(host.HostnameInformation->FromDHCP, "false"));
    parse_done(soap);

    struct _tds__GetScopesResponse scopes = { 0 };
    soap = parse("ex_onvif/get_scopes.xml", get__tds__GetScopesResponse, &scopes);
    CHECK_EQ_INT(scopes.__sizeScopes, 10);
    if (scopes.__sizeScopes == 10) {
        CHECK_EQ_STR(scopes.Scopes[3].ScopeItem, "onvif://www.onvif.org/name/Camera");
        CHECK_EQ_STR(scopes.Scopes[3].ScopeDef, "Configurable");
    }
    parse_done(soap);

    struct _tr2__GetServiceCapabilitiesResponse caps = { 0 };
    soap = parse("ex_onvif/get_media2_service_capabilities.xml",
                 get__tr2__GetServiceCapabilitiesResponse, &caps);
    CHECK(caps.Capabilities && !strcmp(caps.Capabilities->SnapshotUri, "true"));
    CHECK(caps.Capabilities && caps.Capabilities->StreamingCapabilities &&
          !strcmp(caps.Capabilities->StreamingCapabilities->RTP_USCORERTSP_USCORETCP, "true"));
    parse_done(soap);

    struct _tptz__GetConfigurationsResponse conf = { 0 };
    soap = parse("ex_onvif/get_ptz_configurations.xml", get__tptz__GetConfigurationsResponse,
                 &conf);
    CHECK_EQ_INT(conf.__sizePTZConfiguration, 1);
    if (conf.__sizePTZConfiguration == 1) {
        CHECK_EQ_STR(conf.PTZConfiguration[0].token, "PTZToken");
        CHECK_EQ_STR(conf.PTZConfiguration[0].NodeToken, "PTZNodeToken");
    }
    parse_done(soap);

    struct _tr2__GetVideoEncoderConfigurationOptionsResponse opts = { 0 };
    soap = parse("hammeraj-onvif/get_video_encoder_configuration_options.xml",
                 get__tr2__GetVideoEncoderConfigurationOptionsResponse, &opts);
    CHECK_EQ_INT(opts.__sizeOptions, 2);
    if (opts.__sizeOptions == 2) {
        CHECK_EQ_STR(opts.Options[1].Encoding, "H265"); /* a char*: H265 parses */
        CHECK_EQ_INT(opts.Options[1].__sizeResolutionsAvailable, 3);
        CHECK_EQ_STR(opts.Options[0].ResolutionsAvailable[1].Width, "3840");
    }
    parse_done(soap);

    struct _trt__GetVideoEncoderConfigurationResponse vec = { 0 };
    soap = parse("onvif-go-bosch/bosch_flexidome_5100i_GetVideoEncoderConfiguration.xml",
                 get__trt__GetVideoEncoderConfigurationResponse, &vec);
    CHECK(vec.Configuration && !strcmp(vec.Configuration->token, "EncCfg_L1S1"));
    CHECK(vec.Configuration && vec.Configuration->Resolution &&
          !strcmp(vec.Configuration->Resolution->Width, "1920"));
    parse_done(soap);

    struct _tptz__GetNodesResponse nodes = { 0 };
    soap = parse("hammeraj-onvif/get_nodes_success.xml", get__tptz__GetNodesResponse, &nodes);
    CHECK_EQ_INT(nodes.__sizePTZNode, 1);
    if (nodes.__sizePTZNode == 1)
        CHECK_EQ_STR(nodes.PTZNode[0].token, "PTZNodeToken");
    parse_done(soap);
}

int main(void)
{
    agsh_device();
    bosch();
    dahua();
    nvr_profiles();
    milesight();
    media2();
    wsa_faults();
    media2_http_error("");
    media2_http_error("<html><body><h1>500 Internal Server Error</h1></body></html>\n");
    media2_not_authorized();
    probe_matches();
    parse_only();
    return test_done("onvif-captures");
}
