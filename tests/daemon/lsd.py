"""Shared helpers of lightstreamd's tests: start the daemon, call its APIs.

    import lsd
    with lsd.Daemon(config={"api_token": "t"}) as d:
        st, hdrs, body = d.api("POST", "/api/v1/relays", {"source": url}, token="t")

The daemon binary comes from $LSD_BIN (meson sets it); the harness (tests/harness/lsharness.py)
provides the camera, nginx and the rest. The daemon listens on 127.0.0.1 on a port picked at
start (--port 0, written to --port-file), with its data directory under the test's tmpdir.
"""
import http.client
import json
import os
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import lsharness as h  # noqa: E402

LSD_BIN = os.environ.get("LSD_BIN", "lightstreamd")
FLVCHECK = os.environ.get("LS_FLVCHECK", "flvcheck")


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


class Daemon:
    """lightstreamd as a child process (lsharness.Proc: own process group, killed at exit)."""

    def __init__(self, config=None, data_dir=None, args=(), env=None):
        self.dir = h.tmpdir("lsd-")
        self.data_dir = data_dir or os.path.join(self.dir, "data")
        self.config = dict(config or {})
        self.args = list(args)
        self.env = env
        self.proc = None
        self.port = None

    def start(self, timeout=20.0):
        cfg = {"listen": "127.0.0.1", "port": 0, "data_dir": self.data_dir, "log_level": "debug"}
        cfg.update(self.config)
        cfg_path = os.path.join(self.dir, "config.json")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)
        port_file = os.path.join(self.dir, "port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.proc = h.Proc([LSD_BIN, "--config", cfg_path, "--port-file", port_file] + self.args,
                           name="lightstreamd", env=self.env)
        self.proc.start()
        h.wait_until(lambda: _read(port_file) or not self.proc.alive(), timeout,
                     what="lightstreamd port file")
        if not self.proc.alive():
            raise h.HarnessError("lightstreamd exited:\n" + self.proc.log_tail())
        self.port = int(_read(port_file))
        return self

    @property
    def base(self):
        return "http://127.0.0.1:%d" % self.port

    def url(self, path):
        return self.base + path

    def request(self, method, path, body=None, headers=None, token=None, timeout=10.0):
        """(status, headers dict with lower-case names, raw body bytes)."""
        hdrs = dict(headers or {})
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            if isinstance(data, str):
                data = data.encode()
            hdrs.setdefault("Content-Type", "application/json")
        if token:
            hdrs["Authorization"] = "Bearer " + token
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=data, headers=hdrs)
            r = c.getresponse()
            raw = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, raw
        finally:
            c.close()

    def api(self, method, path, body=None, **kw):
        """(status, headers, parsed JSON or None)."""
        st, hd, raw = self.request(method, path, body, **kw)
        try:
            js = json.loads(raw) if raw else None
        except ValueError:
            js = None
        return st, hd, js

    def log(self):
        return self.proc.log() if self.proc else ""

    def stop(self, timeout=10.0):
        """SIGTERM and wait; returns the exit status."""
        if self.proc and self.proc.alive():
            self.proc.signal(signal.SIGTERM)
            h.wait_until(lambda: not self.proc.alive(), timeout, what="lightstreamd to exit")
        return self.proc.returncode if self.proc else None

    def stop_checked(self, timeout=10.0):
        """SIGTERM; the daemon must exit 0 without a sanitizer report (ASan/UBSan builds).
        Raises AssertionError otherwise."""
        try:
            rc = self.stop(timeout)
            log = self.log()
        finally:
            if self.proc:
                self.proc.kill()
        bad = [ln for ln in log.splitlines() if "runtime error:" in ln or "Sanitizer" in ln]
        if rc != 0 or bad:
            raise AssertionError("lightstreamd exited with %s%s\n%s" % (
                rc, ", sanitizer report:" if bad else "", "\n".join(bad[:20]) or log[-3000:]))

    def kill9(self):
        if self.proc and self.proc.alive():
            self.proc.signal(signal.SIGKILL)
            h.wait_until(lambda: not self.proc.alive(), 5, what="lightstreamd to die")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc:
            self.proc.kill()
