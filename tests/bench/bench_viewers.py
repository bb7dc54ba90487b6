#!/usr/bin/python3
"""HTTP-FLV viewer benchmark: CPU and memory of lightstreamd per viewer of one relay.

    tests/bench/bench_viewers.py [--lsd PATH] [--n 1,100,500,1000] [--seconds 20]
                                 [--warmup 5] [--mount /h264_720p] [--out FILE.json]

Not a test (nothing asserts a speed). Run as root on Debian 12 after building the daemon
(default: build-bench/daemon/lightstreamd, else build/hub/daemon/lightstreamd). It re-executes
itself inside a loopback-only network namespace (unshare -n), starts the test camera
(tests/harness/camera.py, /h264_720p: 1280x720 25 fps ~2.2 Mbit/s H.264 + AAC) and
lightstreamd with one relay of it, then for each N connects N viewers at once to
/live/<id>.flv with a small C reader (compiled from this file: one epoll loop that reads and
counts bytes, so the client stays cheap next to the daemon) and measures, over --seconds after
--warmup:

  - the daemon's CPU time (utime+stime of /proc/<pid>/stat) / wall, minus the same with no
    viewer (the relay alone), divided by N: the CPU one viewer costs;
  - its RSS (VmRSS) at the end of the window, minus the RSS with no viewer, divided by N;
  - what each viewer received (kbit/s: min and median, against the relay's input bitrate) and
    how many were disconnected; the daemon's skip/drop counters when /metrics has them.

Prints a Markdown table (and writes every figure as JSON with --out).
"""
import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "harness"))
import lsharness as h  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
ENV_FLAG = "LSD_BENCH_IN_NETNS"
RELAY = "bench"

READER_C = r"""
/* N HTTP-FLV viewers in one epoll loop: read everything, count bytes per viewer. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: reader PORT PATH N SECONDS WARMUP\n");
        return 2;
    }
    int port = atoi(argv[1]), n = atoi(argv[3]);
    double secs = atof(argv[4]), warm = atof(argv[5]);
    long long *bytes = calloc(n, sizeof(*bytes)), *mark = calloc(n, sizeof(*mark));
    char *closed = calloc(n, 1);
    static char buf[1 << 18];
    char req[512];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", argv[2]);
    int ep = epoll_create1(0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    for (int i = 0; i < n; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            send(s, req, strlen(req), 0) < 0) {
            perror("connect");
            return 1;
        }
        fcntl(s, F_SETFL, O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.u64 = ((unsigned long long)i << 32) | (unsigned)s};
        epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev);
    }
    double start = now(), t_mark = start + warm, end = t_mark + secs;
    int marked = 0, nclosed = 0;
    struct epoll_event evs[256];
    while (now() < end) {
        if (!marked && now() >= t_mark) {
            memcpy(mark, bytes, n * sizeof(*mark));
            marked = 1;
            printf("MARK\n");
            fflush(stdout);
        }
        int k = epoll_wait(ep, evs, 256, 50);
        for (int j = 0; j < k; j++) {
            int i = (int)(evs[j].data.u64 >> 32), s = (int)(evs[j].data.u64 & 0xffffffffu);
            for (;;) {
                ssize_t r = recv(s, buf, sizeof(buf), 0);
                if (r > 0) {
                    bytes[i] += r;
                    continue;
                }
                if (r < 0 && (errno == EAGAIN || errno == EINTR))
                    break;
                closed[i] = 1;
                nclosed++;
                epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
                close(s);
                break;
            }
        }
    }
    printf("{\"n\": %d, \"seconds\": %g, \"closed\": %d, \"bytes\": [", n, secs, nclosed);
    for (int i = 0; i < n; i++)
        printf("%s%lld", i ? ", " : "", bytes[i] - mark[i]);
    printf("]}\n");
    return 0;
}
"""


def log(msg):
    sys.stderr.write("bench: %s\n" % msg)
    sys.stderr.flush()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        m = re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M)
    return int(m.group(1)) if m else 0


def http(port, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()


def metric(port, name):
    _, raw = http(port, "GET", "/metrics")
    m = re.search(r'^%s\{relay="%s"\} (\S+)$' % (re.escape(name), RELAY), raw.decode(), re.M)
    return float(m.group(1)) if m else None


def measure_idle(pid, seconds):
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    return (cpu_seconds(pid) - c0) / (time.monotonic() - t0), rss_kib(pid)


def run_n(reader, port, pid, n, seconds, warmup):
    p = subprocess.Popen([reader, str(port), "/live/%s.flv" % RELAY, str(n), str(seconds),
                          str(warmup)], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()  # MARK: the window starts
    if line.strip() != "MARK":
        raise RuntimeError("reader failed: %r" % line)
    c0, t0 = cpu_seconds(pid), time.monotonic()
    rc0 = cpu_seconds(p.pid)
    viewers = metric(port, "lightstreamd_relay_viewers")
    time.sleep(seconds - 0.3)
    c1, t1, rss = cpu_seconds(pid), time.monotonic(), rss_kib(pid)
    rc1 = cpu_seconds(p.pid)
    out, _ = p.communicate(timeout=seconds + 30)
    res = json.loads(out.strip().splitlines()[-1])
    kbps = sorted(b * 8 / 1000 / res["seconds"] for b in res["bytes"])
    return {"n": n, "cpu": (c1 - c0) / (t1 - t0), "rss_kib": rss, "viewers_seen": viewers,
            "reader_cpu": (rc1 - rc0) / (t1 - t0), "closed": res["closed"],
            "kbps_min": kbps[0], "kbps_median": statistics.median(kbps),
            "skips": metric(port, "lightstreamd_relay_viewer_skips_total"),
            "drops": metric(port, "lightstreamd_relay_viewer_drops_total")}


def table(rows, idle_cpu, idle_rss, in_kbps):
    lines = ["| viewers | daemon CPU (%% of a core) | CPU per viewer (%% of a core) | RSS (MiB) | "
             "RSS per viewer (KiB) | kbit/s per viewer min / median (input %d) | disconnected | "
             "reader CPU |" % in_kbps,
             "|---|---|---|---|---|---|---|---|",
             "| 0 (relay only) | %.1f | | %.1f | | | | |" % (idle_cpu * 100, idle_rss / 1024)]
    for r in rows:
        lines.append("| %d | %.1f | %.3f | %.1f | %.0f | %.0f / %.0f | %d | %.1f |" % (
            r["n"], r["cpu"] * 100, (r["cpu"] - idle_cpu) * 100 / r["n"], r["rss_kib"] / 1024,
            (r["rss_kib"] - idle_rss) / r["n"], r["kbps_min"], r["kbps_median"], r["closed"],
            r["reader_cpu"] * 100))
    return "\n".join(lines)


def default_lsd():
    for d in ("build-bench", "build/hub", "build"):
        p = os.path.join(TOP, d, "daemon", "lightstreamd")
        if os.path.exists(p):
            return p
    return "lightstreamd"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lsd", default=os.environ.get("LSD_BIN") or default_lsd())
    ap.add_argument("--n", default="1,100,500,1000")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--mount", default="/h264_720p")
    ap.add_argument("--out")
    args = ap.parse_args()
    if os.environ.get(ENV_FLAG) != "1":
        env = dict(os.environ, **{ENV_FLAG: "1"})
        os.execvpe("unshare", ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"',
                               sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sizes = [int(x) for x in args.n.split(",")]
    if max(sizes) * 2 + 100 > hard:
        sys.exit("RLIMIT_NOFILE hard limit %d is too low for %d viewers" % (hard, max(sizes)))

    work = tempfile.mkdtemp(prefix="bench-viewers-")
    reader = os.path.join(work, "reader")
    with open(reader + ".c", "w") as f:
        f.write(READER_C)
    subprocess.check_call(["cc", "-O2", "-o", reader, reader + ".c"])

    sys.path.insert(0, os.path.join(TOP, "tests", "daemon"))
    os.environ["LSD_BIN"] = args.lsd
    import lsd  # noqa: E402
    cam = h.Camera(h.media(os.environ.get("LS_MEDIA_DIR"))).start()
    d = lsd.Daemon(config={"log_level": "info"}).start()
    try:
        st, _ = http(d.port, "POST", "/api/v1/relays", {"id": RELAY, "source": cam.url(args.mount)})
        assert st == 201, st
        h.wait_until(lambda: json.loads(http(d.port, "GET", "/api/v1/relays/" + RELAY)[1])
                     .get("state") == "streaming", 30, what="relay streaming")
        time.sleep(3)
        pid = d.proc.pid
        idle_cpu, idle_rss = measure_idle(pid, min(args.seconds, 10))
        info = json.loads(http(d.port, "GET", "/api/v1/relays/" + RELAY)[1])
        in_kbps = info.get("stats", {}).get("bitrate_kbps", 0)
        log("relay alone: %.1f %% CPU, RSS %.1f MiB, input %d kbit/s" % (
            idle_cpu * 100, idle_rss / 1024, in_kbps))
        rows = []
        for n in sizes:
            log("%d viewers..." % n)
            r = run_n(reader, d.port, pid, n, args.seconds, args.warmup)
            rows.append(r)
            log("  %.1f %% CPU, RSS %.1f MiB, min %.0f kbit/s, %d disconnected" % (
                r["cpu"] * 100, r["rss_kib"] / 1024, r["kbps_min"], r["closed"]))
            h.wait_until(lambda: metric(d.port, "lightstreamd_relay_viewers") == 0, 30,
                         what="viewers gone")
        print(table(rows, idle_cpu, idle_rss, in_kbps))
        print("\nmachine: %s, %d CPUs; stream %s; window %g s after %g s warm-up" % (
            os.uname().machine, os.cpu_count(), args.mount, args.seconds, args.warmup))
        if args.out:
            with open(args.out, "w") as f:
                json.dump({"idle_cpu": idle_cpu, "idle_rss_kib": idle_rss, "input_kbps": in_kbps,
                           "rows": rows, "mount": args.mount}, f, indent=1)
    finally:
        d.stop(timeout=20)
        cam.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
