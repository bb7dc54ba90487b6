#!/usr/bin/python3
"""The native RTSP engine (ls_relay_settings.engine = native) against the real test camera:
H.264+AAC through nginx-rtmp and into a file, H.265, G.711, Digest authentication (and a wrong
password: one attempt, no retry storm), a redirect to another server, a camera killed and back on the same port, a 2 fps camera
handed on without the one-frame hold libavformat adds, and `auto` falling back to libavformat for
what the native engine does not read. Then cameras with one quirk each, badcam.py replaying a
recording of the test camera (tests/harness/rtpreplay.py): a session that ends without RTCP
receiver reports, interleaved channels other than 0-3, no RTP marker bit, replies and frames
one byte per send, a Digest nonce that goes stale. Every file is checked by flvcheck (libavcodec
decodes each frame), nginx's stream by ffprobe/ffmpeg. One camera, one badcam and one nginx
serve the whole file."""
import os
import socket
import threading
import time

import common
import rtpreplay
from common import h

ECONNREFUSED, ECONNRESET, ENODATA, EACCES = (common.ECONNREFUSED, common.ECONNRESET,
                                             common.ENODATA, common.EACCES)
EPROTONOSUPPORT = 93
RETRY_MS = 300


class Redirector:
    """An RTSP server on 127.0.0.1 that answers every request with 302 and a Location."""

    def __init__(self, location):
        self.location, self.requests = location, []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = c.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                head = data.decode("latin-1")
                self.requests.append(head.split("\r\n")[0])
                cseq = [ln.split(":", 1)[1].strip() for ln in head.split("\r\n")
                        if ln.lower().startswith("cseq:")]
                c.sendall(("RTSP/1.0 302 Moved Temporarily\r\nCSeq: %s\r\nLocation: %s\r\n\r\n"
                           % (cseq[0] if cseq else "0", self.location)).encode())

    def close(self):
        self.sock.close()


class Native(common.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.media = common.media_dir()
        cls.cam = h.Camera(cls.media).start()
        cls.ngx = h.Nginx().start()
        cls.bc = h.BadCam(record=cls.cam.url("/h264_aac")).start()

    @classmethod
    def tearDownClass(cls):
        cls.bc.stop()
        cls.ngx.stop()
        cls.cam.stop()

    def native(self, url, *args, **kw):
        return self.driver(url, "--engine", "native", *args, **kw)

    def to_file(self, mount, seconds=4, engine="native", url=None):
        path = os.path.join(h.tmpdir("native-"), "out.flv")
        d = self.driver(url or self.cam.url(mount), "--engine", engine, "--output", path)
        d.wait_streaming()
        time.sleep(seconds)
        final = d.stop()
        code, res = common.flvcheck(common.recording(path))
        self.assertEqual(code, 0, res)
        self.assertTrue(res["ok"], res["errors"])
        v = res["video"]
        self.assertTrue(v["first_is_key"])
        self.assertEqual((v["decode_errors"], v["undecoded"], v["non_monotonic"]), (0, 0, 0), v)
        self.assertGreaterEqual(v["decoded"], (seconds - 1) * common.FPS)
        self.assertEqual(final["engine"], engine)
        self.assertEqual(final["reconnects"], 0)
        return final, res

    def check_audio(self, res, codec, rate, channels):
        a = res["audio"]
        self.assertEqual((a["codec"], a["sample_rate"], a["channels"]), (codec, rate, channels))
        self.assertEqual((a["decode_errors"], a["non_monotonic"]), (0, 0), a)
        self.assertGreater(a["decoded"], 0)
        self.assertEqual(a["decoded"], a["frames"])
        # One clock for both streams (RTP-Info's rtptime): audio ends where video ends.
        self.assertNear(a["last_ts"], res["video"]["last_ts"], 120)

    def test_h264_aac_to_nginx(self):
        url = self.ngx.rtmp_url("native")
        d = self.native(self.cam.url("/h264_aac"), "--output", url)
        d.wait_streaming()
        h.wait_until(lambda: d.stats()["outputs"][0]["state"] == "streaming", 10, what="rtmp up")
        info = h.ffprobe_streams(url)
        self.assertEqual(sorted(h.stream_summary(info)),
                         [("audio", "aac", 48000, 2), ("video", "h264", 640, 360)])
        video, audio, errors, wall = common.frames_in_window(url, 5)
        self.assertEqual(errors, [])
        # 5 s of media: 125 frames at 25 fps, ~234 AAC frames — nothing lost or doubled.
        self.assertNear(video, 5 * common.FPS, 2)
        self.assertNear(audio, 5 * 48000 / 1024, 3)
        self.assertEqual(common.decode_errors(url, 3), [])
        final = d.stop()
        self.assertEqual((final["engine"], final["engine_fallbacks"]), ("native", 0))
        self.assertEqual((final["video_codec"], final["audio_codec"]), ("h264", "aac"))
        self.assertEqual((final["width"], final["height"]), (640, 360))
        self.assertEqual((final["reconnects"], final["outputs"][0]["skips"]), (0, 0))
        self.assertLess(final["stop_ms"], 1000)

    def test_h264_aac_file(self):
        _, res = self.to_file("/h264_aac")
        self.assertEqual(res["video"]["codec"], "h264")
        self.check_audio(res, "aac", 48000, 2)

    def test_h265_file(self):
        final, res = self.to_file("/h265_aac")
        self.assertEqual(final["video_codec"], "h265")
        self.assertEqual(res["video"]["codec"], "hevc")
        self.check_audio(res, "aac", 48000, 2)

    def test_g711_files(self):
        for mount, codec in (("/h264_pcma", "pcma"), ("/h264_pcmu", "pcmu")):
            with self.subTest(codec=codec):
                final, res = self.to_file(mount, seconds=3)
                self.assertEqual(final["audio_codec"], codec)
                self.check_audio(res, codec, 8000, 1)

    def test_parameter_sets_in_band(self):
        # No sprop-parameter-sets in the SDP: they are taken from the stream.
        final, res = self.to_file("/h264_noparams", seconds=3)
        self.assertEqual((res["video"]["width"], res["video"]["height"]), (640, 360))

    def test_digest_auth(self):
        final, res = self.to_file(None, seconds=3, url=self.cam.url("/auth/h264_aac", auth=True))
        self.assertEqual(final["last_error"], 0)
        self.assertEqual(res["video"]["codec"], "h264")
        d = self.drivers[-1]
        self.assertTrue(any("answered with Digest" in ln for ln in d.stderr_lines), d.log())

    def test_redirect_followed(self):
        # A redirector with credentials in its own URL sends us to the protected camera
        # mount: the credentials are kept for the new host and never printed.
        r = Redirector(self.cam.url("/auth/h264_aac"))
        self.addCleanup(r.close)
        url = self.cam.url("/cam", auth=True).replace(":%d/" % self.cam.port, ":%d/" % r.port)
        final, res = self.to_file(None, seconds=3, url=url)
        self.assertEqual(r.requests[0].split(" ")[0], "OPTIONS")
        d = self.drivers[-1]
        self.assertTrue(any("redirected to" in ln for ln in d.stderr_lines), d.log())
        self.assertEqual([s for s in common.printed_strings(d) if self.cam.password in s], [])

    def test_wrong_password_one_attempt(self):
        secret = "n0t-the-Password"
        d = self.native(self.cam.url("/auth/h264_aac", password=secret), "--output",
                        os.path.join(h.tmpdir("native-"), "x.flv"), "--retry-ms", RETRY_MS)
        common.wait_stats(d, lambda s: s["last_error"] == -EACCES, 10, "authentication refused")
        time.sleep(2)  # several retry delays, all under the 30 s floor after a 401
        final = d.stop()
        self.assertEqual(final["connect_attempts"], 1)
        self.assertEqual(final["video_frames_in"], 0)
        self.assertEqual([s for s in common.printed_strings(d) if secret in s], [])

    def test_camera_killed_and_back(self):
        path = os.path.join(h.tmpdir("native-"), "restart.flv")
        with h.Camera(self.media) as cam:
            port = cam.port
            d = self.native(cam.url("/h264_aac"), "--output", path, "--retry-ms", RETRY_MS,
                            duration=60, interval_ms=250)
            d.wait_streaming()
            time.sleep(2)
            t_kill = time.monotonic()
            cam.kill()
            first = common.wait_event(d, lambda e: e["event"] == "error" and e["t"] >= t_kill,
                                      5, "an input error after the kill")
            self.assertIn(first["error"], (-ENODATA, -ECONNRESET), first)
            common.wait_stats(d, lambda s: s["last_error"] == -ECONNREFUSED, 5, "retrying")
            cam.start()
            self.assertEqual(cam.port, port)
            common.wait_stats(d, lambda s: s["state"] == "streaming" and s["reconnects"] >= 1,
                              10, "streaming again")
            time.sleep(2)
            final = common.stop_checked(self, d)
        self.assertEqual((final["reconnects"], final["repairs"]["reconnect"]), (1, 1))
        self.assertEqual(final["engine"], "native")
        code, res = common.flvcheck(common.recording(path))
        self.assertTrue(res["ok"], res["errors"])
        v = res["video"]
        # A frame cut by the kill is dropped, never passed as whole: nothing fails to decode.
        self.assertEqual((v["decode_errors"], v["undecoded"], v["non_monotonic"]), (0, 0, 0), v)
        self.assertLess(v["max_gap"], 1000, "video timestamps jumped across the outage")
        self.assertGreaterEqual(v["decoded"], 3 * common.FPS)

    def first_keyframe_ms(self, engine):
        d = self.driver(self.cam.url("/h264_2fps"), "--engine", engine, "--output",
                        os.path.join(h.tmpdir("native-"), "slow.flv"), interval_ms=100)
        s = common.wait_stats(d, lambda s: s["first_keyframe_ms"] > 0, 10, "a keyframe")
        d.stop()
        return s["first_keyframe_ms"]

    def test_2fps_no_frame_hold(self):
        # libavformat knows a frame is whole only when the next begins: 500 ms at 2 fps. The
        # native engine hands it on at its marker bit. Both engines see the same camera, which
        # starts each session with a keyframe.
        held = self.first_keyframe_ms("libavformat")
        native = self.first_keyframe_ms("native")
        print("2 fps camera: first keyframe after %d ms (libavformat), %d ms (native)"
              % (held, native))
        self.assertLess(native, held - 250)

    def test_auto_falls_back_for_udp(self):
        d = self.driver(self.cam.url("/h264_aac"), "--engine", "auto", "--transport", "udp",
                        "--output", os.path.join(h.tmpdir("native-"), "auto.flv"))
        d.wait_streaming()
        s = d.stats()
        self.assertEqual((s["engine"], s["engine_fallbacks"]), ("libavformat", 1))
        d.stop()
        self.assertEqual(sum("libavformat reads this camera" in ln for ln in d.stderr_lines), 1)
        d = self.driver(self.cam.url("/h264_aac"), "--engine", "auto", "--output",
                        os.path.join(h.tmpdir("native-"), "auto2.flv"))
        d.wait_streaming()
        final = d.stop()
        self.assertEqual((final["engine"], final["engine_fallbacks"]), ("native", 0))

    def test_native_refuses_udp(self):
        d = self.native(self.cam.url("/h264_aac"), "--transport", "udp", "--retry-ms", RETRY_MS)
        common.wait_stats(d, lambda s: s["last_error"] == -EPROTONOSUPPORT, 5, "refused")
        self.assertEqual(d.stop()["video_frames_in"], 0)


    # ---- quirky cameras: badcam replaying whole GOPs of /h264_aac, looped -------------------
    def replay(self, flags, seconds, **url_kw):
        """Runs the native engine on /replay/<flags> into a file for `seconds` once it streams;
        checks the file (to_file); returns (final stats, flvcheck result, stats history, the
        badcam log lines of this run)."""
        mark = len(self.bc.log().splitlines())
        final, res = self.to_file(None, seconds=seconds, url=self.bc.url("/replay/" + flags, **url_kw))
        self.assertEqual((final["video_codec"], final["audio_codec"]), ("h264", "aac"))
        self.assertEqual(res["audio"]["decode_errors"], 0)
        self.assertGreater(res["audio"]["decoded"], seconds * 40)
        lines = self.bc.log().splitlines()[mark:]
        self.assertEqual([ln for ln in lines if ln.startswith("NORR")], [], "session ended")
        return final, res, common.stats_history(self.drivers[-1]), lines

    def test_receiver_reports_keep_session(self):
        # The camera ends a session that sent no RTCP receiver report for 7 s. The relay stays
        # 11 s, with no reconnect, and every report names the track's SSRC and the extended
        # highest sequence number it received (never more than was sent, at most 1 s behind).
        seconds = rtpreplay.RR_TIMEOUT + 4
        final, res, _, lines = self.replay("rr", seconds)
        self.assertGreaterEqual(res["video"]["decoded"], (seconds - 1) * common.FPS)
        rrs = [[int(x) for x in ln.split()[1:]] for ln in lines if ln.startswith("RR ")]
        mark = len(self.bc.log().splitlines()) - len(lines)
        rec = h.wait_until(lambda: [ln for ln in self.bc.log().splitlines()[mark:]
                                    if ln.startswith("SENT ")][:2] or None, 5, what="sender end")
        self.assertEqual(len(rec), 2, lines)
        for track in (0, 1):
            mine = [r for r in rrs if r[0] == track]
            self.assertGreaterEqual(len(mine), 2, "track %d: %s" % (track, rrs))
            rate = int(rec[track].split()[2]) / (seconds + 1)  # packets per second, about
            for _, ssrc, ext, want_ssrc, sent in mine:
                self.assertEqual(ssrc, want_ssrc)
                self.assertTrue(sent - rate <= ext <= sent, (ext, sent, rate))
            self.assertLess(mine[0][2], mine[-1][2])

    def test_interleaved_channels_6_and_10(self):
        # The camera picks the channels (6-7 video, 10-11 audio), not the ones asked for.
        final, res, _, lines = self.replay("chans", 3)
        self.assertGreaterEqual(res["video"]["decoded"], 2 * common.FPS)

    def test_no_marker_bit(self):
        # Video packets never carry the marker bit: a frame ends when the next timestamp
        # starts. Every frame comes whole, 40 ms apart, none lost or merged.
        final, res, _, _ = self.replay("nomarker", 3)
        v = res["video"]
        self.assertEqual(v["max_gap"], 40)
        self.assertEqual(v["frames"], (v["last_ts"] - v["first_ts"]) // 40 + 1)

    def test_one_byte_per_send(self):
        # Replies (0.5 ms apart per byte) and `$` frames come one byte per TCP segment, `$`
        # headers and frame ends split apart by pauses (measured: 35 000 recv() calls a
        # second, ~6 bytes per one that returned data): every frame is whole, at its 40 ms
        # step, and frames arrive in real time (~25 a second).
        final, res, hist, _ = self.replay("bytewise", 3)
        v = res["video"]
        self.assertEqual(v["max_gap"], 40)
        self.assertEqual(v["frames"], (v["last_ts"] - v["first_ts"]) // 40 + 1)
        live = [(t, s["video_frames_in"]) for t, s in hist if s["video_frames_in"] > 0]
        (t0, n0), (t1, n1) = live[0], live[-1]
        self.assertNear((n1 - n0) / (t1 - t0), common.FPS, 3)

    def test_digest_stale_nonce(self):
        # Digest (qop=auth); the first correct SETUP is refused with stale=TRUE and a new
        # nonce: answered again at once, not taken as a wrong password (no error, no retry).
        final, _, _, lines = self.replay("stale", 3, user=rtpreplay.DIGEST_USER,
                                         password=rtpreplay.DIGEST_PASSWORD)
        auth = [ln.split(" ", 1)[1] for ln in lines if ln.startswith("AUTH ")]
        self.assertEqual(auth[:4], ["DESCRIBE missing", "DESCRIBE ok", "SETUP stale", "SETUP ok"])
        self.assertEqual(auth[4:], ["SETUP ok", "PLAY ok"])
        self.assertEqual((final["last_error"], final["connect_attempts"]), (0, 0))
        d = self.drivers[-1]
        self.assertEqual([s for s in common.printed_strings(d) if rtpreplay.DIGEST_PASSWORD in s], [])


if __name__ == "__main__":
    common.main()
