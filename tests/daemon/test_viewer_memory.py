#!/usr/bin/python3
"""What stuck HTTP-FLV viewers cost lightstreamd in memory (issue 9, item 5).

200 HTTP/1.1 viewers of one relay (the camera's /h264_720p, ~2.1 Mbit/s) send their request,
then never read (SO_RCVBUF 4 KiB): the daemon's RSS (VmRSS of /proc/<pid>/status) may grow by at
most 30 MiB while they are stuck, the slow-viewer policy still skips and then drops every one of
them, a viewer that reads keeps the camera's frame rate meanwhile, and once they are dropped RSS
is back within 10 % of what it was before they came.

The daemon runs with the documented defaults for the slow-viewer policy (viewer_buffer_bytes
2 MiB, viewer_stall_ms 10 s), written out so the scenario does not change with them, and without
the MALLOC_PERTURB_ that meson sets (it makes malloc and free write every block they touch: RSS
would not be what a user sees). Under ASan
the RSS figures mean nothing (shadow memory, the quarantine of freed blocks): there the test
checks the behaviour only, and prints the figures."""
import os
import selectors
import socket
import statistics
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402
import common  # noqa: E402
from test_httpflv import FlvClient, metric  # noqa: E402

MOUNT = "/h264_720p"
STUCK = 200
GROWTH_MAX_MIB = 30.0
RETURN_TOLERANCE = 0.10
CONFIG = {"viewer_buffer_bytes": 2 << 20, "viewer_stall_ms": 10000, "log_level": "info"}
CAM = None


def setUpModule():
    global CAM
    CAM = h.Camera(common.media_dir()).start()


def tearDownModule():
    if CAM:
        CAM.stop()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def sanitized(pid):
    with open("/proc/%d/maps" % pid) as f:
        return any("libasan" in line or "libubsan" in line for line in f)


def stuck_viewer(port, path):
    """A viewer that asks for the stream and never reads a byte of it."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % (path, port)).encode())
    return s


class Reader:
    """Reads some FlvClients while doing something else every `every` seconds."""

    def __init__(self, clients):
        self.sel = selectors.DefaultSelector()
        for c in clients:
            c.sock.setblocking(False)
            self.sel.register(c.sock, selectors.EVENT_READ, c)

    def run(self, seconds, every=0.25, each=None, until=None):
        end = time.monotonic() + seconds
        next_at = 0.0
        while time.monotonic() < end:
            if time.monotonic() >= next_at:
                next_at = time.monotonic() + every
                if each:
                    each()
                if until and until():
                    return True
            for key, _ in self.sel.select(0.05):
                if key.data.read_some() < 0:
                    self.sel.unregister(key.fileobj)
        return bool(until and until())

    def close(self):
        self.sel.close()


class StuckViewers(unittest.TestCase):
    def test_200_stuck_viewers_memory_bound(self):
        env = {k: v for k, v in os.environ.items() if k != "MALLOC_PERTURB_"}
        d = lsd.Daemon(config=CONFIG, env=env).start()
        stuck, watcher, warm = [], None, []
        try:
            st, _, js = d.api("POST", "/api/v1/relays", {"id": "mem", "source": CAM.url(MOUNT)})
            self.assertEqual(st, 201, js)
            h.wait_until(lambda: d.api("GET", "/api/v1/relays/mem")[2].get("state") == "streaming",
                         20, what="relay streaming")
            pid = d.proc.pid
            path = "/live/mem.flv"
            # Warm up: the first viewers' one-time allocations belong to the baseline.
            warm = [FlvClient(d.port, path) for _ in range(3)]
            r = Reader(warm)
            r.run(3.0)
            r.close()
            for c in warm:
                c.close()
            h.wait_until(lambda: metric(d, "lightstreamd_relay_viewers", "mem") == 0, 5,
                         what="warm-up viewers gone")
            time.sleep(1.0)
            base = []
            for _ in range(5):
                base.append(rss_kib(pid))
                time.sleep(0.2)
            baseline = statistics.median(base)

            watcher = FlvClient(d.port, path)
            reader = Reader([watcher])
            reader.run(1.0)
            t_stuck = time.monotonic()
            stuck = [stuck_viewer(d.port, path) for _ in range(STUCK)]
            samples = []
            viewers = []

            def sample():
                samples.append(rss_kib(pid))
                viewers.append(metric(d, "lightstreamd_relay_viewers", "mem"))

            dropped = reader.run(45.0, each=sample, until=lambda: viewers and viewers[-1] == 1)
            t_dropped = time.monotonic()
            peak = max(samples)
            most = max(v for v in viewers if v is not None)
            frames = [t for t in watcher.media() if t.video and t.at >= t_stuck]
            for s in stuck:
                s.close()
            stuck = []
            after = []
            reader.run(5.0, every=0.5, each=lambda: after.append(rss_kib(pid)),
                       until=lambda: after and after[-1] <= baseline * (1 + RETURN_TOLERANCE))
            skips = metric(d, "lightstreamd_relay_viewer_skips_total", "mem")
            drops = metric(d, "lightstreamd_relay_viewer_drops_total", "mem")
            asan = sanitized(pid)
            growth = (peak - baseline) / 1024.0
            sys.stderr.write(
                "\n%d stuck viewers: RSS %.1f MiB before, %.1f MiB peak (+%.1f MiB, %.0f KiB per "
                "viewer), %.1f MiB %.0f s after the last drop (%+.1f %%); skips %s, drops %s, "
                "dropped %.1f s after connecting%s\n" % (
                    STUCK, baseline / 1024.0, peak / 1024.0, growth, growth * 1024 / STUCK,
                    after[-1] / 1024.0, len(after) * 0.5, 100.0 * (after[-1] - baseline) / baseline,
                    skips, drops, t_dropped - t_stuck, " (ASan: RSS not checked)" if asan else ""))

            self.assertEqual(most, STUCK + 1, "every stuck viewer was connected at once")
            self.assertTrue(dropped, "the stuck viewers were dropped (viewers: %s)" % viewers[-5:])
            self.assertGreaterEqual(drops, STUCK)
            self.assertGreaterEqual(skips, STUCK)
            self.assertFalse(watcher.closed, "the viewer that reads was disconnected")
            window = t_dropped - t_stuck
            self.assertGreaterEqual(len(frames), 0.9 * h.FPS * window,
                                    "the reading viewer got %d frames in %.0f s" % (len(frames), window))
            if not asan:
                self.assertLessEqual(growth, GROWTH_MAX_MIB,
                                     "%d stuck viewers took RSS from %.1f to %.1f MiB" % (
                                         STUCK, baseline / 1024.0, peak / 1024.0))
                self.assertLessEqual(after[-1], baseline * (1 + RETURN_TOLERANCE),
                                     "RSS %.1f MiB after the drops, %.1f MiB before" % (
                                         after[-1] / 1024.0, baseline / 1024.0))
            reader.close()
            watcher.close()
            self.assertEqual(d.stop(timeout=20), 0, d.log()[-3000:])
        finally:
            for s in stuck:
                s.close()
            if watcher:
                watcher.close()
            d.kill9()


if __name__ == "__main__":
    unittest.main(verbosity=2)
