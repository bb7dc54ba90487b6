#!/usr/bin/python3
"""Broken cameras (tests/harness/badcam.py) and credentials: every failure is reported with
the right negative errno and a message, retried on schedule (slowly after an authentication
failure), without a crash or a leak (the driver exits 0, also under ASan); the camera's
password never appears in anything the relay prints."""
import re
import urllib.parse

import common
from common import h

ENOENT, EACCES, EBADMSG, ETIMEDOUT = common.ENOENT, common.EACCES, common.EBADMSG, common.ETIMEDOUT
EPROTO, ENODATA, ENOTSUP = common.EPROTO, common.ENODATA, common.ENOTSUP
RETRY_MS = 300
WRONG_PASSWORD = "Wr0ng:p@ss/w%rd"


def forms(secret):
    """A secret as it may leak: raw, percent-encoded (both hex cases), '+' for spaces."""
    enc = urllib.parse.quote(secret, safe="")
    return {secret, enc, enc.lower(), urllib.parse.quote_plus(secret, safe="")}


class BadCamera(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bc = h.BadCam().start()

    @classmethod
    def tearDownClass(cls):
        cls.bc.stop()

    def run_path(self, path, seconds=3.0, *args, **url_kw):
        """Runs the driver on one badcam path for `seconds`; checks it exited 0 with final
        stats; returns (driver, final stats, last periodic stats)."""
        d = self.driver(self.bc.url(path, **url_kw), "--retry-ms", RETRY_MS, *args,
                        duration=seconds, interval_ms=200)
        self.assertEqual(common.exit_code(d), 0, "driver crashed or leaked:\n" + d.log()[-3000:])
        final = d.final()
        self.assertIsNotNone(final, "no final stats")
        self.assertEqual(final["state"], "stopped")
        self.assertLess(final["stop_ms"], 1000)
        last = common.stats_history(d)[-1][1]
        self.assertIn(last["state"], ("backoff", "connecting"))
        self.assertEqual((last["frames_out"], last["video_frames_in"]), (0, 0))
        self.assertNotIn("streaming", [e["state"] for e in d.events("state")])
        return d, final, last

    def assert_error(self, d, final, errors, text=None):
        """Every error event and the final stats carry one of `errors` (negative), with a
        message naming the camera."""
        codes = [e["error"] for e in d.events("error")]
        self.assertTrue(codes, "no error event")
        self.assertLessEqual(set(codes), set(errors), codes)
        self.assertIn(final["last_error"], errors)
        msg = final["last_error_message"]
        self.assertIn("127.0.0.1:%d" % self.bc.port, msg)
        self.assertNotIn("unknown error", msg)
        if text:
            self.assertIn(text, msg)
        for e in d.events("error"):
            self.assertTrue(e["message"])

    def test_notfound(self):
        d, final, _ = self.run_path("/notfound")
        self.assert_error(d, final, [-ENOENT], "not found")
        # Not an authentication failure: retried on the normal schedule (0, .3, .9, 2.1 s).
        self.assertGreaterEqual(self.bc.requests("DESCRIBE", "/notfound"), 3)
        self.assertGreaterEqual(final["connect_attempts"], 3)

    def test_unauthorized_is_retried_slowly(self):
        """401 forever, credentials given: -EACCES, and within 6 s at most 2 DESCRIBEs reach the
        camera (FFmpeg's own retry with the credentials; then the 30 s auth floor), although the
        normal retry delay is 300 ms."""
        d, final, last = self.run_path("/unauthorized", 6.0, user="admin", password="pw")
        self.assert_error(d, final, [-EACCES], "authentication failed")
        describes = self.bc.requests("DESCRIBE", "/unauthorized")
        self.assertGreaterEqual(describes, 1)
        self.assertLessEqual(describes, 2, "the camera would lock the account: %d DESCRIBEs in "
                             "6 s" % describes)
        self.assertEqual(len(d.events("error")), 1)
        self.assertEqual(last["connect_attempts"], 1)
        self.assertEqual(last["state"], "backoff")

    def test_forbidden(self):
        d, final, last = self.run_path("/forbidden", 4.0)
        self.assert_error(d, final, [-EACCES])
        self.assertEqual(self.bc.requests("DESCRIBE", "/forbidden"), 1)  # auth floor too
        self.assertEqual(last["state"], "backoff")

    def test_garbage(self):
        d, final, _ = self.run_path("/garbage")
        self.assert_error(d, final, [-EBADMSG, -EPROTO])
        self.assertGreaterEqual(final["connect_attempts"], 3)  # retried, not given up

    def test_truncated_describe(self):
        d, final, _ = self.run_path("/truncated")
        self.assert_error(d, final, [-EBADMSG, -EPROTO, -ENODATA])
        self.assertGreaterEqual(final["connect_attempts"], 3)

    def test_bad_sdp(self):
        d, final, _ = self.run_path("/badsdp")
        self.assert_error(d, final, [-EBADMSG, -EPROTO, -ENOTSUP])
        self.assertGreaterEqual(final["connect_attempts"], 3)

    def test_connect_timeout_longer_than_stall_timeout(self):
        """A camera that never answers the handshake, connect timeout 3 s, stall timeout 1 s
        (the stall timeout is for media): the attempt fails with -ETIMEDOUT after the connect
        timeout, not earlier and not as bad data."""
        d, final, _ = self.run_path("/blackhole", 4.5, "--connect-ms", 3000, "--stall-ms", 1000)
        t0 = d.events("state")[0]["t"]
        errors = d.events("error")
        self.assertEqual([(e["error"], round(e["t"] - t0)) for e in errors], [(-ETIMEDOUT, 3)],
                         "expected one -ETIMEDOUT after 3 s, got %s"
                         % [(e["error"], round(e["t"] - t0, 2)) for e in errors])
        self.assertNear(errors[0]["t"] - t0, 3.0, 0.4)


class Credentials(common.TestCase):
    """The camera password, in the URL percent-encoded (it has ':' and '@'), never shows."""

    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()

    @classmethod
    def tearDownClass(cls):
        cls.cam.stop()

    def assert_redacted(self, d, url, password):
        strings = common.printed_strings(d)
        self.assertGreater(len(strings), 20)
        leaks = [s for s in strings for f in forms(password) | {password[:6]} if f in s]
        self.assertEqual(leaks, [], "the password leaked")
        final = d.final()
        host = "127.0.0.1:%d" % self.cam.port
        for shown in [final["input"]] + [e["message"] for e in d.events("error")]:
            self.assertIn("admin", shown)
            self.assertIn(host, shown)
        self.assertTrue(re.match(r"rtsp://admin:[^@/]+@%s/auth/h264_aac$" % re.escape(host),
                                 final["input"]), final["input"])
        # The library logged at debug level, the URL in it redacted the same way.
        self.assertTrue(any(final["input"] in ln for ln in d.stderr_lines), d.log()[-2000:])

    def test_password_redacted_when_streaming(self):
        url = self.cam.url("/auth/h264_aac", auth=True)
        self.assertIn(urllib.parse.quote(h.CAMERA_PASSWORD, safe=""), url)
        d = self.driver(url, duration=4, interval_ms=250)
        self.assertEqual(common.exit_code(d), 0)
        final = d.final()
        self.assertEqual(final["video_codec"], "h264")
        self.assertGreater(final["video_frames_in"], 2 * common.FPS)
        self.assertEqual(final["last_error"], 0)
        self.assert_redacted(d, url, h.CAMERA_PASSWORD)

    def test_wrong_password_redacted(self):
        url = self.cam.url("/auth/h264_aac", password=WRONG_PASSWORD)
        d = self.driver(url, "--retry-ms", RETRY_MS, duration=3, interval_ms=250)
        self.assertEqual(common.exit_code(d), 0)
        final = d.final()
        self.assertEqual(final["last_error"], -EACCES)
        self.assertEqual(final["video_frames_in"], 0)
        self.assertIn("authentication failed", final["last_error_message"])
        self.assertEqual(len(d.events("error")), 1)  # slow retry after an auth failure
        self.assert_redacted(d, url, WRONG_PASSWORD)


if __name__ == "__main__":
    common.main()
