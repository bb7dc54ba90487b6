"""Live HLS (issue 10 item 3): /live/<id>/index.m3u8 of lightstreamd, checked by real readers.

These cases run inside test_recording_api.py, on its daemon (hls_idle_s 2) and its camera, so
that no other daemon starts for them (setup() hands them over). What is checked:
- H.264 + AAC (the recording relay, running): the first playlist is ready within one GOP of the
  first request; ffmpeg decodes the live playlist for 3 s with 0 errors; the init segment and
  every listed segment, joined, decode with 0 errors and their timestamps run on across the
  segment boundaries (no gap, no step back); the playlist's tags (TARGETDURATION, MEDIA-SEQUENCE,
  MAP) are right and the sequence advances; the packager is gone hls_idle_s after the last
  request (/metrics) and its segments with it;
- hls.js plays the live H.264 playlist in headless Chromium: currentTime advances with the wall
  clock, frames decoded; the live delay stays within two GOPs (hls.js liveSyncDurationCount 1);
- H.265 (Chromium here cannot decode it): the init segment has an hvc1 sample entry (not hev1)
  whose hvcC carries VPS, SPS and PPS, and the CODECS attribute is what that hvcC says
  (computed here from its bytes, ISO/IEC 14496-15 annex E); ffprobe reads it as hevc/hvc1;
- an on-demand relay starts for an HLS request and stops once HLS went idle;
- a resolution switch (/h264_switch_aac: 640x360 <-> 320x180 every 4 s) begins a new epoch:
  EXT-X-DISCONTINUITY-SEQUENCE and the init segment's number grow, the media sequence goes on,
  and the new init segment with its first segment decodes with 0 errors at the other size.
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lsd import h  # noqa: E402
from test_api import ApiCase  # noqa: E402

D = None
H264 = None        # the running H.264 + AAC relay's id
HEVC = "hevccam"   # on demand, /h265_aac
ONDEMAND = "odcam"  # on demand, /h264, idle_s 1
SWITCH = None      # a running relay on /h264_switch_aac (its resolution switches every 4 s)
IDLE_S = 2
GOP_S = 1.0        # the test clips have a keyframe every second


def setup(daemon, cam, h264_relay, switch_relay):
    """Called by the hosting module's setUpModule: the daemon, the camera, a running relay, and
    a running relay on /h264_switch_aac (that mount's only client: see camera.py)."""
    global D, H264, SWITCH
    D, H264, SWITCH = daemon, h264_relay, switch_relay
    for rid, mount, extra in ((HEVC, "/h265_aac", {}), (ONDEMAND, "/h264", {"idle_s": 1})):
        body = dict({"id": rid, "source": cam.url(mount), "on_demand": True}, **extra)
        st, _, js = D.api("POST", "/api/v1/relays", body)
        if st != 201:
            raise AssertionError("relay %s not added: %s %s" % (rid, st, js))


def get(path):
    st, hd, raw = D.request("GET", path, timeout=20)
    return st, hd, raw


def media_playlist(rid):
    st, _, raw = get("/live/%s/stream.m3u8" % rid)
    if st != 200:
        raise AssertionError("stream.m3u8: %s %s" % (st, raw[:200]))
    lines = raw.decode().splitlines()
    tags = dict(ln[7:].split(":", 1) for ln in lines if ln.startswith("#EXT-X-") and ":" in ln)
    segs, dur = [], None
    for ln in lines:
        if ln.startswith("#EXTINF:"):
            dur = float(ln[8:].rstrip(","))
        elif ln and not ln.startswith("#"):
            segs.append((ln, dur))
    return tags, segs


def packager_active(rid):
    raw = get("/metrics")[2].decode()
    m = re.search(r'^lightstreamd_relay_hls_packager_active\{relay="%s"\} (\d+)$' % rid, raw,
                  re.M)
    return m and m.group(1) == "1"


def boxes(data, start=0, end=None):
    """(type, body start, body end) of the boxes in data[start:end]."""
    end = len(data) if end is None else end
    while start + 8 <= end:
        size, kind = struct.unpack(">I4s", data[start:start + 8])
        if size < 8 or start + size > end:
            return
        yield kind.decode("latin-1"), start + 8, start + size
        start += size


def child(data, path, start=0, end=None):
    for kind, a, z in boxes(data, start, end):
        if kind == path[0]:
            return (a, z) if len(path) == 1 else child(data, path[1:], a, z)
    return None


def sample_entries(init):
    """{fourcc: (start, end)} of the sample entries of every track."""
    out = {}
    moov = child(init, ["moov"])
    for kind, a, z in boxes(init, *moov):
        if kind != "trak":
            continue
        stsd = child(init, ["mdia", "minf", "stbl", "stsd"], a, z)
        for entry, ea, ez in boxes(init, stsd[0] + 8, stsd[1]):  # after version, flags, count
            out[entry] = (ea, ez)
    return out


def hvcc_codec_string(hvcc):
    """RFC 6381 / ISO 14496-15 E.3 codec string of an hvcC record, computed from its bytes."""
    space, tier, profile = hvcc[1] >> 6, hvcc[1] >> 5 & 1, hvcc[1] & 31
    compat = int("{:032b}".format(struct.unpack(">I", hvcc[2:6])[0])[::-1], 2)
    constraints = list(hvcc[6:12])
    while constraints and constraints[-1] == 0:
        constraints.pop()
    parts = ["hvc1", ["", "A", "B", "C"][space] + str(profile), "%X" % compat,
             ("H" if tier else "L") + str(hvcc[12])] + ["%X" % b for b in constraints]
    return ".".join(parts)


def hvcc_nal_types(hvcc):
    """NAL unit types of the hvcC's arrays (byte 22: their count; each: type, count, units)."""
    types, pos = [], 23
    for _ in range(hvcc[22]):
        types.append(hvcc[pos] & 0x3f)
        units = struct.unpack(">H", hvcc[pos + 1:pos + 3])[0]
        pos += 3
        for _ in range(units):
            pos += 2 + struct.unpack(">H", hvcc[pos:pos + 2])[0]
    return types


def fetch_joined(rid, count):
    """The init segment and the first @count listed segments, joined in a file; their EXTINFs."""
    tags, segs = h.wait_until(lambda: (lambda t: t if len(t[1]) >= count else None)(
        media_playlist(rid)), 15, 0.3, "%d live segments" % count)
    init_uri = tags["MAP"].split('URI="')[1].split('"')[0]
    st, _, init = get("/live/%s/%s" % (rid, init_uri))
    data = [init]
    for uri, _ in segs[:count]:
        st, _, raw = get("/live/%s/%s" % (rid, uri))
        if st != 200:
            raise AssertionError("%s: %s" % (uri, st))
        data.append(raw)
    f = tempfile.NamedTemporaryFile(suffix=".mp4", delete=False)
    f.write(b"".join(data))
    f.close()
    return f.name, tags, segs[:count]


class LiveH264(ApiCase):
    def test_first_playlist_within_a_gop_then_idle_stop(self):  # runs first of the class
        h.wait_until(lambda: D.api("GET", "/api/v1/relays/" + H264)[2]["state"] == "streaming",
                     20, 0.2, "the relay runs (its GOP cache has a keyframe)")
        h.wait_until(lambda: not packager_active(H264), IDLE_S + 3, 0.2, "no packager yet")
        t = time.monotonic()
        st, hd, raw = get("/live/%s/index.m3u8" % H264)
        took = time.monotonic() - t
        sys.stderr.write("live HLS: first playlist %.0f ms after the request\n" % (took * 1000))
        self.assertEqual(st, 200, raw)
        self.assertEqual(hd.get("content-type"), "application/vnd.apple.mpegurl")
        self.assertEqual(hd.get("access-control-allow-origin"), "*")
        self.assertLessEqual(took, GOP_S + 0.6, "ready within one GOP (the GOP cache starts it)")
        self.assertRegex(raw.decode(), r'CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"')
        tags, segs = media_playlist(H264)
        self.assertTrue(segs)
        st = get("/live/%s/%s" % (H264, segs[-1][0]))[0]
        self.assertEqual(st, 200)
        self.assertTrue(packager_active(H264))
        h.wait_until(lambda: not packager_active(H264), IDLE_S + 3, 0.2, "the idle stop")
        self.assertEqual(get("/live/%s/%s" % (H264, segs[-1][0]))[0], 404, "gone with it")

    def test_live_playlist_decodes_with_ffmpeg(self):
        url = D.url("/live/%s/index.m3u8" % H264)
        p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", url, "-t", "3", "-f",
                            "null", "-"], capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stderr), (0, ""), "decoded with no error")

    def test_segments_join_with_continuous_timestamps(self):
        path, tags, segs = fetch_joined(H264, 4)
        self.addCleanup(os.unlink, path)
        p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stderr), (0, ""), "decoded with no error")
        p = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                            "packet=stream_index,dts_time", "-of", "json", path],
                           capture_output=True, text=True, timeout=60)
        pkts = json.loads(p.stdout)["packets"]
        for index in (0, 1):
            dts = [float(k["dts_time"]) for k in pkts if k["stream_index"] == index]
            steps = [b - a for a, b in zip(dts, dts[1:])]
            self.assertGreater(len(dts), 50)
            frame_s = sorted(steps)[len(steps) // 2]
            self.assertGreater(min(steps), 0, "no step back (stream %d)" % index)
            self.assertLess(max(steps), 2.5 * frame_s, "no gap at a boundary (stream %d)" % index)
        video = [float(k["dts_time"]) for k in pkts if k["stream_index"] == 0]
        self.assertAlmostEqual(video[-1] - video[0] + 0.04, sum(d for _, d in segs), delta=0.1,
                               msg="the EXTINFs add up to the media")

    def test_playlist_tags_and_sequence(self):
        tags, segs = media_playlist(H264)
        self.assertEqual(tags["VERSION"], "7")
        self.assertRegex(tags["MAP"], r'^URI="init\d+\.mp4"$')
        first = int(tags["MEDIA-SEQUENCE"])
        self.assertEqual([u for u, _ in segs], ["%d.m4s" % (first + i) for i in range(len(segs))])
        self.assertLessEqual(len(segs), 6, "a ring of 6")
        for _, d in segs:
            self.assertLessEqual(round(d), int(tags["TARGETDURATION"]))
            self.assertAlmostEqual(d, GOP_S, delta=0.1, msg="one GOP a segment")
        time.sleep(GOP_S * 1.5)
        tags2, segs2 = media_playlist(H264)
        self.assertGreater(int(segs2[-1][0].split(".")[0]), int(segs[-1][0].split(".")[0]),
                           "the live edge moves")
        st, _, raw = get("/live/%s/stream.m3u8?token=x%%20y" % H264)
        self.assertIn("?token=x%20y", raw.decode(), "the token goes on to the URIs")

    def test_hlsjs_plays_live(self):
        node = shutil.which("node") or "/usr/bin/node"
        for what, path in (("chromium", "/usr/bin/chromium"),
                           ("hls.js", os.path.join(HERE, "hlsjs", "node_modules", "hls.js"))):
            self.assertTrue(os.path.exists(path), "%s is missing: run tests/harness/deps.sh" % what)
        h.wait_until(lambda: not packager_active(H264), IDLE_S + 3, 0.2, "no packager yet")
        p = subprocess.run([node, os.path.join(HERE, "hls_range.js"), "--base", D.base,
                            "--url", "/live/%s/index.m3u8" % H264, "--live", "1"],
                           capture_output=True, text=True, timeout=90)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        rep = json.loads(p.stdout)
        sys.stderr.write("hls.js live: %s\n" % json.dumps(rep))
        self.assertEqual(rep["fatal"], [], rep)
        self.assertEqual(rep["pageErrors"], [], rep)
        self.assertGreaterEqual(rep["end"] - rep["start"], 3.0, "currentTime advances: %s" % rep)
        self.assertGreater(rep["frames"], 60, rep)
        self.assertEqual(rep["width"], 640, rep)
        self.assertLessEqual(rep["latency"], 2 * GOP_S + 0.5, rep)
        # The request started the packager (none ran before it): media time 0 is
        # a keyframe at most one GOP older than the request, so the live delay is at most
        # behindRequest + one GOP: within two GOPs (and the slack) when this holds.
        self.assertLessEqual(rep["behindRequest"], GOP_S + 0.5, rep)


class LiveHevc(ApiCase):
    def test_hvc1_init_and_codecs(self):
        # The request starts the on-demand relay; this test checks the structure, not the
        # start time (test_first_playlist_within_a_gop_then_idle_stop does), so a loaded
        # machine may need the player's usual retry after a 503.
        deadline = time.monotonic() + 40
        while True:
            st, _, raw = get("/live/%s/index.m3u8" % HEVC)
            if st != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(st, 200, raw)
        codecs = re.search(r'CODECS="([^"]+)"', raw.decode()).group(1)
        path, tags, segs = fetch_joined(HEVC, 1)
        self.addCleanup(os.unlink, path)
        with open(path, "rb") as f:
            data = f.read()
        init = data[:child(data, ["moov"])[1]]
        entries = sample_entries(init)
        self.assertIn("hvc1", entries, "hvc1, not hev1: %s" % list(entries))
        self.assertIn("mp4a", entries)
        a, z = entries["hvc1"]
        hvcc = child(init, ["hvcC"], a + 78, z)  # after the visual sample entry's fields
        self.assertIsNotNone(hvcc, "an hvcC in the sample entry")
        rec = init[hvcc[0]:hvcc[1]]
        self.assertEqual(sorted(hvcc_nal_types(rec)), [32, 33, 34], "VPS, SPS, PPS in the hvcC")
        self.assertEqual(codecs.lower(), (hvcc_codec_string(rec) + ",mp4a.40.2").lower())
        p = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                            "stream=codec_name,codec_tag_string,width", "-of", "json", path],
                           capture_output=True, text=True, timeout=60)
        streams = json.loads(p.stdout)["streams"]
        self.assertIn({"codec_name": "hevc", "codec_tag_string": "hvc1", "width": 640}, streams)


class LiveOnDemand(ApiCase):
    def test_hls_request_starts_and_idle_stops_a_relay(self):
        js = D.api("GET", "/api/v1/relays/" + ONDEMAND)[2]
        self.assertFalse(js["running"])
        self.assertEqual(js["play"]["hls"], D.url("/live/%s/index.m3u8" % ONDEMAND))
        t = time.monotonic()
        st, _, raw = get("/live/%s/index.m3u8" % ONDEMAND)
        sys.stderr.write("live HLS on demand: first playlist %.0f ms after the request\n" %
                         ((time.monotonic() - t) * 1000))
        self.assertEqual(st, 200, raw)
        js = D.api("GET", "/api/v1/relays/" + ONDEMAND)[2]
        self.assertEqual((js["running"], js["viewers"]), (True, 1), "the packager is a viewer")
        h.wait_until(lambda: not D.api("GET", "/api/v1/relays/" + ONDEMAND)[2]["running"],
                     IDLE_S + 1 + 4, 0.25, "the relay stopped after HLS went idle")


class LiveSwitch(ApiCase):
    def joined_stream(self):
        """(width, ffmpeg's errors) of the first listed segment with its init segment."""
        path, tags, segs = fetch_joined(SWITCH, 1)
        self.addCleanup(os.unlink, path)
        p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-f", "null", "-"],
                           capture_output=True, text=True, timeout=60)
        q = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width", "-of", "csv=p=0", path],
                           capture_output=True, text=True, timeout=60)
        return int(q.stdout.strip() or 0), p.stderr

    def test_resolution_switch_is_a_new_epoch(self):
        st, _, raw = get("/live/%s/index.m3u8" % SWITCH)  # starts the packager
        self.assertEqual(st, 200, raw)
        tags, segs = media_playlist(SWITCH)
        epoch, last = int(tags["DISCONTINUITY-SEQUENCE"]), int(segs[-1][0].split(".")[0])
        self.assertEqual(tags["MAP"], 'URI="init%d.mp4"' % epoch)
        width, errs = self.joined_stream()
        self.assertEqual(errs, "")
        # polling keeps the packager alive; the switch comes within 4 s (+ a GOP to list it)
        tags2, segs2 = h.wait_until(lambda: (lambda t: t if int(t[0]["DISCONTINUITY-SEQUENCE"])
                                             > epoch and t[1] else None)(media_playlist(SWITCH)),
                                    10, 0.3, "a new epoch after the switch")
        epoch2 = int(tags2["DISCONTINUITY-SEQUENCE"])
        self.assertEqual(tags2["MAP"], 'URI="init%d.mp4"' % epoch2, "the init segment's number")
        self.assertGreater(int(segs2[0][0].split(".")[0]), last, "the media sequence goes on")
        width2, errs2 = self.joined_stream()
        self.assertEqual(errs2, "", "the new epoch decodes with no error")
        self.assertEqual(sorted((width, width2)), [320, 640], "each epoch at its own size")
