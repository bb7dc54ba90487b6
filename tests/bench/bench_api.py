#!/usr/bin/python3
"""API benchmark: requests per second of lightstreamd's HTTP API, measured with wrk.

    tests/bench/bench_api.py [--seconds 10] [--threads 2] [--connections 32] [--relays 10]
                             [--build build-bench] [--no-build] [--out FILE.json]

Not a test (nothing here is registered with meson test). Builds daemon/lightstreamd in the
build directory (release), re-executes itself inside a loopback-only network namespace
(unshare -n), starts the test camera (tests/harness/camera.py) and lightstreamd on 127.0.0.1
with --relays relays streaming from the camera, then runs wrk (Debian's `wrk`) against:

  list     GET /api/v1/relays (every relay with its live stats; --relays of them)
  get      GET /api/v1/relays/<id> (one relay)
  healthz  GET /healthz
  metrics  GET /metrics (Prometheus text of every relay)
  cycle    POST /api/v1/relays + DELETE /api/v1/relays/<id>, alternating (a Lua script), one
           connection per wrk thread so that each DELETE follows its POST; the relays are
           on-demand, so this measures the API, validation and the state file (written and
           fsync'ed on every change), not a camera connection.

Prints a table (requests/s, latency p50/p99, non-2xx answers) and the daemon's CPU time per
request; --out writes the figures as JSON. Record results in docs/performance-api.md.
"""
import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(TOP, "tests", "daemon"))
ENV_FLAG = "LS_BENCH_API_IN_NETNS"
CLK_TCK = os.sysconf("SC_CLK_TCK")

CYCLE_LUA = r"""
-- POST a relay, then DELETE it once the POST has answered 201; ids unique per thread.
-- One connection per thread, so answers come in order. (wrk also calls request() once
-- before it starts, to see whether requests change: that call's POST is never sent.)
local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)   -- a global of that thread's Lua state
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  source = args[1]
  bad = 0
  seen = ""
  n = 0
  last = nil
  pending = nil
end

function request()
  if pending then
    local id = pending
    pending = nil
    return wrk.format("DELETE", "/api/v1/relays/" .. id)
  end
  n = n + 1
  last = string.format("b%d-%d", tid, n)
  local body = string.format('{"id":"%s","source":"%s","on_demand":true}', last, source)
  return wrk.format("POST", "/api/v1/relays", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status == 201 then
    pending = last
  elseif status ~= 204 then
    bad = bad + 1
    if #seen < 200 then seen = seen .. " " .. status .. ":" .. string.sub(body or "", 1, 80) end
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do
    total = total + t:get("bad")
    if t:get("seen") ~= "" then io.write("SEEN" .. t:get("seen") .. "\n") end
  end
  io.write(string.format("UNEXPECTED %d\n", total))
end
"""

STATUS_LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("bad") end
  io.write(string.format("UNEXPECTED %d\n", total))
end
"""


def log(msg):
    sys.stderr.write("bench_api: %s\n" % msg)
    sys.stderr.flush()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_mib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def to_ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return None
    v = float(m.group(1))
    return {"us": v / 1000.0, "ms": v, "s": v * 1000.0}[m.group(2)]


def parse_wrk(out):
    res = {}
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else None
    m = re.search(r"(\d+) requests in ([\d.]+)(\w+)", out)
    res["requests"] = int(m.group(1)) if m else None
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+(\S+)" % pct, out, re.M)
        res["p" + pct + "_ms"] = to_ms(m.group(1)) if m else None
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"UNEXPECTED (\d+)", out)
    res["unexpected"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1).strip() if m else ""
    return res


def run_wrk(url, seconds, threads, connections, script=None, script_args=()):
    argv = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", "%ds" % seconds]
    if script:
        argv += ["-s", script]
    argv.append(url)
    if script_args:
        argv += ["--"] + list(script_args)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if r.returncode != 0:
        raise RuntimeError("wrk failed (%s): %s" % (r.returncode, r.stderr))
    return r.stdout


def bench(a):
    import lsd
    from lsd import h
    media = h.media(os.environ.get("LS_MEDIA_DIR") or os.path.join(TOP, "build", "media"))
    work = tempfile.mkdtemp(prefix="bench-api-")
    lua_cycle = os.path.join(work, "cycle.lua")
    lua_status = os.path.join(work, "status.lua")
    open(lua_cycle, "w").write(CYCLE_LUA)
    open(lua_status, "w").write(STATUS_LUA)
    results = []
    with h.Camera(media) as cam:
        d = lsd.Daemon(config={"log_level": "warn", "max_relays": 100000}).start()
        try:
            for i in range(a.relays):
                st, _, js = d.api("POST", "/api/v1/relays", {"id": "cam%d" % i, "source": cam.url("/h264_aac")})
                if st != 201:
                    raise RuntimeError("create cam%d: %s %s" % (i, st, js))
            h.wait_until(lambda: all(r["state"] == "streaming" for r in d.api("GET", "/api/v1/relays")[2]["relays"]),
                         60, 0.5, "%d relays streaming" % a.relays)
            time.sleep(2)
            cases = [("list", "GET /api/v1/relays (%d relays)" % a.relays, "/api/v1/relays", lua_status, (),
                      a.threads, a.connections),
                     ("get", "GET /api/v1/relays/cam0", "/api/v1/relays/cam0", lua_status, (),
                      a.threads, a.connections),
                     ("healthz", "GET /healthz", "/healthz", lua_status, (), a.threads, a.connections),
                     ("metrics", "GET /metrics (%d relays)" % a.relays, "/metrics", lua_status, (),
                      a.threads, a.connections),
                     ("cycle", "POST + DELETE /api/v1/relays (on-demand relay)", "/", lua_cycle,
                      (cam.url("/h264"),), a.threads, a.threads)]
            for key, title, path, script, sargs, t, c in cases:
                if a.only and key not in a.only.split(","):
                    continue
                log("%s: wrk -t%d -c%d -d%ds" % (title, t, c, a.seconds))
                cpu0, t0 = cpu_seconds(d.proc.pid), time.monotonic()
                out = run_wrk(d.url(path), a.seconds, t, c, script, sargs)
                cpu1, t1 = cpu_seconds(d.proc.pid), time.monotonic()
                res = parse_wrk(out)
                res.update(key=key, title=title, threads=t, connections=c,
                           daemon_cpu_pct=100.0 * (cpu1 - cpu0) / (t1 - t0),
                           cpu_us_per_req=(1e6 * (cpu1 - cpu0) / res["requests"]) if res["requests"] else None,
                           rss_mib=rss_mib(d.proc.pid))
                results.append(res)
                for line in re.findall(r"^SEEN.*$", out, re.M):
                    log("%s: unexpected answers:%s" % (key, line[4:]))
                if a.verbose:
                    sys.stderr.write(out)
            left = [r["id"] for r in d.api("GET", "/api/v1/relays")[2]["relays"] if not r["id"].startswith("cam")]
            if len(left) > a.threads:  # each wrk thread may end between a POST and its DELETE
                log("warning: %d cycle relays left over (a DELETE failed)" % len(left))
        finally:
            d.stop(20)
            d.proc.kill()
    shutil.rmtree(work, True)
    return results


def table(results, a):
    lines = ["| request | wrk -t/-c | requests/s | p50 ms | p99 ms | unexpected | daemon CPU % | CPU µs/req |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        def f(v, fmt):
            return fmt % v if v is not None else "-"
        lines.append("| %s | %d/%d | %s | %s | %s | %d | %s | %s |" % (
            r["title"], r["threads"], r["connections"], f(r["rps"], "%.0f"), f(r["p50_ms"], "%.2f"),
            f(r["p99_ms"], "%.2f"), r["unexpected"] + (r["non2xx"] if r["key"] != "cycle" else 0),
            f(r["daemon_cpu_pct"], "%.0f"), f(r["cpu_us_per_req"], "%.0f")))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--relays", type=int, default=10)
    ap.add_argument("--only", default="", help="comma-separated: list,get,healthz,metrics,cycle")
    ap.add_argument("--build", default=os.path.join(TOP, "build-bench"))
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--out", default="")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    if os.environ.get(ENV_FLAG) != "1":
        if not shutil.which("wrk"):
            sys.exit("bench_api: wrk is missing (apt-get install wrk)")
        if not a.no_build:
            if not os.path.exists(os.path.join(a.build, "build.ninja")):
                subprocess.run(["meson", "setup", a.build, "-Dbuildtype=release"], cwd=TOP, check=True,
                               stdout=sys.stderr)
            subprocess.run(["ninja", "-C", a.build, "daemon/lightstreamd"], cwd=TOP, check=True,
                           stdout=sys.stderr)
        media = os.environ.get("LS_MEDIA_DIR") or os.path.join(TOP, "build", "media")
        subprocess.run(["bash", os.path.join(TOP, "tests", "harness", "media.sh"), media], check=True,
                       stdout=sys.stderr)
        env = dict(os.environ, LS_MEDIA_DIR=media, LSD_BIN=os.path.join(a.build, "daemon", "lightstreamd"))
        env[ENV_FLAG] = "1"
        argv = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"', sys.executable,
                os.path.abspath(__file__)] + sys.argv[1:]
        sys.exit(subprocess.run(argv, env=env).returncode)
    results = bench(a)
    head = "lightstreamd API, wrk %ds per row, %d relays streaming; %s, %d CPUs, %s" % (
        a.seconds, a.relays, platform.node(), os.cpu_count(), time.strftime("%Y-%m-%d"))
    print(head)
    print(table(results, a))
    if a.out:
        with open(a.out, "w") as f:
            json.dump({"head": head, "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
