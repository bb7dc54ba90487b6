#!/usr/bin/python3
"""lightstreamd's HTTP-FLV serving (GET /live/<id>.flv) against a real daemon and a real
camera (gst-rtsp-server): ffprobe/ffmpeg decode it with zero errors (H.264; H.265 in both
FLV flavours through flvcheck), the GOP cache starts a viewer at once, 50 viewers keep the
camera's frame rate while one viewer that never reads is dropped, CORS, 404 for an unknown id,
the viewer token, and on-demand relays (no camera session before the first viewer, none
some seconds after the last one left).

Our own reader (FlvClient) speaks HTTP/1.1 over a raw socket, undoes the chunked encoding and
parses the FLV tags itself, so that timings are those of the bytes on the wire."""
import json
import os
import re
import selectors
import socket
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402
import common  # noqa: E402  (tests/integration: flvcheck, decode_errors)

FPS = h.FPS
CAM = None
# A stuck viewer shows sooner with a small bound (the kernel's socket buffers come first).
HUB_CONFIG = {"viewer_buffer_bytes": 256 * 1024, "viewer_stall_ms": 2000}


def setUpModule():
    global CAM
    CAM = h.Camera(common.media_dir(), verbose=True).start()


def tearDownModule():
    if CAM:
        CAM.stop()


# ------------------------------------------------------------------------------------------
# a raw HTTP-FLV reader
# ------------------------------------------------------------------------------------------
class Tag:
    __slots__ = ("at", "type", "ts", "size", "head")

    def __init__(self, at, type_, ts, size, head):
        self.at, self.type, self.ts, self.size, self.head = at, type_, ts, size, head

    @property
    def video(self):
        return self.type == 9

    @property
    def seq_header(self):
        """A decoder configuration (AVC/HEVC/AAC sequence header, legacy or enhanced)."""
        if self.type == 9:
            if self.head[0] & 0x80:                      # enhanced: PacketType in the low bits
                return (self.head[0] & 0x0F) == 0
            return len(self.head) > 1 and self.head[1] == 0
        if self.type == 8:
            return (self.head[0] >> 4) == 10 and len(self.head) > 1 and self.head[1] == 0
        return False

    @property
    def keyframe(self):
        return self.type == 9 and ((self.head[0] >> 4) & 0x07) == 1 and not self.seq_header


class FlvClient:
    """GET <path> over HTTP/1.1 on a raw socket; feed() parses what arrives into tags."""

    def __init__(self, port, path, rcvbuf=None, connect=True, version="1.1"):
        self.port, self.path, self.version = port, path, version
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.raw = bytearray()
        self.body = bytearray()
        self.status, self.headers = None, {}
        self.chunked, self.chunk_left, self.ended = False, None, False
        self.flv_header = None
        self.tags = []
        self.closed = False
        self.t0 = None
        if connect:
            self.connect()

    def connect(self):
        self.t0 = time.monotonic()
        self.sock.connect(("127.0.0.1", self.port))
        req = "GET %s HTTP/%s\r\nHost: 127.0.0.1:%d\r\nOrigin: http://example.test\r\n\r\n" % (
            self.path, self.version, self.port)
        self.sock.sendall(req.encode())

    def read_some(self, size=262144):
        try:
            data = self.sock.recv(size)
        except (BlockingIOError, InterruptedError):
            return 0
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        if not data:
            self.closed = True
            return -1
        self.feed(data, time.monotonic())
        return len(data)

    def feed(self, data, now):
        self.raw += data
        if self.status is None:
            end = self.raw.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.raw[:end].decode("latin-1").split("\r\n")
            self.status = int(head[0].split()[1])
            for line in head[1:]:
                k, _, v = line.partition(":")
                self.headers[k.strip().lower()] = v.strip()
            self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
            del self.raw[:end + 4]
        if self.chunked:
            self._dechunk()
        else:
            self.body += self.raw
            self.raw.clear()
        self._parse(now)

    def _dechunk(self):
        while self.raw and not self.ended:
            if self.chunk_left is None:
                eol = self.raw.find(b"\r\n")
                if eol < 0:
                    return
                self.chunk_left = int(bytes(self.raw[:eol]).split(b";")[0], 16)
                del self.raw[:eol + 2]
                if self.chunk_left == 0:
                    self.ended = True
                    return
            n = min(self.chunk_left, len(self.raw))
            self.body += self.raw[:n]
            del self.raw[:n]
            self.chunk_left -= n
            if self.chunk_left == 0:
                if len(self.raw) < 2:
                    self.chunk_left = 0
                    return
                del self.raw[:2]
                self.chunk_left = None

    def _parse(self, now):
        pos = 0
        b = self.body
        if self.flv_header is None:
            if len(b) < 13:
                return
            if bytes(b[:3]) != b"FLV":
                raise AssertionError("not an FLV stream: %r" % bytes(b[:16]))
            self.flv_header = bytes(b[:13])
            pos = 13
        while len(b) - pos >= 11:
            size = int.from_bytes(b[pos + 1:pos + 4], "big")
            if len(b) - pos < 11 + size + 4:
                break
            ts = int.from_bytes(b[pos + 4:pos + 7], "big") | (b[pos + 7] << 24)
            head = bytes(b[pos + 11:pos + 11 + min(size, 5)])
            self.tags.append(Tag(now, b[pos], ts, size, head))
            pos += 11 + size + 4
        del b[:pos]

    def media(self):
        return [t for t in self.tags if t.type in (8, 9) and not t.seq_header]

    def first_frame_at(self):
        for t in self.tags:
            if t.video and not t.seq_header:
                return t.at - self.t0
        return None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def read_until(clients, pred, timeout):
    """Reads every client (non-blocking, one thread) until pred() or timeout."""
    sel = selectors.DefaultSelector()
    for c in clients:
        c.sock.setblocking(False)
        sel.register(c.sock, selectors.EVENT_READ, c)
    end = time.monotonic() + timeout
    try:
        while time.monotonic() < end and not pred():
            for key, _ in sel.select(0.05):
                if key.data.read_some() < 0:
                    sel.unregister(key.fileobj)
    finally:
        sel.close()
    return pred()


def metric(d, name, relay):
    st, _, raw = d.request("GET", "/metrics")
    assert st == 200, st
    m = re.search(r'^%s\{relay="%s"\} (\S+)$' % (re.escape(name), re.escape(relay)),
                  raw.decode(), re.M)
    return float(m.group(1)) if m else None


def relay_info(d, rid):
    st, _, js = d.api("GET", "/api/v1/relays/" + rid)
    assert st == 200, (st, js)
    return js


def create(d, rid, mount, **extra):
    body = {"id": rid, "source": CAM.url(mount)}
    body.update(extra)
    st, _, js = d.api("POST", "/api/v1/relays", body)
    assert st == 201, (st, js)
    return js


def wait_streaming(d, rid, timeout=20.0):
    """Until the relay streams and its hub has a keyframe (a first viewer gets video)."""
    h.wait_until(lambda: relay_info(d, rid).get("state") == "streaming", timeout,
                 what="relay %s streaming" % rid)
    time.sleep(2.5)  # a GOP (the clips have a keyframe every 2 s) reaches the hub's cache


# ------------------------------------------------------------------------------------------
class HttpFlv(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.d = lsd.Daemon(config=HUB_CONFIG).start()
        create(cls.d, "h264", "/h264_aac")
        create(cls.d, "h265e", "/h265_aac", hevc="enhanced")
        create(cls.d, "h265c", "/h265_aac", hevc="codec12")
        for rid in ("h264", "h265e", "h265c"):
            wait_streaming(cls.d, rid)

    @classmethod
    def tearDownClass(cls):
        code = cls.d.stop(timeout=20)
        if code != 0:
            raise AssertionError("lightstreamd exited with %s:\n%s" % (code, cls.d.log()[-4000:]))

    def url(self, rid):
        return self.d.url("/live/%s.flv" % rid)

    def test_ffprobe_and_decode_h264(self):
        info = h.ffprobe_streams(self.url("h264"))
        self.assertEqual(h.stream_summary(info)[:2],
                         [("video", "h264", 640, 360), ("audio", "aac", 48000, 2)])
        errs = common.decode_errors(self.url("h264"), 5)
        self.assertEqual(errs, [])

    def test_h264_and_aac_frame_counts_in_5s(self):
        # Packets counted (ffmpeg -c copy), not decoded: test_ffprobe_and_decode_h264 decodes.
        n = h.count_frames(self.url("h264"), 5)
        self.assertEqual(n.errors, [])
        self.assertGreaterEqual(n.video, 5 * FPS - 3)
        self.assertGreater(n.audio, 5 * 40)

    def check_hevc(self, rid, flavour):
        code, res = common.flvcheck(self.url(rid), seconds=5)
        self.assertEqual(code, 0, res)
        v = res["video"]
        self.assertEqual((v["codec"], v["flavour"]), ("hevc", flavour))
        self.assertTrue(v["first_is_key"], v)
        self.assertEqual(v["decode_errors"], 0)
        self.assertGreaterEqual(v["decoded"], 4 * FPS)
        self.assertEqual(v["non_monotonic"], 0)
        self.assertEqual(res["audio"]["codec"], "aac")
        self.assertEqual(res["audio"]["decode_errors"], 0)

    def test_h265_enhanced(self):
        self.check_hevc("h265e", "enhanced")

    def test_h265_codec12(self):
        self.check_hevc("h265c", "codec12")

    def test_first_video_tag_within_300ms(self):
        """The GOP cache: header, onMetaData, sequence headers, then the keyframe, at once."""
        delays = []
        for _ in range(5):
            c = FlvClient(self.d.port, "/live/h264.flv")
            try:
                self.assertTrue(read_until([c], lambda: c.first_frame_at() is not None, 5.0),
                                "no video frame within 5 s")
                delays.append(c.first_frame_at())
                self.assertEqual(c.status, 200)
                self.assertEqual(c.headers.get("content-type"), "video/x-flv")
                self.assertEqual(c.headers.get("transfer-encoding"), "chunked")
                self.assertEqual(c.flv_header[:5], b"FLV\x01\x05")
                kinds = [(t.type, t.seq_header) for t in c.tags[:3]]
                self.assertEqual(kinds, [(18, False), (9, True), (8, True)])
                first = c.media()[0]
                self.assertTrue(first.video and first.keyframe, "the first frame is a keyframe")
            finally:
                c.close()
        delays.sort()
        self.assertLess(delays[len(delays) // 2], 0.300, "first video frame after %s s" % delays)

    def test_http10_viewer_gets_the_body_unchunked(self):
        """HTTP/1.0 has no chunked encoding: the FLV body runs until the close, tags intact."""
        c = FlvClient(self.d.port, "/live/h264.flv", version="1.0")
        try:
            self.assertTrue(read_until([c], lambda: len(c.media()) > 2 * FPS, 5.0),
                            "an HTTP/1.0 viewer gets two seconds of frames")
            self.assertEqual(c.status, 200)
            self.assertNotIn("transfer-encoding", c.headers)
            self.assertFalse(c.chunked)
            self.assertEqual(c.flv_header[:5], b"FLV\x01\x05")
            first = c.media()[0]
            self.assertTrue(first.video and first.keyframe)
            vts = [t.ts for t in c.media() if t.video]
            self.assertEqual(vts, sorted(vts))
        finally:
            c.close()

    def test_cors_and_head(self):
        st, hd, _ = self.d.request("HEAD", "/live/h264.flv")
        self.assertEqual(st, 200)
        self.assertEqual(hd.get("content-type"), "video/x-flv")
        self.assertEqual(hd.get("access-control-allow-origin"), "*")
        self.assertEqual(hd.get("cache-control"), "no-cache")
        st, hd, _ = self.d.request("OPTIONS", "/live/h264.flv",
                                   headers={"Origin": "http://example.test",
                                            "Access-Control-Request-Method": "GET"})
        self.assertIn(st, (200, 204))
        self.assertEqual(hd.get("access-control-allow-origin"), "*")
        self.assertIn("GET", hd.get("access-control-allow-methods", ""))
        c = FlvClient(self.d.port, "/live/h264.flv")
        try:
            self.assertTrue(read_until([c], lambda: c.status is not None, 5.0))
            self.assertEqual(c.headers.get("access-control-allow-origin"), "*")
        finally:
            c.close()

    def test_unknown_id_404(self):
        st, hd, js = self.d.api("GET", "/live/nosuch.flv")
        self.assertEqual(st, 404)
        self.assertEqual(js["error"]["code"], "not_found")
        self.assertIn("json", hd.get("content-type", ""))

    def test_viewer_count_and_close(self):
        """Viewers are counted while connected and forgotten when they hang up."""
        base = metric(self.d, "lightstreamd_relay_viewers", "h264") or 0
        cs = [FlvClient(self.d.port, "/live/h264.flv") for _ in range(3)]
        try:
            read_until(cs, lambda: all(c.first_frame_at() for c in cs), 5.0)
            self.assertEqual(metric(self.d, "lightstreamd_relay_viewers", "h264"), base + 3)
            self.assertEqual(relay_info(self.d, "h264")["viewers"], base + 3)
        finally:
            for c in cs:
                c.close()
        h.wait_until(lambda: metric(self.d, "lightstreamd_relay_viewers", "h264") == base, 5,
                     what="viewers forgotten")

    def test_50_viewers_and_a_stuck_one(self):
        """50 viewers keep the camera's frame rate; one that never reads is dropped."""
        stuck = FlvClient(self.d.port, "/live/h264.flv", rcvbuf=4096)
        viewers = [FlvClient(self.d.port, "/live/h264.flv") for _ in range(50)]
        try:
            read_until(viewers, lambda: all(v.first_frame_at() for v in viewers), 10.0)
            self.assertTrue(all(v.first_frame_at() for v in viewers), "every viewer starts")
            self.assertEqual(metric(self.d, "lightstreamd_relay_viewers", "h264"), 51)
            t_start = time.monotonic()
            window = 10.0
            read_until(viewers, lambda: False, window)
            for i, v in enumerate(viewers):
                frames = [t for t in v.media() if t.video and t_start <= t.at < t_start + window]
                with self.subTest(viewer=i):
                    self.assertFalse(v.closed, "viewer %d was disconnected" % i)
                    self.assertGreaterEqual(len(frames), 0.9 * FPS * window,
                                            "viewer %d got %d frames in %.0f s" % (i, len(frames), window))
                    vts = [t.ts for t in v.media() if t.video]
                    gaps = [b - a for a, b in zip(vts, vts[1:])]
                    self.assertLess(max(gaps), 200, "a viewer was skipped (gap %d ms)" % max(gaps))
            # The stuck one: over the bound, then dropped after viewer_stall_ms.
            h.wait_until(lambda: metric(self.d, "lightstreamd_relay_viewers", "h264") == 50, 40,
                         what="the stuck viewer dropped")
            drops = metric(self.d, "lightstreamd_relay_viewer_drops_total", "h264")
            if drops is not None:
                self.assertGreaterEqual(drops, 1)
            self.assertIn("stuck", self.d.log())
            # Its socket was closed by the daemon: reading what is left ends in EOF/reset.
            stuck.sock.settimeout(5)
            ended = False
            try:
                while stuck.sock.recv(65536):
                    pass
                ended = True
            except ConnectionResetError:
                ended = True
            except socket.timeout:
                pass
            self.assertTrue(ended, "the stuck viewer's connection is closed")
            # The others still stream.
            for v in viewers:
                v.tags.clear()
            read_until(viewers, lambda: all(len(v.media()) > FPS for v in viewers), 5.0)
            self.assertTrue(all(len(v.media()) > FPS for v in viewers))
        finally:
            stuck.close()
            for v in viewers:
                v.close()

    def test_relay_removed_ends_viewers(self):
        create(self.d, "gone", "/h264")
        wait_streaming(self.d, "gone")
        c = FlvClient(self.d.port, "/live/gone.flv")
        try:
            self.assertTrue(read_until([c], lambda: c.first_frame_at() is not None, 5.0))
            st, _, _ = self.d.api("DELETE", "/api/v1/relays/gone")
            self.assertEqual(st, 204)
            self.assertTrue(read_until([c], lambda: c.ended or c.closed, 5.0),
                            "the reply ends when the relay goes")
        finally:
            c.close()


class ViewerToken(unittest.TestCase):
    def test_token_required(self):
        with lsd.Daemon(config={"viewer_token": "v13w", "api_token": "ap1"}) as d:
            st, _, js = d.api("POST", "/api/v1/relays", {"id": "t", "source": CAM.url("/h264_aac")},
                              token="ap1")
            self.assertEqual(st, 201, js)
            st, _, js = d.api("GET", "/live/t.flv")
            self.assertEqual(st, 401)
            self.assertEqual(js["error"]["code"], "unauthorized")
            st, _, _ = d.api("GET", "/live/t.flv?token=wrong")
            self.assertEqual(st, 401)
            st, hd, _ = d.request("HEAD", "/live/t.flv?token=v13w")
            self.assertEqual(st, 200)
            c = FlvClient(d.port, "/live/t.flv?token=v13w")
            try:
                self.assertTrue(read_until([c], lambda: c.first_frame_at() is not None, 20.0))
                self.assertEqual(c.status, 200)
            finally:
                c.close()
            d.stop()


class Shutdown(unittest.TestCase):
    def test_sigterm_with_viewers(self):
        """SIGTERM while viewers watch (one of them stuck): the replies end, the daemon exits
        0 (under ASan: no leak, no use after free)."""
        d = lsd.Daemon(config=HUB_CONFIG).start()
        try:
            create(d, "s", "/h264_aac")
            wait_streaming(d, "s")
            stuck = FlvClient(d.port, "/live/s.flv", rcvbuf=4096)
            cs = [FlvClient(d.port, "/live/s.flv") for _ in range(3)]
            read_until(cs, lambda: all(c.first_frame_at() for c in cs), 5.0)
            read_until(cs, lambda: False, 1.0)
            self.assertEqual(d.stop(timeout=20), 0, d.log()[-3000:])
            self.assertTrue(read_until(cs, lambda: all(c.ended or c.closed for c in cs), 5.0))
            stuck.close()
        finally:
            d.kill9()


def camera_sessions(mount):
    """Media the camera has prepared for @p mount, minus those it unprepared (its -v log)."""
    log = CAM.log()
    return (len(re.findall(r"media %s configured" % re.escape(mount), log))
            - len(re.findall(r"media %s unprepared" % re.escape(mount), log)))


class OnDemand(unittest.TestCase):
    def test_connects_on_first_viewer_and_stops_after_idle(self):
        mount = "/h264b_aac"  # no other test uses it: the camera's log tells its sessions
        with lsd.Daemon(config=HUB_CONFIG) as d:
            create(d, "od", mount, on_demand=True, idle_s=2)
            time.sleep(2.0)
            info = relay_info(d, "od")
            self.assertFalse(info["running"], info)
            self.assertEqual(camera_sessions(mount), 0, "no camera session before a viewer")
            c = FlvClient(d.port, "/live/od.flv")
            try:
                self.assertTrue(read_until([c], lambda: c.first_frame_at() is not None, 20.0),
                                "the first viewer gets video")
                self.assertTrue(relay_info(d, "od")["running"])
                self.assertEqual(camera_sessions(mount), 1)
                read_until([c], lambda: False, 2.0)
                self.assertGreater(len(c.media()), FPS)
            finally:
                c.close()
            left = time.monotonic()
            h.wait_until(lambda: not relay_info(d, "od")["running"], 2 + 3,
                         what="the relay stopped within idle_s + 3 s")
            self.assertGreaterEqual(time.monotonic() - left, 1.5, "not before idle_s")
            h.wait_until(lambda: camera_sessions(mount) == 0, 5, what="the camera session closed")
            # A second viewer starts it again, from a fresh stream.
            c = FlvClient(d.port, "/live/od.flv")
            try:
                self.assertTrue(read_until([c], lambda: c.first_frame_at() is not None, 20.0))
                first = c.media()[0]
                self.assertTrue(first.video and first.keyframe)
            finally:
                c.close()
            self.assertEqual(d.stop(timeout=20), 0, d.log()[-3000:])


if __name__ == "__main__":
    unittest.main(verbosity=2)
