#!/usr/bin/python3
"""lightstreamd's web page in a real browser, and the routes that serve it.

WebFiles: GET/HEAD / and /web/<name> straight over HTTP (types, caching, refusals).
Browser: Debian's chromium, headless, driven by playwright-core (tests/daemon/browser.js and
browser_steps.js): the page adds the test camera with its form, the grid plays it with mpegts.js
(currentTime advances, frames are decoded), bitrate right from the first seconds, latency behind
the live edge in steady state, a failing camera's reason in its row with no stale fps/bitrate,
enlarge + snapshot (a PNG download), editing the relay and adding/removing an output through the
dialog (checked through the API), the RTSP engine shown and set through the dialog (auto, running
native), an H.265 camera that this Chromium cannot decode saying so on its tile without asking for
its stream (the page's requests and the daemon's viewer count), the timeline of a recording relay
(its spans, a range picked on the bar plays with hls.js), ONVIF discovery → profile → relay → PTZ pad against the fake
device, layout at 1280 and 390 px (no sideways scrolling), console free of errors, delete.
Screenshots are kept in $LSD_ARTIFACTS_DIR (meson sets it to the build directory of tests/daemon):
page-1280.png and page-390.png.

Run inside the loopback-only namespace like every daemon test.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "onvif"))
import lsd  # noqa: E402
from lsd import h  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WEB_DIR = os.path.join(h.REPO, "daemon", "web")
BROWSER_JS = os.path.join(HERE, "browser.js")
CHROMIUM = "/usr/bin/chromium"
NODE = shutil.which("node") or "/usr/bin/node"
PASSWORD = h.CAMERA_PASSWORD
PAGE_SCRIPTS = ("dom.js", "api.js", "format.js", "rates.js", "playback.js", "player.js", "ptz.js",
                "timeline.js", "grid.js", "edit.js", "onvif.js", "app.js")
HEVC_MESSAGE = "This browser cannot decode H.265 (HEVC) video"


def kbps(text):
    """'933 kbit/s' -> 933, '1.1 Mbit/s' -> 1100, '–' -> None."""
    parts = text.split()
    if len(parts) != 2:
        return None
    return float(parts[0]) * (1000 if parts[1] == "Mbit/s" else 1)


def artifacts_dir():
    d = os.environ.get("LSD_ARTIFACTS_DIR") or h.tmpdir("artifacts-")
    os.makedirs(d, exist_ok=True)
    return d


def run_browser(base, source, relay_id, shot, hash_="", api_token="", extra=(), timeout=220):
    """Runs browser.js; returns its JSON report (with 'rc' and 'stderr' added)."""
    argv = [NODE, BROWSER_JS, "--base", base, "--source", source, "--id", relay_id, "--shot", shot]
    if hash_:
        argv += ["--hash", hash_]
    if api_token:
        argv += ["--api-token", api_token]
    argv += list(extra)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    report = json.loads(lines[-1]) if lines else {"error": "no report", "stdout": r.stdout[-2000:]}
    report["rc"] = r.returncode
    report["stderr"] = r.stderr[-4000:]
    return report


class WebFiles(unittest.TestCase):
    """The routes of daemon/routes_web.c, without a browser."""

    @classmethod
    def setUpClass(cls):
        cls.d = lsd.Daemon(config={"web_dir": WEB_DIR, "api_token": "apitok"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop_checked()

    def test_index(self):
        st, hd, body = self.d.request("GET", "/")
        self.assertEqual(st, 200)
        self.assertTrue(hd["content-type"].startswith("text/html"), hd)
        self.assertEqual(hd.get("cache-control"), "no-cache")
        self.assertIn("content-security-policy", hd)
        self.assertIn(b"<title>lightstreamd</title>", body)
        self.assertIn(b'src="/web/mpegts.js"', body)

    def test_index_is_public_with_api_token(self):
        st, _, _ = self.d.request("GET", "/web/app.js")
        self.assertEqual(st, 200)
        st, _, _ = self.d.request("GET", "/api/v1/relays")
        self.assertEqual(st, 401, "the API needs the token, the page does not")

    def test_head(self):
        st, hd, body = self.d.request("HEAD", "/")
        self.assertEqual(st, 200)
        self.assertEqual(body, b"")
        size = os.path.getsize(os.path.join(WEB_DIR, "index.html"))
        self.assertEqual(int(hd.get("content-length", -1)), size)

    def test_page_files(self):
        for name, ctype in [(n, "text/javascript") for n in PAGE_SCRIPTS] + [
                ("style.css", "text/css"), ("favicon.svg", "image/svg+xml")]:
            with self.subTest(name=name):
                st, hd, body = self.d.request("GET", "/web/" + name)
                self.assertEqual(st, 200)
                self.assertTrue(hd["content-type"].startswith(ctype), hd)
                self.assertEqual(hd.get("x-content-type-options"), "nosniff")
                with open(os.path.join(WEB_DIR, name), "rb") as f:
                    self.assertEqual(body, f.read())

    def test_mpegts_from_node_modules(self):
        path = os.path.join(WEB_DIR, "node_modules", "mpegts.js", "dist", "mpegts.js")
        self.assertTrue(os.path.exists(path), "mpegts.js not installed: run tests/harness/deps.sh")
        st, hd, body = self.d.request("GET", "/web/mpegts.js")
        self.assertEqual(st, 200)
        self.assertTrue(hd["content-type"].startswith("text/javascript"), hd)
        self.assertIn("max-age", hd.get("cache-control", ""))
        with open(path, "rb") as f:
            self.assertEqual(body, f.read())
        st, hd, _ = self.d.request("GET", "/web/mpegts.js.map")
        self.assertEqual(st, 200)
        self.assertTrue(hd["content-type"].startswith("application/json"), hd)

    def test_hlsjs_from_node_modules(self):
        """hls.js's light build (recorded ranges where the browser has no HLS of its own)."""
        path = os.path.join(WEB_DIR, "node_modules", "hls.js", "dist", "hls.light.min.js")
        self.assertTrue(os.path.exists(path), "hls.js not installed: run tests/harness/deps.sh")
        st, hd, body = self.d.request("GET", "/web/hls.light.min.js")
        self.assertEqual(st, 200)
        self.assertTrue(hd["content-type"].startswith("text/javascript"), hd)
        with open(path, "rb") as f:
            self.assertEqual(body, f.read())

    def test_refused_names(self):
        for path in ("/web/..%2Fpackage.json", "/web/%2e%2e", "/web/.hidden.js", "/web/package.json",
                     "/web/package-lock.json", "/web/node_modules", "/web/a..js", "/web/x%00.js",
                     "/web/nope.js", "/web/", "/web/index.html/x", "/index.html%2F..%2F..%2Fetc%2Fpasswd",
                     "/web/..%2F..%2Fconfig.h"):
            with self.subTest(path=path):
                st, hd, body = self.d.request("GET", path)
                self.assertEqual(st, 404, body[:200])
                if body:
                    self.assertIn("error", json.loads(body))

    def test_methods(self):
        st, hd, _ = self.d.request("POST", "/", body=b"{}")
        self.assertEqual(st, 405)
        self.assertIn("GET", hd.get("allow", ""))
        st, _, _ = self.d.request("DELETE", "/web/app.js")
        self.assertEqual(st, 405)


class Browser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for what, path in (("chromium", CHROMIUM), ("node", NODE),
                           ("playwright-core", os.path.join(h.REPO, "tests", "harness", "node_modules",
                                                            "playwright-core", "package.json"))):
            if not os.path.exists(path):
                raise AssertionError("%s missing (%s): run tests/harness/deps.sh" % (what, path))
        cls.cam = h.Camera(media_dir=h.media(os.environ.get("LS_MEDIA_DIR"))).start()
        cls.artifacts = artifacts_dir()

    @classmethod
    def tearDownClass(cls):
        cls.cam.stop()

    def check_playback(self, rep):
        """The grid's tile plays: currentTime advances about as fast as the clock."""
        self.assertTrue(rep["mse"]["h264"], "this chromium cannot decode H.264 through MSE: %s" % rep["mse"])
        self.assertTrue(rep["mse"]["mpegtsLoaded"], "mpegts.js did not load: %s" % rep["httpErrors"])
        samples = rep["samples"]
        first, last = samples[0], samples[-1]
        self.assertIsNotNone(rep["firstFrameMs"], "the tile never started playing: %s" % samples)
        self.assertGreater(last["currentTime"] - first["currentTime"], 0.8 * (len(samples) - 1),
                           "currentTime must advance about as fast as the clock: %s" % samples)
        self.assertGreater(last["totalVideoFrames"], first["totalVideoFrames"], samples)
        self.assertIsNone(last["error"], last)
        self.assertFalse(last["paused"], last)
        self.assertTrue(last["muted"], "the grid plays muted")
        self.assertEqual((last["width"], last["height"]), (640, 360), last)
        self.assertEqual(rep["pageErrors"], [])
        self.assertEqual(rep["consoleErrors"], [], "the console must be free of errors")
        self.assertEqual(rep["tile"]["state"], "streaming", rep["tile"])
        self.assertEqual(rep["tile"]["reason"], "", rep["tile"])
        self.assertEqual(rep["row"]["viewers"], "1", "the table counts the page's one viewer")

    def check_first_seconds(self, rep):
        """The page's bitrate is shown within 2 s of the relay streaming and is near the
        relay's real bitrate from its first figure on (the library's steady-state figure)."""
        real = rep["apiAfterStart"]["bitrate_kbps"]
        shown = [(s["ms"], kbps(s["text"])) for s in rep["bitrateFirstSeconds"]]
        figures = [(ms, v) for ms, v in shown if v is not None]
        print("bitrate in the first seconds (ms, kbit/s): %s; the relay's own: %d kbit/s" % (figures, real))
        self.assertTrue(figures and figures[0][0] <= 2000, "no bitrate within 2 s: %s" % shown)
        self.assertGreater(real, 300, rep["apiAfterStart"])
        for ms, v in figures:
            self.assertTrue(0.6 * real <= v <= 1.6 * real, "at %d ms the page said %s kbit/s, the relay "
                            "streams %d kbit/s" % (ms, v, real))

    def check_latency(self, rep):
        lat = sorted(x for x in rep["latency"] if x is not None)
        self.assertGreater(len(lat), 20, rep["latency"])
        median, p90 = lat[len(lat) // 2], lat[int(len(lat) * 0.9)]
        print("latency behind the live edge in steady state: median %.3f s, p90 %.3f s, max %.3f s "
              "(target <= 0.5 s); the page showed %s" % (median, p90, lat[-1], rep["latencyShown"]))
        self.assertLessEqual(median, 1.0, "generous bound for a loaded machine; target 0.5 s")
        self.assertRegex(rep["latencyShown"], r"^\d+\.\d\d s$")

    def test_grid_nvr(self):
        """The NVR operator's page: grid, reason, rates, latency, snapshot, edit, outputs, 1280/390 px."""
        relay_id = "webcam"
        source = self.cam.url("/h264_aac")
        shot = os.path.join(self.artifacts, "page-1280.png")
        phone = os.path.join(self.artifacts, "page-390.png")
        bad = "rtsp://127.0.0.1:%d/nothing" % h.free_port()
        with lsd.Daemon(config={"web_dir": WEB_DIR}) as d:
            rep = run_browser(d.base, source, relay_id, shot,
                              extra=["--shot-phone", phone, "--bad-source", bad, "--edit", "--record",
                                     "--hevc-source", self.cam.url("/h265_aac")])
            print("browser: %s, first frame %s ms after the page showed the relay streaming, "
                  "screenshots %s %s" % (rep.get("browserVersion"), rep.get("firstFrameMs"), shot, phone))
            self.assertEqual(rep["rc"], 0, "%s\n%s\n%s" % (rep.get("error"), rep.get("console"), rep["stderr"]))
            self.assertEqual(rep["pageStatus"], 200)
            self.assertTrue(rep["formClearedAfterAdd"])
            self.assertEqual(rep["row"]["source"], source)
            self.check_playback(rep)
            self.check_first_seconds(rep)
            self.check_latency(rep)
            with self.subTest("a failing camera says why, without stale figures"):
                self.assertEqual(rep["badApi"]["state"], "backoff", rep["badApi"])
                for where in (rep["badRow"], rep["badTile"]):
                    self.assertEqual(where["reason"], "Nothing answers at the camera's address and port", where)
                    self.assertEqual((where["fps"], where["bitrate"]), ("–", "–"), where)
                self.assertEqual(rep["badRow"]["video"], "–")
                self.assertFalse(rep["badTilePlaying"])
            with self.subTest("enlarge and snapshot"):
                self.assertTrue(rep["enlarged"])
                self.assertEqual(rep["focusAfterEnlarge"], "Shrink " + relay_id)
                self.assertEqual(rep["detail"]["video"], "H.264 640×360", rep["detail"])
                snap = rep["snapshot"]
                self.assertTrue(snap["png"], snap)
                self.assertEqual((snap["width"], snap["height"]), (640, 360), snap)
                self.assertGreater(snap["bytes"], 5000, snap)
                self.assertTrue(snap["name"].startswith(relay_id + "-") and snap["name"].endswith(".png"))
            with self.subTest("edit through the page, checked through the API"):
                self.assertEqual(rep["afterEdit"]["name"], "Front door")
                self.assertEqual(rep["afterEdit"]["audio"], "aac")
                self.assertEqual(rep["afterEdit"]["source"], source, "an empty URL field keeps the source")
                self.assertEqual([o["url"] for o in rep["afterAddOutput"]], [relay_id + ".flv"], rep["editError"])
                self.assertEqual(rep["afterRemoveOutput"], [])
            with self.subTest("the codec string the page asks the browser about"):
                live = rep["apiAfterStart"]["codec_string"]
                recorded = {r["codec"] for r in rep["recordingList"]}
                print("codec strings: live %s, recorded %s, H.265 live %s" % (
                    live, recorded, rep["hevcApi"]["codec_string"]))
                self.assertRegex(live, r"^avc1\.[0-9a-f]{6}$")
                self.assertEqual(recorded, {live}, "the live stream's string is the recordings' (avcC)")
                self.assertTrue(any("codecs=" + live in ln for ln in rep["console"]),
                                "mpegts.js read another codec from the stream's avcC: %s" % rep["console"])
                self.assertRegex(rep["hevcApi"]["codec_string"], r"^hvc1\.[0-9]+\.[0-9a-f]+\.[LH][0-9]+")
            with self.subTest("an H.265 camera this browser cannot decode"):
                self.assertEqual(rep["addHevcStatus"], 201)
                if rep["mse"]["hevc"]:
                    self.skipTest("this chromium decodes H.265 through MSE: the tile plays it")
                print("H.265 tile: %s" % rep["hevcTile"])
                self.assertEqual(rep["hevcTile"]["playback"], "none", rep["hevcTile"])
                self.assertEqual(rep["hevcTile"]["reason"], HEVC_MESSAGE, rep["hevcTile"])
                self.assertEqual(rep["hevcTile"]["state"], "streaming", rep["hevcTile"])
                asked = [u for u in rep["liveRequests"] if "/live/%s-hevc" % relay_id in u]
                self.assertEqual(asked, [], "the page asked for the H.265 stream it cannot decode")
                conns = [ln for ln in rep["metricsBeforeDelete"].splitlines() if ln.startswith(
                    'lightstreamd_relay_viewer_connections_total{relay="%s-hevc"}' % relay_id)]
                self.assertEqual([ln.split()[-1] for ln in conns], ["0"], conns)
            with self.subTest("the RTSP engine: shown, and set through the dialog"):
                self.assertEqual(rep["engineInDialog"], "libavformat")
                self.assertEqual(rep["afterEdit"]["engine"], "auto")
                self.assertEqual(rep["engineShown"], "auto → running native")
            with self.subTest("the timeline shows the recording and plays a range"):
                self.assertEqual(rep["recordStatus"], 200)
                tl = rep["timeline"]
                print("timeline: %s; playing a range: %s" % (tl["status"], tl["samples"]))
                self.assertGreaterEqual(tl["spans"], 1, tl)
                self.assertEqual(tl["drawn"], tl["spans"], tl)
                self.assertGreaterEqual(tl["recordedS"], 8, tl)
                self.assertEqual(tl["playback"], "hlsjs", tl)
                first, last = tl["samples"][0], tl["samples"][-1]
                self.assertGreater(last["currentTime"] - first["currentTime"], 1.5, tl["samples"])
                self.assertGreater(last["frames"], first["frames"], tl["samples"])
                self.assertIsNone(last["error"], tl["samples"])
            with self.subTest("layout"):
                self.assertEqual(rep["scrollWidth1280"], 1280)
                self.assertLessEqual(rep["scrollWidth390"], 390, rep["wideElements390"])
                self.assertGreater(rep["playing390"], 0)
                for p in (shot, phone):
                    self.assertGreater(os.path.getsize(p), 10000, p)
            self.assertTrue(rep["rowGone"] and rep["tileGone"])
            self.assertEqual(rep["apiAfterDelete"], [])
            st, _, _ = d.api("GET", "/api/v1/relays/" + relay_id)
            self.assertEqual(st, 404)
            self.assertEqual(rep["httpErrors"], [])
            self.assertEqual(rep["dialogs"], ['Delete the relay "webcam"? Its viewers are disconnected.'])
            d.stop_checked()

    def test_onvif_discover_add_ptz(self):
        """Discovery through the page (a responder on 127.0.0.1), read the fake device's profiles,
        add a camera from one, move it with the PTZ pad and go to a preset: the device records
        ContinuousMove, Stop and GotoPreset; the device password stays out of the page."""
        import onvifcommon as oc
        dev = oc.FakeDevice("--stream-uri", "rtsp://192.168.1.64:%d/auth/h264_aac" % self.cam.port,
                            profile="agsh", user="admin", password=PASSWORD).start()
        try:
            with oc.Responder("--device-port", dev.port) as resp, lsd.Daemon(config={"web_dir": WEB_DIR}) as d:
                shot = os.path.join(self.artifacts, "page-onvif.png")
                rep = run_browser(d.base, self.cam.url("/h264_aac"), "plaincam", shot,
                                  extra=["--onvif-port", str(dev.port), "--discover-port", str(resp.port),
                                         "--onvif-user", "admin", "--onvif-password", PASSWORD])
                self.assertEqual(rep["rc"], 0, "%s\n%s\n%s" % (rep.get("error"), rep.get("console"), rep["stderr"]))
                self.assertEqual(rep["onvifHostPort"], ["127.0.0.1", str(dev.port)])
                self.assertIn("main", rep["onvifProfiles"])
                self.assertTrue(rep["onvifPasswordCleared"])
                ops = dev.ops()
                for op in ("ContinuousMove", "Stop", "GotoPreset"):
                    self.assertIn(op, ops)
                move = dev.of("ContinuousMove")[-1]
                stop = [r for r in dev.of("Stop") if r["t"] >= move["t"]]
                self.assertTrue(stop, "the pad's move was not followed by Stop")
                self.assertIn("PresetToken001", " ".join(rep["ptzPresets"]) + " " + str(dev.of("GotoPreset")[-1]))
                self.assertIn("not added from an ONVIF device", rep["ptzOnPlainRelay"])
                st, _, js = d.api("GET", "/api/v1/relays/ptzcam")
                self.assertEqual(st, 200, js)
                self.assertNotIn(PASSWORD, json.dumps(rep))
                self.assertEqual(rep["pageErrors"], [])
                # the only failed request: asking a plain relay for its PTZ (the pad says so)
                self.assertEqual([e for e in rep["httpErrors"] if "/plaincam/ptz/presets" not in e], [])
                d.stop_checked()
        finally:
            dev.stop()

    def test_tokens_and_redaction(self):
        """API token from #token=, viewer token from #vtoken=; a camera password typed into the
        form never comes back into the page."""
        relay_id = "authcam"
        source = self.cam.url("/auth/h264_aac", auth=True)
        shot = os.path.join(self.artifacts, "browser-tokens.png")
        cfg = {"web_dir": WEB_DIR, "api_token": "api-Tok3n", "viewer_token": "view-Tok3n"}
        with lsd.Daemon(config=cfg) as d:
            rep = run_browser(d.base, source, relay_id, shot, hash_="#token=api-Tok3n&vtoken=view-Tok3n",
                              api_token="api-Tok3n")
            print("browser (tokens): screenshot %s" % shot)
            self.assertEqual(rep["rc"], 0, "%s\n%s\n%s" % (rep.get("error"), rep.get("console"), rep["stderr"]))
            self.assertNotIn(PASSWORD, rep["row"]["source"])
            self.assertIn("****", rep["row"]["source"])
            self.assertFalse(rep["pageHtmlHasSource"], "the typed URL (with its password) stayed in the page")
            self.assertFalse(rep["pageHtmlHasSourceWhilePlaying"])
            self.check_playback(rep)
            self.assertEqual(rep["apiAfterDelete"], [])
            self.assertNotIn(PASSWORD, d.log())
            self.assertNotIn(PASSWORD.replace(":", "%3A").replace("@", "%40"), d.log())
            d.stop_checked()

    def test_token_required(self):
        """Without the token the page says so and offers the token form, which puts the
        token in the address's fragment."""
        cfg = {"web_dir": WEB_DIR, "api_token": "api-Tok3n"}
        js = r"""
const { chromium } = require(process.argv[1]);
(async () => {
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const p = await b.newPage();
  await p.goto(process.argv[2]);
  await p.locator('#token-form').waitFor({ state: 'visible', timeout: 15000 });
  const alert = await p.locator('#alert').textContent();
  await p.getByLabel('API token').fill('api-Tok3n');
  await p.getByRole('button', { name: 'Use tokens' }).click();
  await p.locator('#token-form').waitFor({ state: 'hidden', timeout: 15000 });
  const hash = await p.evaluate(() => location.hash);
  console.log(JSON.stringify({ alert, hash }));
  await b.close();
})().catch((e) => { console.error(e); process.exit(1); });
"""
        pw = os.path.join(h.REPO, "tests", "harness", "node_modules", "playwright-core")
        with lsd.Daemon(config=cfg) as d:
            r = subprocess.run([NODE, "-e", js, pw, d.base + "/"], capture_output=True, text=True,
                               timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr[-3000:])
            out = json.loads(r.stdout.strip().splitlines()[-1])
            self.assertIn("needs an API token", out["alert"])
            self.assertEqual(out["hash"], "#token=api-Tok3n")
            d.stop_checked()


if __name__ == "__main__":
    unittest.main(verbosity=2)
