"""Recorded RTP, replayed by badcam.py on its /replay paths (stdlib only).

record() reads a few whole GOPs of a real camera's session (tests/harness/camera.py: RTSP over
TCP, every track, RTP interleaved) and keeps the SDP, the RTP-Info and every RTP packet with the
time it arrived. Replay serves that recording to one client as a camera would, looped for as
long as the client plays: each loop continues the sequence numbers and RTP timestamps of the
last, and starts with the keyframe the recording starts with, so the stream stays decodable
across the loop point. The flags in the path (/replay/<flag>+<flag>...) make it a camera with
one quirk each:

  chans     the SETUP reply assigns interleaved channels 6-7, 10-11, ... whatever the client asked
  bytewise  every reply and every `$` frame is sent one byte per send() (TCP_NODELAY); replies
            also pause 0.5 ms between bytes, so the client reads them one byte per read, and
            frames pause 0.2 ms after each byte of their `$` header and before their last byte
            (unless the sender is over 20 ms behind the recording's time)
  nomarker  the RTP marker bit is never set on video packets
  rr        the session ends (TEARDOWN logged, connection closed) when no RTCP receiver report
            came for RR_TIMEOUT seconds, as some cameras do whatever the RTSP keep-alives say
  stale     Digest authentication (qop=auth, user DIGEST_USER, password DIGEST_PASSWORD); the
            first SETUP that answers correctly gets 401 with a new nonce and stale=TRUE

Logged on stderr through badcam's event(), for the tests:
  RR <track> <reported ssrc> <reported extended highest seq> <track's ssrc> <extended seq sent>
  AUTH <METHOD> ok|stale|missing|bad
  NORR <seconds>           the rr flag ended a session
  SENT <track> <packets>   when a session's sender stops
"""
import hashlib
import os
import re
import socket
import struct
import threading
import time

RR_TIMEOUT = 7.0
DIGEST_USER, DIGEST_PASSWORD, DIGEST_REALM = "admin", "st4le:n0nce", "replay"
FLAGS = ("chans", "bytewise", "nomarker", "rr", "stale")


# ---- recording -----------------------------------------------------------------------------
class Track:
    def __init__(self, control, codec, clock):
        self.control, self.codec, self.clock = control, codec, clock
        self.ssrc = self.seq0 = self.ts0 = self.rtptime = None
        self.count = self.span = 0


def _read_reply(sock, buf):
    """(status, headers, body, rest of buf); `$` frames before the reply are skipped."""
    while True:
        while buf.startswith(b"$") and len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">H", buf[2:4])[0]:
            buf = buf[4 + struct.unpack(">H", buf[2:4])[0]:]
        end = buf.find(b"\r\n\r\n")
        if not buf.startswith(b"$") and end >= 0:
            lines = buf[:end].decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in
                       (ln.partition(":") for ln in lines[1:])}
            n = end + 4 + int(headers.get("content-length", "0"))
            if len(buf) >= n:
                return int(lines[0].split()[1]), headers, buf[end + 4:n], buf[n:]
        data = sock.recv(65536)
        if not data:
            raise OSError("the camera closed the connection")
        buf += data


def _tracks(sdp):
    tracks, cur = [], None
    for ln in sdp.splitlines():
        if ln.startswith("m="):
            cur = Track(None, None, None)
            tracks.append(cur)
        elif cur and ln.startswith("a=control:"):
            cur.control = ln[10:].strip()
        elif cur and ln.startswith("a=rtpmap:"):
            name, clock = ln.split(None, 1)[1].split("/")[:2]
            cur.codec, cur.clock = name.upper(), int(clock)
    return tracks


def _h264_key(payload):
    """The packet carries an SPS or an IDR slice (a keyframe's first packet carries one)."""
    t = payload[0] & 0x1F
    if t in (5, 7):
        return True
    if t == 28 and len(payload) > 1:
        return bool(payload[1] & 0x80) and payload[1] & 0x1F in (5, 7)
    if t == 24:
        i = 1
        while i + 2 < len(payload):
            n = struct.unpack(">H", payload[i:i + 2])[0]
            if payload[i + 2] & 0x1F in (5, 7):
                return True
            i += 2 + n
    return False


def record(url, gops=2, timeout=20.0):
    """Records `gops` whole GOPs of url's H.264 video (and its other tracks) from the first
    keyframe. Returns a Recording."""
    host, port, path = re.match(r"rtsp://([^:/]+):(\d+)(/.*)", url).groups()
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    cseq = [0]

    def request(method, target, extra=""):
        cseq[0] += 1
        sock.sendall(("%s %s RTSP/1.0\r\nCSeq: %d\r\n%s\r\n" % (method, target, cseq[0], extra)).encode())

    request("DESCRIBE", url, "Accept: application/sdp\r\n")
    status, hd, body, buf = _read_reply(sock, b"")
    assert status == 200, "DESCRIBE %s: %d" % (url, status)
    sdp = body.decode()
    base = hd.get("content-base", url)
    base = base if base.endswith("/") else base + "/"
    tracks = _tracks(sdp)
    session = ""
    for i, tr in enumerate(tracks):
        target = tr.control if "://" in tr.control else base + tr.control
        request("SETUP", target, "Transport: RTP/AVP/TCP;unicast;interleaved=%d-%d\r\n%s"
                % (2 * i, 2 * i + 1, session))
        status, hd, _, buf = _read_reply(sock, buf)
        assert status == 200, "SETUP %s: %d" % (target, status)
        session = "Session: %s\r\n" % hd["session"].split(";")[0]
    request("PLAY", base, session + "Range: npt=0.000-\r\n")
    status, hd, _, buf = _read_reply(sock, buf)
    assert status == 200, "PLAY: %d" % status
    for entry in hd.get("rtp-info", "").split(","):
        kv = dict(p.strip().split("=", 1) for p in entry.split(";") if "=" in p)
        for tr in tracks:
            if kv.get("url", "").endswith(tr.control) and "rtptime" in kv:
                tr.rtptime = int(kv["rtptime"])
    packets, t_start = [], time.monotonic()
    video = next(i for i, tr in enumerate(tracks) if tr.codec == "H264")
    keys, last_ts = [], None
    while len(keys) <= gops:
        while not (len(buf) >= 4 and len(buf) >= 4 + struct.unpack(">H", buf[2:4])[0]):
            data = sock.recv(65536)
            if not data or time.monotonic() - t_start > timeout:
                raise OSError("no whole GOPs from %s" % url)
            buf += data
        assert buf[:1] == b"$", "not an interleaved frame: %r" % buf[:16]
        n = 4 + struct.unpack(">H", buf[2:4])[0]
        ch, rtp, buf = buf[1], buf[4:n], buf[n:]
        if ch % 2 or ch // 2 >= len(tracks):
            continue  # the camera's RTCP: not replayed (its NTP times would not loop)
        if ch // 2 == video:
            ts = struct.unpack(">I", rtp[4:8])[0]
            if ts != last_ts and _h264_key(rtp[12:]):
                keys.append(len(packets))
            last_ts = ts
        packets.append((time.monotonic(), ch // 2, rtp))
    request("TEARDOWN", base, session)
    sock.close()
    span = (struct.unpack(">I", packets[keys[-1]][2][4:8])[0]
            - struct.unpack(">I", packets[keys[0]][2][4:8])[0]) % 2 ** 32
    return Recording(sdp, tracks, packets[keys[0]:keys[-1]], video, span)


class Recording:
    """Whole GOPs of video from a keyframe, and the other tracks' packets of the same time."""

    def __init__(self, sdp, tracks, packets, video, span):
        self.sdp, self.tracks = sdp, tracks
        v = tracks[video]
        v.span = span
        self.duration = v.span / v.clock
        t0, kept = packets[0][0], []
        v_ts0 = struct.unpack(">I", packets[0][2][4:8])[0]  # the recording starts with video
        # The camera's RTP-Info gives each track's time at one instant: move that instant to
        # the keyframe the recording starts with.
        delta = ((v_ts0 - v.rtptime + 2 ** 31) % 2 ** 32 - 2 ** 31) if v.rtptime is not None else None
        for i, tr in enumerate(tracks):
            own = [p for _, j, p in packets if j == i]
            if not own:
                continue
            tr.ssrc = struct.unpack(">I", own[0][8:12])[0]
            tr.seq0 = struct.unpack(">H", own[0][2:4])[0]
            tr.ts0 = struct.unpack(">I", own[0][4:8])[0]
            if i != video:
                tr.span = v.span * tr.clock // v.clock
            if tr.rtptime is not None and delta is not None:
                tr.rtptime = (tr.rtptime + delta * tr.clock // v.clock) % 2 ** 32
            else:
                tr.rtptime = tr.ts0
        for t, i, p in packets:
            tr = tracks[i]
            if (struct.unpack(">I", p[4:8])[0] - tr.ts0) % 2 ** 32 < tr.span:
                kept.append((t - t0, i, p))
        self.packets = kept
        for i, tr in enumerate(tracks):
            tr.count = sum(1 for _, j, _p in kept if j == i)


# ---- replay --------------------------------------------------------------------------------
def _md5(s):
    return hashlib.md5(s.encode()).hexdigest()


class Replay:
    """One client connection of badcam on /replay/<flags>: answers its requests (badcam's
    Conn reads them) and sends the recording after PLAY."""

    def __init__(self, conn, rec, flags, event):
        self.conn, self.rec, self.event = conn, rec, event
        self.flags = set(flags)
        self.lock = threading.Lock()
        self.channels = {}          # track index -> RTP channel
        self.sent = [0] * len(rec.tracks)
        self.last_rr = None
        self.nonce, self.staled = os.urandom(8).hex(), False
        self.done = threading.Event()
        conn.rtcp_sink = self.rtcp
        if "bytewise" in self.flags:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- output
    def send(self, data, pause=0.0, paused=()):
        """bytewise: one byte per send(), with a pause after each byte (`pause`) or after the
        bytes at the indexes in `paused` only."""
        with self.lock:
            if "bytewise" not in self.flags:
                self.conn.sock.sendall(data)
                return
            for i in range(len(data)):
                self.conn.sock.send(data[i:i + 1])
                if pause or i in paused:
                    time.sleep(pause or 0.0002)

    def reply(self, code, reason, cseq, headers=(), body=b""):
        out = "RTSP/1.0 %d %s\r\nCSeq: %s\r\nServer: badcam-replay\r\n" % (code, reason, cseq)
        out += "".join("%s: %s\r\n" % kv for kv in headers)
        if body:
            out += "Content-Length: %d\r\n" % len(body)
        self.send(out.encode() + b"\r\n" + body, pause=0.0005)

    # -- input
    def rtcp(self, channel, data):
        """An interleaved frame from the client: receiver reports are checked and logged."""
        track = next((i for i, c in self.channels.items() if c + 1 == channel), None)
        while track is not None and len(data) >= 8:
            n = 4 * (struct.unpack(">H", data[2:4])[0] + 1)
            if data[1] == 201 and data[0] & 0x1F and len(data) >= 32:
                ssrc, ext = struct.unpack(">I", data[8:12])[0], struct.unpack(">I", data[16:20])[0]
                tr = self.rec.tracks[track]
                self.event("RR %d %d %d %d %d" % (track, ssrc, ext, tr.ssrc,
                                                  tr.seq0 + self.sent[track] - 1))
                self.last_rr = time.monotonic()
            data = data[n:]

    def authorized(self, method, headers, cseq):
        """Digest with qop=auth; the first good SETUP is refused as stale. True if it may go on."""
        h = headers.get("authorization", "")
        kv = dict((k, v.strip('"')) for k, v in re.findall(r'(\w+)=("[^"]*"|[^,\s]*)', h))
        if not h.startswith("Digest "):
            verdict = "missing"
        else:
            ha1 = _md5("%s:%s:%s" % (DIGEST_USER, DIGEST_REALM, DIGEST_PASSWORD))
            ha2 = _md5("%s:%s" % (method, kv.get("uri", "")))
            want = _md5("%s:%s:%s:%s:%s:%s" % (ha1, kv.get("nonce"), kv.get("nc"), kv.get("cnonce"),
                                                "auth", ha2))
            good = kv.get("username") == DIGEST_USER and kv.get("response") == want
            verdict = "bad" if not good else "ok" if kv.get("nonce") == self.nonce else "stale"
            if verdict == "ok" and method == "SETUP" and not self.staled:
                self.staled, verdict = True, "stale"
        self.event("AUTH %s %s" % (method, verdict))
        if verdict == "ok":
            return True
        if verdict == "stale":
            self.nonce = os.urandom(8).hex()
        self.reply(401, "Unauthorized", cseq, [(
            "WWW-Authenticate", 'Digest realm="%s", nonce="%s", qop="auth"%s'
            % (DIGEST_REALM, self.nonce, ", stale=TRUE" if verdict == "stale" else ""))])
        return False

    def request(self, method, url, headers):
        """Answers one request; False when the connection is to end."""
        cseq = headers.get("cseq", "0")
        if "stale" in self.flags and method != "OPTIONS" and not self.authorized(method, headers, cseq):
            return True
        session = [("Session", "replay%d;timeout=60" % id(self))]
        if method == "OPTIONS":
            self.reply(200, "OK", cseq, [("Public", "OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN, "
                                                    "GET_PARAMETER")])
        elif method == "DESCRIBE":
            self.reply(200, "OK", cseq, [("Content-Type", "application/sdp"),
                                         ("Content-Base", url.rstrip("/") + "/")],
                       self.rec.sdp.encode())
        elif method == "SETUP":
            i = next((i for i, tr in enumerate(self.rec.tracks) if url.endswith("/" + tr.control)), None)
            m = re.search(r"interleaved=(\d+)", headers.get("transport", ""))
            if i is None or (not m and "chans" not in self.flags):
                self.reply(461 if i is not None else 404, "Unsupported Transport", cseq)
                return True
            ch = 6 + 4 * i if "chans" in self.flags else int(m.group(1))
            self.channels[i] = ch
            self.reply(200, "OK", cseq, session + [
                ("Transport", "RTP/AVP/TCP;unicast;interleaved=%d-%d;ssrc=%08X"
                 % (ch, ch + 1, self.rec.tracks[i].ssrc))])
        elif method == "PLAY":
            base = url.rstrip("/")
            info = ",".join("url=%s/%s;seq=%d;rtptime=%d" % (base, self.rec.tracks[i].control,
                                                            self.rec.tracks[i].seq0,
                                                            self.rec.tracks[i].rtptime)
                            for i in sorted(self.channels))
            self.reply(200, "OK", cseq, session + [("Range", "npt=0.000-"), ("RTP-Info", info)])
            threading.Thread(target=self._play, daemon=True).start()
        elif method in ("GET_PARAMETER", "TEARDOWN"):
            self.reply(200, "OK", cseq, session)
            if method == "TEARDOWN":
                return False
        else:
            self.reply(405, "Method Not Allowed", cseq)
        return True

    def close(self):
        self.done.set()

    # -- media
    def _packet(self, loop, i, p):
        tr = self.rec.tracks[i]
        b = bytearray(p)
        seq = (struct.unpack(">H", p[2:4])[0] + loop * tr.count) & 0xFFFF
        ts = (struct.unpack(">I", p[4:8])[0] + loop * tr.span) % 2 ** 32
        struct.pack_into(">HI", b, 2, seq, ts)
        if "nomarker" in self.flags and tr.codec in ("H264", "H265"):
            b[1] &= 0x7F
        return b"$" + bytes([self.channels[i]]) + struct.pack(">H", len(b)) + bytes(b)

    def _play(self):
        start = time.monotonic()
        self.last_rr = start
        try:
            loop = 0
            while not self.done.is_set():
                for t, i, p in self.rec.packets:
                    if i not in self.channels:
                        continue
                    now = time.monotonic()
                    if "rr" in self.flags and now - self.last_rr > RR_TIMEOUT:
                        self.event("NORR %.1f" % (now - start))
                        self.conn.sock.shutdown(socket.SHUT_RDWR)
                        return
                    wait = start + loop * self.rec.duration + t - now
                    if wait > 0 and self.done.wait(wait):
                        return
                    frame = self._packet(loop, i, p)
                    # The reader sees the `$` header split at every byte, and each frame's
                    # last byte alone; the bytes between come as fast as Python sends them.
                    # Behind time (a busy machine), no pauses: the stream stays real-time.
                    on_time = wait > -0.02
                    self.send(frame, paused=(0, 1, 2, 3, len(frame) - 2) if on_time else ())
                    self.sent[i] += 1
                loop += 1
        except OSError:
            pass
        finally:
            for i in sorted(self.channels):
                self.event("SENT %d %d" % (i, self.sent[i]))
