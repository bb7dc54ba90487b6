#!/usr/bin/python3
"""lightstreamd's file outputs: they write only inside the recordings directory (config
recordings_dir, default <data_dir>/recordings, created at start) — an absolute path elsewhere,
a '..' or a symlink leading out is a 400 naming the rule — and a daemon restart keeps what was
recorded before it (each start of a relay writes a new file)."""
import hashlib
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402
import common  # noqa: E402
from test_api import ApiCase, wait_relay  # noqa: E402

CAM = None


def setUpModule():
    global CAM
    CAM = h.Camera(common.media_dir()).start()


def tearDownModule():
    if CAM:
        CAM.stop()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


class Recordings(ApiCase):
    def daemon_on(self, data_dir, **config):
        d = lsd.Daemon(config=config, data_dir=data_dir).start()
        self._daemons = getattr(self, "_daemons", []) + [d]
        self.addCleanup(finish_quietly, d)
        return d

    def recording_of(self, d, rid, min_bytes):
        """The file the relay's (only) output writes now, once it holds `min_bytes`: from the
        API's "file" (a daemon that does not say which file it writes: the path it was given)."""
        def grown():
            r = d.api("GET", "/api/v1/relays/" + rid)[2] or {}
            out = (r.get("outputs") or [{}])[0]
            f = out.get("file") or out.get("url")
            return f if f and os.path.exists(f) and os.path.getsize(f) >= min_bytes else None
        return h.wait_until(grown, 20, 0.2, "%s recording %d bytes" % (rid, min_bytes))

    # ---------------------------------------------------------------------------------------
    def test_restart_keeps_the_earlier_recording(self):
        """A relay recording to <recordings>/rec1.flv; the daemon stopped and started again on
        the same data directory: the relay is back and records again, and the file written
        before the restart is still there, byte for byte, finished with its size."""
        data = os.path.join(h.tmpdir("rec-"), "data")
        rec = os.path.join(data, "recordings")
        os.makedirs(rec)  # for a daemon that would not make it
        d = self.daemon_on(data)
        path = os.path.join(rec, "rec1.flv")
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "rec1", "source": CAM.url("/h264_aac"),
                                                    "outputs": [path]})
        self.assertEqual(st, 201, r)
        first = self.recording_of(d, "rec1", 150000)
        self.assertTrue(os.path.realpath(first).startswith(os.path.realpath(rec) + "/"), first)
        d.stop_checked(20)
        digest, size = sha256(first), os.path.getsize(first)
        self.assertEqual(common.flv_metadata(first)["filesize"], size, "finished on stop")

        d2 = self.daemon_on(data)
        wait_relay(d2, "rec1", lambda x: x["outputs"][0].get("state") == "streaming",
                   what="rec1 recording again")
        second = self.recording_of(d2, "rec1", 150000)
        d2.stop_checked(20)
        self.assertTrue(os.path.exists(first), "the earlier recording is gone")
        self.assertEqual((os.path.getsize(first), sha256(first)), (size, digest),
                         "the earlier recording was overwritten")
        self.assertNotEqual(second, first)
        self.assertEqual(common.recordings(path), [first, second])
        for f in (first, second):
            code, res = common.flvcheck(f)
            self.assertTrue(res["ok"], res["errors"])

    def test_outputs_outside_refused(self):
        """Absolute paths elsewhere, '..' and symlinks leading out of the recordings directory:
        400 naming the rule, for POST, PATCH and POST .../outputs; nothing changes and nothing
        is written outside. A name, a subdirectory and an absolute path inside are accepted."""
        data = os.path.join(h.tmpdir("rec-"), "data")
        d = self.daemon_on(data)
        rec = os.path.join(data, "recordings")
        self.assertTrue(os.path.isdir(rec), "the default recordings directory is made at start")
        outside = h.tmpdir("outside-")
        os.symlink(outside, os.path.join(rec, "out"))
        os.mkdir(os.path.join(rec, "front"))
        src = CAM.url("/h264")
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "ok1", "source": src, "on_demand": True,
                                                    "outputs": ["cam.flv", "front/cam.flv",
                                                                os.path.join(rec, "abs.flv")]})
        self.assertEqual(st, 201, r)
        before = d.api("GET", "/api/v1/relays")[2]
        bad = [os.path.join(outside, "x.flv"), "/tmp/x.flv", "../x.flv", "front/../../x.flv",
               rec + "/../x.flv", "out/x.flv", "nosuchdir/x.flv"]
        for path in bad:
            with self.subTest(path=path):
                rule = "does not exist" if path.startswith("nosuchdir") else \
                    "'..'" if ".." in path else "outside the recordings directory"
                self.assertError(d.api("POST", "/api/v1/relays", {
                    "id": "bad1", "source": src, "on_demand": True, "outputs": [path]}),
                    400, "invalid", "outputs")
                resp = d.api("POST", "/api/v1/relays", {"source": src, "outputs": [path]})
                self.assertIn(rule, resp[2]["error"]["message"])
                self.assertError(d.api("PATCH", "/api/v1/relays/ok1", {"outputs": [path]}),
                                 400, "invalid", "outputs")
                self.assertError(d.api("POST", "/api/v1/relays/ok1/outputs", {"url": path}),
                                 400, "invalid", "url")
        self.assertEqual(d.api("GET", "/api/v1/relays")[2], before, "a refused request changed something")
        self.assertEqual(os.listdir(outside), [])

    def test_configured_directory_and_older_state(self):
        """recordings_dir is created with its parents; a state file from before the rule, with an
        output outside it, still loads: the relay runs, that output is refused and says why."""
        top = h.tmpdir("rec-")
        data, rec = os.path.join(top, "data"), os.path.join(top, "disk", "nvr", "rec")
        os.makedirs(data, 0o700)
        outside = os.path.join(top, "old.flv")
        with open(os.path.join(data, "state.json"), "w") as f:
            json.dump({"version": 1, "relays": [{"id": "old", "source": CAM.url("/h264"),
                                                 "outputs": [{"id": 1, "url": outside},
                                                             {"id": 2, "url": "new.flv"}]}]}, f)
        d = self.daemon_on(data, recordings_dir=rec)
        self.assertTrue(os.path.isdir(rec))
        r = wait_relay(d, "old", lambda x: x["outputs"][1].get("state") == "streaming",
                       what="the good output recording")
        refused = r["outputs"][0]
        self.assertEqual(refused["state"], "failed", refused)
        self.assertIn("outside the recordings directory", refused["error"])
        self.assertTrue(r["outputs"][1]["file"].startswith(os.path.realpath(rec) + "/new-"), r)
        self.assertFalse(os.path.exists(outside))
        self.assertFalse(any(n.startswith("old") for n in os.listdir(top)))
        self.assertIn("output 1 refused", d.log())
        # Elsewhere, the data directory included, is outside.
        self.assertError(d.api("POST", "/api/v1/relays/old/outputs",
                               {"url": os.path.join(data, "x.flv")}), 400, "invalid", "url")


def finish_quietly(d):
    if d.proc and d.proc.alive():
        d.stop_checked(20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
