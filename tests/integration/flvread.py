"""Reads H.265-in-FLV, which Debian's FFmpeg 5.1 cannot demux, into the same Timeline that
lsharness.probe_timeline gives for everything else.

FFmpeg 5.1 knows neither Enhanced RTMP (`hvc1`) nor the legacy codec id 12 in FLV, so this
module parses the FLV tags itself (the container only: tag timestamps, composition times,
length-prefixed NAL units; written from the FLV and Enhanced RTMP specifications, sharing no
code with the library) and lets FFmpeg's HEVC decoder do the rest: the access units are
written as an Annex B elementary stream, `ffprobe -f hevc -show_frames` decodes it and
reports, for each frame in output order, the byte position of the access unit it was coded
in (pkt_pos), which maps it back to its tag and so to the tag's PTS. The decoder alone thus
decides the presentation order; the timestamps are the relay's.

    tl = flvread.hevc_timeline("/path/out.flv")                 # a file
    tl = flvread.hevc_timeline("http://127.0.0.1:P/live/x.flv", seconds=6)   # live HTTP-FLV
"""
import bisect
import http.client
import os
import time
import urllib.parse
from collections import namedtuple

import lsharness as h

Tag = namedtuple("Tag", "type ts body")
START_CODE = b"\x00\x00\x00\x01"


def tags(data, pos=0):
    """(tags, offset after the last whole tag) of FLV bytes from offset pos (0: the 13-byte
    file header first); a trailing partial tag is left for the next call."""
    if pos == 0:
        if data[:3] != b"FLV":
            raise ValueError("not FLV: %r" % bytes(data[:16]))
        pos = 13
    out = []
    while len(data) - pos >= 11:
        size = int.from_bytes(data[pos + 1:pos + 4], "big")
        if len(data) - pos < 15 + size:
            break
        ts = int.from_bytes(data[pos + 4:pos + 7], "big") | (data[pos + 7] << 24)
        out.append(Tag(data[pos] & 0x1F, ts, bytes(data[pos + 11:pos + 11 + size])))
        pos += 15 + size
    return out, pos


def _si24(b):
    v = int.from_bytes(b, "big")
    return v - (1 << 24) if v & 0x800000 else v


def hevc_video(tag):
    """(kind, key, cts, payload) of an H.265 video tag, Enhanced RTMP or codec id 12; kind is
    "config" (payload: hvcC), "frame" (payload: length-prefixed NAL units) or None."""
    b = tag.body
    if b[0] & 0x80:                                   # Enhanced RTMP: IsExHeader
        ptype, key = b[0] & 0x0F, (b[0] >> 4) & 0x07 == 1
        if b[1:5] != b"hvc1":
            return None, key, 0, b""
        if ptype == 0:
            return "config", key, 0, b[5:]
        if ptype == 1:
            return "frame", key, _si24(b[5:8]), b[8:]
        if ptype == 3:
            return "frame", key, 0, b[5:]
        return None, key, 0, b""
    if b[0] & 0x0F == 12:                             # legacy codec id 12, shaped like AVC
        key = (b[0] >> 4) == 1
        if b[1] == 0:
            return "config", key, 0, b[5:]
        if b[1] == 1:
            return "frame", key, _si24(b[2:5]), b[5:]
    return None, False, 0, b""


def is_aac_config(tag):
    return tag.type == 8 and len(tag.body) > 1 and tag.body[0] >> 4 == 10 and tag.body[1] == 0


def is_frame(tag):
    """An audio frame or an H.265 coded frame (not a header, not metadata)."""
    if tag.type == 8:
        return len(tag.body) > 1 and not is_aac_config(tag)
    return tag.type == 9 and bool(tag.body) and hevc_video(tag)[0] == "frame"


def hvcc_to_annexb(hvcc):
    """(Annex B parameter sets, NAL length size) of an HEVCDecoderConfigurationRecord."""
    length_size = (hvcc[21] & 3) + 1
    out, pos = bytearray(), 23
    for _ in range(hvcc[22]):
        n = int.from_bytes(hvcc[pos + 1:pos + 3], "big")
        pos += 3
        for _ in range(n):
            size = int.from_bytes(hvcc[pos:pos + 2], "big")
            out += START_CODE + hvcc[pos + 2:pos + 2 + size]
            pos += 2 + size
    return bytes(out), length_size


def nals_to_annexb(payload, length_size):
    out, pos = bytearray(), 0
    while pos + length_size <= len(payload):
        size = int.from_bytes(payload[pos:pos + length_size], "big")
        out += START_CODE + payload[pos + length_size:pos + length_size + size]
        pos += length_size + size
    return bytes(out)


def read_live(url, seconds, timeout=None):
    """The FLV bytes of an HTTP-FLV URL until `seconds` of tag time past its first audio or
    video frame (or `timeout` s of wall time: then errors says so). Returns (bytes, errors)."""
    timeout = timeout if timeout is not None else seconds + 20.0
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    data, errors, end = bytearray(), [], time.monotonic() + timeout
    pos, first = 0, None
    try:
        conn.request("GET", u.path + ("?" + u.query if u.query else ""))
        resp = conn.getresponse()
        if resp.status != 200:
            return b"", ["HTTP %d from %s" % (resp.status, url)]
        while True:
            if time.monotonic() > end:
                errors.append("timed out")
                break
            chunk = resp.read1(65536)
            if not chunk:
                break
            data += chunk
            if len(data) < 13:
                continue
            new, pos = tags(data, pos)
            media = [t.ts for t in new if is_frame(t)]   # a cached header may be much older
            first = media[0] if first is None and media else first
            if media and media[-1] - first >= seconds * 1000:
                break
    except OSError as e:
        errors.append("%s: %s" % (url, e))
    finally:
        conn.close()
    return bytes(data), errors


def hevc_timeline(source, seconds=None, timeout=None):
    """A Timeline (lsharness) of an FLV file or HTTP-FLV URL carrying H.265 (and audio):
    stream 0 video, stream 1 audio; packets in tag order (dts = the tag's timestamp, pts = dts +
    composition time; sequence headers and metadata left out); frames in the order FFmpeg's
    HEVC decoder outputs them."""
    if source.startswith("http://"):
        data, errors = read_live(source, seconds, timeout)
    else:
        try:
            with open(source, "rb") as f:
                data, errors = f.read(), []
        except OSError as e:
            data, errors = b"", [str(e)]
    flv, _ = tags(data) if data else ([], 0)
    packets, annexb, starts, au_pts = [], bytearray(), [], []
    params, length_size = b"", 4
    for t in flv:
        if t.type == 8 and is_frame(t):
            packets.append(h.TsPacket(1, "audio", float(t.ts), float(t.ts), True))
        if t.type != 9 or not t.body:
            continue
        kind, key, cts, payload = hevc_video(t)
        if kind == "config":
            params, length_size = hvcc_to_annexb(payload)
        elif kind == "frame":
            packets.append(h.TsPacket(0, "video", float(t.ts + cts), float(t.ts), key))
            starts.append(len(annexb))
            au_pts.append(float(t.ts + cts))
            annexb += (params if key else b"") + nals_to_annexb(payload, length_size)
    frames = []
    if annexb:
        path = os.path.join(h.tmpdir("hevc-"), "video.hevc")
        with open(path, "wb") as f:
            f.write(annexb)
        r = h.run(["ffprobe", "-v", "error", "-f", "hevc", "-show_entries", "frame=pkt_pos",
                   "-of", "csv=p=0", path], timeout=60)
        errors += [ln for ln in r.stderr.splitlines() if ln.strip()]
        for line in r.stdout.split():
            if line.strip().isdigit():
                i = bisect.bisect_right(starts, int(line)) - 1
                frames.append(h.TsFrame(0, "video", au_pts[i] if i >= 0 else None))
    streams = {0: ("video", "hevc"), 1: ("audio", "aac")}
    return h.Timeline(streams, packets, frames, errors, "timed out" in errors)
