#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests flvcheck (the FLV oracle) and, through flvwrite, lib/flv.c.

usage: test_flvcheck.py <flvcheck> <flvwrite>

Streams made by Debian's ffmpeg must pass with the expected counts; damaged
copies must fail without crashing; inputs from stdin and http:// must work
and stop at --max-bytes / --max-seconds. flvwrite (lib/flv.c) output in
every flavour must pass flvcheck, and its deliberately broken streams must
not. Exit 77 (skip) when ffmpeg is missing.
"""
import http.server
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

FLVCHECK, FLVWRITE = sys.argv[1], sys.argv[2]
failures = []
# FFmpeg's http client honours these; the test server is on loopback.
for var in ("http_proxy", "HTTP_PROXY"):
    os.environ.pop(var, None)


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def ffmpeg(*args):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def flvcheck(*args, stdin=None, timeout=120):
    """Runs flvcheck --json; returns (exit status, parsed JSON or None, seconds)."""
    start = time.monotonic()
    p = subprocess.run([FLVCHECK, "--json", *args], input=stdin, capture_output=True,
                       timeout=timeout)
    took = time.monotonic() - start
    try:
        report = json.loads(p.stdout)
    except ValueError:
        report = None
    return p.returncode, report, took


def expect_valid(name, rc, j, vcodec, acodec, frames=50):
    check(j is not None, f"{name}: JSON output")
    if j is None:
        return
    v, a = j["video"], j["audio"]
    check(rc == 0, f"{name}: exit {rc}, errors {j['errors']}")
    check(j["ok"] and not j["errors"], f"{name}: ok with no errors ({j['errors']})")
    check(v["codec"] == vcodec and a["codec"] == acodec,
          f"{name}: codecs {v['codec']}/{a['codec']}")
    check(abs(v["decoded"] - frames) <= 2 and v["decode_errors"] == 0,
          f"{name}: {v['decoded']} video frames decoded, {v['decode_errors']} errors")
    check(v["undecoded"] == 0 and v["first_is_key"] and v["key_mismatch"] == 0,
          f"{name}: video undecoded/first key/key mismatch")
    check(v["width"] == 320 and v["height"] == 240, f"{name}: size {v['width']}x{v['height']}")
    check(v["non_monotonic"] == 0 and a["non_monotonic"] == 0, f"{name}: monotonic DTS")
    check(a["decoded"] > 0 and a["decode_errors"] == 0 and a["undecoded"] == 0,
          f"{name}: audio decoded {a['decoded']}, errors {a['decode_errors']}")
    check(a["channels"] == 1, f"{name}: {a['channels']} audio channels, the source is mono")
    check(v["first_ts"] is not None and 1800 <= v["last_ts"] - v["first_ts"] <= 2100,
          f"{name}: video spans {v['first_ts']}..{v['last_ts']} ms")


def expect_broken(name, rc, j):
    check(rc == 1, f"{name}: exit {rc}, want 1 (negative means a crash)")
    check(j is not None, f"{name}: JSON output despite the damage")
    if j is not None:
        bad = (not j["ok"]) or j["video"]["decode_errors"] or j["video"]["undecoded"]
        check(bool(bad), f"{name}: damage reported")


def video_first_bytes(path):
    """The first two body bytes of every video tag, walking the tags independently."""
    data = open(path, "rb").read()
    pos, out = 13, []
    while pos + 11 <= len(data):
        size = int.from_bytes(data[pos + 1:pos + 4], "big")
        if data[pos] == 9:
            out.append(data[pos + 11:pos + 16])
        pos += 11 + size + 4
    return out


# ---- streams made by ffmpeg ----

def test_ffmpeg_streams(d):
    src = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i"]
    out = os.path.join(d, "out.flv")
    ffmpeg(*src, "sine", "-t", "2", "-c:v", "libx264", "-c:a", "aac", "-f", "flv", out)
    rc, j, _ = flvcheck(out)
    expect_valid("ffmpeg h264+aac", rc, j, "h264", "aac")
    if j:
        check(j["video"]["flavour"] == "avc" and j["video"]["cts_max"] > 0,
              "ffmpeg h264+aac: legacy AVC with B-frame composition times")
        m = j["metadata"] or {}
        check(m.get("width") == 320 and m.get("height") == 240 and m.get("videocodecid") == 7
              and m.get("audiocodecid") == 10, f"ffmpeg h264+aac: metadata {m}")
    for law, name in (("pcm_alaw", "pcma"), ("pcm_mulaw", "pcmu")):
        path = os.path.join(d, name + ".flv")
        ffmpeg(*src, "sine=r=8000", "-t", "2", "-c:v", "libx264", "-c:a", law, "-ac", "1",
               "-f", "flv", path)
        rc, j, _ = flvcheck(path)
        expect_valid("ffmpeg h264+" + name, rc, j, "h264", name)
        if j:
            check(j["audio"]["sample_rate"] == 8000 and j["audio"]["channels"] == 1,
                  f"{name}: 8 kHz mono")
    return out


def test_inputs(d, good):
    data = open(good, "rb").read()
    rc, j, _ = flvcheck("-", stdin=data)
    expect_valid("stdin", rc, j, "h264", "aac")
    rc, j, _ = flvcheck("--max-bytes", "30000", good)
    check(rc == 0 and j and j["ok"] and j["stopped"] == "bytes" and j["bytes"] == 30000,
          f"--max-bytes: {j and (j['stopped'], j['bytes'], j['errors'])}")
    check(subprocess.run([FLVCHECK], capture_output=True).returncode == 2, "usage error exit 2")
    rc, j, _ = flvcheck(os.path.join(d, "missing.flv"))
    check(rc == 1 and j and not j["ok"], "missing input reported")


class Handler(http.server.BaseHTTPRequestHandler):
    data = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "video/x-flv")
        if self.path == "/stall.flv":
            # A live stream that goes quiet: the first bytes, then nothing.
            self.end_headers()
            self.wfile.write(self.data[:40000])
            self.wfile.flush()
            time.sleep(8)
            return
        self.send_header("Content-Length", str(len(self.data)))
        self.end_headers()
        self.wfile.write(self.data)

    def log_message(self, *args):
        pass


def test_http(good):
    Handler.data = open(good, "rb").read()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        rc, j, _ = flvcheck(base + "/live.flv")
        expect_valid("http", rc, j, "h264", "aac")
        rc, j, took = flvcheck("--max-seconds", "1", base + "/stall.flv")
        check(took < 4 and j and j["stopped"] == "time" and j["ok"] and j["bytes"] == 40000,
              f"--max-seconds over http: {took:.1f} s, {j and (j['stopped'], j['bytes'])}")
    finally:
        server.shutdown()


def test_stdin_stall(good):
    """A blocking read on a pipe must still end at --max-seconds."""
    p = subprocess.Popen([FLVCHECK, "--json", "--max-seconds", "1", "-"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    start = time.monotonic()
    p.stdin.write(open(good, "rb").read()[:40000])
    p.stdin.flush()
    try:
        p.wait(timeout=6)  # stdin stays open: communicate() would close it
    except subprocess.TimeoutExpired:
        p.kill()
    took = time.monotonic() - start
    out = p.stdout.read()
    p.stdin.close()
    p.stdout.close()
    j = json.loads(out) if out else None
    check(took < 4 and j and j["stopped"] == "time" and j["ok"],
          f"--max-seconds on a stalled pipe: {took:.1f} s, {j and j['stopped']}")


def test_damage(d, good):
    data = open(good, "rb").read()
    rnd = random.Random(1)
    # Cut inside the body of the tag that starts past the middle of the file.
    cut = 13
    while cut < len(data) // 2:
        cut += 11 + int.from_bytes(data[cut + 1:cut + 4], "big") + 4
    cut += 11 + int.from_bytes(data[cut + 1:cut + 4], "big") // 2
    cases = {
        "truncated": data[:cut],
        "empty": b"",
        "header only, cut": data[:7],
        "not flv": b"GIF89a" + data[6:],
        "random": bytes(rnd.randrange(256) for _ in range(65536)),
    }
    garbled = bytearray(data)
    for off in range(3000, len(garbled), 4096):
        for i in range(off, min(off + 64, len(garbled))):
            garbled[i] = rnd.randrange(256)
    cases["garbled"] = bytes(garbled)
    # Keep the structure, damage the pictures: XOR the middle of every video frame.
    flipped = bytearray(data)
    pos = 13
    while pos + 11 <= len(flipped):
        size = int.from_bytes(flipped[pos + 1:pos + 4], "big")
        if flipped[pos] == 9 and size > 64 and flipped[pos + 12] == 1:
            for i in range(pos + 11 + 24, pos + 11 + size - 8, 7):
                flipped[i] ^= 0xa5
        pos += 11 + size + 4
    cases["bit flips"] = bytes(flipped)
    for name, blob in cases.items():
        path = os.path.join(d, "damaged.flv")
        open(path, "wb").write(blob)
        rc, j, _ = flvcheck(path)
        expect_broken(name, rc, j)


# ---- lib/flv.c through flvwrite ----

def flvwrite(*args):
    return subprocess.run([FLVWRITE, *args], capture_output=True).returncode


def test_writer(d):
    src = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i"]
    h264 = os.path.join(d, "h264_aac.mov")
    hevc = os.path.join(d, "hevc_aac.mov")
    hevc_alaw = os.path.join(d, "hevc_alaw.mov")
    h264_ulaw = os.path.join(d, "h264_ulaw.mov")
    x265 = ["-c:v", "libx265", "-tag:v", "hvc1", "-x265-params", "log-level=error"]
    ffmpeg(*src, "sine", "-t", "2", "-c:v", "libx264", "-c:a", "aac", "-f", "mov", h264)
    ffmpeg(*src, "sine", "-t", "2", *x265, "-c:a", "aac", "-f", "mov", hevc)
    ffmpeg(*src, "sine=r=8000", "-t", "2", *x265, "-c:a", "pcm_alaw", "-ac", "1", "-f", "mov",
           hevc_alaw)
    ffmpeg(*src, "sine=r=8000", "-t", "2", "-c:v", "libx264", "-c:a", "pcm_mulaw", "-ac", "1",
           "-f", "mov", h264_ulaw)
    cases = [
        ("avc", h264, "h264", "aac", 7, {0x17, 0x27}),
        ("avc", h264_ulaw, "h264", "pcmu", 7, {0x17, 0x27}),
        ("enhanced", hevc, "hevc", "aac", 0x68766331, {0x90, 0x91, 0x93, 0xa1, 0xa3}),
        ("codec12", hevc_alaw, "hevc", "pcma", 12, {0x1c, 0x2c}),
    ]
    for flavour, mov, vcodec, acodec, codec_id, first_bytes in cases:
        name = f"flvwrite {flavour} {os.path.basename(mov)}"
        out = os.path.join(d, "written.flv")
        check(flvwrite("--flavour", flavour, mov, out) == 0, name + ": flvwrite ran")
        rc, j, _ = flvcheck(out)
        expect_valid(name, rc, j, vcodec, acodec)
        if not j:
            continue
        m = j["metadata"] or {}
        check(j["video"]["flavour"] == flavour and m.get("videocodecid") == codec_id
              and m.get("encoder") == "liblightstream", f"{name}: flavour and metadata {m}")
        check(j["video"]["cts_max"] > 0, f"{name}: B-frames give composition times")
        seen = {b[0] for b in video_first_bytes(out)}
        check(seen <= first_bytes and len(seen) >= 2, f"{name}: video tag bytes {seen}")
        if flavour == "enhanced":
            check({0x91, 0x93} & seen and {0xa1, 0xa3} & seen and
                  all(b[1:5] == b"hvc1" for b in video_first_bytes(out)),
                  f"{name}: CodedFrames/CodedFramesX with FourCC hvc1")
        if flavour == "avc":
            # A third reader: FFmpeg's own FLV demuxer and decoders, silent when all is well.
            p = subprocess.run(["ffmpeg", "-v", "error", "-i", out, "-f", "null", "-"],
                               capture_output=True)
            check(p.returncode == 0 and not p.stderr, f"{name}: ffmpeg reads it ({p.stderr})")

    # The oracle must notice broken streams.
    for fault, field in (("no-seq", None), ("mid-gop", "undecoded"), ("prev-size", None)):
        out = os.path.join(d, "fault.flv")
        flvwrite("--fault", fault, h264, out)
        rc, j, _ = flvcheck(out)
        expect_broken("fault " + fault, rc, j)
        if j and field:
            check(j["video"][field] > 0 and not j["video"]["first_is_key"],
                  f"fault {fault}: {field}")
    flvwrite("--fault", "key-flag", h264, out)
    rc, j, _ = flvcheck(out)
    check(j and j["video"]["key_mismatch"] > 0, "fault key-flag: key_mismatch counted")


def main():
    if not shutil.which("ffmpeg"):
        print("ffmpeg not found", file=sys.stderr)
        return 77
    with tempfile.TemporaryDirectory() as d:
        good = test_ffmpeg_streams(d)
        test_inputs(d, good)
        test_http(good)
        test_stdin_stall(good)
        test_damage(d, good)
        test_writer(d)
    print(f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
