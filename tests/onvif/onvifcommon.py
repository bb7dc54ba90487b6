"""Shared helpers of the ONVIF tests: the fake device and discovery responder as servers, the
lightstream-onvif CLI runner, a minimal Python SOAP client (for the fake device's self-test).

Paths from the environment meson sets: LS_ONVIF_CLI, LS_RELAY_DRIVER, LS_FLVCHECK.
"""
import base64
import datetime
import hashlib
import http.client
import json
import os
import re
import secrets
import sys
import time
import unittest
import urllib.parse
from collections import namedtuple

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import lsharness as h  # noqa: E402

CLI = os.environ.get("LS_ONVIF_CLI", "lightstream-onvif")
FAKE_DEVICE = os.path.join(HERE, "fake_device.py")
RESPONDER = os.path.join(HERE, "discovery_responder.py")
DATA = os.path.normpath(os.path.join(HERE, "..", "data", "onvif"))

USER = "admin"
PASSWORD = "p@ss:w/rd"          # every URL-special character a password can hold
EACCES, EPROTO, ETIMEDOUT, EBADMSG, ECONNREFUSED, EOPNOTSUPP, EINVAL = 13, 71, 110, 74, 111, 95, 22
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
PASSWORD_DIGEST = ("http://docs.oasis-open.org/wss/2004/01/"
                   "oasis-200401-wss-username-token-profile-1.0#PasswordDigest")
NS = {"device": "http://www.onvif.org/ver10/device/wsdl",
      "media": "http://www.onvif.org/ver10/media/wsdl",
      "media2": "http://www.onvif.org/ver20/media/wsdl",
      "ptz": "http://www.onvif.org/ver20/ptz/wsdl",
      "tt": "http://www.onvif.org/ver10/schema"}
YEAR = 365.25 * 86400


class FakeDevice:
    """tests/onvif/fake_device.py as a server; .port, .records(), .log()."""

    def __init__(self, *args, profile="agsh", user=USER, password=PASSWORD):
        self.record_path = os.path.join(h.tmpdir("onvif-"), "record.jsonl")
        self.argv = [h.SYS_PYTHON, FAKE_DEVICE, "--port", "0", "--profile", profile,
                     "--user", user, "--password", password, "--record", self.record_path,
                     *[str(a) for a in args]]
        self.proc = h.Proc(self.argv, name="fake-onvif", ready=r"READY (\d+)", ready_timeout=15)
        self.port = None

    def start(self):
        self.proc.start()
        self.port = int(self.proc.ready_match.group(1))
        return self

    def stop(self):
        self.proc.stop()

    def records(self):
        try:
            with open(self.record_path) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def ops(self):
        return [r["op"] for r in self.records()]

    def of(self, op):
        return [r for r in self.records() if r["op"] == op]

    def log(self):
        return self.proc.log()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.proc.kill()
        return False


class Responder:
    """tests/onvif/discovery_responder.py; .port, .records()."""

    def __init__(self, *args):
        self.record_path = os.path.join(h.tmpdir("wsd-"), "record.jsonl")
        self.argv = [h.SYS_PYTHON, RESPONDER, "--port", "0", "--record", self.record_path,
                     *[str(a) for a in args]]
        self.proc = h.Proc(self.argv, name="wsd-responder", ready=r"READY (\d+)", ready_timeout=15)

    def start(self):
        self.proc.start()
        self.port = int(self.proc.ready_match.group(1))
        return self

    def records(self):
        try:
            with open(self.record_path) as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.proc.kill()
        return False


CliResult = namedtuple("CliResult", "code stdout stderr json elapsed argv timed_out")


def run_cli(port, *command, opts=(), user=USER, password=PASSWORD, host="127.0.0.1",
            json_out=True, timeout=40, env=None, with_host=True):
    """Runs lightstream-onvif; returns a CliResult (json = the parsed stdout object or None)."""
    argv = [CLI]
    if with_host:
        argv += ["--host", host, "--port", str(port)]
    if user is not None:
        argv += ["--user", user]
    if password is not None:
        argv += ["--password", password]
    argv += [str(o) for o in opts]
    if json_out:
        argv.append("--json")
    argv += [str(c) for c in command]
    full_env = dict(os.environ)
    # Under ASan a memory error must not look like the CLI's own exit status 1.
    full_env["ASAN_OPTIONS"] = ":".join(x for x in (full_env.get("ASAN_OPTIONS"), "exitcode=86") if x)
    full_env.update(env or {})
    t0 = time.monotonic()
    import subprocess
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout, env=full_env, start_new_session=True)
        code, out, err, timed_out = p.returncode, p.stdout, p.stderr, False
    except subprocess.TimeoutExpired as e:
        code, timed_out = None, True
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
    elapsed = time.monotonic() - t0
    parsed = None
    if json_out and out.strip():
        try:
            parsed = json.loads(out.strip().splitlines()[-1])
        except ValueError:
            parsed = None
    return CliResult(code, out, err, parsed, elapsed, argv, timed_out)


def check_sanitizers(tc, r):
    """No AddressSanitizer/UBSan report in the CLI's stderr (builds with -Db_sanitize)."""
    for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
        tc.assertNotIn(mark, r.stderr, "%s\n%s" % (shown(r.argv), r.stderr[-4000:]))
    tc.assertNotEqual(r.code, 86, "sanitizer error: %s" % r.stderr[-4000:])


def shown(argv):
    """argv for messages, the password masked."""
    out, mask = [], False
    for a in argv:
        out.append("****" if mask else a)
        mask = a == "--password"
    return " ".join(out)


class TestCase(unittest.TestCase):
    """Starts devices through self.device(...), runs the CLI through self.cli(...); on failure
    prints the CLI's output, the device's record and log."""

    def setUp(self):
        self.devices, self.results = [], []

    def device(self, *args, **kw):
        d = FakeDevice(*args, **kw).start()
        self.devices.append(d)
        return d

    def cli(self, dev, *command, **kw):
        r = run_cli(dev.port if dev is not None else 0, *command, **kw)
        self.results.append(r)
        check_sanitizers(self, r)
        return r

    def ok(self, dev, *command, **kw):
        """Runs the CLI and asserts success with JSON output; returns the JSON."""
        r = self.cli(dev, *command, **kw)
        self.assertFalse(r.timed_out, "CLI timed out: %s" % shown(r.argv))
        self.assertEqual(r.code, 0, "%s -> exit %s\nstdout: %s\nstderr: %s"
                         % (shown(r.argv), r.code, r.stdout[-2000:], r.stderr[-2000:]))
        self.assertIsInstance(r.json, dict, "no JSON object on stdout: %r" % r.stdout[-2000:])
        self.assertNotIn("error", r.json)
        return r.json

    def fails(self, dev, *command, code=None, **kw):
        """Runs the CLI and asserts exit 1 with a JSON error; returns (error dict, result)."""
        r = self.cli(dev, *command, **kw)
        self.assertFalse(r.timed_out, "CLI timed out: %s" % shown(r.argv))
        self.assertEqual(r.code, 1, "%s -> exit %s (want 1)\nstdout: %s\nstderr: %s"
                         % (shown(r.argv), r.code, r.stdout[-2000:], r.stderr[-2000:]))
        self.assertIsInstance(r.json, dict, "no JSON on stdout: %r" % r.stdout[-2000:])
        err = r.json.get("error")
        self.assertIsInstance(err, dict, r.json)
        self.assertIsInstance(err.get("message"), str)
        self.assertIn("lightstream-onvif:", r.stderr)
        if code is not None:
            self.assertEqual(err.get("code"), -code, "error %s, want %d" % (err, -code))
        return err, r

    def tearDown(self):
        failed = False
        outcome = getattr(self, "_outcome", None)
        if outcome is not None and hasattr(outcome, "result"):
            failed = any(t is self and e for t, e in outcome.result.failures + outcome.result.errors)
        if failed:
            for r in self.results[-4:]:
                sys.stderr.write("---- %s -> %s (%.2f s)\nstdout: %s\nstderr: %s\n"
                                 % (shown(r.argv), r.code, r.elapsed, r.stdout[-3000:], r.stderr[-3000:]))
            for d in self.devices:
                sys.stderr.write("---- fake device record:\n%s\n---- log:\n%s\n"
                                 % ("\n".join(json.dumps(x) for x in d.records())[-6000:], d.log()[-3000:]))
        for d in self.devices:
            d.proc.kill()

    # ---- assertions on the device's record ----
    def assertAuthOk(self, dev):
        """Every request after the first GetSystemDateAndTime carried valid credentials."""
        recs = dev.records()
        self.assertTrue(recs, "the device got no request")
        bad = [r for r in recs if not r["auth_ok"] and r["op"] != "GetSystemDateAndTime"]
        self.assertEqual(bad, [], "requests the device refused")

    def assertAtMostTwoPerCall(self, dev):
        """Never more than two HTTP requests for one operation in a row (cameras lock accounts)."""
        recs = dev.records()
        run, prev = 0, None
        for r in recs:
            run = run + 1 if (r["op"], r.get("profile_token")) == prev else 1
            prev = (r["op"], r.get("profile_token"))
            self.assertLessEqual(run, 2, "more than 2 requests of %s in a row: %s"
                                 % (r["op"], [x["op"] for x in recs]))

    def assertRewritten(self, url, port=None, scheme="rtsp"):
        u = urllib.parse.urlsplit(url)
        self.assertEqual(u.scheme, scheme, url)
        self.assertEqual(u.hostname, "127.0.0.1", "LAN host not rewritten: %s" % url)
        if port is not None:
            self.assertEqual(u.port, port, url)
        return u


def percent_decoded_contains(text, secret):
    return secret in text or secret in urllib.parse.unquote(text)


# ---- a minimal SOAP client (the fake device's self-test) ------------------------------------------
def wsse_header(user, password, created_epoch, nonce=None, created_text=None):
    nonce = nonce if nonce is not None else secrets.token_bytes(16)
    created = created_text or (datetime.datetime.fromtimestamp(created_epoch, datetime.timezone.utc)
                               .strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")
    digest = base64.b64encode(hashlib.sha1(nonce + created.encode() + password.encode()).digest()).decode()
    return ('<wsse:Security xmlns:wsse="%s" xmlns:wsu="%s"><wsse:UsernameToken>'
            '<wsse:Username>%s</wsse:Username><wsse:Password Type="%s">%s</wsse:Password>'
            '<wsse:Nonce>%s</wsse:Nonce><wsu:Created>%s</wsu:Created></wsse:UsernameToken>'
            '</wsse:Security>' % (WSSE, WSU, user, PASSWORD_DIGEST, digest,
                                  base64.b64encode(nonce).decode(), created))


def envelope(body, header="", soap="1.2"):
    ns = SOAP12 if soap == "1.2" else SOAP11
    return ('<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="%s" xmlns:tds="%s" '
            'xmlns:trt="%s" xmlns:tr2="%s" xmlns:tptz="%s" xmlns:tt="%s"><s:Header>%s</s:Header>'
            '<s:Body>%s</s:Body></s:Envelope>' % (ns, NS["device"], NS["media"], NS["media2"],
                                                 NS["ptz"], NS["tt"], header, body))


def post(port, body, path="/onvif/device_service", soap="1.2", headers=None, timeout=5):
    """(status, headers dict (lower-case names), body text)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    hd = {"Content-Type": "application/soap+xml; charset=utf-8" if soap == "1.2" else "text/xml; charset=utf-8"}
    hd.update(headers or {})
    c.request("POST", path, body.encode(), hd)
    r = c.getresponse()
    data = r.read().decode("utf-8", "replace")
    hdrs = {k.lower(): v for k, v in r.getheaders()}
    c.close()
    return r.status, hdrs, data


def digest_authorization(challenge, user, password, method, uri, nc="00000001", cnonce="0a4f113b"):
    p = dict((k.lower(), v1 if v1 else v2) for k, v1, v2 in
             re.findall(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]*))', challenge[7:]))
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()  # noqa: E731
    ha1 = md5("%s:%s:%s" % (user, p["realm"], password))
    ha2 = md5("%s:%s" % (method, uri))
    resp = md5("%s:%s:%s:%s:auth:%s" % (ha1, p["nonce"], nc, cnonce, ha2))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", qop=auth, nc=%s, '
            'cnonce="%s", response="%s", opaque="%s"' % (user, p["realm"], p["nonce"], uri, nc,
                                                         cnonce, resp, p.get("opaque", "")))


def main():
    prog = unittest.main(verbosity=2, exit=False)
    r = prog.result
    sys.exit(0 if r.wasSuccessful() and r.testsRun > 0 else 1)
