#!/usr/bin/python3
"""Self-test of the test ONVIF device and the discovery responder, with a minimal Python SOAP
client: proves that they answer every capture, and that their checks (WS-Security digest and
clock window, HTTP digest, paths) accept what is right and refuse what is wrong -- so that the
CLI tests passing means something."""
import calendar
import os
import re
import socket
import time
import uuid
import xml.etree.ElementTree as ET

import onvifcommon as oc
from onvifcommon import h


def utc_of(answer):
    """The UTCDateTime of a GetSystemDateAndTime answer, as epoch seconds."""
    v = {k: int(re.search(r"UTCDateTime>.*?%s>\s*(\d+)" % k, answer, re.S).group(1))
         for k in ("Year", "Month", "Day", "Hour", "Minute", "Second")}
    return calendar.timegm((v["Year"], v["Month"], v["Day"], v["Hour"], v["Minute"], v["Second"], 0, 0, 0))


# agsh's GetSnapshotUri capture uses the SOAP-ENV prefix without declaring it (served as captured).
NOT_NAMESPACE_WELL_FORMED = {"agsh-onvif/GetSnapshotUri.xml"}
GSDT = "<tds:GetSystemDateAndTime/>"
INFO = "<tds:GetDeviceInformation/>"


class FakeDeviceSelfTest(oc.TestCase):
    def signed(self, dev, body, offset=0.0, password=oc.PASSWORD, soap="1.2", path="/onvif/device_service"):
        hdr = oc.wsse_header(oc.USER, password, time.time() + offset)
        return oc.post(dev.port, oc.envelope(body, hdr, soap), path=path, soap=soap)

    def test_clock_and_open_gsdt(self):
        dev = self.device()
        st, _, body = oc.post(dev.port, oc.envelope(GSDT))
        self.assertEqual(st, 200)
        self.assertLess(abs(utc_of(body) - time.time()), 3)
        dev2 = self.device("--clock-offset", 2.5 * oc.YEAR)
        _, _, body = oc.post(dev2.port, oc.envelope(GSDT))
        self.assertLess(abs(utc_of(body) - time.time() - 2.5 * oc.YEAR), 3)
        # bosch: the clock starts at the capture's date, 2023-05-24 21:25:05 UTC
        dev3 = self.device(profile="bosch")
        _, _, body = oc.post(dev3.port, oc.envelope(GSDT))
        self.assertLess(abs(utc_of(body) - calendar.timegm((2023, 5, 24, 21, 25, 5, 0, 0, 0))), 5)
        # Axis answer (nvr): LocalDateTime keeps its -3 h (BRT3) from UTC
        dev4 = self.device(profile="nvr")
        _, _, body = oc.post(dev4.port, oc.envelope(GSDT))
        loc = re.search(r"LocalDateTime>.*?Hour>(\d+)", body, re.S).group(1)
        self.assertEqual((time.gmtime(utc_of(body)).tm_hour - 3) % 24, int(loc))

    def test_wsse_checks(self):
        dev = self.device("--clock-offset", -86400)
        st, _, body = self.signed(dev, INFO, offset=-86400)
        self.assertEqual(st, 200, body)
        self.assertIn("Mockup Manufacturer", body)
        st, _, body = self.signed(dev, INFO)  # local time: a day off the device clock
        self.assertEqual(st, 400)
        self.assertIn("ter:NotAuthorized", body)
        st, _, body = self.signed(dev, INFO, offset=-86400, password="wrong")
        self.assertEqual(st, 400)
        st, _, body = self.signed(dev, INFO, offset=-86400 + 290)  # inside the +-300 s window
        self.assertEqual(st, 200)
        st, _, body = self.signed(dev, INFO, offset=-86400 + 320)
        self.assertEqual(st, 400)
        st, _, body = oc.post(dev.port, oc.envelope(INFO))  # no token
        self.assertEqual(st, 400)
        st, _, body = self.signed(dev, INFO, offset=-86400 + 999, soap="1.1")
        self.assertEqual(st, 500)
        self.assertIn(oc.SOAP11, body)
        self.assertIn("<faultcode>ter:NotAuthorized</faultcode>", body)
        recs = dev.records()
        self.assertEqual([r["auth_ok"] for r in recs], [True, False, False, True, False, False, False])
        self.assertEqual(recs[-1]["soap"], "1.1")
        self.assertEqual(recs[0]["auth"], "wsse")

    def test_digest_only(self):
        dev = self.device("--digest-only")
        env = oc.envelope(GSDT)
        st, hd, _ = oc.post(dev.port, env)
        self.assertEqual(st, 401)
        ch = hd["www-authenticate"]
        self.assertTrue(ch.startswith("Digest "), ch)
        self.assertIn('qop="auth"', ch)
        auth = oc.digest_authorization(ch, oc.USER, oc.PASSWORD, "POST", "/onvif/device_service")
        st, _, body = oc.post(dev.port, env, headers={"Authorization": auth})
        self.assertEqual(st, 200, body)
        bad = oc.digest_authorization(ch, oc.USER, "wrong", "POST", "/onvif/device_service")
        st, _, _ = oc.post(dev.port, env, headers={"Authorization": bad})
        self.assertEqual(st, 401)
        self.assertEqual([(r["auth"], r["auth_ok"], r["status"]) for r in dev.records()],
                         [("none", False, 401), ("digest", True, 200), ("digest", False, 401)])

    def test_every_capture_answers(self):
        import fake_device as fd
        for profile, files in sorted(fd.PROFILES.items()):
            dev = self.device(profile=profile)
            for key in sorted(files):
                service, op = key.split(".")
                prefix = {"device": "tds", "media": "trt", "media2": "tr2", "ptz": "tptz"}[service]
                # any served path works for the device: the capture decides the answer
                st, _, body = self.signed(dev, "<%s:%s><%s:ProfileToken>tok</%s:ProfileToken></%s:%s>"
                                          % (prefix, op, prefix, prefix, prefix, op),
                                          offset=dev_offset(dev))
                self.assertEqual(st, 200, "%s %s: %s" % (profile, key, body[:300]))
                if files[key] in NOT_NAMESPACE_WELL_FORMED:
                    self.assertRegex(body, r"<\w+:%sResponse>" % op)
                else:
                    root = ET.fromstring(body.encode())
                    b = [c for c in root if c.tag.endswith("}Body")][0]
                    self.assertEqual(b[0].tag.rsplit("}", 1)[1], op + "Response", (profile, key))
                # the same in SOAP 1.1
                hdr = oc.wsse_header(oc.USER, oc.PASSWORD, time.time() + dev_offset(dev))
                st, hd, body = oc.post(dev.port, oc.envelope("<%s:%s/>" % (prefix, op), hdr, "1.1"),
                                       soap="1.1")
                self.assertEqual(st, 200, (profile, key))
                if files[key] not in NOT_NAMESPACE_WELL_FORMED:
                    self.assertEqual(ET.fromstring(body.encode()).tag, "{%s}Envelope" % oc.SOAP11)
                self.assertTrue(hd["content-type"].startswith("text/xml"))
            dev.proc.kill()

    def test_paths_and_options(self):
        dev = self.device("--no-getservices", "--fault", "GetProfiles",
                          "--stream-uri", "rtsp://192.168.1.64:8554/a?b=1&c=2")
        st, _, body = self.signed(dev, "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>")
        self.assertEqual(st, 500)
        self.assertIn("ter:ActionNotSupported", body)
        st, _, body = self.signed(dev, "<tds:GetCapabilities/>")
        self.assertEqual(st, 200)
        self.assertIn("http://192.168.68.111/onvif/services", body)
        st, _, body = self.signed(dev, "<trt:GetProfiles/>", path="/onvif/services")
        self.assertEqual(st, 400)
        self.assertIn("ter:InvalidArgVal", body)
        st, _, body = self.signed(dev, "<trt:GetStreamUri/>", path="/onvif/services")
        self.assertIn("<tt:Uri>rtsp://192.168.1.64:8554/a?b=1&amp;c=2</tt:Uri>", body)
        st, _, _ = self.signed(dev, "<trt:GetStreamUri/>", path="/onvif/nowhere")
        self.assertEqual(st, 404)
        dev3 = self.device("--fault", "GetProfiles", "--fault-capture", "spec")
        st, _, body = self.signed(dev3, "<trt:GetProfiles/>", path="/onvif/services")
        self.assertEqual(st, 400)
        root = ET.fromstring(body.encode())
        vals = [e.text for e in root.iter() if e.tag.endswith("}Value")]
        self.assertEqual(vals, ["SOAP-ENV:Sender", "ter:InvalidArgVal", "ter:NoProfile"])
        # malformed agsh Error.xml as the fault
        dev2 = self.device("--fault", "media.GetProfiles", "--fault-capture", "agsh")
        st, _, body = self.signed(dev2, "<trt:GetProfiles/>", path="/onvif/services")
        self.assertIn("ter:fault subcode", body)

    def test_wsa_faults(self):
        # --auth-fault wsa / --fault-capture wsa: the written wsa-faults/ files, their header kept
        # in both SOAP versions (mustUnderstand "true" in 1.2, "1" in 1.1)
        wsa = "http://www.w3.org/2005/08/addressing"
        dev = self.device("--auth-fault", "wsa", "--fault", "GetProfiles", "--fault-capture", "wsa")
        for soap, env, status, must in (("1.2", oc.SOAP12, 400, "true"), ("1.1", oc.SOAP11, 500, "1")):
            st, _, body = self.signed(dev, "<tds:GetServices/>", password="wrong", soap=soap)
            self.assertEqual(st, status, body)
            self.assertNotIn("<!--", body)
            root = ET.fromstring(body.encode())
            self.assertEqual(root.tag, "{%s}Envelope" % env)
            action = root.find("{%s}Header/{%s}Action" % (env, wsa))
            self.assertEqual(action.text, wsa + "/soap/fault")
            self.assertEqual(action.get("{%s}mustUnderstand" % env), must)
            self.assertIn("ter:NotAuthorized", body)
            st, _, body = self.signed(dev, "<trt:GetProfiles/>", path="/onvif/services", soap=soap)
            self.assertEqual(st, status, body)
            root = ET.fromstring(body.encode())
            to = root.find("{%s}Header/{%s}To" % (env, wsa))
            self.assertEqual(to.get("{%s}mustUnderstand" % env), must)
            self.assertIn("ter:InvalidArgVal", body)
        self.assertEqual([r.get("fault") for r in dev.records()],
                         ["wsa-faults/NotAuthorized.xml", "wsa"] * 2)

    def test_http_500(self):
        # --http-500: an HTML page with HTTP 500, no SOAP at all
        dev = self.device("--http-500", "GetDeviceInformation")
        st, hd, body = self.signed(dev, INFO)
        self.assertEqual(st, 500)
        self.assertTrue(hd["content-type"].startswith("text/html"), hd)
        self.assertNotIn("Envelope", body)
        self.assertEqual(dev.records()[-1]["status"], 500)

    def test_media2_token_and_velocity(self):
        dev = self.device(profile="media2")
        st, _, body = self.signed(dev, "<tr2:GetStreamUri><tr2:Protocol>RTSP</tr2:Protocol>"
                                  "<tr2:ProfileToken>Profile_2</tr2:ProfileToken></tr2:GetStreamUri>",
                                  path="/onvif/media2_service")
        self.assertIn("rtsp://192.168.1.64:554/Streaming/Channels/Profile_2?transportmode=unicast", body)
        self.assertNotIn("<!--", body)
        st, _, body = self.signed(dev, "<tptz:ContinuousMove><tptz:ProfileToken>Profile_1</tptz:ProfileToken>"
                                  '<tptz:Velocity><tt:PanTilt x="0.5" y="-0.25"/><tt:Zoom x="0"/>'
                                  "</tptz:Velocity></tptz:ContinuousMove>", path="/onvif/ptz_service")
        self.assertEqual(st, 200)
        rec = dev.records()[-1]
        self.assertEqual(rec["velocity"], {"pan": 0.5, "tilt": -0.25, "zoom": 0.0})
        self.assertEqual(rec["profile_token"], "Profile_1")

    def test_hang(self):
        dev = self.device("--hang")
        t0 = time.monotonic()
        with self.assertRaises(socket.timeout):
            oc.post(dev.port, oc.envelope(GSDT), timeout=1.0)
        self.assertGreaterEqual(time.monotonic() - t0, 0.9)
        self.assertEqual(dev.records()[0]["status"], "hang")

    def test_discovery_responder(self):
        with oc.Responder("--device-port", 8080) as r:
            mid = "urn:uuid:%s" % uuid.uuid4()
            probe = ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="%s" '
                     'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
                     'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" '
                     'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><s:Header>'
                     '<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>'
                     '<a:MessageID>%s</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>'
                     '</s:Header><s:Body><d:Probe><d:Types>%s</d:Types></d:Probe></s:Body></s:Envelope>')
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(("127.0.0.1", 0))
            s.settimeout(2)
            s.sendto((probe % (oc.SOAP12, mid, "dn:NetworkVideoTransmitter")).encode(), ("127.0.0.1", r.port))
            data = s.recv(65536).decode()
            self.assertIn("<wsa:RelatesTo>%s</wsa:RelatesTo>" % mid, data)
            self.assertIn("<wsdd:XAddrs>http://127.0.0.1:8080/onvif/device_service</wsdd:XAddrs>", data)
            ET.fromstring(data.encode())
            s.sendto((probe % (oc.SOAP12, mid, "dn:SomethingElse")).encode(), ("127.0.0.1", r.port))
            with self.assertRaises(socket.timeout):
                s.recv(65536)
            recs = r.records()
            self.assertEqual([x["matched"] for x in recs], [True, False])
            self.assertEqual(recs[0]["message_id"], mid)


def dev_offset(dev):
    m = re.search(r"clock offset ([+-]\d+)", dev.log())
    return float(m.group(1)) if m else 0.0


if __name__ == "__main__":
    oc.main()
