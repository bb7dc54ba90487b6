#!/usr/bin/python3
"""Slowloris benchmark: how lightstreamd fares while many clients trickle request heads.

    tests/bench/bench_slowloris.py [--bin build/t/daemon/lightstreamd] [--connections 5000]
                                   [--interval 20] [--seconds 60] [--addresses 5]

Not a test (nothing here is registered with meson test). Re-executes itself inside a
loopback-only network namespace (unshare -n), starts lightstreamd on 127.0.0.1 with its default
limits, and opens --connections connections spread over --addresses loopback source addresses
(127.0.0.2, 127.0.0.3, ...; one address would only measure the per-address cap). Each sends an
unfinished request head, then one more header line every --interval seconds; a connection the
daemon closes is opened again at once, as an attacker would. Meanwhile /healthz is timed every
0.2 s from 127.0.0.1.

Prints the attack connections still open at the end, how many the daemon closed, the /healthz
latency (p50, p99, max) with the answers' status, and the daemon's CPU time and RSS.
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "daemon"))
ENV_FLAG = "LS_BENCH_SLOWLORIS_IN_NETNS"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_stat(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    rss_pages = int(fields[21])
    return (int(fields[11]) + int(fields[12])) / CLK_TCK, rss_pages * os.sysconf("SC_PAGE_SIZE")


HEAD = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def attacker(port, source):
    """A connection that has sent an unfinished request head."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((source, 0))
    s.settimeout(10)
    try:
        s.connect(("127.0.0.1", port))
        s.sendall(HEAD)
    except OSError:
        pass  # refused or reset: seen as closed at the next round
    s.setblocking(False)
    return s


def send_line(s, line):
    """False once the daemon has closed s."""
    try:
        if s.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) == b"":
            return False
    except BlockingIOError:
        pass
    except OSError:
        return False
    try:
        s.send(line)
        return True
    except BlockingIOError:
        return True
    except OSError:
        return False


# The prober runs in its own process: in this one the attack's loop would hold the GIL.
PROBE = r"""
import json, socket, sys, time
port, until = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
out = []
while time.monotonic() < until:
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
        out.append(((time.monotonic() - t0) * 1000, data[9:12].decode() or "eof"))
    except OSError as e:
        out.append(((time.monotonic() - t0) * 1000, type(e).__name__))
    time.sleep(0.2)
print(json.dumps(out))
"""


def run(args):
    import lsd
    lsd.LSD_BIN = args.bin
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    d = lsd.Daemon(config={"log_level": "info"}).start()
    pid = d.proc.pid
    sources = ["127.0.0.%d" % (2 + i) for i in range(args.addresses)]
    cpu0, _ = proc_stat(pid)
    t0 = time.monotonic()
    conns = [attacker(d.port, sources[i % len(sources)]) for i in range(args.connections)]
    probe = subprocess.Popen([sys.executable, "-c", PROBE, str(d.port),
                              str(args.seconds - (time.monotonic() - t0))],
                             stdout=subprocess.PIPE, text=True)
    closed, next_round, n = 0, t0 + args.interval, 0
    while time.monotonic() - t0 < args.seconds:
        now = time.monotonic()
        line_due = now >= next_round
        for i, s in enumerate(conns):
            # Every round a line on each; in between, closed ones are noticed and reopened.
            alive = send_line(s, b"X-Slow-%d: %d\r\n" % (n, int(now))) if line_due else \
                send_line(s, b"")
            if not alive:
                s.close()
                closed += 1
                conns[i] = attacker(d.port, sources[i % len(sources)])
        if line_due:
            n += 1
            next_round = now + args.interval
        time.sleep(0.5)
    open_now = sum(1 for s in conns if send_line(s, b"X-End: 1\r\n"))
    answers = json.loads(probe.communicate()[0])
    cpu1, rss = proc_stat(pid)
    for s in conns:
        s.close()
    d.stop()
    lat = sorted(ms for ms, _ in answers)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    outcomes = {}
    for _, what in answers:
        outcomes[what] = outcomes.get(what, 0) + 1
    print("%d attack connections (%d addresses), a header line every %g s, for %g s:"
          % (args.connections, args.addresses, args.interval, args.seconds))
    print("  still open at the end: %d; closed by the daemon (and reopened): %d"
          % (open_now, closed))
    print("  /healthz: p50 %.1f ms, p99 %.1f ms, max %.1f ms over %d requests (%s)"
          % (statistics.median(lat), p(0.99), lat[-1], len(lat),
             ", ".join("%s: %d" % kv for kv in sorted(outcomes.items()))))
    print("  daemon: CPU %.1f s (%.1f %%), RSS %.1f MB" % (cpu1 - cpu0, 100 * (cpu1 - cpu0) /
                                                          args.seconds, rss / 1e6))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default=os.path.join(TOP, "build", "t", "daemon", "lightstreamd"))
    ap.add_argument("--connections", type=int, default=5000)
    ap.add_argument("--interval", type=float, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--addresses", type=int, default=5)
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    if os.environ.get(ENV_FLAG) != "1":
        env = dict(os.environ, **{ENV_FLAG: "1"})
        sys.exit(subprocess.call(["unshare", "-n", "sh", "-c",
                                  'ip link set lo up && exec "$0" "$@"', sys.executable,
                                  os.path.abspath(__file__)] + sys.argv[1:], env=env))
    run(args)


if __name__ == "__main__":
    main()
