#!/usr/bin/python3
"""lightstreamd's recordings (issue 10): a relay's "recording" object in the API and the state
file, the listing of its segments by time range, deletion, and time-range playback as HLS VOD.

One camera and one daemon recording 2 s segments serve the whole file (segments are made once,
while the tests that only need settings run). What is checked:
- settings: defaults, validation (400 naming the field), PATCH of one field, and the same
  settings after the daemon restarts on its data directory;
- listing: segments back to back (each ends where the next starts), durations from the files,
  bytes = the file sizes, codec avc1; a range inside one segment lists exactly that one, in
  RFC 3339 and in epoch seconds; a bad time is a 400;
- deletion: 204 and the file gone, 404 after, 409 for the segment being written, a name that is
  not a segment of this relay is a 404;
- playback: ffmpeg decodes the playlist of a 3-segment range with 0 errors, ffprobe reads the
  duration of that range (±1 s), the master playlist's CODECS is the sample entry's; the segment
  files answer Range requests (206, Content-Range, the exact bytes);
- hls.js plays that range in headless Chromium: the duration, currentTime advancing, a seek to
  near the end that plays on, frames decoded, the CODECS hls.js read;
- /metrics: the recording families with this relay's values;
- H.265 through the daemon: a recording /h265_aac relay lists hvc1 segments (codecs hvc1 +
  mp4a) and ffmpeg decodes its range playlist with 0 errors; G.711: a recording /h264_pcma
  relay records the video (segments that decode, codec avc1 alone) and counts the A-law frames
  it drops in /metrics;
- a resolution switch (/h264_switch_aac, 640x360 <-> 320x180 every 4 s at one level, so one
  codec string): the recording relay cuts a 4 s segment per size, each decodes with 0 errors
  at its size, and the playlist of a range across a switch has an EXT-X-DISCONTINUITY before the
  new size's EXT-X-MAP; hls.js plays over the switch (Chromium). (ffmpeg 5.1's HLS demuxer
  keeps the first EXT-X-MAP's avcC for the whole playlist, so it cannot be the reader here.)
The live HLS cases (hls_live_cases.py) run here too, on the same daemon and camera.
"""
import json
import os
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402
import common  # noqa: E402
from test_api import ApiCase  # noqa: E402
import hls_live_cases  # noqa: E402

CAM = None
D = None
RID = "reccam"
HEVC_RID = "rechevc"   # /h265_aac, recording
G711_RID = "recg711"   # /h264_pcma, recording: video recorded, A-law dropped and counted
SWITCH_RID = "recswitch"  # /h264_switch_aac, recording with 60 s segments: cut at the switches
SEGMENT_S = 2


def setUpModule():
    global CAM, D
    CAM = h.Camera(common.media_dir()).start()
    D = lsd.Daemon(config={"hls_idle_s": hls_live_cases.IDLE_S}).start()
    st, _, js = D.api("POST", "/api/v1/relays", {
        "id": RID, "source": CAM.url("/h264_aac"),
        "recording": {"enabled": True, "segment_s": SEGMENT_S}})
    if st != 201:
        raise AssertionError("relay not added: %s %s" % (st, js))
    for rid, mount, seg_s in ((HEVC_RID, "/h265_aac", SEGMENT_S),
                              (G711_RID, "/h264_pcma", SEGMENT_S),
                              (SWITCH_RID, "/h264_switch_aac", 60)):
        st, _, js = D.api("POST", "/api/v1/relays", {
            "id": rid, "source": CAM.url(mount),
            "recording": {"enabled": True, "segment_s": seg_s}})
        if st != 201:
            raise AssertionError("relay %s not added: %s %s" % (rid, st, js))
    hls_live_cases.setup(D, CAM, RID, SWITCH_RID)


def tearDownModule():
    try:
        if D:
            D.stop_checked()
    finally:
        if CAM:
            CAM.stop()


def listing(query="", rid=RID):
    st, _, js = D.api("GET", "/api/v1/relays/%s/recordings%s" % (rid, query))
    if st != 200:
        raise AssertionError("listing: %s %s" % (st, js))
    return js["recordings"]


def finished(n, rid=RID):
    """At least n finished segments of relay `rid` (waits for them): the list, oldest first."""
    def enough():
        segs = [s for s in listing(rid=rid) if not s["writing"] and s["duration_s"] > 0]
        return segs if len(segs) >= n else None
    return h.wait_until(enough, 40, 0.5, "%d recorded segments of %s" % (n, rid))


def decode_range(rid, segs):
    """ffmpeg's error output decoding the range playlist of `segs` (a list), and ffprobe's
    streams of it."""
    url = D.url("/api/v1/relays/%s/recordings.m3u8?from=%.3f&to=%.3f" % (
        rid, segs[0]["start_ms"] / 1000, segs[-1]["end_ms"] / 1000))
    p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", url, "-f", "null", "-"],
                       capture_output=True, text=True, timeout=60)
    q = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                        "stream=codec_type,codec_name,codec_tag_string,width", "-of", "json",
                        url], capture_output=True, text=True, timeout=60)
    return (p.returncode, p.stderr), json.loads(q.stdout or "{}").get("streams", [])


def rfc3339(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03dZ" % (ms % 1000)


class Settings(ApiCase):
    def test_defaults_and_validation(self):
        d = D
        st, _, js = d.api("POST", "/api/v1/relays", {"id": "plain", "source": "rtsp://127.0.0.1:9/x",
                                                      "on_demand": True})
        self.assertEqual(st, 201, js)
        self.addCleanup(d.api, "DELETE", "/api/v1/relays/plain")
        self.assertEqual(js["recording"], {"enabled": False, "segment_s": 60, "max_age_s": 0,
                                           "max_bytes": 0})
        for bad, field in (({"segment_s": 0}, "recording.segment_s"),
                           ({"segment_s": 3601}, "recording.segment_s"),
                           ({"enabled": "yes"}, "recording.enabled"),
                           ({"max_bytes": -1}, "recording.max_bytes"),
                           ({"max_bytes": 2 ** 60}, "recording.max_bytes"),
                           ({"keep": 1}, "recording.keep"), ([], "recording")):
            self.assertError(d.api("PATCH", "/api/v1/relays/plain", {"recording": bad}), 400,
                             "invalid", field)
        st, _, js = d.api("PATCH", "/api/v1/relays/plain", {"recording": {"max_age_s": 600}})
        self.assertEqual(st, 200, js)
        self.assertEqual(js["recording"], {"enabled": False, "segment_s": 60, "max_age_s": 600,
                                           "max_bytes": 0}, "a PATCH changes only what it gives")

    def test_settings_survive_a_restart(self):
        d = lsd.Daemon().start()
        want = {"enabled": True, "segment_s": 30, "max_age_s": 86400, "max_bytes": 5 << 30}
        st, _, js = d.api("POST", "/api/v1/relays", {"id": "keep", "on_demand": True,
                                                      "source": "rtsp://127.0.0.1:9/x",
                                                      "recording": want})
        self.assertEqual((st, js["recording"]), (201, want))
        d.stop_checked()
        with open(os.path.join(d.data_dir, "state.json")) as f:
            saved = json.load(f)
        self.assertIn(want, [r.get("recording") for r in saved["relays"]], "in the state file")
        d2 = lsd.Daemon(data_dir=d.data_dir).start()
        try:
            st, _, js = d2.api("GET", "/api/v1/relays/keep")
            self.assertEqual((st, js["recording"]), (200, want))
        finally:
            d2.stop_checked()


class Listing(ApiCase):
    def test_segments_back_to_back(self):
        segs = finished(3)
        folder = os.path.join(D.data_dir, "recordings", RID)
        for a, b in zip(segs, segs[1:]):
            self.assertEqual(a["end_ms"], b["start_ms"], "one timeline: %s then %s" %
                             (a["name"], b["name"]))
        for s in segs:
            self.assertRegex(s["name"], r"^%s-\d{8}T\d{6}Z\.mp4$" % RID)
            self.assertEqual(s["bytes"], os.path.getsize(os.path.join(folder, s["name"])))
            self.assertTrue(s["codec"].startswith("avc1.") and len(s["codec"]) == 11, s)
            self.assertEqual(s["codecs"], s["codec"] + ",mp4a.40.2")
            # cut at the first keyframe past segment_s (the clip has one every second)
            self.assertGreaterEqual(s["duration_s"], SEGMENT_S - 0.05, s)
            self.assertLessEqual(s["duration_s"], SEGMENT_S + 1.05, s)
            self.assertAlmostEqual(s["end_ms"] - s["start_ms"], s["duration_s"] * 1000, delta=1)
            self.assertEqual(s["start"], rfc3339(s["start_ms"]))
        writing = [s for s in listing() if s["writing"]]
        self.assertEqual(len(writing), 1, "the segment being written is marked")

    def test_range_selects_the_segments(self):
        segs = finished(3)
        mid = segs[1]
        for q in ({"from": rfc3339(mid["start_ms"] + 100), "to": rfc3339(mid["end_ms"] - 100)},
                  {"from": "%.3f" % ((mid["start_ms"] + 100) / 1000),
                   "to": "%.3f" % ((mid["end_ms"] - 100) / 1000)}):
            got = listing("?" + urllib.parse.urlencode(q))
            self.assertEqual([s["name"] for s in got], [mid["name"]], q)
        got = listing("?" + urllib.parse.urlencode({"to": rfc3339(segs[0]["start_ms"] - 5000)}))
        self.assertEqual(got, [], "nothing before the first")
        got = listing("?from=%d" % (segs[0]["start_ms"] // 1000))
        self.assertEqual([s["name"] for s in got[:3]], [s["name"] for s in segs[:3]])
        for bad in ("?from=yesterday", "?to=2026-13-01T00:00:00Z", "?from=20&to=10"):
            self.assertError(D.api("GET", "/api/v1/relays/%s/recordings%s" % (RID, bad)), 400,
                             "invalid")
        self.assertError(D.api("GET", "/api/v1/relays/nosuch/recordings"), 404, "not_found")


class Playback(ApiCase):
    def range_of(self, segs):
        return {"from": "%.3f" % (segs[0]["start_ms"] / 1000),
                "to": "%.3f" % (segs[-1]["end_ms"] / 1000)}

    def test_ffmpeg_decodes_a_range(self):
        segs = finished(4)[1:4]
        url = D.url("/api/v1/relays/%s/recordings.m3u8?%s" % (
            RID, urllib.parse.urlencode(self.range_of(segs))))
        p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", url, "-f", "null", "-"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual((p.returncode, p.stderr), (0, ""), "decoded with no error")
        p = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                            "-of", "json", url], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        want = sum(s["duration_s"] for s in segs)
        got = float(json.loads(p.stdout)["format"]["duration"])
        self.assertAlmostEqual(got, want, delta=1.0)

    def test_playlists(self):
        segs = finished(3)[0:2]
        q = urllib.parse.urlencode(self.range_of(segs))
        st, hd, raw = D.request("GET", "/api/v1/relays/%s/recordings.m3u8?%s" % (RID, q))
        self.assertEqual(st, 200)
        self.assertEqual(hd.get("content-type"), "application/vnd.apple.mpegurl")
        text = raw.decode()
        self.assertIn('CODECS="%s"' % segs[0]["codecs"], text)
        media = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
        self.assertEqual(len(media), 1)
        st, _, raw = D.request("GET", "/api/v1/relays/%s/%s" % (RID, media[0]))
        self.assertEqual(st, 200)
        lines = raw.decode().splitlines()
        self.assertEqual(lines[0], "#EXTM3U")
        self.assertEqual(lines[-1], "#EXT-X-ENDLIST")
        maps = [ln for ln in lines if ln.startswith("#EXT-X-MAP:")]
        self.assertEqual(maps, ['#EXT-X-MAP:URI="recordings/%s",BYTERANGE="%s@0"' % (
            s["name"], ln.split('BYTERANGE="')[1].split("@")[0]) for s, ln in zip(segs, maps)])
        total = sum(float(ln[8:].rstrip(",")) for ln in lines if ln.startswith("#EXTINF:"))
        self.assertAlmostEqual(total, sum(s["duration_s"] for s in segs), delta=0.05)
        self.assertNotIn("#EXT-X-DISCONTINUITY", lines, "one timeline")
        st, _, _ = D.request("GET", "/api/v1/relays/%s/recordings.m3u8?from=1&to=2" % RID)
        self.assertEqual(st, 404, "nothing recorded in 1970")

    def test_range_requests(self):
        seg = finished(1)[0]
        path = "/api/v1/relays/%s/recordings/%s" % (RID, seg["name"])
        with open(os.path.join(D.data_dir, "recordings", RID, seg["name"]), "rb") as f:
            data = f.read()
        st, hd, raw = D.request("GET", path)
        self.assertEqual((st, raw, hd.get("accept-ranges")), (200, data, "bytes"))
        for rng, a, z in (("bytes=100-199", 100, 199), ("bytes=-50", len(data) - 50,
                                                        len(data) - 1),
                          ("bytes=%d-" % (len(data) - 10), len(data) - 10, len(data) - 1),
                          ("bytes=10-99999999", 10, len(data) - 1)):
            st, hd, raw = D.request("GET", path, headers={"Range": rng})
            self.assertEqual(st, 206, rng)
            self.assertEqual(hd.get("content-range"), "bytes %d-%d/%d" % (a, z, len(data)), rng)
            self.assertEqual(raw, data[a:z + 1], rng)
        st, hd, _ = D.request("GET", path, headers={"Range": "bytes=%d-" % len(data)})
        self.assertEqual((st, hd.get("content-range")), (416, "bytes */%d" % len(data)))
        for name in ("nosuch-20261207T000000Z.mp4", "..%2Fstate.json", "x.mp4"):
            st = D.request("GET", "/api/v1/relays/%s/recordings/%s" % (RID, name))[0]
            self.assertEqual(st, 404, name)


class Browser(ApiCase):
    """hls.js (tests/daemon/hlsjs) plays a recorded range in Debian's chromium."""

    def test_hlsjs_plays_and_seeks_a_range(self):
        node = shutil.which("node") or "/usr/bin/node"
        for what, path in (("chromium", "/usr/bin/chromium"), ("node", node),
                           ("hls.js", os.path.join(HERE, "hlsjs", "node_modules", "hls.js")),
                           ("playwright-core", os.path.join(h.REPO, "tests", "harness",
                                                            "node_modules", "playwright-core"))):
            self.assertTrue(os.path.exists(path), "%s is missing: run tests/harness/deps.sh" % what)
        segs = finished(4)[1:4]
        want = sum(s["duration_s"] for s in segs)
        url = "/api/v1/relays/%s/recordings.m3u8?from=%.3f&to=%.3f" % (
            RID, segs[0]["start_ms"] / 1000, segs[-1]["end_ms"] / 1000)
        p = subprocess.run([node, os.path.join(HERE, "hls_range.js"), "--base", D.base,
                            "--url", url, "--seek", "%.1f" % (want - 2)],
                           capture_output=True, text=True, timeout=90)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        rep = json.loads(p.stdout)
        sys.stderr.write("hls.js: %s\n" % json.dumps(rep))
        self.assertEqual(rep["fatal"], [], rep)
        self.assertEqual(rep["pageErrors"], [], rep)
        self.assertEqual(rep["codecs"], [segs[0]["codecs"]], rep)
        self.assertAlmostEqual(rep["duration"], want, delta=1.0, msg=rep)
        self.assertGreaterEqual(rep["played"], 2, rep)  # currentTime advanced
        self.assertGreaterEqual(rep["afterSeek"], want - 1, "the seek landed and played on")
        self.assertGreater(rep["frames"], 10, rep)
        self.assertEqual(rep["width"], 640, rep)


class Deletion(ApiCase):
    def test_delete(self):
        segs = finished(3)
        victim = segs[0]
        path = "/api/v1/relays/%s/recordings/%s" % (RID, victim["name"])
        st, _, _ = D.api("DELETE", path)
        self.assertEqual(st, 204)
        self.assertFalse(os.path.exists(os.path.join(D.data_dir, "recordings", RID,
                                                     victim["name"])))
        self.assertNotIn(victim["name"], [s["name"] for s in listing()])
        self.assertError(D.api("DELETE", path), 404, "not_found")
        # between two segments there may be none for a moment
        writing = h.wait_until(lambda: [s for s in listing() if s["writing"]], 10, 0.1,
                               "a segment being written")
        self.assertError(D.api("DELETE", "/api/v1/relays/%s/recordings/%s" % (
            RID, writing[0]["name"])), 409, "busy")
        self.assertTrue(os.path.exists(os.path.join(D.data_dir, "recordings", RID,
                                                    writing[0]["name"])))
        self.assertError(D.api("DELETE", "/api/v1/relays/%s/recordings/state.json" % RID), 404,
                         "not_found")


class Metrics(ApiCase):
    def test_recording_families(self):
        segs = finished(2)
        st, _, raw = D.request("GET", "/metrics")
        self.assertEqual(st, 200)
        values = {}
        for ln in raw.decode().splitlines():
            if ln.startswith("lightstreamd_recording") and not ln.startswith("#"):
                name, v = ln.rsplit(" ", 1)
                values[name] = float(v)
        lbl = '{relay="%s"}' % RID
        self.assertGreaterEqual(values["lightstreamd_recording_segments_total" + lbl], len(segs))
        self.assertGreater(values["lightstreamd_recording_written_bytes_total" + lbl], 10000)
        self.assertEqual(values["lightstreamd_recording_pauses_total" + lbl], 0)
        self.assertEqual(values["lightstreamd_recording_paused" + lbl], 0)
        self.assertGreaterEqual(values["lightstreamd_recording_stored_segments" + lbl], len(segs))
        self.assertGreater(values["lightstreamd_recording_stored_bytes" + lbl],
                           sum(s["bytes"] for s in segs) - 1)
        self.assertGreater(values["lightstreamd_recordings_free_bytes"], 0)


class OtherCodecs(ApiCase):
    def test_h265_segments_hvc1_and_a_range_decodes(self):
        segs = finished(3, HEVC_RID)[0:3]
        for s in segs:
            self.assertRegex(s["codec"], r"^hvc1\.", s)
            self.assertEqual(s["codecs"], s["codec"] + ",mp4a.40.2")
        (rc, errs), streams = decode_range(HEVC_RID, segs)
        self.assertEqual((rc, errs), (0, ""), "the H.265 range decoded with no error")
        kinds = {st["codec_type"]: st for st in streams}
        self.assertEqual((kinds["video"]["codec_name"], kinds["video"]["codec_tag_string"],
                          kinds["video"]["width"]), ("hevc", "hvc1", 640), streams)
        self.assertEqual(kinds["audio"]["codec_name"], "aac", streams)
        st, _, raw = D.request("GET", "/api/v1/relays/%s/recordings.m3u8?from=%.3f&to=%.3f" % (
            HEVC_RID, segs[0]["start_ms"] / 1000, segs[-1]["end_ms"] / 1000))
        self.assertEqual(st, 200)
        self.assertIn('CODECS="%s"' % segs[0]["codecs"], raw.decode())

    def test_g711_video_recorded_audio_dropped_and_counted(self):
        segs = finished(2, G711_RID)[0:2]
        for s in segs:
            self.assertRegex(s["codec"], r"^avc1\.", s)
            self.assertEqual(s["codecs"], s["codec"], "no audio track: %s" % s)
        (rc, errs), streams = decode_range(G711_RID, segs)
        self.assertEqual((rc, errs), (0, ""), "the video-only range decoded with no error")
        self.assertEqual([st["codec_type"] for st in streams], ["video"], streams)
        st, _, raw = D.request("GET", "/metrics")
        self.assertEqual(st, 200)
        fam = "lightstreamd_recording_dropped_audio_frames_total"
        values = {ln.rsplit(" ", 1)[0]: float(ln.rsplit(" ", 1)[1])
                  for ln in raw.decode().splitlines() if ln.startswith(fam + "{")}
        # 50 A-law frames (20 ms) a second for at least the two finished segments' 4 s
        self.assertGreaterEqual(values['%s{relay="%s"}' % (fam, G711_RID)],
                                50 * sum(s["duration_s"] for s in segs) - 50, values)
        self.assertEqual(values['%s{relay="%s"}' % (fam, RID)], 0, "AAC is recorded")


    def test_resolution_switch_is_a_discontinuity(self):
        segs = finished(3, SWITCH_RID)[1:3]  # the first may have begun after a switch
        for s in segs:
            self.assertAlmostEqual(s["duration_s"], 4.0, delta=0.05, msg="cut at the switch: %s" % s)
        self.assertEqual(segs[0]["codecs"], segs[1]["codecs"], "one level: the size tells them apart")
        widths = []
        for s in segs:
            url = D.url("/api/v1/relays/%s/recordings/%s" % (SWITCH_RID, s["name"]))
            p = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", url, "-f", "null", "-"],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual((p.returncode, p.stderr), (0, ""), s["name"])
            p = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                                "stream=width", "-of", "csv=p=0", url],
                               capture_output=True, text=True, timeout=60)
            widths.append(int(p.stdout.strip()))
        self.assertEqual(sorted(widths), [320, 640])
        q = "from=%.3f&to=%.3f" % (segs[0]["start_ms"] / 1000, segs[1]["end_ms"] / 1000)
        st, _, raw = D.request("GET", "/api/v1/relays/%s/recordings.m3u8?%s&media=1" % (SWITCH_RID, q))
        self.assertEqual(st, 200)
        lines = [ln for ln in raw.decode().splitlines()
                 if ln.startswith(("#EXT-X-MAP", "#EXT-X-DISCONTINUITY"))]
        self.assertEqual([ln.split(":")[0] for ln in lines],
                         ["#EXT-X-MAP", "#EXT-X-DISCONTINUITY", "#EXT-X-MAP"], raw.decode())
        # hls.js: 2 s from the start, a seek to 0.5 s before the switch, 1 s more: past it
        p = subprocess.run([shutil.which("node") or "/usr/bin/node", os.path.join(HERE, "hls_range.js"),
                            "--base", D.base, "--url",
                            "/api/v1/relays/%s/recordings.m3u8?%s" % (SWITCH_RID, q), "--seek", "3.5"],
                           capture_output=True, text=True, timeout=90)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        rep = json.loads(p.stdout)
        sys.stderr.write("hls.js over a resolution switch: %s\n" % json.dumps(rep))
        self.assertEqual((rep["fatal"], rep["pageErrors"]), ([], []), rep)
        self.assertGreater(rep["afterSeek"], 4.2, "played past the switch: %s" % rep)
        self.assertEqual(rep["width"], widths[1], "the second size on screen: %s" % rep)


# Live HLS, on this module's daemon and camera (unittest sets a module up for the classes
# defined in it: hence these subclasses).
class LiveH264(hls_live_cases.LiveH264):
    pass


class LiveHevc(hls_live_cases.LiveHevc):
    pass


class LiveOnDemand(hls_live_cases.LiveOnDemand):
    pass


class LiveSwitch(hls_live_cases.LiveSwitch):
    pass


if __name__ == "__main__":
    unittest.main(verbosity=2)
