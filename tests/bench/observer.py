"""External timing observer for the relay benchmark (stdlib only).

One thread, one selector loop, two kinds of connections:

- an RTSP client on the camera (all tracks, RTP interleaved over TCP; video on channel 0). It is one more
  client of the camera's *shared* media, so it receives the same RTP packets as the tools under
  test, at nearly the same moment. For every video frame it records when the packet carrying
  the RTP marker bit (the frame's last packet) arrived, keyed by the first bytes of the frame's
  first slice NAL unit (after the NAL header) — bytes that both tools copy unchanged into FLV;
- RTMP players on nginx-rtmp, one per stream under test, subscribed *before* the tool
  publishes (nginx-rtmp lets a player wait for an idle stream). Each records when the first
  video frame message arrived from nginx; most then disconnect, a few "sampled" ones stay to
  measure latency on every frame during the measurement window.

From these: time to first RTMP video (from the tool's start), time from the arrival of the
keyframe the tool starts with to its first RTMP video, and RTP-in → RTMP-out latency
(arrival of a frame's last RTP packet → arrival of the same frame relayed by nginx). nginx
forwards a live message as soon as it has read it, so its share is well under a millisecond.
Also split: the wait until the next frame's first packet (FFmpeg's parser cannot return a
frame before that: the "hold") and what remains after it (added by the tool itself).

Timestamps are time.monotonic() (CLOCK_MONOTONIC), taken right after the recv() that completed
the packet or message, so they are comparable with the C driver's clock_gettime(CLOCK_MONOTONIC).
"""
import base64
import collections
import os
import queue
import random
import re
import selectors
import socket
import struct
import threading
import time

KEY_BYTES = 32            # slice bytes used to recognise a frame
SLICE_TYPES = (1, 5)      # H.264 non-IDR and IDR slices


# --- AMF0 ----------------------------------------------------------------------------------------
def amf_enc(v):
    if v is None:
        return b"\x05"
    if isinstance(v, bool):
        return b"\x01" + (b"\x01" if v else b"\x00")
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, str):
        b = v.encode()
        return b"\x02" + struct.pack(">H", len(b)) + b
    if isinstance(v, dict):
        out = b"\x03"
        for k, x in v.items():
            kb = k.encode()
            out += struct.pack(">H", len(kb)) + kb + amf_enc(x)
        return out + b"\x00\x00\x09"
    raise TypeError(v)


def amf_dec(b, pos):
    """Decode one AMF0 value at pos. Returns (value, new_pos)."""
    t = b[pos]
    pos += 1
    if t == 0x00:
        return struct.unpack_from(">d", b, pos)[0], pos + 8
    if t == 0x01:
        return bool(b[pos]), pos + 1
    if t == 0x02:
        n = struct.unpack_from(">H", b, pos)[0]
        return bytes(b[pos + 2:pos + 2 + n]).decode("utf-8", "replace"), pos + 2 + n
    if t == 0x0c:
        n = struct.unpack_from(">I", b, pos)[0]
        return bytes(b[pos + 4:pos + 4 + n]).decode("utf-8", "replace"), pos + 4 + n
    if t in (0x03, 0x08):
        if t == 0x08:
            pos += 4
        obj = {}
        while True:
            n = struct.unpack_from(">H", b, pos)[0]
            pos += 2
            if n == 0 and b[pos] == 0x09:
                return obj, pos + 1
            k = bytes(b[pos:pos + n]).decode("utf-8", "replace")
            obj[k], pos = amf_dec(b, pos + n)
    if t in (0x05, 0x06):
        return None, pos
    if t == 0x0a:
        n = struct.unpack_from(">I", b, pos)[0]
        pos += 4
        arr = []
        for _ in range(n):
            v, pos = amf_dec(b, pos)
            arr.append(v)
        return arr, pos
    if t == 0x0b:
        return struct.unpack_from(">d", b, pos)[0], pos + 10
    raise ValueError("AMF0 type %d" % t)


def amf_dec_all(b):
    out, pos = [], 0
    try:
        while pos < len(b):
            v, pos = amf_dec(b, pos)
            out.append(v)
    except (ValueError, IndexError, struct.error):
        pass
    return out


def avcc_key(payload):
    """First slice's key bytes from an FLV/RTMP AVC video body (AVCPacketType 1), or None."""
    if len(payload) < 5 or (payload[0] & 0x0f) != 7 or payload[1] != 1:
        return None
    off = 5
    while off + 4 <= len(payload):
        n = struct.unpack_from(">I", payload, off)[0]
        nal = payload[off + 4:off + 4 + n]
        if nal and (nal[0] & 0x1f) in SLICE_TYPES:
            return bytes(nal[1:1 + KEY_BYTES])
        off += 4 + n
    return None


class Conn:
    def __init__(self, obs, sock):
        self.obs, self.sock = obs, sock
        self.buf = bytearray()
        self.closed = False

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.close()

    def on_readable(self):
        try:
            data = self.sock.recv(262144)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        t = time.monotonic()
        if not data:
            self.close()
            return
        self.buf += data
        self.on_data(t)

    def close(self):
        if self.closed:
            return
        self.closed = True
        try:
            self.obs.sel.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        self.sock.close()


# --- RTSP ----------------------------------------------------------------------------------------
class RtspConn(Conn):
    """RTSP client (every track, interleaved over TCP); records per-video-frame arrival times."""

    def __init__(self, obs, sock, url):
        super().__init__(obs, sock)
        self.url = url
        self.cseq = 0
        self.state = "describe"
        self.session = None
        self.base = url
        self.last_keepalive = time.monotonic()
        self.cur_ts = None       # RTP timestamp of the frame being received
        self.cur_first = None    # arrival of its first packet
        self.cur_key = None
        self.cur_idr = False
        self.request("DESCRIBE", url, "Accept: application/sdp\r\n")

    def request(self, method, url, extra=""):
        self.cseq += 1
        hdr = "%s %s RTSP/1.0\r\nCSeq: %d\r\nUser-Agent: lsbench-observer\r\n%s" % (
            method, url, self.cseq, extra)
        if self.session:
            hdr += "Session: %s\r\n" % self.session
        self.send((hdr + "\r\n").encode())

    def keepalive(self, now):
        if self.state == "playing" and now - self.last_keepalive > 15:
            self.last_keepalive = now
            self.request("OPTIONS", self.url)

    def on_data(self, t):
        buf = self.buf
        pos = 0
        n = len(buf)
        while pos < n:
            if buf[pos] == 0x24:  # '$' interleaved frame
                if n - pos < 4:
                    break
                ch = buf[pos + 1]
                ln = (buf[pos + 2] << 8) | buf[pos + 3]
                if n - pos < 4 + ln:
                    break
                if ch == 0:
                    self.on_rtp(memoryview(buf)[pos + 4:pos + 4 + ln], t)
                pos += 4 + ln
            elif buf[pos:pos + 5] == b"RTSP/":
                end = buf.find(b"\r\n\r\n", pos)
                if end < 0:
                    break
                head = bytes(buf[pos:end]).decode("latin-1")
                m = re.search(r"(?im)^content-length:\s*(\d+)", head)
                clen = int(m.group(1)) if m else 0
                if n - (end + 4) < clen:
                    break
                body = bytes(buf[end + 4:end + 4 + clen]).decode("latin-1")
                pos = end + 4 + clen
                self.on_response(head, body)
            else:
                pos += 1  # resync
        del buf[:pos]

    def on_response(self, head, body):
        status = int(head.split(None, 2)[1])
        if status != 200:
            self.obs.error = "RTSP %s: %s" % (self.state, head.splitlines()[0])
            self.close()
            return
        if self.state == "describe":
            m = re.search(r"(?im)^content-base:\s*(\S+)", head)
            if m:
                self.base = m.group(1)
            # Every track is set up, video first (channels 0-1), like the tools under test do:
            # the test camera's shared media stalls when a track nobody set up fills up.
            tracks = []
            kind = None
            for line in body.splitlines():
                if line.startswith("m="):
                    kind = line[2:].split(None, 1)[0]
                elif kind and line.startswith("a=control:"):
                    tracks.append((kind != "video", line[len("a=control:"):].strip()))
                    kind = None
            tracks.sort()
            if not tracks or tracks[0][0]:
                self.obs.error = "RTSP: no video track in the SDP"
                self.close()
                return
            self.setups = []
            for i, (_, control) in enumerate(tracks):
                if not control.startswith("rtsp://"):
                    control = self.base.rstrip("/") + "/" + control
                self.setups.append((control, "Transport: RTP/AVP/TCP;unicast;interleaved=%d-%d\r\n"
                                    % (2 * i, 2 * i + 1)))
            self.state = "setup"
            self.request("SETUP", *self.setups.pop(0))
        elif self.state == "setup":
            m = re.search(r"(?im)^session:\s*([^;\r\n]+)", head)
            self.session = m.group(1).strip() if m else None
            if self.setups:
                self.request("SETUP", *self.setups.pop(0))
                return
            self.state = "play"
            self.request("PLAY", self.base, "Range: npt=0.000-\r\n")
        elif self.state == "play":
            self.state = "playing"

    def on_rtp(self, p, t):
        if len(p) < 12 or (p[0] >> 6) != 2:
            return
        cc = p[0] & 0x0f
        hl = 12 + 4 * cc
        if p[0] & 0x10:
            if len(p) < hl + 4:
                return
            hl += 4 + 4 * ((p[hl + 2] << 8) | p[hl + 3])
        end = len(p)
        if p[0] & 0x20:
            end -= p[-1]
        marker = bool(p[1] & 0x80)
        ts = struct.unpack_from(">I", p, 4)[0]
        pl = p[hl:end]
        if ts != self.cur_ts:
            self.cur_ts, self.cur_first, self.cur_key, self.cur_idr = ts, t, None, False
        if len(pl) >= 2 and self.cur_key is None:
            typ = pl[0] & 0x1f
            if typ in SLICE_TYPES:
                self.cur_key, self.cur_idr = bytes(pl[1:1 + KEY_BYTES]), typ == 5
            elif typ == 28 and (pl[1] & 0x80) and (pl[1] & 0x1f) in SLICE_TYPES:
                self.cur_key, self.cur_idr = bytes(pl[2:2 + KEY_BYTES]), (pl[1] & 0x1f) == 5
            elif typ == 24:
                off = 1
                while off + 2 < len(pl):
                    sz = (pl[off] << 8) | pl[off + 1]
                    nal = pl[off + 2:off + 2 + sz]
                    if nal and (nal[0] & 0x1f) in SLICE_TYPES:
                        self.cur_key, self.cur_idr = bytes(nal[1:1 + KEY_BYTES]), (nal[0] & 0x1f) == 5
                        break
                    off += 2 + sz
        if marker and self.cur_key is not None:
            self.obs.on_frame(self.cur_key, self.cur_first, t, self.cur_idr)
            self.cur_key = None


# --- RTMP ----------------------------------------------------------------------------------------
class RtmpPlayer(Conn):
    """Minimal RTMP player: simple handshake, connect, createStream, play; chunk stream parser."""

    def __init__(self, obs, sock, app, tc_url, name, keep):
        super().__init__(obs, sock)
        self.app, self.tc_url, self.name, self.keep = app, tc_url, name, keep
        self.state = "handshake"
        self.in_chunk = 128
        self.chunks = {}
        self.window = 0
        self.rx = 0
        self.rx_acked = 0
        self.stream_id = None
        self.playing = False
        self.first_video_t = None
        self.first_key = None
        self.frames = 0
        c1 = struct.pack(">II", 0, 0) + os.urandom(1528)
        self.send(b"\x03" + c1)

    # outgoing
    def send_msg(self, csid, mtype, msid, payload, ts=0):
        out = bytearray()
        first = True
        pos = 0
        while first or pos < len(payload):
            if first:
                out += bytes([csid]) + struct.pack(">I", ts)[1:] + struct.pack(">I", len(payload))[1:]
                out += bytes([mtype]) + struct.pack("<I", msid)
                first = False
            else:
                out += bytes([0xC0 | csid])
            out += payload[pos:pos + 128]
            pos += 128
        self.send(bytes(out))

    def command(self, *values, msid=0, csid=3):
        self.send_msg(csid, 20, msid, b"".join(amf_enc(v) for v in values))

    # incoming
    def on_data(self, t):
        if self.closed:
            return
        buf = self.buf
        if self.state == "handshake":
            if len(buf) < 1 + 1536 + 1536:
                return
            s1 = bytes(buf[1:1537])
            del buf[:1 + 1536 + 1536]
            self.rx += 3073
            self.send(s1)  # C2 echoes S1
            self.state = "connect"
            self.command("connect", 1, {
                "app": self.app, "flashVer": "LNX 9,0,124,2", "tcUrl": self.tc_url,
                "fpad": False, "capabilities": 15, "audioCodecs": 4071, "videoCodecs": 252,
                "videoFunction": 1})
        pos, n = 0, len(buf)
        while pos < n:
            start = pos
            b0 = buf[pos]
            fmt, csid = b0 >> 6, b0 & 0x3f
            pos += 1
            if csid == 0:
                if n - pos < 1:
                    pos = start
                    break
                csid = buf[pos] + 64
                pos += 1
            elif csid == 1:
                if n - pos < 2:
                    pos = start
                    break
                csid = buf[pos] + buf[pos + 1] * 256 + 64
                pos += 2
            mh = (11, 7, 3, 0)[fmt]
            if n - pos < mh:
                pos = start
                break
            st = self.chunks.get(csid)
            if st is None:
                st = self.chunks[csid] = {"ts": 0, "len": 0, "type": 0, "msid": 0, "ext": False,
                                          "data": bytearray(), "delta": 0}
            ts_field = None
            new = {}
            if fmt <= 2:
                ts_field = (buf[pos] << 16) | (buf[pos + 1] << 8) | buf[pos + 2]
            if fmt <= 1:
                new["len"] = (buf[pos + 3] << 16) | (buf[pos + 4] << 8) | buf[pos + 5]
                new["type"] = buf[pos + 6]
            if fmt == 0:
                new["msid"] = struct.unpack_from("<I", buf, pos + 7)[0]
            pos += mh
            ext = (ts_field == 0xFFFFFF) if fmt <= 2 else st["ext"]
            if ext:
                if n - pos < 4:
                    pos = start
                    break
                ext_val = struct.unpack_from(">I", buf, pos)[0]
                pos += 4
            length = new.get("len", st["len"])
            have = len(st["data"]) if fmt == 3 else 0
            take = min(self.in_chunk, length - have)
            if n - pos < take:
                pos = start
                break
            # the chunk is complete: commit its header
            if fmt <= 2:
                st["ext"] = ext
                val = ext_val if ext else ts_field
                if fmt == 0:
                    st["ts"] = val
                else:
                    st["delta"] = val
                    st["ts"] += val
                st.update(new)
                st["data"] = bytearray()
            elif have == 0:
                st["ts"] += st["delta"]
            st["data"] += buf[pos:pos + take]
            pos += take
            if len(st["data"]) >= st["len"]:
                data = st["data"]
                st["data"] = bytearray()
                self.on_message(st["type"], st["msid"], data, t)
                if self.closed:
                    return
        self.rx += pos
        del buf[:pos]
        if self.window and self.rx - self.rx_acked >= self.window // 2:
            self.rx_acked = self.rx
            self.send_msg(2, 3, 0, struct.pack(">I", self.rx & 0xFFFFFFFF))

    def on_message(self, mtype, msid, data, t):
        if mtype == 1 and len(data) >= 4:
            self.in_chunk = struct.unpack_from(">I", data)[0] & 0x7FFFFFFF
        elif mtype == 5 and len(data) >= 4:
            self.window = struct.unpack_from(">I", data)[0]
        elif mtype == 4 and len(data) >= 6 and struct.unpack_from(">H", data)[0] == 6:
            self.send_msg(2, 4, 0, struct.pack(">H", 7) + bytes(data[2:6]))  # ping → pong
        elif mtype == 20:
            vals = amf_dec_all(data)
            if not vals:
                return
            cmd = vals[0]
            if cmd == "_result" and len(vals) >= 2 and vals[1] == 1 and self.state == "connect":
                self.state = "create"
                self.command("createStream", 2, None)
            elif cmd == "_result" and len(vals) >= 4 and vals[1] == 2 and self.state == "create":
                self.stream_id = int(vals[3])
                self.state = "play"
                self.command("play", 0, None, self.name, -1000.0, msid=self.stream_id, csid=8)
            elif cmd == "onStatus" and len(vals) >= 4 and isinstance(vals[3], dict):
                code = vals[3].get("code", "")
                if code in ("NetStream.Play.Start", "NetStream.Play.Reset"):
                    if not self.playing:
                        self.playing = True
                        self.obs.on_playing(self)
                elif "Failed" in code or "Error" in code or "NotFound" in code:
                    self.obs.error = "RTMP play %s: %s" % (self.name, code)
            elif cmd == "_error":
                self.obs.error = "RTMP %s: _error %r" % (self.name, vals[3:4])
        elif mtype == 9:
            key = avcc_key(data)
            if key is None:
                return
            self.frames += 1
            self.obs.on_video(self, key, t)


class Observer(threading.Thread):
    def __init__(self, rtsp_url, rtmp_port, app="live"):
        super().__init__(name="observer", daemon=True)
        self.rtsp_url, self.rtmp_port, self.app = rtsp_url, rtmp_port, app
        self.sel = selectors.DefaultSelector()
        self.cmds = queue.Queue()
        self.wake_r, self.wake_w = socket.socketpair()
        self.wake_r.setblocking(False)
        self.sel.register(self.wake_r, selectors.EVENT_READ, None)
        self.lock = threading.Lock()
        self.error = None
        self.rtsp = None
        # key -> deque of (t_first, t_last, idr) arrivals (the clip loops: a key recurs every 32 s)
        self.frames = collections.defaultdict(collections.deque)
        self.frame_times = collections.deque(maxlen=2000)   # t_last of recent frames
        self.n_frames = 0
        self.last_entry = None
        self.players = {}
        self.window = False
        self.window_frames = 0       # camera frames seen during the window
        self.window_gaps = []        # inter-frame gaps during the window (s)
        self.stop_flag = False

    # --- called from other threads ---
    def call(self, fn, *args):
        done = threading.Event()
        box = {}

        def run():
            try:
                box["v"] = fn(*args)
            finally:
                done.set()
        self.cmds.put(run)
        self.wake_w.send(b"x")
        done.wait(30)
        return box.get("v")

    def start_rtsp(self, timeout=20):
        self.call(self._start_rtsp)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.n_frames >= 30:
                    return True
            if self.error:
                raise RuntimeError(self.error)
            time.sleep(0.05)
        raise RuntimeError("observer: no video from the camera")

    def subscribe(self, names, keep, timeout=30):
        """Open one RTMP player per stream name; wait until every one is playing (waiting)."""
        self.call(self._subscribe, names, set(keep))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                ready = sum(1 for n in names if self.players[n]["conn"].playing)
            if ready == len(names):
                return
            if self.error:
                raise RuntimeError(self.error)
            time.sleep(0.02)
        raise RuntimeError("observer: only %d of %d RTMP players started" % (ready, len(names)))

    def set_window(self, on):
        with self.lock:
            self.window = on
            if on:
                self.window_frames = 0
                self.window_gaps = []
                self.window_t = time.monotonic()
            else:
                self.window_dt = time.monotonic() - self.window_t

    def window_camera(self):
        """Frames per second the camera sent during the last window, and its frame gaps."""
        with self.lock:
            d = sorted(self.window_gaps)
            fps = self.window_frames / self.window_dt if getattr(self, "window_dt", 0) else None
        if not d:
            return {"fps": fps}
        return {"fps": fps, "gap_p50_ms": 1000 * d[len(d) // 2],
                "gap_p99_ms": 1000 * d[int(len(d) * 0.99)], "gap_max_ms": 1000 * d[-1]}

    def first_video_count(self, names):
        with self.lock:
            return sum(1 for n in names if self.players[n]["first_video_t"] is not None)

    def take(self, names):
        """Close the players of these streams and return what they measured."""
        self.call(self._close_players, names)
        time.sleep(0.1)  # let the RTSP side catch up with the last frames
        with self.lock:
            out = {n: self.players.pop(n) for n in names}
            for rec in out.values():
                self._resolve(rec)
        return out

    def _resolve(self, rec):
        """Match the recorded RTMP frames with the camera's RTP frames (lock held)."""
        if rec["first_key"] is not None:
            a = self._arrival(rec["first_key"], rec["first_video_t"])
            rec["first_key_arrival"] = a[1] if a else None
            rec["first_key_idr"] = a[2] if a else None
        for key, t in rec.pop("pending"):
            a = self._arrival(key, t)
            if not a:
                rec["unmatched"] += 1
                continue
            rec["lat_ms"].append(1000 * (t - a[1]))
            if a[3] is not None:
                # FFmpeg's parser returns a frame only once the next one begins: the part of
                # the latency after that moment is what the tool itself adds.
                rec["lat_after_next_ms"].append(1000 * (t - a[3]))
                rec["hold_ms"].append(1000 * (a[3] - a[1]))

    def frame_interval_stats(self):
        with self.lock:
            ts = list(self.frame_times)
        d = sorted(b - a for a, b in zip(ts, ts[1:]))
        if not d:
            return {}
        return {"p50_ms": 1000 * d[len(d) // 2], "p99_ms": 1000 * d[int(len(d) * 0.99)],
                "max_ms": 1000 * d[-1], "n": len(d)}

    def stop(self):
        self.stop_flag = True
        self.wake_w.send(b"x")
        self.join(5)

    # --- loop thread ---
    def _start_rtsp(self):
        m = re.match(r"rtsp://([^/:]+):(\d+)", self.rtsp_url)
        s = socket.create_connection((m.group(1), int(m.group(2))), timeout=5)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rtsp = RtspConn(self, s, self.rtsp_url)
        s.setblocking(False)
        self.sel.register(s, selectors.EVENT_READ, self.rtsp)

    def _subscribe(self, names, keep):
        tc = "rtmp://127.0.0.1:%d/%s" % (self.rtmp_port, self.app)
        for n in names:
            s = socket.create_connection(("127.0.0.1", self.rtmp_port), timeout=5)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            p = RtmpPlayer(self, s, self.app, tc, n, n in keep)
            s.setblocking(False)
            self.sel.register(s, selectors.EVENT_READ, p)
            with self.lock:
                self.players[n] = {"conn": p, "first_video_t": None, "first_key_arrival": None,
                                   "first_key_idr": None, "lat_ms": [], "unmatched": 0,
                                   "lat_after_next_ms": [], "hold_ms": [], "pending": [],
                                   "first_key": None,
                                   "keep": n in keep}

    def _close_players(self, names):
        for n in names:
            rec = self.players.get(n)
            if rec:
                rec["conn"].close()

    def on_frame(self, key, t_first, t_last, idr):
        with self.lock:
            dq = self.frames[key]
            # [first packet, marker packet, IDR, first packet of the NEXT frame (filled later)]
            entry = [t_first, t_last, idr, None]
            if self.last_entry is not None:
                self.last_entry[3] = t_first
            self.last_entry = entry
            dq.append(entry)
            while len(dq) > 4:
                dq.popleft()
            if self.window:
                self.window_frames += 1
                if self.frame_times:
                    self.window_gaps.append(t_last - self.frame_times[-1])
            self.frame_times.append(t_last)
            self.n_frames += 1

    def _arrival(self, key, t):
        """The latest arrival of this frame's content before t (within 20 s). Up to 20 ms
        *after* t is accepted too: when a tool relays within a millisecond, this loop may read
        the RTMP player's socket before its own RTSP socket in the same round (the latency then
        comes out slightly negative: that is the observer's resolution)."""
        best = None
        for a in self.frames.get(key, ()):
            if a[1] <= t + 0.020 and t - a[1] < 20 and (best is None or a[1] > best[1]):
                best = a
        return best

    def on_playing(self, conn):
        pass

    def on_video(self, conn, key, t):
        with self.lock:
            rec = self.players.get(conn.name)
            if rec is None:
                return
            first = rec["first_video_t"] is None
            if first:
                rec["first_video_t"] = t
                rec["first_key"] = key
            elif self.window and rec["keep"]:
                # Matched later (take()): a fast tool's message can be read before the
                # observer has read the frame's last RTP packet from its own socket.
                rec["pending"].append((key, t))
        if first and not conn.keep:
            conn.close()

    def run(self):
        while not self.stop_flag:
            for k, _ in self.sel.select(0.5):
                if k.data is None:
                    try:
                        self.wake_r.recv(4096)
                    except BlockingIOError:
                        pass
                    while True:
                        try:
                            fn = self.cmds.get_nowait()
                        except queue.Empty:
                            break
                        try:
                            fn()
                        except Exception as e:  # report, keep the loop alive
                            self.error = "observer: %s" % e
                else:
                    k.data.on_readable()
            if self.rtsp is not None and not self.rtsp.closed:
                self.rtsp.keepalive(time.monotonic())
            elif self.rtsp is not None and self.error is None:
                self.error = "observer: the camera closed the RTSP connection"
