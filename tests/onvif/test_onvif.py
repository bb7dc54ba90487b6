#!/usr/bin/python3
"""lightstream-onvif (env LS_ONVIF_CLI) against the fake ONVIF device (fake_device.py), which
answers with real captured responses (tests/data/onvif) and records what the client sent.

One test per capture family and per quirk; the device checks the WS-Security digest against the
password and its own (skewed) clock, so a client computing it wrong fails these tests. The Media2
answers are written from the ONVIF Media2 schema, not captured (tests/data/onvif/media2/README).
"""
import json
import os
import socket
import time
import urllib.parse
import xml.etree.ElementTree as ET

import onvifcommon as oc
from onvifcommon import h

TT = "{http://www.onvif.org/ver10/schema}"
MASKED = "****"


def capture_profiles(rel):
    """(token, name) of every Profiles element of a GetProfiles capture (read independently)."""
    root = ET.parse(os.path.join(oc.DATA, rel)).getroot()
    return [(p.get("token"), p.findtext(TT + "Name")) for p in root.iter()
            if p.tag.endswith("}Profiles")]


def by_token(profiles):
    return {p["token"]: p for p in profiles}


class Info(oc.TestCase):
    def test_info_agsh(self):
        dev = self.device()
        info = self.ok(dev, "info")
        self.assertEqual(info, {"manufacturer": "Mockup Manufacturer", "model": "Mockup Model",
                                "firmware": "Mockup_15_14_13", "serial": "00000000",
                                "hardware_id": "MOCKUP"})
        recs = dev.records()
        # GetSystemDateAndTime first and unauthenticated, everything else signed and accepted
        self.assertEqual((recs[0]["op"], recs[0]["auth"]), ("GetSystemDateAndTime", "none"))
        self.assertAuthOk(dev)
        self.assertTrue(any(r["auth"] == "wsse" and r["auth_ok"] for r in recs))
        self.assertEqual(len(dev.of("GetDeviceInformation")), 1)
        # SOAP 1.2 by default
        for r in recs:
            self.assertEqual(r["soap"], "1.2")
            self.assertTrue(r["content_type"].startswith("application/soap+xml"), r)

    def test_info_bosch(self):
        # The Bosch camera's clock is its capture's date (2023-05-24): years off the local clock.
        dev = self.device(profile="bosch")
        info = self.ok(dev, "info")
        self.assertEqual(info, {"manufacturer": "Bosch", "model": "FLEXIDOME indoor 5100i IR",
                                "firmware": "8.71.0066", "serial": "404754734001050102",
                                "hardware_id": "F000B543"})
        self.assertAuthOk(dev)

    def test_info_milesight(self):
        dev = self.device(profile="milesight")
        info = self.ok(dev, "info")
        self.assertEqual(info, {"manufacturer": "Milesight Technology Co.,Ltd.", "model": "MS-C8165-PE",
                                "firmware": "61.8.0.3-r8", "serial": "EM82V102329001403",
                                "hardware_id": "V1.0"})


class Profiles(oc.TestCase):
    def test_profiles_agsh(self):
        dev = self.device()
        res = self.ok(dev, "profiles")
        self.assertIs(res["media2"], False)
        self.assertEqual(len(res["profiles"]), 1)
        p = res["profiles"][0]
        self.assertEqual((p["token"], p["name"], p["encoding"], p["width"], p["height"],
                          p["fps"], p["bitrate_kbps"], p["ptz"]),
                         ("main", "main", "H264", 1920, 1080, 5, 1000, True))

    def test_profiles_bosch(self):
        dev = self.device(profile="bosch")
        res = self.ok(dev, "profiles")
        self.assertIs(res["media2"], False)
        got = [(p["token"], p["name"], p["encoding"], p["width"], p["height"], p["fps"],
                p["bitrate_kbps"], p["ptz"]) for p in res["profiles"]]
        self.assertEqual(got, [("0", "Profile_L1S1", "H264", 1920, 1080, 30, 5200, False),
                               ("1", "Profile_L1S2", "H264", 1536, 864, 30, 3400, False),
                               ("2", "Profile_L1S3", "H264", 1280, 720, 30, 2400, False),
                               ("3", "Profile_L1S4", "H264", 512, 288, 30, 400, False)])

    def test_nvr_profiles_without_encoding_are_unknown(self):
        # hammeraj's 36-profile NVR: VideoEncoderConfiguration without Encoding/Resolution (or
        # none at all). A schema enum would turn the missing Encoding into JPEG: must be "unknown".
        dev = self.device(profile="nvr")
        res = self.ok(dev, "profiles")
        want = capture_profiles("hammeraj-onvif/get_profiles_response_with_invalid_video_encoder.xml")
        self.assertEqual(len(want), 36)
        self.assertEqual([(p["token"], p["name"]) for p in res["profiles"]], want)
        for p in res["profiles"]:
            self.assertEqual(p["encoding"], "unknown", p)
            self.assertEqual((p["width"], p["height"], p["bitrate_kbps"]), (0, 0, 0), p)
            self.assertEqual(p["fps"], 0, p)

    def test_media2_h265(self):
        # Media2 answers WRITTEN from the ONVIF Media2 schema (tests/data/onvif/media2/README);
        # Media1 on the same device shows only agsh's H.264 profile: the H.265 one is visible only
        # through Media2, which GetServices offers.
        dev = self.device(profile="media2")
        res = self.ok(dev, "profiles")
        self.assertIs(res["media2"], True)
        got = [(p["token"], p["name"], p["encoding"], p["width"], p["height"], p["fps"],
                p["bitrate_kbps"], p["ptz"]) for p in res["profiles"]]
        self.assertEqual(got, [("Profile_1", "mainStream", "H265", 2560, 1440, 25, 6144, True),
                               ("Profile_2", "subStream", "H264", 640, 360, 15, 512, False),
                               ("Profile_3", "jpegStream", "JPEG", 1280, 720, 5, 2048, False)])
        m2 = [r for r in dev.records() if r["op"] == "GetProfiles"]
        self.assertTrue(m2)
        self.assertEqual({r["service"] for r in m2}, {"media2"})
        # sent to the Media2 XAddr's path (http://192.168.1.64:80/onvif/media2_service), at the
        # address the client reached (a connection to 192.168.1.64 or to port 80 would fail)
        self.assertEqual({r["path"] for r in m2}, {"/onvif/media2_service"})

    def test_media2_http_500_falls_back_to_media1(self):
        # A device bug: Media2 GetProfiles answers HTTP 500 with an HTML page, no SOAP fault.
        # The client takes Media1's profiles and keeps to Media1 for their URIs.
        dev = self.device("--http-500", "media2.GetProfiles", profile="media2")
        res = self.ok(dev, "profiles")
        self.assertIs(res["media2"], False)
        self.assertEqual([(p["token"], p["encoding"]) for p in res["profiles"]], [("main", "H264")])
        gp = dev.of("GetProfiles")
        self.assertEqual([(r["service"], r["status"]) for r in gp], [("media2", 500), ("media", 200)])
        self.assertEqual(gp[1]["path"], "/onvif/media_service")
        res = self.ok(dev, "uri")
        self.assertEqual((res["token"], res["media2"]), ("main", False))
        self.assertEqual(self.assertRewritten(res["uri"]).path, "/h264main")
        self.assertEqual([r["service"] for r in dev.of("GetStreamUri")], ["media"])

    def test_getcapabilities_fallback(self):
        dev = self.device("--no-getservices")
        res = self.ok(dev, "profiles")
        self.assertEqual([p["token"] for p in res["profiles"]], ["main"])
        ops = dev.ops()
        self.assertIn("GetServices", ops)
        self.assertIn("GetCapabilities", ops)
        self.assertLess(ops.index("GetServices"), ops.index("GetCapabilities"))
        self.assertLessEqual(ops.count("GetServices"), 2)
        self.assertAtMostTwoPerCall(dev)
        # Media XAddr from GetCapabilities: http://192.168.68.111/onvif/services -> its path here
        self.assertEqual({r["path"] for r in dev.of("GetProfiles")}, {"/onvif/services"})

    def test_xaddr_lan_host_rewritten(self):
        # agsh's GetServices names http://192.168.68.111/onvif/services (port 80): the client
        # must keep talking to 127.0.0.1:<device port>, on that path.
        dev = self.device()
        self.ok(dev, "profiles")
        gp = dev.of("GetProfiles")
        self.assertEqual(len(gp), 1)
        self.assertEqual(gp[0]["path"], "/onvif/services")
        self.assertTrue(gp[0]["auth_ok"])


class StreamUri(oc.TestCase):
    def uri_of(self, res, token=None, media2=False):
        if token is not None:
            self.assertEqual(res["token"], token)
        self.assertIs(res["media2"], media2)
        return res["uri"]

    def test_uri_agsh(self):
        dev = self.device()
        uri = self.uri_of(self.ok(dev, "uri"), "main")
        u = self.assertRewritten(uri)
        self.assertIn(u.port, (None, 554), uri)
        self.assertEqual((u.path, u.query), ("/h264main", ""))
        self.assertEqual((u.username, u.password), ("admin", MASKED))
        self.assertEqual(dev.of("GetStreamUri")[-1]["profile_token"], "main")

    def test_uri_show_password_percent_encoded(self):
        dev = self.device()
        uri = self.uri_of(self.ok(dev, "uri", opts=["--show-password"]), "main")
        u = self.assertRewritten(uri)
        self.assertEqual(u.netloc.count("@"), 1, uri)
        self.assertEqual(u.username, "admin")
        self.assertEqual(u.password.upper(), "P%40SS%3AW%2FRD", uri)
        self.assertEqual(urllib.parse.unquote(u.password), oc.PASSWORD)
        self.assertEqual(u.path, "/h264main")

    def test_uri_bosch_query_and_token(self):
        dev = self.device(profile="bosch")
        uri = self.uri_of(self.ok(dev, "uri", "2"), "2")
        u = self.assertRewritten(uri)
        self.assertIn(u.port, (None, 554))
        self.assertEqual(u.path, "/rtsp_tunnel")
        self.assertEqual(u.query, "p=0&line=1&inst=1&vcd=2")  # &amp; decoded
        self.assertEqual(dev.of("GetStreamUri")[-1]["profile_token"], "2")
        # no GetServices capture: GetCapabilities' Media XAddr path is used
        self.assertEqual({r["path"] for r in dev.of("GetStreamUri")}, {"/onvif/media_service"})
        self.assertAuthOk(dev)

    def test_uri_dahua(self):
        dev = self.device(profile="dahua")
        uri = self.uri_of(self.ok(dev, "uri"), "MediaProfile00000")
        self.assertEqual(uri, "rtsp://admin:****@127.0.0.1:554/cam/realmonitor"
                              "?channel=1&subtype=1&unicast=true&proto=Onvif")

    def test_uri_whitespace_trimmed(self):
        # go2rtc's pretty-printed Dahua answer: newline + 20 spaces before the URI
        dev = self.device(profile="dahua-ws")
        uri = self.uri_of(self.ok(dev, "uri"), "MediaProfile00000")
        self.assertEqual(uri, "rtsp://admin:****@127.0.0.1:554/cam/realmonitor"
                              "?channel=1&subtype=1&unicast=true&proto=Onvif")
        self.assertFalse(any(c.isspace() for c in uri), repr(uri))

    def test_no_rewrite_keeps_lan_host(self):
        dev = self.device(profile="dahua")
        uri = self.uri_of(self.ok(dev, "uri", opts=["--no-rewrite"]))
        u = urllib.parse.urlsplit(uri)
        self.assertEqual((u.hostname, u.port), ("192.168.1.123", 554), uri)
        self.assertEqual(u.path, "/cam/realmonitor")
        self.assertEqual(u.password, MASKED)

    def test_media2_uri(self):
        dev = self.device(profile="media2")
        uri = self.uri_of(self.ok(dev, "uri"), "Profile_1", media2=True)
        self.assertEqual(uri, "rtsp://admin:****@127.0.0.1:554/Streaming/Channels/Profile_1"
                              "?transportmode=unicast")
        uri = self.uri_of(self.ok(dev, "uri", "Profile_2"), "Profile_2", media2=True)
        self.assertTrue(uri.endswith("/Streaming/Channels/Profile_2?transportmode=unicast"), uri)
        gsu = dev.of("GetStreamUri")
        self.assertEqual([r["service"] for r in gsu], ["media2", "media2"])
        self.assertEqual([r["profile_token"] for r in gsu], ["Profile_1", "Profile_2"])
        self.assertEqual({r["protocol"] for r in gsu}, {"RTSP"})

    def test_snapshot_bosch_and_dahua(self):
        dev = self.device(profile="bosch")
        res = self.ok(dev, "snapshot")
        self.assertEqual(res["token"], "0")
        u = self.assertRewritten(res["uri"], scheme="http")
        self.assertEqual((u.path, u.query), ("/snap.jpg", "JpegCam=1"))
        self.assertNotEqual(u.password, oc.PASSWORD)
        dev = self.device(profile="dahua")
        res = self.ok(dev, "snapshot")
        u = self.assertRewritten(res["uri"], scheme="http")
        self.assertEqual((u.path, u.query), ("/onvifsnapshot/media_service/snapshot", "channel=1&subtype=1"))

    def test_snapshot_agsh_undeclared_prefix(self):
        # agsh's GetSnapshotUri capture uses SOAP-ENV: without declaring it. A lenient parser
        # gets the URI; otherwise a clean EBADMSG -- never a crash or a wrong URI.
        dev = self.device()
        r = self.cli(dev, "snapshot")
        self.assertIn(r.code, (0, 1), r)
        if r.code == 0:
            u = self.assertRewritten(r.json["uri"], scheme="http")
            self.assertEqual(u.path, "/onvif-cgi/jpg/image.cgi")
            self.assertEqual(u.query, "resolution=800x600&compression=20&camera=1")
        else:
            self.assertEqual(r.json["error"]["code"], -oc.EBADMSG, r.json)


class Auth(oc.TestCase):
    def skewed(self, offset):
        dev = self.device("--clock-offset", offset)
        self.ok(dev, "info")
        self.assertAuthOk(dev)
        self.assertTrue(dev.of("GetDeviceInformation")[0]["auth_ok"])

    def test_clock_skew_plus_2_5_years(self):
        self.skewed(2.5 * oc.YEAR)

    def test_clock_skew_minus_1_day(self):
        self.skewed(-86400)

    def test_clock_skew_bosch_capture_date(self):
        dev = self.device(profile="bosch")
        self.ok(dev, "uri")
        self.assertAuthOk(dev)

    def test_clock_axis_answer(self):
        # hammeraj's Axis GetSystemDateAndTime (UTC and local date/time), clock 3 days ahead
        dev = self.device("--clock-offset", 3 * 86400, profile="nvr")
        self.ok(dev, "profiles")
        self.assertAuthOk(dev)
        self.assertTrue(dev.of("GetProfiles")[0]["auth_ok"])

    def test_wrong_password(self):
        dev = self.device()
        err, r = self.fails(dev, "info", password="Wrong:pa55", code=oc.EACCES)
        self.assertEqual(err.get("name"), "EACCES")
        refused = [x for x in dev.records() if not x["auth_ok"] and x["op"] != "GetSystemDateAndTime"]
        self.assertTrue(refused, "the device never refused anything")
        op = refused[0]["op"]
        self.assertLessEqual(len(dev.of(op)), 2, dev.ops())
        self.assertLessEqual(len(refused), 2, "more than two refused requests: %s" % dev.ops())
        # it stops at the refused operation
        self.assertEqual(dev.records()[-1]["op"], op, dev.ops())
        self.assertNotIn("Wrong:pa55", urllib.parse.unquote(r.stdout + r.stderr))

    def test_wrong_password_soap11(self):
        dev = self.device()
        self.fails(dev, "info", opts=["--soap11"], password="Wrong:pa55", code=oc.EACCES)
        refused = [x for x in dev.records() if not x["auth_ok"] and x["op"] != "GetSystemDateAndTime"]
        self.assertTrue(1 <= len(refused) <= 2, dev.ops())

    def test_digest_retry_once(self):
        # digest everywhere, GetSystemDateAndTime included (the client's first, anonymous call)
        self.digest_retry(self.device("--digest-only"))

    def test_digest_retry_once_gsdt_open(self):
        # GetSystemDateAndTime open, as ONVIF requires: the first 401 is on a signed call
        dev = self.device("--digest-only", "--gsdt-open")
        self.digest_retry(dev)
        self.assertEqual(dev.records()[0]["status"], 200)

    def digest_retry(self, dev):
        info = self.ok(dev, "info")
        self.assertEqual(info["manufacturer"], "Mockup Manufacturer")
        recs = dev.records()
        self.assertAtMostTwoPerCall(dev)
        self.assertTrue(any(r["status"] == 401 for r in recs))
        for i, r in enumerate(recs):
            if r["status"] == 401:
                self.assertLess(i + 1, len(recs), "no retry after the last 401")
                nxt = recs[i + 1]
                self.assertEqual(nxt["op"], r["op"], "401 on %s not retried" % r["op"])
                self.assertEqual((nxt["auth"], nxt["auth_ok"], nxt["status"]), ("digest", True, 200),
                                 "the retry after a 401 on %s must carry a valid HTTP digest: %s" % (r["op"], nxt))
        self.assertEqual(recs[-1]["op"], "GetDeviceInformation")
        self.assertEqual(recs[-1]["status"], 200)

    def test_digest_wrong_password(self):
        dev = self.device("--digest-only")
        self.fails(dev, "info", password="Wrong:pa55", code=oc.EACCES)
        self.assertAtMostTwoPerCall(dev)
        recs = dev.records()
        digests = [r for r in recs if r["auth"] == "digest"]
        self.assertTrue(digests, "no digest attempt")
        self.assertLessEqual(len([r for r in recs if r["status"] == 401]), 4, dev.ops())

    def test_password_from_environment(self):
        dev = self.device()
        self.ok(dev, "info", password=None, env={"LS_ONVIF_PASSWORD": oc.PASSWORD})
        self.assertAuthOk(dev)

    def test_soap11(self):
        dev = self.device()
        res = self.ok(dev, "profiles", opts=["--soap11"])
        self.assertEqual([p["token"] for p in res["profiles"]], ["main"])
        recs = dev.records()
        for r in recs:
            self.assertEqual(r["soap"], "1.1", r)
            self.assertTrue(r["content_type"].startswith("text/xml"), r)
            self.assertIn("soapaction", r, "SOAP 1.1 request without SOAPAction")
        self.assertAuthOk(dev)


class Errors(oc.TestCase):
    def test_soap_fault_subcode(self):
        dev = self.device("--fault", "GetProfiles")
        err, _ = self.fails(dev, "profiles", code=oc.EPROTO)
        self.assertEqual(err.get("name"), "EPROTO")
        self.assertIn("ter:InvalidArgVal", err["message"])
        self.assertLessEqual(len(dev.of("GetProfiles")), 2)

    def test_soap_fault_subcode_declared_env(self):
        # The same codes as ex_onvif's capture (whose env: prefix is undeclared), in a fault with
        # SOAP-ENV:Sender properly namespaced -- what spec-conformant devices send.
        dev = self.device("--fault", "GetProfiles", "--fault-capture", "spec")
        err, _ = self.fails(dev, "profiles", code=oc.EPROTO)
        self.assertIn("ter:InvalidArgVal", err["message"])

    def test_soap_fault_subcode_soap11(self):
        dev = self.device("--fault", "GetProfiles")
        err, _ = self.fails(dev, "profiles", opts=["--soap11"], code=oc.EPROTO)
        self.assertIn("InvalidArgVal", err["message"])

    def test_malformed_fault(self):
        # agsh's Error.xml: curly quotes in the XML declaration, undeclared SOAP-ENV prefix
        dev = self.device("--fault", "GetProfiles", "--fault-capture", "agsh")
        err, _ = self.fails(dev, "profiles")
        self.assertIn(err["code"], (-oc.EPROTO, -oc.EBADMSG), err)

    def test_action_not_supported(self):
        # the Dahua profile has no GetDeviceInformation: env:Receiver / ter:ActionNotSupported
        dev = self.device(profile="dahua")
        err, _ = self.fails(dev, "info")
        self.assertIn(err["code"], (-oc.EOPNOTSUPP, -oc.EPROTO), err)
        self.assertIn("ActionNotSupported", err["message"])

    # Faults whose Header carries WS-Addressing 1.0 elements marked mustUnderstand, as a
    # third-party ONVIF device implementation sends them (WRITTEN in that shape, not captured:
    # tests/data/onvif/wsa-faults/README).
    def test_wsa_header_not_authorized(self):
        dev = self.device("--auth-fault", "wsa")
        err, _ = self.fails(dev, "info", password="Wrong:pa55", code=oc.EACCES)
        self.assertEqual(err["name"], "EACCES")
        self.assertIn("ter:NotAuthorized", err["message"])
        refused = [r for r in dev.records() if r.get("fault") == "wsa-faults/NotAuthorized.xml"]
        self.assertEqual(len(refused), 1, dev.ops())        # one refusal, no retry, no fallback
        self.assertEqual(dev.records()[-1], refused[0])

    def test_wsa_header_not_authorized_soap11(self):
        dev = self.device("--auth-fault", "wsa")
        err, _ = self.fails(dev, "info", opts=["--soap11"], password="Wrong:pa55", code=oc.EACCES)
        self.assertIn("NotAuthorized", err["message"])

    def test_wsa_header_fault_subcodes(self):
        dev = self.device("--fault", "GetProfiles", "--fault-capture", "wsa")
        err, _ = self.fails(dev, "profiles", code=oc.EPROTO)
        self.assertIn("ter:InvalidArgVal/ter:NoProfile", err["message"])
        self.assertIn("Argument Value Invalid", err["message"])
        self.assertEqual(len(dev.of("GetProfiles")), 1)

    def test_wsa_header_fault_subcodes_soap11(self):
        dev = self.device("--fault", "GetProfiles", "--fault-capture", "wsa")
        err, _ = self.fails(dev, "profiles", opts=["--soap11"], code=oc.EPROTO)
        self.assertIn("ter:InvalidArgVal", err["message"])
        self.assertIn("Argument Value Invalid", err["message"])

    def test_http_500_without_fault(self):
        # EPROTO is a SOAP fault's; an HTML page with HTTP 500 is an answer the client cannot use.
        dev = self.device("--http-500", "GetDeviceInformation")
        err, _ = self.fails(dev, "info", code=oc.EBADMSG)
        self.assertIn("HTTP status 500", err["message"])
        self.assertEqual(len(dev.of("GetDeviceInformation")), 1)

    def test_hang_timeout(self):
        dev = self.device("--hang")
        err, r = self.fails(dev, "info", opts=["--timeout-ms", "2000"], code=oc.ETIMEDOUT)
        self.assertEqual(err.get("name"), "ETIMEDOUT")
        self.assertLessEqual(r.elapsed, 2.0 + 2.0, "took %.2f s" % r.elapsed)
        self.assertGreaterEqual(r.elapsed, 1.5, "gave up after %.2f s, before the timeout" % r.elapsed)
        self.assertTrue(dev.records(), "the request never reached the device")
        self.assertLessEqual(len(dev.records()), 2, "retried after a timeout: %s" % dev.ops())

    def test_connection_refused(self):
        port = h.free_port()
        r = run_refused(self, port)
        self.assertEqual(r.json["error"]["code"], -oc.ECONNREFUSED, r.json)

    def test_usage_errors(self):
        r = oc.run_cli(0, "info", with_host=False)      # no --host
        self.assertEqual(r.code, 2, r)
        dev = self.device()
        r = self.cli(dev, "frobnicate")
        self.assertEqual(r.code, 2, r)
        r = self.cli(dev, "ptz", "0.5")                  # missing arguments
        self.assertEqual(r.code, 2, r)
        self.assertFalse([x for x in dev.records() if x["op"] in ("ContinuousMove", "Stop")])


def run_refused(tc, port):
    r = oc.run_cli(port, "info", opts=["--timeout-ms", "3000"])
    tc.results.append(r)
    oc.check_sanitizers(tc, r)
    tc.assertEqual(r.code, 1, r)
    return r


class Ptz(oc.TestCase):
    def test_continuous_move_then_stop(self):
        dev = self.device()
        self.assertEqual(self.ok(dev, "ptz", "0.5", "0", "0", "300"), {"ok": True})
        cm, st = dev.of("ContinuousMove"), dev.of("Stop")
        self.assertEqual(len(cm), 1, dev.ops())
        self.assertEqual(len(st), 1, dev.ops())
        v = cm[0]["velocity"]
        self.assertEqual(v["pan"], 0.5)
        self.assertEqual(v["tilt"], 0.0)
        self.assertIn(v["zoom"], (0.0, None))  # a zero zoom speed may be left out
        self.assertEqual(cm[0]["profile_token"], "main")
        self.assertEqual(st[0]["profile_token"], "main")
        dt = st[0]["t"] - cm[0]["t"]
        self.assertTrue(0.25 <= dt <= 0.8, "Stop %.3f s after ContinuousMove (want ~0.3)" % dt)
        # Stop PanTilt and Zoom: true (or left out, which means true)
        self.assertIn(st[0]["stop"]["pantilt"], ("true", "1", None))
        self.assertIn(st[0]["stop"]["zoom"], ("true", "1", None))
        self.assertTrue(cm[0]["auth_ok"] and st[0]["auth_ok"])

    def test_continuous_move_velocity_and_token(self):
        dev = self.device()
        self.ok(dev, "ptz", "-0.25", "0.75", "-1", "100", "main")
        cm = dev.of("ContinuousMove")
        self.assertEqual(cm[0]["velocity"], {"pan": -0.25, "tilt": 0.75, "zoom": -1.0})
        ops = dev.ops()
        self.assertLess(ops.index("ContinuousMove"), ops.index("Stop"))

    def test_no_stop_zero_velocity(self):
        # PTZ heads without Stop (ter:ActionNotSupported): a zero-velocity ContinuousMove stops them
        dev = self.device("--unsupported", "Stop")
        self.assertEqual(self.ok(dev, "ptz", "0.5", "0", "0", "200"), {"ok": True})
        cm = dev.of("ContinuousMove")
        self.assertEqual(len(cm), 2, dev.ops())
        self.assertEqual(cm[0]["velocity"]["pan"], 0.5)
        self.assertEqual({v for v in cm[1]["velocity"].values()} - {None}, {0.0}, cm[1])
        self.assertEqual(len(dev.of("Stop")), 1, dev.ops())
        self.assertGreaterEqual(cm[1]["t"] - cm[0]["t"], 0.15)

    def test_unanswered_move_still_stopped(self):
        # a ContinuousMove whose answer never comes may have reached the head: Stop is sent anyway
        dev = self.device("--hang-op", "ContinuousMove")
        self.fails(dev, "ptz", "0.5", "0", "0", "100", opts=["--timeout-ms", "1500"], code=oc.ETIMEDOUT)
        # The device may write its record of the Stop just after answering it.
        deadline = time.monotonic() + 3
        while "Stop" not in dev.ops() and time.monotonic() < deadline:
            time.sleep(0.05)
        ops = dev.ops()
        self.assertIn("Stop", ops)
        self.assertLess(ops.index("ContinuousMove"), ops.index("Stop"))

    def test_stop(self):
        dev = self.device()
        self.assertEqual(self.ok(dev, "stop"), {"ok": True})
        st = dev.of("Stop")
        self.assertEqual(len(st), 1)
        self.assertEqual(st[0]["profile_token"], "main")
        self.assertFalse(dev.of("ContinuousMove"))

    def test_presets(self):
        dev = self.device()
        res = self.ok(dev, "presets")
        self.assertEqual(res, {"presets": [{"token": "PresetToken001", "name": "Entrance"},
                                           {"token": "PresetToken002", "name": "Parking"}]})
        self.assertEqual(dev.of("GetPresets")[0]["profile_token"], "main")

    def test_goto_preset(self):
        for profile in ("agsh", "milesight"):   # agsh's and ex_onvif's GotoPreset answers
            dev = self.device(profile=profile)
            self.assertEqual(self.ok(dev, "goto", "PresetToken002"), {"ok": True})
            gp = dev.of("GotoPreset")
            self.assertEqual(len(gp), 1)
            self.assertEqual((gp[0]["preset"], gp[0]["profile_token"]), ("PresetToken002", "main"))

    def test_status_agsh(self):
        dev = self.device()
        res = self.ok(dev, "status")
        self.assertAlmostEqual(res["pan"], -0.864665985, places=6)
        self.assertAlmostEqual(res["tilt"], 0.267444015, places=6)
        self.assertAlmostEqual(res["zoom"], 0.211861998, places=6)
        self.assertIs(res["moving"], False)

    def test_status_milesight(self):
        dev = self.device(profile="milesight")
        res = self.ok(dev, "status")
        self.assertAlmostEqual(res["pan"], 0.164178, places=6)
        self.assertAlmostEqual(res["tilt"], -0.618316, places=6)
        self.assertAlmostEqual(res["zoom"], 0.0, places=6)
        self.assertIs(res["moving"], False)

    def test_absolute_and_relative(self):
        dev = self.device()
        self.assertEqual(self.ok(dev, "absolute", "0.1", "-0.2", "0.3"), {"ok": True})
        self.assertEqual(self.ok(dev, "relative", "-0.05", "0.05", "0.5"), {"ok": True})
        am, rm = dev.of("AbsoluteMove"), dev.of("RelativeMove")
        self.assertEqual(am[0]["position"], {"pan": 0.1, "tilt": -0.2, "zoom": 0.3})
        self.assertEqual(rm[0]["translation"], {"pan": -0.05, "tilt": 0.05, "zoom": 0.5})
        self.assertEqual((am[0]["profile_token"], rm[0]["profile_token"]), ("main", "main"))


class Discovery(oc.TestCase):
    SCOPES = ["onvif://www.onvif.org/Profile/Streaming", "onvif://www.onvif.org/type/video_encoder",
              "onvif://www.onvif.org/type/audio_encoder", "onvif://www.onvif.org/type/ptz",
              "onvif://www.onvif.org/hardware/HD_PREDATOR", "onvif://www.onvif.org/name/PREDATOR",
              "onvif://www.onvif.org/location/"]

    def discover(self, port, timeout_ms=1500):
        r = oc.run_cli(0, "discover", "--target", "127.0.0.1:%d" % port, "--timeout-ms", timeout_ms,
                       with_host=False, user=None, password=None)
        self.results.append(r)
        oc.check_sanitizers(self, r)
        self.assertEqual(r.code, 0, r)
        self.assertIsInstance(r.json, dict, r)
        self.assertLessEqual(r.elapsed, timeout_ms / 1000.0 + 2.0)
        return r.json

    def test_discover(self):
        xaddr = "http://127.0.0.1:%d/onvif/device_service" % h.free_port()
        with oc.Responder("--xaddrs", xaddr) as resp:
            res = self.discover(resp.port)
            self.assertEqual(len(res["devices"]), 1, res)
            d = res["devices"][0]
            self.assertEqual(d["endpoint"], "uuid:c9790c3a-701b-464d-a189-0060351c8ada")
            self.assertEqual(d["xaddrs"], [xaddr])
            self.assertEqual(d["scopes"], self.SCOPES)
            self.assertTrue(any(t.endswith("NetworkVideoTransmitter") for t in d["types"]), d["types"])
            self.assertEqual((d["name"], d["hardware"]), ("PREDATOR", "HD_PREDATOR"))
            probes = resp.records()
            self.assertEqual(len(probes), 1, probes)
            p = probes[0]
            self.assertTrue(p["matched"], p)
            self.assertEqual(p["soap"], "1.2")
            self.assertTrue(p["message_id"].startswith("urn:uuid:"), p)
            self.assertTrue(p["action"].endswith("/discovery/Probe"), p)
            self.assertIn("{http://www.onvif.org/ver10/network/wsdl}NetworkVideoTransmitter",
                          p["types_resolved"])

    def test_discover_two_xaddrs(self):
        a = "http://127.0.0.1:%d/onvif/device_service" % h.free_port()
        b = "http://127.0.0.1:%d/onvif/device_service" % h.free_port()
        with oc.Responder("--xaddrs", a + " " + b) as resp:
            res = self.discover(resp.port)
            self.assertEqual(res["devices"][0]["xaddrs"], [a, b])

    def test_discover_nobody(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)   # bound, never answers
        s.bind(("127.0.0.1", 0))
        try:
            t0 = time.monotonic()
            res = self.discover(s.getsockname()[1], timeout_ms=1000)
            self.assertEqual(res, {"devices": []})
            self.assertGreaterEqual(time.monotonic() - t0, 0.9)
            s.settimeout(0.5)
            self.assertIn(b"Probe", s.recv(65536))
        finally:
            s.close()

    def test_discover_ignores_unrelated_matches(self):
        # a ProbeMatches whose RelatesTo is not our Probe's MessageID answers someone else
        with oc.Responder("--relates-to", "urn:uuid:00000000-0000-0000-0000-000000000000") as resp:
            res = self.discover(resp.port, timeout_ms=1000)
            self.assertEqual(res, {"devices": []})
            self.assertEqual(len(resp.records()), 1)


class Secrets(oc.TestCase):
    def assertHidden(self, r):
        text = r.stdout + r.stderr
        self.assertFalse(oc.percent_decoded_contains(text, oc.PASSWORD),
                         "password printed by %s:\n%s" % (oc.shown(r.argv), text[-2000:]))

    def test_password_never_printed(self):
        dev = self.device()
        for cmd in (["info"], ["profiles"], ["uri"], ["snapshot"], ["presets"], ["status"],
                    ["ptz", "0.1", "0", "0", "50"]):
            for js in (True, False):
                r = self.cli(dev, *cmd, json_out=js)
                self.assertIn(r.code, (0, 1), r)
                self.assertHidden(r)
        # failures: wrong password (device has another), fault, timeout, digest refusal
        other = self.device(password=oc.PASSWORD + "x")
        self.assertHidden(self.cli(other, "info"))
        faulty = self.device("--fault", "GetProfiles")
        self.assertHidden(self.cli(faulty, "profiles"))
        hang = self.device("--hang")
        self.assertHidden(self.cli(hang, "info", opts=["--timeout-ms", "500"]))
        dig = self.device("--digest-only", password=oc.PASSWORD + "x")
        self.assertHidden(self.cli(dig, "uri", json_out=False))

    def test_show_password_only_in_uri(self):
        dev = self.device()
        r = self.cli(dev, "uri", opts=["--show-password"])
        self.assertEqual(r.code, 0, r)
        self.assertNotIn(oc.PASSWORD, r.stdout + r.stderr)  # only ever percent-encoded
        self.assertFalse(oc.percent_decoded_contains(r.stderr, oc.PASSWORD))
        rest = dict(r.json)
        uri = rest.pop("uri")
        self.assertFalse(oc.percent_decoded_contains(json.dumps(rest), oc.PASSWORD))
        self.assertTrue(oc.percent_decoded_contains(uri, oc.PASSWORD))
        for cmd in (["info"], ["profiles"]):
            r = self.cli(dev, *cmd, opts=["--show-password"])
            self.assertEqual(r.code, 0, r)
            self.assertHidden(r)


if __name__ == "__main__":
    oc.main()
