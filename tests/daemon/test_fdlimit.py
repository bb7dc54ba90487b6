#!/usr/bin/python3
"""lightstreamd at its file-descriptor limit: the daemon's limit is lowered (prlimit(2) on the
running process, as `prlimit --pid` does) to a few descriptors above what it uses, then more
clients connect than it has descriptors for. accept() then fails with EMFILE; the daemon must
pause accepting instead of spinning on the error: its log stays small (one line per episode,
not one per failed accept), its CPU stays low, the clients it cannot take are answered 503 with
Retry-After (the reserve descriptor), and /healthz answers again once the clients close."""
import os
import resource
import socket
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
HEADROOM = 12          # descriptors the daemon has left for clients
CLIENTS = 60           # well over HEADROOM, under the listen backlog (128)
WATCH_S = 3.0


def cpu_ticks(pid):
    """utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def log_size(d):
    with open(d.proc.log_path, "rb") as f:
        data = f.read()
    return data.count(b"\n"), len(data)


def healthz_ok(port, timeout=1.0):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return c.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


class FdLimit(unittest.TestCase):
    def test_accept_pauses_at_fd_limit_and_resumes(self):
        d = lsd.Daemon().start()
        clients = []
        try:
            pid = d.proc.pid
            self.assertTrue(healthz_ok(d.port))
            top = max(int(fd) for fd in os.listdir("/proc/%d/fd" % pid))
            limit = top + 1 + HEADROOM
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (limit, limit))
            lines0, bytes0 = log_size(d)
            ticks0, t0 = cpu_ticks(pid), time.monotonic()
            # Each client sends an unfinished request head: those the daemon accepts stay
            # open (waiting for the rest), holding their descriptors.
            for _ in range(CLIENTS):
                c = socket.create_connection(("127.0.0.1", d.port), timeout=5)
                c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                clients.append(c)
            time.sleep(WATCH_S)
            ticks1, t1 = cpu_ticks(pid), time.monotonic()
            lines1, bytes1 = log_size(d)
            cpu = (ticks1 - ticks0) / CLK_TCK / (t1 - t0)
            turned_away = 0
            for c in clients:
                c.setblocking(False)
                try:
                    head = c.recv(4096)
                except BlockingIOError:
                    continue
                if head.startswith(b"HTTP/1.1 503") and b"\r\nRetry-After: " in head:
                    turned_away += 1
            for c in clients:
                c.close()
            clients = []
            t_closed = time.monotonic()
            h.wait_until(lambda: healthz_ok(d.port), 10, interval=0.1,
                         what="/healthz to answer after the clients closed")
            back = time.monotonic() - t_closed
            print("fd limit %d, %d clients: log +%d lines (+%d bytes) and CPU %.1f %% over %.1f s; "
                  "%d answered 503; /healthz back %.2f s after they closed"
                  % (limit, CLIENTS, lines1 - lines0, bytes1 - bytes0, cpu * 100, t1 - t0,
                     turned_away, back))
            self.assertLess(lines1 - lines0, 10, "the log grows with every failed accept()")
            self.assertLess(cpu, 0.25, "the daemon spins at the descriptor limit")
            self.assertGreater(turned_away, 0, "no client was told 503 + Retry-After")
            log = d.log()
            self.assertIn("out of file descriptors", log)
            h.wait_until(lambda: "accepting connections again" in d.log(), 5,
                         what="the end of the episode in the log")
            d.stop_checked()
        finally:
            for c in clients:
                c.close()
            d.proc.kill()


if __name__ == "__main__":
    unittest.main(verbosity=2)
