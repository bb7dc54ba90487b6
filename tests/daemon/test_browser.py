#!/usr/bin/python3
"""lightstreamd's web page in a real browser, and the routes that serve it.

WebFiles: GET/HEAD / and /web/<name> straight over HTTP (types, caching, refusals).
Browser: Debian's chromium, headless, driven by playwright-core (tests/daemon/browser.js):
the page adds the test camera with its form, plays it with mpegts.js (the <video>'s currentTime
advances, frames are decoded), lists it, deletes it. A screenshot is kept in $LSD_ARTIFACTS_DIR
(meson sets it to the build directory of tests/daemon).

Run inside the loopback-only namespace like every daemon test.
"""
import json
import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lsd  # noqa: E402
from lsd import h  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WEB_DIR = os.path.join(h.REPO, "daemon", "web")
BROWSER_JS = os.path.join(HERE, "browser.js")
CHROMIUM = "/usr/bin/chromium"
NODE = shutil.which("node") or "/usr/bin/node"
PASSWORD = h.CAMERA_PASSWORD


def artifacts_dir():
    d = os.environ.get("LSD_ARTIFACTS_DIR") or h.tmpdir("artifacts-")
    os.makedirs(d, exist_ok=True)
    return d


def run_browser(base, source, relay_id, shot, hash_="", api_token="", timeout=200):
    """Runs browser.js; returns its JSON report (with 'rc' and 'stderr' added)."""
    argv = [NODE, BROWSER_JS, "--base", base, "--source", source, "--id", relay_id, "--shot", shot]
    if hash_:
        argv += ["--hash", hash_]
    if api_token:
        argv += ["--api-token", api_token]
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
        for name, ctype in (("app.js", "text/javascript"), ("player.js", "text/javascript"),
                            ("format.js", "text/javascript"), ("style.css", "text/css"),
                            ("favicon.svg", "image/svg+xml")):
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
        self.assertTrue(rep["mse"]["h264"],
                        "this chromium cannot decode H.264 through MSE: %s" % rep["mse"])
        self.assertTrue(rep["mse"]["mpegtsLoaded"], "mpegts.js did not load: %s" % rep["httpErrors"])
        self.assertIsNone(rep.get("startError"), rep)
        samples = rep["samples"]
        first, last = samples[0], samples[-1]
        self.assertGreater(last["currentTime"], 1.0, samples)
        self.assertGreater(last["currentTime"] - first["currentTime"], 0.5 * (len(samples) - 1) * 1.0,
                           "currentTime must advance about as fast as the clock: %s" % samples)
        self.assertGreater(last["totalVideoFrames"], 0, last)
        self.assertGreater(last["totalVideoFrames"], first["totalVideoFrames"], samples)
        self.assertIsNone(last["error"], last)
        self.assertFalse(last["paused"], last)
        self.assertEqual((last["width"], last["height"]), (640, 360), last)
        self.assertIsNone(rep["alert"], "the page showed an error")
        self.assertEqual(rep["pageErrors"], [])
        stats = rep["playerStats"]
        self.assertNotEqual(stats["player-stats.decoded"], "–", stats)
        self.assertGreater(int(stats["player-stats.decoded"]), 0, stats)
        self.assertEqual(stats["relay-stats.state"], "streaming", stats)
        self.assertEqual(stats["relay-stats.video"], "H.264 640×360", stats)
        self.assertEqual(rep["viewersRow"], "1", "the table counts the page's viewer")

    def test_add_play_delete(self):
        relay_id = "webcam"
        source = self.cam.url("/h264_aac")
        shot = os.path.join(self.artifacts, "browser-play.png")
        with lsd.Daemon(config={"web_dir": WEB_DIR}) as d:
            rep = run_browser(d.base, source, relay_id, shot)
            print("browser: %s, first frame after %s ms, screenshot %s"
                  % (rep.get("browserVersion"), rep.get("firstFrameMs"), shot))
            self.assertEqual(rep["rc"], 0, "%s\n%s\n%s" % (rep.get("error"), rep.get("console"), rep["stderr"]))
            self.assertEqual(rep["pageStatus"], 200)
            self.assertTrue(rep["formClearedAfterAdd"])
            self.assertEqual(rep["row"]["id"], relay_id)
            self.assertEqual(rep["row"]["source"], source)
            self.assertTrue(rep["row"]["state"].startswith("streaming"), rep["row"])
            self.assertEqual(rep["row"]["video"], "H.264 640×360")
            self.assertEqual(rep["focusAfterRefresh"], "Play " + relay_id,
                             "the 2 s refresh took the keyboard focus away")
            self.check_playback(rep)
            self.assertTrue(os.path.getsize(shot) > 10000, "screenshot missing or empty")
            # the deletion through the page reached the daemon
            self.assertIn(relay_id, [r["id"] for r in rep["apiBeforeDelete"]])
            self.assertTrue(rep["rowGone"])
            self.assertTrue(rep["playerHiddenAfterDelete"])
            self.assertEqual(rep["apiAfterDelete"], [])
            st, _, _ = d.api("GET", "/api/v1/relays/" + relay_id)
            self.assertEqual(st, 404)
            self.assertEqual(rep["httpErrors"], [])
            self.assertEqual(rep["dialogs"], ['Delete the relay "webcam"? Its viewers are disconnected.'])
            d.stop_checked()

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
