#!/usr/bin/python3
"""lightstreamd's persisted state: kill -9 right after a change, restart with the same data
directory → the same relays (ids, specs) streaming again; kill -9 in a loop under a client
that keeps changing things → exactly the acknowledged changes survive and state.json is
always whole; a corrupt state.json is set aside with a clear message and the daemon starts."""
import glob
import http.client
import json
import os
import random
import sys
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402
import common  # noqa: E402
from test_api import ApiCase, config_part, output_of, wait_relay, wait_streaming  # noqa: E402

CAM = None
NGX = None


def setUpModule():
    global CAM, NGX
    CAM = h.Camera(common.media_dir()).start()
    NGX = h.Nginx().start()


def tearDownModule():
    if NGX:
        NGX.stop()
    if CAM:
        CAM.stop()


def stable(relay):
    """What must be the same after a restart: the configuration, less the play URL's port
    (a new daemon binds a new port)."""
    r = config_part(relay)
    r["play"] = dict(r.get("play", {}))
    r["play"].pop("flv", None)
    r["play"].pop("hls", None)
    return r


class Persist(ApiCase):
    def restart(self, old, config=None):
        """A new daemon over the same data directory."""
        d = self.start_daemon(config=config, data_dir=old.data_dir)
        self.daemon = d
        return d

    def relays(self, d):
        st, _, js = d.api("GET", "/api/v1/relays")
        self.assertEqual(st, 200, js)
        return js["relays"]

    def test_kill9_restore(self):
        d = self.start_daemon()
        self.daemon = d
        specs = [{"id": "p-plain", "source": CAM.url("/h264_aac"), "name": "plain", "transport": "tcp",
                  "engine": "native"},
                 {"id": "p-demand", "source": CAM.url("/h264"), "on_demand": True, "idle_s": 3, "audio": "none"},
                 {"id": "p-out", "source": CAM.url("/h264_aac"), "outputs": [NGX.rtmp_url("p-out")],
                  "hevc": "codec12", "lease_s": 3600}]
        made = []
        for s in specs:
            st, _, r = d.api("POST", "/api/v1/relays", s)
            self.assertEqual(st, 201, r)
            made.append(r)
        d.kill9()  # at once after the last 201: no grace
        self.assertTrue(json.load(open(os.path.join(d.data_dir, "state.json"))), "state.json is whole")

        d2 = self.restart(d)
        got = self.relays(d2)
        self.assertEqual([r["id"] for r in got], [s["id"] for s in specs], "same ids, same order")
        for before, after in zip(made, got):
            a, b = stable(before), stable(after)
            lease_a, lease_b = before.get("lease_expires_in_ms"), after.get("lease_expires_in_ms")
            self.assertEqual(b, a, "same spec after kill -9 and restart")
            self.assertEqual(after["play"]["flv"], d2.url("/live/%s.flv" % after["id"]))
            if lease_a is not None:
                self.assertIsNotNone(lease_b)
                self.assertLessEqual(lease_b, lease_a, "the lease deadline is kept, not extended")
        # Streaming again.
        wait_streaming(d2, "p-plain")
        self.assertFlvPlays(d2.url("/live/p-plain.flv"))
        r = wait_relay(d2, "p-out", lambda x: x["state"] == "streaming" and
                       (output_of(x, x["outputs"][0]["id"]) or {}).get("state") == "streaming",
                       what="p-out and its output streaming")
        info = h.ffprobe_streams(NGX.rtmp_url("p-out"))
        self.assertIn(("video", "h264"), [x[:2] for x in h.stream_summary(info)])
        # The on-demand relay waits for a viewer, then streams.
        r = d2.api("GET", "/api/v1/relays/p-demand")[2]
        self.assertEqual((r["running"], r["state"]), (False, "idle"))
        self.assertFlvPlays(d2.url("/live/p-demand.flv"), audio=False)

    def test_outputs_and_ids_survive(self):
        """Output ids stay stable and are never given twice, across restarts."""
        d = self.start_daemon()
        self.daemon = d
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "o", "source": CAM.url("/h264"), "on_demand": True,
                                                     "outputs": ["rtmp://127.0.0.1:1/live/a",
                                                                 "rtmp://127.0.0.1:1/live/b"]})
        self.assertEqual(st, 201, r)
        ids = [o["id"] for o in r["outputs"]]
        self.assertEqual(d.request("DELETE", "/api/v1/relays/o/outputs/%d" % ids[1])[0], 204)
        d.kill9()
        d2 = self.restart(d)
        r = d2.api("GET", "/api/v1/relays/o")[2]
        self.assertEqual([o["id"] for o in r["outputs"]], ids[:1])
        st, _, o = d2.api("POST", "/api/v1/relays/o/outputs", {"url": "rtmp://127.0.0.1:1/live/c"})
        self.assertEqual(st, 201, o)
        self.assertNotIn(o["id"], ids, "a removed output's id is not given again")

    def test_sigterm_then_restart(self):
        d = self.start_daemon()
        self.daemon = d
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "t1", "source": CAM.url("/h264_aac")})
        self.assertEqual(st, 201, r)
        wait_streaming(d, "t1")
        self.assertEqual(d.stop(), 0)
        d2 = self.restart(d)
        self.assertEqual([x["id"] for x in self.relays(d2)], ["t1"])
        wait_streaming(d2, "t1")

    def test_kill9_loop(self):
        """A client creates, renames and deletes relays as fast as it can; the daemon is
        killed -9 at random moments. After each restart the relays are exactly the
        acknowledged changes (the one request in flight may have gone either way) and
        state.json always parses."""
        rnd = random.Random(1234)
        d = self.start_daemon()
        self.daemon = d
        acked = {}  # id -> name, as acknowledged
        serial = [0]
        for round_no in range(6):
            stop = threading.Event()
            inflight = {}
            errors = []

            def client():
                while not stop.is_set():
                    op = rnd.random()
                    try:
                        if op < 0.5 or not acked:
                            serial[0] += 1
                            rid = "k%d" % serial[0]
                            inflight.clear()
                            inflight.update(op="create", id=rid, name="n0")
                            st, _, js = d.api("POST", "/api/v1/relays", {"id": rid, "name": "n0", "on_demand": True,
                                                                         "source": CAM.url("/h264")}, timeout=5)
                            if st == 201:
                                acked[rid] = "n0"
                            elif st != 507:
                                errors.append(("create", st, js))
                        elif op < 0.75:
                            rid = rnd.choice(sorted(acked))
                            name = "n%d" % rnd.randrange(1000)
                            inflight.clear()
                            inflight.update(op="rename", id=rid, name=name, old=acked[rid])
                            st, _, js = d.api("PATCH", "/api/v1/relays/" + rid, {"name": name}, timeout=5)
                            if st == 200:
                                acked[rid] = name
                            else:
                                errors.append(("rename", st, js))
                        else:
                            rid = rnd.choice(sorted(acked))
                            inflight.clear()
                            inflight.update(op="delete", id=rid, old=acked[rid])
                            st, _, js = d.api("DELETE", "/api/v1/relays/" + rid, timeout=5)
                            if st == 204:
                                del acked[rid]
                            else:
                                errors.append(("delete", st, js))
                        inflight.clear()
                    except (OSError, http.client.HTTPException):
                        return  # the daemon died under this request: it stays in `inflight`
            t = threading.Thread(target=client, daemon=True)
            t.start()
            time.sleep(rnd.uniform(0.3, 1.2))
            d.kill9()
            stop.set()
            t.join(10)
            self.assertFalse(t.is_alive())
            self.assertEqual(errors, [], "every request of the client succeeded")
            raw = open(os.path.join(d.data_dir, "state.json"), "rb").read()
            try:
                on_disk = json.loads(raw)
            except ValueError:
                self.fail("round %d: state.json is not whole JSON after kill -9: %r" % (round_no, raw[-200:]))
            self.assertIsInstance(on_disk.get("relays"), list)

            d = self.restart(d)
            got = {r["id"]: r["name"] for r in self.relays(d)}
            want = dict(acked)
            if got != want and inflight:
                # The request in flight when the daemon died may have been made or not.
                alt = dict(acked)
                rid = inflight["id"]
                if inflight["op"] == "create":
                    alt[rid] = inflight["name"]
                elif inflight["op"] == "rename":
                    alt[rid] = inflight["name"]
                else:
                    alt.pop(rid, None)
                if got == alt:
                    want = alt
                    acked.clear()
                    acked.update(alt)
            self.assertEqual(got, want, "round %d: after kill -9 the relays are the acknowledged ones" % round_no)
            self.assertGreater(serial[0], round_no, "the client made requests")
        sys.stderr.write("kill -9 loop: %d relays created, %d left\n" % (serial[0], len(acked)))
        self.assertGreater(serial[0], 30, "the client kept the daemon busy")

    # --- the state file itself ---------------------------------------------------------------
    def start_with_state(self, content):
        d = lsd.Daemon()
        os.makedirs(d.data_dir, exist_ok=True)
        with open(os.path.join(d.data_dir, "state.json"), "wb") as f:
            f.write(content)
        d.start()
        self._daemons = getattr(self, "_daemons", []) + [d]
        self.addCleanup(self.check_finish, d)
        self.daemon = d
        return d

    def check_set_aside(self, content):
        d = self.start_with_state(content)
        st, _, js = d.api("GET", "/healthz")
        self.assertEqual(st, 200, "the daemon starts despite a bad state file")
        self.assertEqual(self.relays(d), [])
        log = d.log()
        self.assertRegex(log, r"(?i)error.*state", "the log says what went wrong")
        self.assertIn("state.json", log)
        bad = glob.glob(os.path.join(d.data_dir, "state.json.bad*"))
        self.assertEqual(len(bad), 1, "the bad file is kept aside: %s" % os.listdir(d.data_dir))
        self.assertEqual(open(bad[0], "rb").read(), content, "byte for byte")
        self.assertIn(os.path.basename(bad[0]), log, "the log names where it went")
        # The daemon works on and writes a fresh, valid state.
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "fresh", "source": CAM.url("/h264"), "on_demand": True})
        self.assertEqual(st, 201, r)
        fresh = json.load(open(os.path.join(d.data_dir, "state.json")))
        self.assertEqual([x["id"] for x in fresh["relays"]], ["fresh"])
        self.assertEqual(open(bad[0], "rb").read(), content, "the bad file is never overwritten")
        return d

    def test_corrupt_state_set_aside(self):
        self.check_set_aside(b"\x00\x01garbage{{{ not json")

    def test_truncated_state_set_aside(self):
        whole = json.dumps({"version": 1, "relays": [{"id": "x", "source": "rtsp://127.0.0.1/x"}],
                            "compat": {}}).encode()
        self.check_set_aside(whole[: len(whole) // 2])

    def test_wrong_version_set_aside(self):
        self.check_set_aside(json.dumps({"version": 99, "relays": []}).encode())

    def test_one_bad_relay_skipped(self):
        """A state file with one invalid relay among good ones: the good ones load, the bad
        one is named in the log."""
        good = {"id": "good1", "source": CAM.url("/h264"), "on_demand": True}
        good2 = {"id": "good2", "source": CAM.url("/h264"), "on_demand": True}
        content = json.dumps({"version": 1, "relays": [good, {"id": "bad", "source": "ftp://127.0.0.1/x"}, good2],
                              "compat": {}}).encode()
        d = self.start_with_state(content)
        self.assertEqual([r["id"] for r in self.relays(d)], ["good1", "good2"])
        self.assertRegex(d.log(), r"relays\[1\]")

    def test_state_file_private(self):
        d = self.start_daemon()
        self.daemon = d
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "m", "source": CAM.url("/auth/h264_aac", auth=True),
                                                     "on_demand": True})
        self.assertEqual(st, 201, r)
        path = os.path.join(d.data_dir, "state.json")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        self.assertEqual([f for f in os.listdir(d.data_dir) if f.startswith(".") or f.endswith(".tmp")], [],
                         "no temporary file left behind")

    def test_unsaved_lease_expiry_backs_off(self):
        """A lease that runs out while the state cannot be saved keeps its relay (a failed
        change changes nothing) and is tried again after growing delays, not every second;
        once a save succeeds the relay goes at once. The save fails because the temporary
        file's name is taken by a directory (tests run as root: permissions would not stop it)."""
        d = self.start_daemon()
        self.daemon = d
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "lz", "source": CAM.url("/h264"),
                                                     "on_demand": True, "lease_s": 1})
        self.assertEqual(st, 201, r)
        blocker = os.path.join(d.data_dir, ".state.json.tmp")
        os.mkdir(blocker)
        time.sleep(8)  # expiry ~1 s, then tries 2 and 4 s apart (every second before: ~7 tries)
        tries = d.log().count("state not saved in")  # one per try
        self.assertEqual(d.api("GET", "/api/v1/relays/lz")[0], 200, "not saved, so not removed")
        self.assertGreaterEqual(tries, 2, "the expiry is tried again")
        self.assertLessEqual(tries, 3, "tried again after growing delays, not every second")
        os.rmdir(blocker)
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "other", "source": CAM.url("/h264"),
                                                     "on_demand": True})
        self.assertEqual(st, 201, r)
        h.wait_until(lambda: d.api("GET", "/api/v1/relays/lz")[0] == 404, 3,
                     what="the expired relay removed once saving works")


if __name__ == "__main__":
    unittest.main(verbosity=2)
