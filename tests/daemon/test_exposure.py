#!/usr/bin/python3
"""Listening beyond loopback without an API token: a loud warning in the log, or, with
"require_token_beyond_loopback": true, a startup error (exit 2) before anything is bound.

Tests bind loopback only: the warning is checked with a listen address of TEST-NET-1
(192.0.2.1, RFC 5737), which no interface has, so the daemon warns and then fails to bind;
the refusal with 0.0.0.0, which is refused before binding. (The decision itself, for every
kind of address, is unit-tested in unit_daemon.c.)"""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402

NOWHERE = "192.0.2.1"


def run(config):
    d = h.tmpdir("lsdexp-")
    cfg = {"port": 0, "data_dir": os.path.join(d, "data"), "log_level": "info"}
    cfg.update(config)
    path = os.path.join(d, "config.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    res = h.run([lsd.LSD_BIN, "--config", path], timeout=15)
    return res, os.path.exists(os.path.join(d, "data"))


def output(res):
    return (res.stdout or "") + (res.stderr or "")


class Exposure(unittest.TestCase):
    def test_warning_beyond_loopback_without_token(self):
        res, _ = run({"listen": NOWHERE})
        out = output(res)
        self.assertRegex(out, r"warn +SECURITY WARNING: listening on 192\.0\.2\.1, beyond "
                              r"loopback, without api_token")
        self.assertIn("require_token_beyond_loopback", out, "the warning names the remedy")
        self.assertIn("cannot listen on 192.0.2.1", out)
        self.assertLess(out.index("SECURITY WARNING"), out.index("cannot listen"),
                        "warned before binding")
        self.assertEqual(res.returncode, 1, out)

    def test_no_warning_with_token_or_on_loopback(self):
        res, _ = run({"listen": NOWHERE, "api_token": "t0ken"})
        self.assertNotIn("SECURITY WARNING", output(res))
        self.assertIn("cannot listen on 192.0.2.1", output(res))
        d = lsd.Daemon(config={"log_level": "info"}).start()
        try:
            self.assertEqual(d.api("GET", "/healthz")[0], 200)
        finally:
            self.assertEqual(d.stop(), 0)
        self.assertNotIn("SECURITY WARNING", d.log())

    def test_require_token_refuses_to_start(self):
        res, made_data_dir = run({"listen": "0.0.0.0", "require_token_beyond_loopback": True})
        out = output(res)
        self.assertEqual(res.returncode, 2, out)
        self.assertIn("refusing to start: listen is 0.0.0.0, beyond loopback, and api_token is "
                      "not set", out)
        self.assertNotIn("listening on http", out)
        self.assertNotIn("cannot listen", out, "refused before any bind")
        self.assertFalse(made_data_dir, "refused before anything was set up")

    def test_require_token_passes_with_token(self):
        res, _ = run({"listen": NOWHERE, "require_token_beyond_loopback": True,
                      "api_token": "t0ken"})
        out = output(res)
        self.assertNotIn("refusing to start", out)
        self.assertIn("cannot listen on 192.0.2.1", out, "it went on to bind")
        self.assertEqual(res.returncode, 1, out)

    def test_require_token_on_loopback_starts(self):
        d = lsd.Daemon(config={"require_token_beyond_loopback": True}).start()
        try:
            self.assertEqual(d.api("GET", "/healthz")[0], 200)
        finally:
            self.assertEqual(d.stop(), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
