#!/usr/bin/python3
"""Camera passwords never leave lightstreamd: relays are made through every API (native,
/openapi/source, the push API, ONVIF when built) with source URLs of every shape the daemon
accepts — passwords holding raw '#', '/', '?', '@', ':', quotes, percent-encoded ones,
';password=' path parameters, '?pw=', Dahua's '?user=admin&password=', XMEye's
'/user=admin_password=X_channel=1' path, every secret key of lightstream/redact.h — and then
every reply (errors included), /metrics, the relay listing, the page and the daemon's debug
log are searched for any 4 consecutive characters of any password (as written in the URL,
percent-decoded, JSON-escaped): docs/lightstreamd.md ("Security"), docs/api.md ("Secrets").

No URL here makes FFmpeg reach anything but 127.0.0.1 or localhost (checked before use):
where a raw '#', '/' or '?' ends FFmpeg's authority early, the user name is 'localhost'.
"""
import base64
import json
import os
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402

h = lsd.h

#: (name, source URL with {port} for the camera's, passwords in it as written).
#: Windows of 4 characters with a letter are searched for everywhere; those without (digits
#: and punctuation, which counters, times and addresses hold too) in FFmpeg's lines, where a
#: password's digits can become a port.
SHAPES = [
    ("raw '#' in the userinfo", "rtsp://localhost:{0}@127.0.0.1:{port}/x", ["Hq#Zx01Kv"]),
    ("raw '/' in the userinfo", "rtsp://localhost:{0}@127.0.0.1:{port}/x", ["Hq/Zx02Kv"]),
    ("raw '?' in the userinfo", "rtsp://localhost:{0}@127.0.0.1:{port}/x", ["Hq?Zx03Kv"]),
    ("raw '@' in the userinfo", "rtsp://admin:{0}@127.0.0.1:{port}/auth/h264_aac", ["Hq@Zx04Kv"]),
    ("raw ':' in the userinfo", "rtsp://admin:{0}@127.0.0.1:{port}/auth/h264_aac", ["Hq:Zx05Kv"]),
    ("every reserved character raw", "rtsp://localhost:{0}@127.0.0.1:{port}/x",
     ["Mq#Wv/Jx?Kz@Yq:Zw;Xv&Qk=Vj%Hx[Lp]Nr!Bt$Cs(Dq)Fw+Gx,Kl"]),
    ("quotes, brackets and a backslash raw", "rtsp://admin:{0}@127.0.0.1:{port}/auth/h264_aac",
     ["Qu'Zx\"Kv\\Wj<Yq>Bt`Cs{Dq}Fw|Gx^"]),
    ("percent-encoded userinfo", "rtsp://admin:{0}@127.0.0.1:{port}/auth/h264_aac",
     [urllib.parse.quote("Pq#/?@:%Zx08 Kv'\"", safe="")]),
    ("raw '/' in the password, '@' in the path", "rtsp://localhost:{0}@127.0.0.1:{port}/live@main",
     ["Am/Zx09Kv"]),
    ("raw '@' then '/' in the password", "rtsp://admin:{0}@127.0.0.1:{port}/x",
     ["Rq@127.0.0.1/Zx10Kv"]),
    ("digits then a raw '/' in the password", "rtsp://localhost:{0}@127.0.0.1:{port}/x",
     ["5544/Zx11Kv"]),
    ("';password=' path parameter", "rtsp://127.0.0.1:{port}/x;user=admin;password={0}",
     ["Sq12ZxKv"]),
    ("'?pw=' query", "rtsp://127.0.0.1:{port}/x?pw={0}", ["Pw13ZxKv"]),
    ("Dahua '?user=admin&password='",
     "rtsp://127.0.0.1:{port}/cam/realmonitor?channel=1&subtype=0&user=admin&password={0}",
     ["Dh14ZxKv"]),
    ("XMEye '/user=admin_password=X_channel=1' path",
     "rtsp://127.0.0.1:{port}/user=admin_password={0}_channel=1&stream=0.sdp?real_stream",
     ["Xm15ZxKv"]),
    ("every secret query key",
     "rtsp://127.0.0.1:{port}/x?passwd={0}&PWD={1}&token={2}&key={3}&secret={4}&auth={5}"
     "&access_token={6}&api_key={7}",
     ["Pd16ZxKv", "Pw17ZxKv", "Tk18ZxKv", "Ky19ZxKv", "Sc20ZxKv", "Au21ZxKv", "At22ZxKv",
      "Ak23ZxKv"]),
    ("userinfo and query together", "rtsp://localhost:{0}@127.0.0.1:{port}/x?token={1}",
     ["Ui24Zx#Kv", "Tq25ZxKv"]),
]

#: Push API NVR passwords (the daemon percent-encodes them into the URL it builds).
PUSH_PASSWORDS = ["Nv#Zx/26?Kv@:", "Nv'Zx\"27\\Kv"]
#: ONVIF device password (inserted into the stream URI by the ONVIF library).
ONVIF_PASSWORD = "Ov#Zx/28?Kv@:"


def ffmpeg_host(url):
    """The host FFmpeg connects to (av_url_split: the authority ends at the first '/', '?' or
    '#', the host follows its last '@')."""
    rest = url.split("://", 1)[1]
    auth = rest[:min([i for i in (rest.find(c) for c in "/?#") if i >= 0] or [len(rest)])]
    host = auth.rsplit("@", 1)[-1]
    return host.rsplit(":", 1)[0] if not host.startswith("[") else host


def forms(password):
    """Every way a password could be written out: as given, percent-decoded, percent-encoded
    (both cases), JSON-escaped, in Basic credentials."""
    plain = urllib.parse.unquote(password)
    out = {password, plain, urllib.parse.quote(plain, safe=""), urllib.parse.quote(plain),
           urllib.parse.quote(plain, safe="").lower(), json.dumps(plain)[1:-1],
           json.dumps(password)[1:-1],
           base64.b64encode(("admin:%s" % plain).encode()).decode()}
    return sorted(out)


def windows(password):
    """Every 4 consecutive characters of every form of a password."""
    return {f[i:i + 4] for f in forms(password) for i in range(len(f) - 3)}


def ffmpeg_lines(text):
    return "\n".join(ln for ln in text.splitlines() if " ffmpeg: " in ln)


def strings(raw):
    """The strings of a JSON body, unescaped, one per line (a secret must not hide behind
    JSON's escapes either)."""
    try:
        js = json.loads(raw)
    except ValueError:
        return ""
    out = []

    def walk(v):
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, dict):
            for k, x in v.items():
                out.append(k)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(js)
    return "\n".join(out)


def place(where):
    """Where a text came from, for the summary: the log, or the API of a request."""
    if where.startswith("the daemon's log"):
        return "debug log"
    path = where.split(" ")[1]
    for prefix, name in (("/api/v1/onvif", "ONVIF API"), ("/api/v1/relays", "native API"),
                         ("/openapi/onvif", "ONVIF API"), ("/openapi", "/openapi/source"),
                         ("/REAL_STREAM", "push API"), ("/BACK_STREAM", "push API"),
                         ("/STREAM", "push API"), ("/metrics", "/metrics")):
        if path.startswith(prefix):
            return name + (" (listing)" if path in ("/api/v1/relays", "/openapi/source") and
                           where.startswith("GET") else "")
    return "page" if path == "/" else path


class Redaction(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(media_dir=h.media(os.environ.get("LS_MEDIA_DIR"))).start()
        web = os.path.join(HERE, "..", "..", "daemon", "web")
        cls.d = lsd.Daemon(config={"log_level": "debug", "web_dir": web}).start()
        cls.texts = []    # (where, text)
        cls.secrets = {}  # password -> shape name
        cls.scaffolds = []  # the source URLs without their passwords

    @classmethod
    def tearDownClass(cls):
        for x in (cls.d, cls.cam):
            try:
                x.stop()
            except Exception:
                pass

    def call(self, method, path, body=None, expect=None):
        st, hd, raw = self.d.request(method, path, body)
        text = raw.decode("utf-8", "replace")
        where = "%s %s -> %d" % (method, path, st)
        self.texts.append((where, text + "\n" + json.dumps(hd)))
        self.texts.append((where + " (JSON strings)", strings(raw)))
        if expect is not None:
            self.assertEqual(st, expect, "%s: %s" % (where, text[:500]))
        try:
            return st, json.loads(raw) if raw else None
        except ValueError:
            return st, None

    def url(self, template, passwords):
        u = template.format(*passwords, port=self.cam.port)
        self.assertIn(ffmpeg_host(u), ("127.0.0.1", "localhost"), "would leave 127.0.0.1: " + u)
        return u

    def test_passwords_never_shown(self):
        outputs = []
        for i, (name, template, passwords) in enumerate(SHAPES):
            for p in passwords:
                self.secrets[p] = name
            src = self.url(template, passwords)
            self.scaffolds.append(template.format(*[""] * len(passwords), port=self.cam.port))
            # native API: create, read, change, replace, the refusals that quote a body
            rid = "n%d" % i
            self.call("POST", "/api/v1/relays", {"id": rid, "source": src}, expect=201)
            self.call("GET", "/api/v1/relays/" + rid, expect=200)
            self.call("PATCH", "/api/v1/relays/" + rid, {"name": "shape %d" % i}, expect=200)
            self.call("PATCH", "/api/v1/relays/" + rid, {"source": src, "transport": "udp"},
                      expect=200)
            self.call("PUT", "/api/v1/relays/" + rid, {"source": src}, expect=200)
            self.call("POST", "/api/v1/relays", {"id": rid, "source": src}, expect=409)
            self.call("POST", "/api/v1/relays", {"source": src, "transport": "bogus"}, expect=400)
            self.call("POST", "/api/v1/relays", {"source": src + " x"}, expect=400)
            self.call("POST", "/api/v1/relays", {"source": src, "colour": src}, expect=400)
            # the Python relay's API
            oid = "o%d" % i
            self.call("POST", "/openapi/source/" + oid, {"source": src, "transport": "tcp"},
                      expect=200)
            self.call("PUT", "/openapi/source/" + oid, {"source": src}, expect=200)
            self.call("GET", "/openapi/source/" + oid, expect=200)
            self.call("POST", "/openapi/source/" + oid, {"source": src, "transport": "bad"},
                      expect=200)
            outputs.append(rid)
        # An RTMP output with a password of its own (nothing listens on port 1).
        out_pw = "Ou#Zx/29?Kv"
        self.secrets[out_pw] = "RTMP output userinfo"
        self.call("POST", "/api/v1/relays/n0/outputs",
                  {"url": "rtmp://pub:%s@127.0.0.1:1/live/x" % out_pw}, expect=201)
        # the push API: the NVR password goes into the URL it builds
        handles = []
        for k, pw in enumerate(PUSH_PASSWORDS):
            self.secrets[pw] = "push API nvr_pwd"
            body = {"nvr_category": k % 2, "nvr_addr": "127.0.0.1", "nvr_port": 8000,
                    "nvr_user": "admin", "nvr_pwd": pw, "nvr_channel": 1,
                    "rtsp_port": self.cam.port}
            st, js = self.call("POST", "/REAL_STREAM", body, expect=200)
            self.assertEqual(js["status_code"], 200, js)
            handles.append(js["play_handle"])
            back = dict(body, startTime="2016-07-20 12:00:00", endTime="2016-07-20 13:00:00")
            st, js = self.call("POST", "/BACK_STREAM", back, expect=200)
            self.assertEqual(js["status_code"], 200, js)
            self.call("POST", "/REAL_STREAM", dict(body, nvr_addr="bad host"), expect=200)
            self.call("POST", "/REAL_STREAM", dict(body, nvr_category=5), expect=200)
        for hd in handles:
            self.call("GET", "/STREAM/%d/BEATS" % hd, expect=200)
            self.call("GET", "/api/v1/relays/push-%d" % hd, expect=200)
        self.onvif()
        # Let every relay try its camera (and fail, mostly), and log about it.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            st, _, js = self.d.api("GET", "/api/v1/relays")
            pending = [r["id"] for r in js["relays"]
                       if not r["stats"].get("last_error") and r["state"] != "streaming"
                       and not r["on_demand"]]
            if not pending:
                break
            time.sleep(0.5)
        time.sleep(1.0)
        # everything the daemon shows
        self.call("GET", "/api/v1/relays", expect=200)
        self.call("GET", "/openapi/source", expect=200)
        self.call("GET", "/metrics", expect=200)
        self.call("GET", "/", expect=200)  # the page (its data is /api/v1/relays)
        for hd in handles:
            self.call("GET", "/STREAM/%d/STOP" % hd, expect=200)
        for rid in outputs:
            self.call("DELETE", "/api/v1/relays/" + rid, expect=204)
        self.call("DELETE", "/openapi/source/o0", expect=200)
        time.sleep(0.5)
        self.d.stop_checked()  # exit 0, and no ASan/UBSan report (redaction runs on every line)
        log = self.d.log()
        self.texts.append(("the daemon's log (debug)", log))
        if os.environ.get("LSD_ARTIFACTS_DIR"):  # what was searched, for a failure's reader
            with open(os.path.join(os.environ["LSD_ARTIFACTS_DIR"], "redact-daemon.log"), "w") as f:
                f.write(log)
        self.assertNoLeak()

    def onvif(self):
        """POST /api/v1/onvif/relays with a device password (only with the ONVIF feature)."""
        st, _ = self.call("POST", "/api/v1/onvif/probe", {})
        if st == 404:
            return
        sys.path.insert(0, os.path.join(HERE, "..", "onvif"))
        import onvifcommon as oc
        dev = oc.FakeDevice("--stream-uri", "rtsp://192.168.1.64:%d/auth/h264_aac" % self.cam.port,
                            profile="agsh", user="admin", password=ONVIF_PASSWORD).start()
        try:
            self.secrets[ONVIF_PASSWORD] = "ONVIF device password"
            device = {"host": "127.0.0.1", "port": dev.port, "user": "admin",
                      "password": ONVIF_PASSWORD}
            self.call("POST", "/api/v1/onvif/probe", device, expect=200)
            self.call("POST", "/api/v1/onvif/probe", dict(device, password=ONVIF_PASSWORD + "Wq"),
                      expect=502)
            self.call("POST", "/api/v1/onvif/relays",
                      {"device": dict(device, profile="main"), "relay": {"id": "ov"}}, expect=201)
            self.call("GET", "/api/v1/relays/ov", expect=200)
            self.call("POST", "/openapi/onvif/device",
                      {"url": "127.0.0.1", "port": dev.port, "username": "admin",
                       "pwd": ONVIF_PASSWORD}, expect=200)
        finally:
            dev.stop()

    def assertNoLeak(self):
        leaks, places = [], []
        own = {}  # the windows of one password only, so a leak is put down to its shape
        for pw in self.secrets:
            others = set().union(*[windows(x) for x in self.secrets if x != pw])
            own[pw] = windows(pw) - others
            self.assertGreater(len(own[pw]), 3, "make %r more distinct" % pw)
        scaffold = "\n".join(self.scaffolds)
        for pw, shape in sorted(self.secrets.items(), key=lambda x: x[1]):
            lettered = {w for w in own[pw] if any(c.isalpha() for c in w)}
            bare = {w for w in own[pw] - lettered if w not in scaffold}
            for where, text in self.texts:
                ff = ffmpeg_lines(text)
                hit = sorted([w for w in lettered if w in text] + [w for w in bare if w in ff])
                if hit:
                    places.append((shape, place(where)))
                    line = next((ln for ln in text.splitlines() if hit[0] in ln), "")
                    leaks.append("%s (%r) in %s: %r\n      %s" % (shape, pw, where, hit[:4],
                                                                 line.strip()[:200]))
        shapes = {}
        for shape, where in places:
            shapes.setdefault(shape, set()).add(where)
        if leaks and os.environ.get("LSD_ARTIFACTS_DIR"):
            with open(os.path.join(os.environ["LSD_ARTIFACTS_DIR"], "redact-leaks.txt"), "w") as f:
                f.write("\n".join(leaks) + "\n")
        if leaks:
            sys.stderr.write("\nLEAKING SHAPES (%d):\n%s\n\nFIRST LEAKS:\n  %s\n" % (
                len(shapes), "\n".join("  %-45s %s" % (s, ", ".join(sorted(w)))
                                       for s, w in sorted(shapes.items())),
                "\n  ".join(leaks[:60])))
        self.assertEqual(sorted(shapes), [], "%d places show a password" % len(leaks))


if __name__ == "__main__":
    unittest.main(verbosity=2)
