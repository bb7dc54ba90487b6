#!/usr/bin/python3
"""A fake ONVIF device on 127.0.0.1 that answers with real captured SOAP responses.

Stdlib only. Each request's operation is the first child element of the SOAP Body (SOAP 1.2 or
1.1); its namespace picks the service (device, media = Media1, media2, ptz). The answer is the
capture that the chosen --profile maps to that operation, read from tests/data/onvif/<upstream
folder>/<file> (copies of ../shared/onvif-captures, each folder with its upstream LICENSE), sent
byte for byte except for:
  - GetSystemDateAndTime: the UTC (and local) date/time values are replaced by the device clock
    (now + --clock-offset; the bosch profile's clock starts at its capture's date by default);
  - GetStreamUri with --stream-uri: the URI element's text is replaced by that URI;
  - the files under media2/ and wsa-faults/ (written by us, NOT captures): their XML comments are
    stripped and PROFILE_TOKEN is replaced by the requested profile token;
  - a SOAP 1.1 request gets the same body in a SOAP 1.1 envelope (the namespace is swapped; a
    fault is rewritten in SOAP 1.1's form, its Header kept).
LAN addresses in XAddrs and URIs are left as captured: the client has to rewrite them. Every path
named in an XAddr of the profile's captures is served (plus /onvif/device_service); other paths
get 404.

Checks on what the client sends (each result goes to --record, one JSON line per request):
  - WS-Security UsernameToken: PasswordDigest == Base64(SHA1(nonce + created + password)),
    Username == --user, Created within +-300 s of the device clock. Missing or wrong ->
    SOAP fault env:Sender/ter:NotAuthorized (HTTP 400 with SOAP 1.2, 500 with SOAP 1.1); with
    --auth-fault wsa, wsa-faults/NotAuthorized.xml (a WS-Addressing header marked mustUnderstand).
    GetSystemDateAndTime is always open (unless --digest-only without --gsdt-open).
  - --digest-only: every request needs a valid RFC 2617 HTTP Digest (MD5, qop=auth) answer to
    our challenge; without one -> 401 with `WWW-Authenticate: Digest realm=..., qop="auth",
    nonce=..., opaque=...`.

Prints `READY <port>` on stdout once listening. Stops on SIGTERM/SIGINT.
"""
import argparse
import base64
import calendar
import datetime
import hashlib
import http.server
import json
import os
import re
import secrets
import select
import signal
import socket
import socketserver
import sys
import threading
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "data", "onvif"))

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
ENC12 = "http://www.w3.org/2003/05/soap-encoding"
ENC11 = "http://schemas.xmlsoap.org/soap/encoding/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
PASSWORD_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/"
                   "oasis-200401-wss-username-token-profile-1.0#PasswordDigest")
SERVICES = {
    "http://www.onvif.org/ver10/device/wsdl": "device",
    "http://www.onvif.org/ver10/media/wsdl": "media",
    "http://www.onvif.org/ver20/media/wsdl": "media2",
    "http://www.onvif.org/ver20/ptz/wsdl": "ptz",
    "http://www.onvif.org/ver10/events/wsdl": "events",
    "http://www.onvif.org/ver20/imaging/wsdl": "imaging",
    "http://www.onvif.org/ver10/deviceIO/wsdl": "deviceio",
}
AUTH_WINDOW = 300.0  # seconds either side of the device clock, as gSOAP's wsse plugin allows

# ---- which capture answers which operation, per --profile ----------------------------------------
# Keys are "<service>.<Operation>". A profile lacking an operation answers it with the SOAP fault
# env:Receiver / ter:ActionNotSupported (HTTP 500), as real devices do.
AGSH = {  # agsh/onvif's captures of one gSOAP-based camera; presets from ex_onvif (agsh has none)
    "device.GetSystemDateAndTime": "agsh-onvif/GetSystemDateAndTime.xml",
    "device.GetDeviceInformation": "agsh-onvif/GetDeviceInformation.xml",
    "device.GetServices": "agsh-onvif/GetServices.xml",
    "device.GetCapabilities": "agsh-onvif/GetCapabilities.xml",
    "device.GetHostname": "ex_onvif/get_hostname.xml",
    "device.GetScopes": "ex_onvif/get_scopes.xml",
    "media.GetProfiles": "agsh-onvif/GetProfiles.xml",
    "media.GetStreamUri": "agsh-onvif/GetStreamUri.xml",
    "media.GetSnapshotUri": "agsh-onvif/GetSnapshotUri.xml",
    "ptz.GetNodes": "agsh-onvif/GetNodes.xml",
    "ptz.GetStatus": "agsh-onvif/GetStatus.xml",
    "ptz.GetPresets": "ex_onvif/get_ptz_presets.xml",
    "ptz.GetConfigurations": "ex_onvif/get_ptz_configurations.xml",
    "ptz.GotoPreset": "agsh-onvif/ptz.GotoPreset.xml",
    "ptz.ContinuousMove": "agsh-onvif/ptz.ContinuousMove.xml",
    "ptz.Stop": "agsh-onvif/ptz.Stop.xml",
    "ptz.AbsoluteMove": "agsh-onvif/ptz.AbsoluteMove.xml",
    "ptz.RelativeMove": "agsh-onvif/ptz.RelativeMove.xml",
}
DAHUA = {  # go2rtc's Dahua captures; there is no GetServices (-> GetCapabilities fallback); the
    # profiles are hammeraj's Dahua-style NVR; GetSystemDateAndTime is agsh's with our clock.
    "device.GetSystemDateAndTime": "agsh-onvif/GetSystemDateAndTime.xml",
    "device.GetCapabilities": "go2rtc/dahua_GetCapabilities.xml",
    "media.GetProfiles": "hammeraj-onvif/get_profiles_response_with_invalid_video_encoder.xml",
    "media.GetStreamUri": "go2rtc/dahua_GetStreamUri.xml",
    "media.GetSnapshotUri": "go2rtc/dahua_GetSnapshotUri.xml",
    "ptz.GetNodes": "hammeraj-onvif/get_nodes_success.xml",
}
PROFILES = {
    "agsh": dict(AGSH),
    # Milesight MS-C8165-PE (ex_onvif): device information and PTZ; media from agsh.
    "milesight": dict(AGSH, **{
        "device.GetDeviceInformation": "ex_onvif/get_device_information.xml",
        "ptz.GetStatus": "ex_onvif/get_ptz_status.xml",
        "ptz.GotoPreset": "ex_onvif/goto_ptz_preset.xml",
        "media2.GetServiceCapabilities": "ex_onvif/get_media2_service_capabilities.xml",
    }),
    # Bosch FLEXIDOME indoor 5100i IR (onvif-go): no GetServices capture -> GetCapabilities.
    "bosch": {
        "device.GetSystemDateAndTime": "onvif-go-bosch/bosch_flexidome_5100i_GetSystemDateAndTime.xml",
        "device.GetDeviceInformation": "onvif-go-bosch/bosch_flexidome_5100i_GetDeviceInformation.xml",
        "device.GetCapabilities": "onvif-go-bosch/bosch_flexidome_5100i_GetCapabilities.xml",
        "media.GetProfiles": "onvif-go-bosch/bosch_flexidome_5100i_GetProfiles.xml",
        "media.GetStreamUri": "onvif-go-bosch/bosch_flexidome_5100i_GetStreamUri.xml",
        "media.GetSnapshotUri": "onvif-go-bosch/bosch_flexidome_5100i_GetSnapshotUri.xml",
        "media.GetVideoEncoderConfiguration":
            "onvif-go-bosch/bosch_flexidome_5100i_GetVideoEncoderConfiguration.xml",
    },
    "dahua": dict(DAHUA),
    # The same with the pretty-printed GetStreamUri whose URI is wrapped in whitespace.
    "dahua-ws": dict(DAHUA, **{
        "media.GetStreamUri": "go2rtc/dahua_GetStreamUri_formatted_whitespace.xml"}),
    # hammeraj's NVR (36 profiles, video encoders without Encoding) with its Axis clock answer.
    "nvr": dict(DAHUA, **{
        "device.GetSystemDateAndTime": "hammeraj-onvif/get_system_date_and_time.xml"}),
    # Media2 with an H.265 profile: the media2/ files are WRITTEN from the ONVIF Media2 schema
    # (ver20/media/wsdl), not captured (see tests/data/onvif/media2/README). Media1 stays agsh's.
    "media2": dict(AGSH, **{
        "device.GetServices": "media2/GetServices.xml",
        "media2.GetProfiles": "media2/GetProfiles.xml",
        "media2.GetStreamUri": "media2/GetStreamUri.xml",
        "media2.GetSnapshotUri": "media2/GetSnapshotUri.xml",
        "media2.GetServiceCapabilities": "ex_onvif/get_media2_service_capabilities.xml",
    }),
}
CLOCK_FROM_CAPTURE = {"bosch"}  # the Bosch camera's clock was years off: keep its date
FAULT_CAPTURES = {"ex_onvif": "ex_onvif/soap_fault.xml", "agsh": "agsh-onvif/Error.xml",
                  "wsa": "wsa-faults/InvalidArgVal.xml"}
WRITTEN_DIRS = ("media2/", "wsa-faults/")
# --http-500: what a device answers when it fails without a SOAP fault (a device bug)
HTTP_500_BODY = ("<html><head><title>500 Internal Server Error</title></head>"
                 "<body><h1>500 Internal Server Error</h1></body></html>\n")


def local(tag):
    return tag.rsplit("}", 1)[-1]


def ns_of(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def find_local(elem, name):
    """The first descendant (or elem itself) whose local name is `name`."""
    if elem is None:
        return None
    for e in elem.iter():
        if local(e.tag) == name:
            return e
    return None


def text_of(elem, name):
    e = find_local(elem, name)
    return e.text.strip() if e is not None and e.text is not None else None


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def parse_created(s):
    """wsu:Created (xs:dateTime in UTC) -> epoch seconds, or None."""
    m = re.fullmatch(r"\s*(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]00:?00)?\s*", s or "")
    if not m:
        return None
    y, mo, d, hh, mi, ss = (int(m.group(i)) for i in range(1, 7))
    frac = float(m.group(7)) if m.group(7) else 0.0
    try:
        return calendar.timegm((y, mo, d, hh, mi, ss, 0, 0, 0)) + frac
    except (ValueError, OverflowError):
        return None


class Device:
    """The state shared by the request handlers: options, clock, record file, digest nonces."""

    def __init__(self, args):
        self.args = args
        self.files = PROFILES[args.profile]
        self.lock = threading.Lock()
        self.record = open(args.record, "a", buffering=1) if args.record else None
        self.nonces = set()
        self.opaque = secrets.token_hex(8)
        self.realm = "Login to lightstream-fake-onvif"
        self.stopping = threading.Event()
        self.faults = set(args.fault or [])
        if args.clock_offset is not None:
            self.clock_offset = args.clock_offset
        elif args.profile in CLOCK_FROM_CAPTURE:
            self.clock_offset = self.capture_clock() - time.time()
        else:
            self.clock_offset = 0.0
        self.paths = {"/onvif/device_service"}
        for rel in set(self.files.values()):
            for url in re.findall(r"XAddr>\s*(https?://[^<\s]+)", self.load(rel)):
                path = re.sub(r"^https?://[^/]*", "", url) or "/"
                self.paths.add(path.split("?")[0])

    def now(self):
        return time.time() + self.clock_offset

    def load(self, rel):
        with open(os.path.join(DATA, rel), "rb") as f:
            text = f.read().decode("utf-8")
        if rel.startswith(WRITTEN_DIRS):
            text = re.sub(r"<!--.*?-->\s*", "", text, flags=re.S)
        return text

    def capture_clock(self):
        """The UTC date/time in the profile's GetSystemDateAndTime capture, as epoch seconds."""
        text = self.load(self.files["device.GetSystemDateAndTime"])
        utc = re.search(r"UTCDateTime>(.*?)</[\w-]*:?UTCDateTime>", text, re.S).group(1)
        v = {k: int(re.search(r"%s>\s*(\d+)\s*<" % k, utc).group(1))
             for k in ("Year", "Month", "Day", "Hour", "Minute", "Second")}
        return calendar.timegm((v["Year"], v["Month"], v["Day"], v["Hour"], v["Minute"], v["Second"], 0, 0, 0))

    def write_record(self, rec):
        if self.record is None:
            return
        with self.lock:
            self.record.write(json.dumps(rec, sort_keys=True) + "\n")
            self.record.flush()

    # ---- answers ------------------------------------------------------------------------------
    def answer_text(self, key, req_body):
        rel = self.files[key]
        text = self.load(rel)
        op = key.split(".", 1)[1]
        if op == "GetSystemDateAndTime":
            text = self.rewrite_clock(text)
        if op == "GetStreamUri" and self.args.stream_uri:
            text = re.sub(r"(<(?:[\w-]+:)?Uri>)(.*?)(</(?:[\w-]+:)?Uri>)",
                          lambda m: m.group(1) + xml_escape(self.args.stream_uri) + m.group(3),
                          text, count=1, flags=re.S)
        if "PROFILE_TOKEN" in text:
            token = text_of(req_body, "ProfileToken") or ""
            text = text.replace("PROFILE_TOKEN", xml_escape(token))
        return text

    def rewrite_clock(self, text):
        """Puts the device clock into <UTCDateTime>, and into <LocalDateTime> keeping the
        capture's local-UTC difference."""
        now = self.now()
        utc_old = None
        m = re.search(r"UTCDateTime>(.*?)</[\w-]*:?UTCDateTime>", text, re.S)
        if m:
            utc_old = self._fields_epoch(m.group(1))

        def put(block, epoch):
            t = time.gmtime(epoch)
            vals = {"Year": t.tm_year, "Month": t.tm_mon, "Day": t.tm_mday,
                    "Hour": t.tm_hour, "Minute": t.tm_min, "Second": t.tm_sec}
            for k, v in vals.items():
                block = re.sub(r"(%s>)\s*\d+\s*(<)" % k, lambda mm, v=v: "%s%d%s" % (mm.group(1), v, mm.group(2)), block)
            return block

        def sub(name, epoch):
            nonlocal text
            text = re.sub(r"(<(?:[\w-]+:)?%s>)(.*?)(</(?:[\w-]+:)?%s>)" % (name, name),
                          lambda mm: mm.group(1) + put(mm.group(2), epoch) + mm.group(3),
                          text, count=1, flags=re.S)

        m2 = re.search(r"LocalDateTime>(.*?)</[\w-]*:?LocalDateTime>", text, re.S)
        if m2 and utc_old is not None:
            local_old = self._fields_epoch(m2.group(1))
            sub("LocalDateTime", now + (local_old - utc_old))
        sub("UTCDateTime", now)
        return text

    @staticmethod
    def _fields_epoch(block):
        v = {k: int(re.search(r"%s>\s*(\d+)\s*<" % k, block).group(1))
             for k in ("Year", "Month", "Day", "Hour", "Minute", "Second")}
        return calendar.timegm((v["Year"], v["Month"], v["Day"], v["Hour"], v["Minute"], v["Second"], 0, 0, 0))

    @staticmethod
    def to_soap11(text):
        return text.replace(SOAP12, SOAP11).replace(ENC12, ENC11)

    def fault(self, soap, code, subcode, reason):
        """A SOAP fault written in the ONVIF core spec's form (SOAP 1.2: env:Sender|Receiver,
        Subcode(s) ter:..., Reason; SOAP 1.1: the first subcode as faultcode). subcode: one QName
        or a '/'-separated chain. Returns (HTTP status, body)."""
        subs = subcode.split("/")
        if soap == "1.2":
            chain = "".join("<SOAP-ENV:Subcode><SOAP-ENV:Value>%s</SOAP-ENV:Value>" % v for v in subs)
            chain += "</SOAP-ENV:Subcode>" * len(subs)
            body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                    '<SOAP-ENV:Envelope xmlns:SOAP-ENV="%s" xmlns:ter="http://www.onvif.org/ver10/error">'
                    '<SOAP-ENV:Body><SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:%s</SOAP-ENV:Value>'
                    '%s</SOAP-ENV:Code>'
                    '<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">%s</SOAP-ENV:Text></SOAP-ENV:Reason>'
                    '</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>\n' % (SOAP12, code, chain, reason))
            return (400 if code == "Sender" else 500), body
        subcode = subs[0]
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<SOAP-ENV:Envelope xmlns:SOAP-ENV="%s" xmlns:ter="http://www.onvif.org/ver10/error">'
                '<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>%s</faultcode><faultstring>%s</faultstring>'
                '</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>\n' % (SOAP11, subcode, reason))
        return 500, body

    def captured_fault(self, soap):
        """--fault: the captured fault (ex_onvif soap_fault.xml by default). Returns (status, body)."""
        if self.args.fault_capture == "spec":
            # the ex_onvif capture's codes, in a fault whose env: prefix is declared
            return self.fault(soap, "Sender", "ter:InvalidArgVal/ter:NoProfile", "Argument Value Invalid")
        return self.fault_file(FAULT_CAPTURES[self.args.fault_capture], soap)

    def fault_file(self, rel, soap):
        """A SOAP 1.2 fault from a file, or its SOAP 1.1 form. Returns (status, body)."""
        text = self.load(rel)
        if soap == "1.2":
            return (400 if "Sender" in text else 500), text
        try:
            return 500, self.fault_to_soap11(text)
        except ET.ParseError:  # agsh's Error.xml is not well-formed: send it as it is
            return 500, self.to_soap11(text)

    @staticmethod
    def fault_to_soap11(text):
        """A SOAP 1.2 fault written as SOAP 1.1 devices write it: 1.1 has no subcodes, so the first
        subcode becomes the faultcode, the reason the faultstring; the detail is kept, and so is
        the Header, its mustUnderstand="true" written "1" (1.1's form)."""
        root = ET.fromstring(text.encode())
        sub = text_of(find_local(root, "Subcode"), "Value")
        reason = text_of(root, "Text")
        det = find_local(root, "Detail")
        detail = "".join(ET.tostring(c, encoding="unicode") for c in det) if det is not None else ""
        header, decls = "", ""
        m = re.search(r"<(?:([\w-]+):)?Header\b[^>]*>(.*?)</(?:[\w-]+:)?Header>", text, re.S)
        if m:
            env = m.group(1)
            inner = re.sub(r'\b%s:mustUnderstand="(?:true|1)"' % env, 'SOAP-ENV:mustUnderstand="1"',
                           m.group(2))
            header = "<SOAP-ENV:Header>%s</SOAP-ENV:Header>" % inner
            start = re.search(r"<(?:[\w-]+:)?Envelope\b[^>]*>", text).group(0)
            decls = "".join(' xmlns:%s="%s"' % (p, u)
                            for p, u in re.findall(r'xmlns:([\w-]+)="([^"]*)"', start)
                            if u != SOAP12 and p != "ter")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                '<SOAP-ENV:Envelope xmlns:SOAP-ENV="%s" xmlns:ter="http://www.onvif.org/ver10/error"%s>'
                '%s<SOAP-ENV:Body><SOAP-ENV:Fault><faultcode>%s</faultcode><faultstring>%s</faultstring>'
                '<detail>%s</detail></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>\n'
                % (SOAP11, decls, header, sub, xml_escape(reason or ""), detail))

    # ---- authentication -----------------------------------------------------------------------
    def check_wsse(self, header):
        """(present, ok, reason) for the WS-Security UsernameToken in the SOAP header."""
        tok = find_local(header, "UsernameToken")
        if tok is None:
            return False, False, "no UsernameToken"
        user = text_of(tok, "Username")
        pw = find_local(tok, "Password")
        nonce = text_of(tok, "Nonce")
        created = text_of(tok, "Created")
        if user != self.args.user:
            return True, False, "wrong user"
        if pw is None or pw.text is None:
            return True, False, "no Password"
        if pw.get("Type", PASSWORD_DIGEST) != PASSWORD_DIGEST:
            return True, False, "Password Type is not PasswordDigest: %s" % pw.get("Type")
        if not nonce or not created:
            return True, False, "no Nonce or Created"
        try:
            raw = base64.b64decode(nonce, validate=True)
        except ValueError:
            return True, False, "Nonce is not Base64"
        want = base64.b64encode(hashlib.sha1(raw + created.encode() + self.args.password.encode()).digest()).decode()
        if pw.text.strip() != want:
            return True, False, "wrong PasswordDigest"
        t = parse_created(created)
        if t is None:
            return True, False, "unparsable Created %r" % created
        skew = t - self.now()
        if abs(skew) > AUTH_WINDOW:
            return True, False, "Created %s is %.0f s off the device clock" % (created, skew)
        return True, True, ""

    def challenge(self):
        nonce = secrets.token_hex(16)
        with self.lock:
            self.nonces.add(nonce)
        return 'Digest realm="%s", qop="auth", nonce="%s", opaque="%s", algorithm=MD5' % (
            self.realm, nonce, self.opaque)

    def check_digest(self, header, method, path):
        """(present, ok, reason) for an HTTP `Authorization: Digest` header (RFC 2617)."""
        if not header or not header.lower().startswith("digest "):
            return False, False, "no Digest Authorization"
        p = dict((k.lower(), v1 if v1 else v2) for k, v1, v2 in
                 re.findall(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]*))', header[7:]))
        md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
        if p.get("username") != self.args.user:
            return True, False, "wrong user"
        if p.get("realm") != self.realm:
            return True, False, "wrong realm"
        with self.lock:
            known = p.get("nonce") in self.nonces
        if not known:
            return True, False, "unknown nonce"
        if p.get("opaque", self.opaque) != self.opaque:
            return True, False, "opaque not echoed"
        if p.get("qop") != "auth" or not p.get("nc") or not p.get("cnonce"):
            return True, False, "qop=auth, nc and cnonce required"
        if p.get("algorithm", "MD5").upper() != "MD5":
            return True, False, "algorithm must be MD5"
        uri = p.get("uri", "")
        if uri != path and not uri.endswith(path):
            return True, False, "uri %r is not the request's %r" % (uri, path)
        ha1 = md5("%s:%s:%s" % (self.args.user, self.realm, self.args.password))
        ha2 = md5("%s:%s" % (method, uri))
        want = md5("%s:%s:%s:%s:%s:%s" % (ha1, p["nonce"], p["nc"], p["cnonce"], "auth", ha2))
        if p.get("response", "").lower() != want:
            return True, False, "wrong digest response"
        return True, True, ""


def parse_request(body):
    """(soap version, envelope header, body element, first body child) or raises ValueError."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise ValueError("request is not XML: %s" % e)
    if local(root.tag) != "Envelope" or ns_of(root.tag) not in (SOAP12, SOAP11):
        raise ValueError("not a SOAP envelope: %s" % root.tag)
    soap = "1.2" if ns_of(root.tag) == SOAP12 else "1.1"
    header = body_el = None
    for c in root:
        if local(c.tag) == "Header":
            header = c
        elif local(c.tag) == "Body":
            body_el = c
    if body_el is None or len(body_el) == 0:
        raise ValueError("empty SOAP Body")
    return soap, header, body_el, body_el[0]


def vector(elem):
    """{pan, tilt, zoom} from an element holding tt:PanTilt x,y and tt:Zoom x (None if absent)."""
    if elem is None:
        return None
    pt, z = find_local(elem, "PanTilt"), find_local(elem, "Zoom")

    def num(e, a):
        if e is None or e.get(a) is None:
            return None
        try:
            return float(e.get(a))
        except ValueError:
            return e.get(a)
    return {"pan": num(pt, "x"), "tilt": num(pt, "y"), "zoom": num(z, "x")}


def details(op, req):
    """What the tests check about a request's arguments."""
    d = {}
    token = text_of(req, "ProfileToken")
    if token is not None:
        d["profile_token"] = token
    if op == "ContinuousMove":
        d["velocity"] = vector(find_local(req, "Velocity"))
        d["timeout"] = text_of(req, "Timeout")
    elif op == "Stop":
        d["stop"] = {"pantilt": text_of(req, "PanTilt"), "zoom": text_of(req, "Zoom")}
    elif op == "AbsoluteMove":
        d["position"] = vector(find_local(req, "Position"))
    elif op == "RelativeMove":
        d["translation"] = vector(find_local(req, "Translation"))
    elif op == "GotoPreset":
        d["preset"] = text_of(req, "PresetToken")
    elif op == "GetStreamUri":
        d["protocol"] = text_of(req, "Protocol")
        d["stream"] = text_of(req, "Stream")
    return d


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-onvif/1.0"
    sys_version = ""

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def send(self, status, body, soap="1.2", extra=(), ctype=None):
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        if ctype is None:
            ctype = "application/soap+xml; charset=utf-8" if soap == "1.2" else "text/xml; charset=utf-8"
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def do_GET(self):
        self.send(405, "POST only\n")

    def hang(self):
        """--hang: never answer; return when the client goes away or the device stops."""
        sock = self.connection
        while not self.server.device.stopping.is_set():
            r, _, _ = select.select([sock], [], [], 0.5)
            if r:
                try:
                    if not sock.recv(4096):
                        break
                except OSError:
                    break
        self.close_connection = True

    def do_POST(self):
        dev = self.server.device
        t = time.monotonic()
        body = self.read_body()
        path = self.path.split("?")[0]
        rec = {"t": t, "path": path, "op": None, "service": None, "soap": None, "auth": "none",
               "auth_ok": False, "status": None}
        try:
            soap, header, body_el, req = parse_request(body)
        except ValueError as e:
            rec.update(status=400, error=str(e))
            dev.write_record(rec)
            self.send(400, "bad request: %s\n" % e)
            return
        op, service = local(req.tag), SERVICES.get(ns_of(req.tag), ns_of(req.tag))
        key = "%s.%s" % (service, op)
        rec.update(op=op, service=service, soap=soap, **details(op, req))
        # Recorded, not enforced: the tests check SOAP 1.2 -> application/soap+xml, 1.1 -> text/xml.
        ctype = (self.headers.get("Content-Type") or "").lower()
        rec["content_type"] = ctype
        if self.headers.get("SOAPAction") is not None:
            rec["soapaction"] = self.headers.get("SOAPAction")
        if dev.args.hang or op in (dev.args.hang_op or []) or key in (dev.args.hang_op or []):
            rec["status"] = "hang"
            dev.write_record(rec)
            self.hang()
            return

        def finish(status, text, extra=()):
            rec["status"] = status
            dev.write_record(rec)
            if soap == "1.1" and status != 401:
                text = dev.to_soap11(text)
            self.send(status, text, soap, extra)

        if path not in dev.paths:
            rec["error"] = "path not served"
            rec["status"] = 404
            dev.write_record(rec)
            self.send(404, "no service at %s\n" % path, soap)
            return
        wsse_present, wsse_ok, wsse_why = dev.check_wsse(header)
        dig_present, dig_ok, dig_why = dev.check_digest(self.headers.get("Authorization"), "POST", self.path)
        rec["wsse"] = wsse_present
        rec["digest"] = dig_present
        rec["auth"] = "digest" if dig_present else ("wsse" if wsse_present else "none")
        if dev.args.digest_only and not (dev.args.gsdt_open and op == "GetSystemDateAndTime"):
            rec["auth_ok"] = dig_ok
            if not dig_ok:
                rec["auth_error"] = dig_why
                rec["status"] = 401
                dev.write_record(rec)
                self.send(401, "401 Unauthorized\n", soap,
                          [("WWW-Authenticate", dev.challenge())])
                return
        else:
            rec["auth_ok"] = wsse_ok
            if not wsse_ok:
                rec["auth_error"] = wsse_why
            if not wsse_ok and op != "GetSystemDateAndTime":
                if dev.args.auth_fault == "wsa":
                    st, text = dev.fault_file("wsa-faults/NotAuthorized.xml", soap)
                    rec["fault"] = "wsa-faults/NotAuthorized.xml"
                else:
                    st, text = dev.fault(soap, "Sender", "ter:NotAuthorized", "Sender not Authorized")
                    rec["fault"] = "ter:NotAuthorized"
                rec["status"] = st
                dev.write_record(rec)
                self.send(st, text, soap)
                return
        if op in dev.faults or key in dev.faults:
            st, text = dev.captured_fault(soap)
            rec["fault"] = dev.args.fault_capture
            rec["status"] = st
            dev.write_record(rec)
            self.send(st, text, soap)
            return
        if op in (dev.args.http_500 or []) or key in (dev.args.http_500 or []):
            rec["status"] = 500
            rec["error"] = "HTTP 500 without a SOAP fault"
            dev.write_record(rec)
            self.send(500, HTTP_500_BODY, ctype="text/html; charset=utf-8")
            return
        unsupported = set(dev.args.unsupported or [])
        if (key == "device.GetServices" and dev.args.no_getservices or key not in dev.files
                or op in unsupported or key in unsupported):
            st, text = dev.fault(soap, "Receiver", "ter:ActionNotSupported",
                                 "Optional Action Not Implemented")
            rec["fault"] = "ter:ActionNotSupported"
            rec["status"] = st
            dev.write_record(rec)
            self.send(st, text, soap)
            return
        finish(200, dev.answer_text(key, req))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--profile", choices=sorted(PROFILES), default="agsh")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="admin")
    ap.add_argument("--clock-offset", type=float, default=None,
                    help="device clock = now + SECONDS (default 0; bosch: its capture's date)")
    ap.add_argument("--digest-only", action="store_true",
                    help="401 + WWW-Authenticate: Digest to any request without valid HTTP digest")
    ap.add_argument("--gsdt-open", action="store_true",
                    help="with --digest-only: GetSystemDateAndTime stays open (as ONVIF requires)")
    ap.add_argument("--no-getservices", action="store_true",
                    help="GetServices -> SOAP fault (HTTP 500)")
    ap.add_argument("--unsupported", action="append", metavar="OPERATION",
                    help="answer OPERATION with env:Receiver/ter:ActionNotSupported (e.g. Stop)")
    ap.add_argument("--hang", action="store_true", help="accept and read requests, never answer")
    ap.add_argument("--hang-op", action="append", metavar="OPERATION",
                    help="never answer OPERATION (answer the others)")
    ap.add_argument("--fault", action="append", metavar="OPERATION",
                    help="answer OPERATION (e.g. GetProfiles or media.GetProfiles) with a captured SOAP fault")
    ap.add_argument("--fault-capture", choices=sorted(FAULT_CAPTURES) + ["spec"], default="ex_onvif",
                    help="ex_onvif soap_fault.xml (env:Sender with env: undeclared, ter:InvalidArgVal/"
                         "ter:NoProfile), agsh Error.xml (not well-formed), spec: the same codes "
                         "written with every prefix declared, or wsa: the same codes in "
                         "wsa-faults/InvalidArgVal.xml (WS-Addressing header, mustUnderstand)")
    ap.add_argument("--auth-fault", choices=["spec", "wsa"], default="spec",
                    help="the NotAuthorized fault of a failed authentication: spec (no header) or "
                         "wsa: wsa-faults/NotAuthorized.xml (wsa:Action marked mustUnderstand)")
    ap.add_argument("--http-500", action="append", metavar="OPERATION",
                    help="answer OPERATION (e.g. media2.GetProfiles) with HTTP 500 and an HTML "
                         "page, no SOAP fault (a device bug)")
    ap.add_argument("--stream-uri", help="GetStreamUri answers this URI")
    ap.add_argument("--record", metavar="FILE", help="JSON line per request")
    args = ap.parse_args(argv)

    dev = Device(args)
    srv = Server(("127.0.0.1", args.port), Handler)
    srv.device = dev

    def stop(*_):
        dev.stopping.set()
        threading.Thread(target=srv.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write("fake ONVIF device: profile %s, clock offset %+.0f s, paths %s\n"
                     % (args.profile, dev.clock_offset, " ".join(sorted(dev.paths))))
    sys.stderr.flush()
    sys.stdout.write("READY %d\n" % srv.server_address[1])
    sys.stdout.flush()
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        dev.stopping.set()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
