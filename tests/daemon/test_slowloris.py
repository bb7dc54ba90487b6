#!/usr/bin/python3
"""lightstreamd against slow and greedy clients (slowloris).

With the default limits: 200 connections that trickle one header line per second are closed
by the request-head deadline (header_timeout_s, 10 s) although they are never idle, while
/healthz keeps answering (its latency is printed); one address holding
max_connections_per_address (1024) connections gets 503 with Retry-After for the next one,
and is served again once it closes them.

With short deadlines and a small total cap (config keys): a body trickled byte by byte is cut
by body_timeout_s; an HTTP-FLV viewer, whose response lasts as long as it watches, is never
cut by either deadline; keep-alive requests work and an idle keep-alive connection is closed
by the head deadline of its next request; the connection past max_connections gets 503, and
once the others have waited over a second for a request, the oldest of them makes room for a
client from another address."""
import json
import os
import resource
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
from test_api import wait_streaming  # noqa: E402

HEADER_TIMEOUT_S = 10      # the defaults the first class relies on
PER_ADDRESS = 1024
TRICKLERS = 200


def setUpModule():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2 * PER_ADDRESS + 200:
        raise unittest.SkipTest("RLIMIT_NOFILE hard limit %d is too low for this test" % hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def connect(port):
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def get(port, path="/healthz", timeout=5.0, source="127.0.0.1"):
    """One request on a fresh connection: (status, head text, body bytes, seconds)."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), 5, (source, 0)) as c:
        c.settimeout(timeout)
        c.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                   % path).encode())
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split()[1]) if head.startswith(b"HTTP/1.") else 0
    return status, head.decode("latin-1"), body, time.monotonic() - t0


def daemon_fds(d):
    return len(os.listdir("/proc/%d/fd" % d.proc.pid))


def accepted_sockets(d):
    """How many connections the daemon holds accepted on its HTTP port: its socket descriptors
    that /proc/net/tcp* shows as connections (not the listener) on that port. Counted by
    socket, not by descriptor total, which a relay's own sockets make move."""
    inodes = set()
    fd_dir = "/proc/%d/fd" % d.proc.pid
    for fd in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    n = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(table).read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[9] in inodes and int(f[1].rsplit(":", 1)[1], 16) == d.port and f[3] != "0A":
                n += 1
    return n


def closed_by_peer(c):
    """True once the daemon has closed c (EOF or reset); never blocks."""
    c.setblocking(False)
    try:
        return c.recv(4096) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def assert_503(test, status, head, body):
    test.assertEqual(status, 503, head)
    test.assertRegex(head, r"\r\nRetry-After: \d+")
    test.assertEqual(json.loads(body)["error"]["code"], "too_many_connections")


class Defaults(unittest.TestCase):
    """One daemon with the default limits."""

    @classmethod
    def setUpClass(cls):
        cls.d = lsd.Daemon().start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop_checked()

    def hold(self, n):
        """n idle connections, once the daemon has accepted them all."""
        base = daemon_fds(self.d)
        conns = [connect(self.d.port) for _ in range(n)]
        h.wait_until(lambda: daemon_fds(self.d) >= base + n, 10, what="the daemon to accept")
        return conns

    def test_per_address_cap_answers_503(self):
        base = daemon_fds(self.d)
        conns = self.hold(PER_ADDRESS)
        try:
            assert_503(self, *get(self.d.port)[:3])
        finally:
            for c in conns:
                c.close()
        # Once the daemon has seen them go, they no longer count: no waiting for a sweep.
        h.wait_until(lambda: daemon_fds(self.d) <= base, 10, what="the daemon to close them")
        status, head, _, _ = get(self.d.port)
        self.assertEqual(status, 200, head)
        self.assertIn("too many connections from 127.0.0.1", self.d.log())

    def test_trickling_heads_are_cut_by_the_deadline(self):
        conns, closed_at = {}, {}
        t0 = time.monotonic()
        for i in range(TRICKLERS):
            c = connect(self.d.port)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            conns[i] = c
        latencies, sent_at = [], t0
        while len(closed_at) < TRICKLERS and time.monotonic() - t0 < HEADER_TIMEOUT_S + 5:
            now = time.monotonic()
            if now - sent_at >= 1.0:   # one header line per second on each open connection
                sent_at = now
                for i, c in conns.items():
                    if i not in closed_at:
                        try:
                            c.send(b"X-Slow-%d: %d\r\n" % (i, int(now)))
                        except OSError:
                            closed_at[i] = now - t0
            for i, c in conns.items():
                if i not in closed_at and closed_by_peer(c):
                    closed_at[i] = time.monotonic() - t0
            status, head, _, took = get(self.d.port)
            self.assertEqual(status, 200, head)
            latencies.append(took * 1000)
            time.sleep(0.25)
        for c in conns.values():
            c.close()
        times = sorted(closed_at.values())
        print("%d trickling connections: %d closed (first %.1f s, last %.1f s); /healthz during "
              "the attack: median %.1f ms, max %.1f ms over %d requests"
              % (TRICKLERS, len(times), times[0] if times else -1, times[-1] if times else -1,
                 statistics.median(latencies), max(latencies), len(latencies)))
        self.assertEqual(len(times), TRICKLERS, "connections trickling a head stay open")
        self.assertGreaterEqual(times[0], HEADER_TIMEOUT_S - 1, "cut before the deadline")


class ShortDeadlines(unittest.TestCase):
    """Deadlines of 2 s and a total cap of 24, a camera relay for the viewer."""
    CONFIG = {"header_timeout_s": 2, "body_timeout_s": 2, "max_connections": 24}

    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()
        cls.d = lsd.Daemon(config=cls.CONFIG).start()
        st, _, js = cls.d.api("POST", "/api/v1/relays", {"id": "cam", "source": cls.cam.url()})
        assert st == 201, (st, js)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.stop_checked()
        finally:
            cls.cam.stop()

    def test_body_deadline(self):
        c = connect(self.d.port)
        c.sendall(b"POST /api/v1/relays HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
        t0 = time.monotonic()
        cut = None
        while time.monotonic() - t0 < 6:
            try:
                c.send(b" ")
            except OSError:
                cut = time.monotonic() - t0
                break
            if closed_by_peer(c):
                cut = time.monotonic() - t0
                break
            time.sleep(0.2)
        c.close()
        self.assertIsNotNone(cut, "a trickled body is never cut")
        self.assertGreater(cut, 1.5)

    def test_viewer_is_not_cut_by_the_deadlines(self):
        wait_streaming(self.d, "cam")
        c = connect(self.d.port)
        c.sendall(b"GET /live/cam.flv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        c.settimeout(2)
        t0, late = time.monotonic(), 0
        while time.monotonic() - t0 < 6:   # three times each deadline
            chunk = c.recv(65536)
            self.assertTrue(chunk, "the viewer was disconnected after %.1f s"
                            % (time.monotonic() - t0))
            if time.monotonic() - t0 > 4.5:
                late += len(chunk)
        c.close()
        self.assertGreater(late, 10000, "no stream after the deadlines")

    def test_keepalive(self):
        c = connect(self.d.port)
        f = c.makefile("rb")
        for _ in range(3):
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            status = f.readline()
            self.assertTrue(status.startswith(b"HTTP/1.1 200"), status)
            length = 0
            while True:
                line = f.readline()
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line in (b"\r\n", b""):
                    break
            f.read(length)
            time.sleep(0.5)
        # No next request: the head deadline closes the idle connection.
        c.settimeout(5)
        t0 = time.monotonic()
        self.assertEqual(c.recv(1), b"")
        self.assertLess(time.monotonic() - t0, 4)
        f.close()
        c.close()

    def test_total_cap_answers_503_then_makes_room(self):
        conns = []
        try:
            t0 = time.monotonic()
            for _ in range(self.CONFIG["max_connections"]):
                conns.append(connect(self.d.port))
            # Accepted: open in the daemon, or already closed by it (a slow ASan run can pass
            # the head deadline while the last ones are still being accepted).
            h.wait_until(lambda: accepted_sockets(self.d) + sum(closed_by_peer(c) for c in conns)
                         >= len(conns), 10, what="the daemon to accept")
            assert_503(self, *get(self.d.port)[:3])
            # Past a second without a request, the one waiting longest makes room (before the
            # 2 s head deadline would close them all) for a client from an address that holds
            # fewer connections: slow heads cannot lock others out.
            time.sleep(max(0, t0 + 1.2 - time.monotonic()))
            assert_503(self, *get(self.d.port)[:3])  # 127.0.0.1 holds them: no room for it
            status, head, _, _ = get(self.d.port, source="127.0.0.2")
            self.assertEqual(status, 200, head)
            closed = sum(1 for c in conns if closed_by_peer(c))
            self.assertGreaterEqual(closed, 1)
            self.assertLess(closed, len(conns) / 2)
        finally:
            for c in conns:
                c.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
