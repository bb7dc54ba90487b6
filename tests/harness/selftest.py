#!/usr/bin/python3
"""Proves the integration-test harness works: camera, nginx-rtmp, node-media-server, badcam, etcd,
with Debian's ffmpeg standing in for the relay. Exits non-zero on any failure.

    unshare -n sh -c 'ip link set lo up; /usr/bin/python3 tests/harness/selftest.py [--long]'

Outside a loopback-only network namespace the UDP checks are skipped (FFmpeg binds its client
RTP ports to all addresses). --long adds a 36 s run across the clip's loop point.
"""
import argparse
import base64
import os
import socket
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lsharness as h  # noqa: E402

results = []


def check(name, fn, *args):
    t = time.monotonic()
    try:
        note = fn(*args)
        results.append((name, True))
        print("PASS %-48s %5.1fs %s" % (name, time.monotonic() - t, note or ""), flush=True)
    except Exception as e:  # report and go on
        results.append((name, False))
        print("FAIL %-48s %5.1fs %s: %s" % (name, time.monotonic() - t, type(e).__name__, e), flush=True)
        if os.environ.get("LS_TEST_VERBOSE"):
            traceback.print_exc()


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


# ---------------------------------------------------------------------------------- camera
def camera_mount(cam, mount, transport):
    vcodec, acodec, w, hgt = h.MOUNTS[mount]
    info = h.ffprobe_streams(cam.url(mount, auth=mount.startswith("/auth/")), timeout=20, transport=transport)
    got = h.stream_summary(info)
    want = [("video", vcodec, w, hgt)]
    if acodec == "aac":
        want.append(("audio", "aac", 48000, 2))
    elif acodec:
        want.append(("audio", acodec, 8000, 1))
    expect(got == want, "%s over %s: got %s, want %s" % (mount, transport, got, want))
    return str(got)


def camera_sdp(cam):
    for mount, key in (("/h264_aac", "sprop-parameter-sets="), ("/h265_aac", "sprop-sps=")):
        st, _, body = h.rtsp_request(cam.url(mount))
        expect(st == 200 and key in body.decode(), "%s: SDP should carry %s" % (mount, key))
    for mount in ("/h264_noparams", "/h265_noparams"):
        st, hd, body = h.rtsp_request(cam.url(mount))
        sdp = body.decode()
        expect(st == 200, "%s: DESCRIBE %d" % (mount, st))
        expect(int(hd.get("content-length", -1)) == len(body), "%s: Content-Length mismatch" % mount)
        expect("sprop-" not in sdp, "%s: SDP still has parameter sets:\n%s" % (mount, sdp))
        expect(("H264" if "264" in mount else "H265") in sdp, "%s: no video in SDP" % mount)
    return "noparams SDPs have no sprop-*"


def camera_auth(cam):
    st, hd, _ = h.rtsp_request(cam.url("/auth/h264_aac"))
    www = hd.get("www-authenticate", "")
    expect(st == 401, "no credentials: %d, want 401" % st)
    expect("Basic" in www and "Digest" in www, "challenge should offer Basic and Digest: %r" % www)
    try:
        h.ffprobe_streams(cam.url("/auth/h264_aac", password="wrong"), timeout=10)
        raise AssertionError("a wrong password was accepted")
    except h.ProbeError as e:
        expect("401" in str(e), "wrong password: %s" % e)
    basic = base64.b64encode(("%s:%s" % (cam.user, cam.password)).encode()).decode()
    st, _, body = h.rtsp_request(cam.url("/auth/h264_aac"), headers={"Authorization": "Basic " + basic})
    expect(st == 200 and b"m=video" in body, "Basic auth: %d" % st)
    st, _, _ = h.rtsp_request(cam.url("/h264_aac"))
    expect(st == 200, "public mount wants auth: %d" % st)
    return "401 Basic+Digest; Basic ok; wrong password refused; Digest (ffmpeg): the mount check"


def camera_monotonic(cam, mount, seconds, transport="tcp"):
    m = h.check_monotonic(cam.url(mount), seconds, transport=transport, strict=True)
    expect(m.ok, "%s: %s %s %s" % (mount, m.violations[:3], m.errors[:3], m.packets))
    v = m.packets.get(0, 0)
    expect(abs(v - seconds * h.FPS) <= 3, "%s: %d video packets in %g s" % (mount, v, seconds))
    return "packets %s" % m.packets


def camera_presentation(cam, mount, seconds, fps=h.FPS, bframes=True):
    """The camera's B-frame (and slow) mounts as a decoder sees them: decoded frames in output
    order one frame period apart (the feeder pushes decode order with PTS and DTS set), and
    some packets with pts != dts where there are B-frames."""
    tl = h.probe_timeline(cam.url(mount), seconds, timeout=seconds + 30)
    pts = [f.pts for f in tl.video_frames() if f.pts is not None]
    steps = [round(b - a, 1) for a, b in zip(pts, pts[1:])]
    bad = [(i, s) for i, s in enumerate(steps) if abs(s - 1000.0 / fps) > 1]
    expect(not tl.errors and not bad, "%s: frame steps off at %s; errors %s" % (mount, bad[:5], tl.errors[:3]))
    expect(abs(len(pts) - seconds * fps) <= 3, "%s: %d frames in %g s" % (mount, len(pts), seconds))
    reordered = sum(1 for p in tl.video_packets() if None not in (p.pts, p.dts) and p.pts != p.dts)
    expect(reordered > 0 or not bframes, "%s: no packet with pts != dts" % mount)
    return "%d frames %g ms apart, %d packets with pts != dts" % (len(pts), 1000.0 / fps, reordered)


def camera_shared(cam):
    res = {}

    def one(i):
        res[i] = h.count_frames(cam.url("/h264_aac"), 4, timeout=30)
    ts = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    bad = {i: r for i, r in res.items() if abs(r.video - 100) > 3 or r.errors}
    expect(not bad, "clients: %s" % bad)
    return "8 clients x ~100 frames"


def camera_freeze(cam):
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("p", h.probe_packets(cam.url("/h264_aac"), 8)))
    t.start()
    time.sleep(2.5)
    cam.stop_signal()
    time.sleep(2)
    cam.cont()
    t.join(40)
    pk, errs = out["p"]
    dts = [int(p["dts"]) for p in pk if p["stream_index"] == 0 and "dts" in p]
    expect(len(dts) > 100, "too few packets after a freeze: %d %s" % (len(dts), errs))
    expect(all(b > a for a, b in zip(dts, dts[1:])), "DTS went back after SIGSTOP/SIGCONT")
    jump = max(b - a for a, b in zip(dts, dts[1:])) / 90000
    expect(1.5 < jump < 3.5, "expected a ~2 s forward jump, got %.2f s" % jump)
    return "resumed, %.2f s forward jump" % jump


def camera_restart(cam):
    port = cam.port
    cam.kill()
    expect(not h.port_open(port), "port still open after kill")
    cam.start()
    expect(cam.port == port, "restart moved port %d -> %d" % (port, cam.port))
    n = h.count_frames(cam.url("/h264_aac"), 2)
    expect(n.video >= 48 and not n.errors, "after restart: %s" % (n,))
    t = time.monotonic()
    rc = cam.stop()
    expect(rc == 0, "SIGTERM exit code %s" % rc)
    cam.start()
    return "same port; SIGTERM exit 0 in %.2f s" % (time.monotonic() - t)


# ------------------------------------------------------------------------------ relay servers
def relay_to(cam, url, probe_urls):
    relay = h.ffmpeg_relay(cam.url("/h264_aac"), url)
    try:
        def ready():
            try:
                return h.ffprobe_streams(probe_urls[0], timeout=10)
            except h.ProbeError:
                expect(relay.alive(), "ffmpeg relay died:\n%s" % relay.log_tail())
                return None
        h.wait_until(ready, 30, 0.5, "the relayed stream")
        notes = []
        for pu in probe_urls:
            got = sorted(s for s in h.stream_summary(h.ffprobe_streams(pu, timeout=15))
                         if s[0] in ("video", "audio"))  # FLV: any order, NMS adds a data stream
            expect(got == [("audio", "aac", 48000, 2), ("video", "h264", 640, 360)], "%s: %s" % (pu, got))
            n = h.count_frames(pu, 5, timeout=30)
            expect(abs(n.video - 125) <= 4, "%s: %d video frames in 5 s (want ~125) %s" % (pu, n.video, n.errors))
            expect(abs(n.audio - 234) <= 8, "%s: %d audio frames in 5 s (want ~234)" % (pu, n.audio))
            notes.append("%s v=%d a=%d" % (pu.split(":")[0], n.video, n.audio))
        return "; ".join(notes)
    finally:
        relay.stop()


def bound_to_loopback(ports):
    """Every listening TCP socket on these ports is bound to 127.0.0.1 (from /proc/net/tcp)."""
    seen = {}
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            p = line.split()
            local, state = p[1], p[3]
            if state != "0A":  # LISTEN
                continue
            addr, port = local.split(":")
            port = int(port, 16)
            if port in ports:
                seen[port] = socket.inet_ntoa(bytes.fromhex(addr)[::-1])
    expect(set(seen) == set(ports), "not listening: %s" % (set(ports) - set(seen)))
    expect(all(a == "127.0.0.1" for a in seen.values()), "bound to %s" % seen)
    if os.path.exists("/proc/net/tcp6"):
        with open("/proc/net/tcp6") as f:
            for line in f.readlines()[1:]:
                p = line.split()
                if p[3] == "0A" and int(p[1].split(":")[1], 16) in ports:
                    raise AssertionError("IPv6 listener on %s" % p[1])
    return str(seen)


# ------------------------------------------------------------------------------------ badcam
def badcam_paths(bc):
    notes = []
    st, _, _ = h.rtsp_request(bc.url("/notfound"))
    expect(st == 404, "/notfound: %d" % st)
    st, hd, _ = h.rtsp_request(bc.url("/unauthorized"))
    expect(st == 401 and "Basic" in hd.get("www-authenticate", ""), "/unauthorized: %d %s" % (st, hd))
    st, _, _ = h.rtsp_request(bc.url("/unauthorized"), headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    expect(st == 401, "/unauthorized with credentials: %d" % st)
    st, _, _ = h.rtsp_request(bc.url("/forbidden"))
    expect(st == 403, "/forbidden: %d" % st)
    try:
        h.rtsp_request(bc.url("/garbage"))
        raise AssertionError("/garbage answered RTSP")
    except h.HarnessError as e:
        expect("not an RTSP reply" in str(e), str(e))
    st, hd, body = h.rtsp_request(bc.url("/truncated"))
    expect(st == 200 and int(hd["content-length"]) > len(body), "/truncated: %d %s/%d" % (st, hd.get("content-length"), len(body)))
    st, _, body = h.rtsp_request(bc.url("/badsdp"))
    expect(st == 200 and b"m=vide0 notaport" in body, "/badsdp: %d" % st)
    st, _, body = h.rtsp_request(bc.url("/nodata"))
    expect(st == 200 and b"H264/90000" in body, "/nodata DESCRIBE: %d" % st)
    t = time.monotonic()
    try:
        h.rtsp_request(bc.url("/blackhole"), timeout=1.0)
        raise AssertionError("/blackhole answered")
    except (socket.timeout, TimeoutError):
        notes.append("blackhole silent %.1fs" % (time.monotonic() - t))
    # ffmpeg's view: each broken path is an error, never a hang
    for path in ("/notfound", "/unauthorized", "/garbage", "/truncated", "/badsdp"):
        try:
            h.ffprobe_streams(bc.url(path), timeout=15)
            raise AssertionError("ffprobe accepted %s" % path)
        except h.ProbeError:
            pass
    r = h.run(["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp", "-timeout", "2000000",
               "-i", bc.url("/nodata"), "-c", "copy", "-f", "null", "-"], timeout=20)
    expect(r.returncode != 0 and not r.timed_out, "/nodata: ffmpeg rc=%s timed_out=%s" % (r.returncode, r.timed_out))
    h.wait_until(lambda: bc.requests("DESCRIBE") >= 8, 5, what="badcam request log")
    notes.append("%d connections, %d requests" % (bc.connections(), bc.requests()))
    return "; ".join(notes)


def badcam_deaf():
    with h.BadCam(mode="deaf") as bc:
        t = time.monotonic()
        try:
            h.rtsp_request(bc.url("/h264_aac"), timeout=1.0)
            raise AssertionError("deaf badcam answered")
        except (socket.timeout, TimeoutError):
            pass
        h.wait_until(lambda: bc.connections() == 1, 5, what="CONN line")
        expect(bc.requests() == 0, "deaf badcam read a request")
        return "connection accepted, silent for %.1f s" % (time.monotonic() - t)


def badcam_blackhole():
    with h.BadCam(mode="blackhole") as bc:
        try:
            h.rtsp_request(bc.url("/notfound"), method="OPTIONS", timeout=1.0)
            raise AssertionError("--blackhole answered")
        except (socket.timeout, TimeoutError):
            pass
        h.wait_until(lambda: bc.requests("OPTIONS") == 1, 5, what="REQ line")
        return "request read, never answered"


def etcd_quorum():
    """Three etcd members on loopback: a write through one is read through another, and with
    one member killed the other two still take writes (quorum); a restart keeps the keys."""
    k = base64.b64encode(b"/selftest/k").decode()
    with h.Etcd(3) as e:
        bound_to_loopback({p for pair in e.ports for p in pair})
        e.call("kv/put", {"key": k, "value": base64.b64encode(b"1").decode()})
        e.member(2).kill()
        e.call("kv/put", {"key": k, "value": base64.b64encode(b"2").decode()})
        e.stop()
        e.start()
        kvs = e.call("kv/range", {"key": k}).get("kvs", [])
        expect(len(kvs) == 1 and base64.b64decode(kvs[0]["value"]) == b"2", "value after restart")
        ports = [p for pair in e.ports for p in pair]
    expect(not any(h.port_open(p) for p in ports), "an etcd port is still open")
    return "3 members, one killed, restarted"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--long", action="store_true", help="also read 36 s across the loop point")
    args = ap.parse_args()
    t0 = time.monotonic()
    netns = h.loopback_only()
    print("selftest: loopback-only netns: %s; temp %s" % (netns, h.tmp_root()), flush=True)
    media_dir = h.media()
    print("selftest: media ready in %.1f s (%s)" % (time.monotonic() - t0, media_dir), flush=True)

    with h.Camera(media_dir) as cam, h.Nginx() as ngx, h.Nms() as nms, h.BadCam() as bc:
        check("servers listen on 127.0.0.1 only", bound_to_loopback,
              {cam.port, ngx.port, nms.rtmp_port, nms.http_port, bc.port})
        for mount in h.MOUNTS:
            check("camera %s tcp" % mount, camera_mount, cam, mount, "tcp")
        for mount in ("/h264_aac", "/h265_aac", "/h264_pcma", "/h264_noparams"):
            if netns:
                check("camera %s udp" % mount, camera_mount, cam, mount, "udp")
            else:
                print("SKIP camera %s udp (not in a loopback-only netns)" % mount)
        check("camera SDP parameter sets", camera_sdp, cam)
        check("camera auth", camera_auth, cam)
        check("camera DTS monotonic /h264b_aac (B-frames)", camera_monotonic, cam, "/h264b_aac", 5)
        check("camera DTS monotonic /h264_pcmu", camera_monotonic, cam, "/h264_pcmu", 5)
        if netns:
            check("camera DTS monotonic /h264_aac udp", camera_monotonic, cam, "/h264_aac", 5, "udp")
        for mount in ("/h264b_aac", "/h264bp_aac", "/h265b_aac"):
            check("camera presentation order %s" % mount, camera_presentation, cam, mount, 4)
        check("camera presentation order /h264_2fps", camera_presentation, cam, "/h264_2fps", 6,
              2, False)
        if args.long:
            check("camera DTS across the loop (36 s)", camera_monotonic, cam, "/h264b_aac", 36)
            for mount in ("/h264b_aac", "/h264bp_aac", "/h265b_aac"):
                check("camera presentation order across the loop %s" % mount,
                      camera_presentation, cam, mount, 36)
        check("camera shared by 8 clients", camera_shared, cam)
        check("camera SIGSTOP/SIGCONT", camera_freeze, cam)
        check("camera kill/restart/SIGTERM", camera_restart, cam)
        check("ffmpeg relay -> nginx-rtmp", relay_to, cam, ngx.rtmp_url("x"), [ngx.rtmp_url("x")])
        check("ffmpeg relay -> node-media-server", relay_to, cam, nms.rtmp_url("x"),
              [nms.flv_url("x"), nms.rtmp_url("x")])
        check("badcam paths", badcam_paths, bc)
    check("etcd: 3 members, quorum, restart", etcd_quorum)
    check("badcam --deaf", badcam_deaf)
    check("badcam --blackhole", badcam_blackhole)
    check("servers gone after stop", lambda: expect(
        not any(h.port_open(p) for p in (cam.port, ngx.port, nms.rtmp_port, nms.http_port, bc.port)),
        "a port is still open"))

    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed
    print("selftest: %.0f s" % (time.monotonic() - t0))
    print("selftest: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
