#!/usr/bin/python3
"""The test camera: gst-rtsp-server serving the harness clips, looped forever, on 127.0.0.1.

    /usr/bin/python3 tests/harness/camera.py --media DIR [--port 0] [--password PW] [--mount PATH]...

Prints one line "READY <port>" on stdout once it listens. Stops cleanly on SIGTERM/SIGINT;
SIGSTOP/SIGCONT are harmless (after a freeze the stream resumes at the next keyframe, with
timestamps that jumped forward by the frozen time, like a real camera's).

How it works, and why:
- Each clip (made by media.sh) is demuxed ONCE into memory when the camera starts: a list of
  compressed access units with their timestamps. Nothing is ever decoded or encoded.
- Each mount's media pipeline is "appsrc ! parser ! payloader" per stream. A feeder thread per
  media pushes the access units in real time (paced on the pipeline clock), adding 32 s per
  loop, so PTS/DTS and thus RTP timestamps keep increasing across the loop point. Units go in
  decode order with both DTS and PTS set (B-frames: PTS != DTS; the parsers would leave a
  missing PTS unset); the RTP timestamp is the PTS. Nothing here assumes a frame rate.
- The media is live (like a camera): gst-rtsp-server never seeks it, so a client joining a
  shared media (factory.set_shared(True)) cannot disturb the others, and joins mid-GOP, as with
  a real camera.
- The RTP/RTCP UDP ports come from an address pool on 127.0.0.1 (without a pool
  gst-rtsp-server binds them to all addresses).
- The *_noparams mounts strip sprop-parameter-sets / sprop-vps/sps/pps from the SDP; the
  parameter sets travel only in-band before each IDR (config-interval=-1 on every payloader
  but /h264_switch_aac's, whose clip has its own before each IDR, new ones at each switch).
"""
import argparse
import os
import random
import re
import signal
import socket
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstApp", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstSdp", "1.0")
from gi.repository import GLib, Gst, GstApp, GstRtsp, GstRtspServer, GstSdp  # noqa: E402,F401 (GstApp: appsrc methods)

Gst.init(None)  # before any GType below is registered (NoParamsMedia subclasses GstRTSPMedia)

CLIP_SECONDS = 32
CLIP_NS = CLIP_SECONDS * Gst.SECOND
LEAD_NS = 100 * Gst.MSECOND        # push this far ahead of the running time
MAX_LAG_NS = 500 * Gst.MSECOND     # further behind than this (e.g. after SIGSTOP): skip ahead
MAX_AHEAD_NS = 2 * Gst.SECOND      # further ahead than this (the pipeline was paused): re-base
G711_CHUNK = 160                   # bytes = samples = 20 ms at 8 kHz

VIDEO = {
    "h264": "h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1",
    "h265": "h265parse ! rtph265pay name=pay0 pt=96 config-interval=-1",
}
AUDIO = {
    "aac": "aacparse ! rtpmp4gpay name=pay1 pt=97",
    "pcma": "rtppcmapay name=pay1 max-ptime=20000000",
    "pcmu": "rtppcmupay name=pay1 max-ptime=20000000",
}

# mount -> (clip file, video codec, audio codec or None, flags)
MOUNTS = {
    "/h264_aac": ("h264_aac.mp4", "h264", "aac", ()),
    "/h264b_aac": ("h264b_aac.mp4", "h264", "aac", ()),     # IBBP
    "/h264bp_aac": ("h264bp_aac.mp4", "h264", "aac", ()),   # B-pyramid
    "/h265_aac": ("h265_aac.mp4", "h265", "aac", ()),
    "/h265b_aac": ("h265b_aac.mp4", "h265", "aac", ()),     # with B-frames
    "/h264_pcma": ("h264_pcma.mov", "h264", "pcma", ()),
    "/h264_pcmu": ("h264_pcmu.mov", "h264", "pcmu", ()),
    "/h264_noparams": ("h264_aac.mp4", "h264", "aac", ("noparams",)),
    "/h265_noparams": ("h265_aac.mp4", "h265", "aac", ("noparams",)),
    "/h264_720p": ("h264_720p.mp4", "h264", "aac", ()),
    "/h264_2fps": ("h264_2fps.mp4", "h264", None, ()),    # 2 fps, IDR every 10 s, no audio
    # 640x360 <-> 320x180 every 4 s, parameter sets in-band only (see _factory). A client
    # joining mid-loop gets the SDP's (the first size's) until the next IDR brings its own.
    "/h264_switch_aac": ("h264_switch_aac.mp4", "h264", "aac", ("inband",)),
    "/h264": ("h264_aac.mp4", "h264", None, ()),          # video only
    "/h265": ("h265_aac.mp4", "h265", None, ()),          # video only
    "/auth/h264_aac": ("h264_aac.mp4", "h264", "aac", ("auth",)),
}

SPROP_RE = re.compile(r"(?:^|;)\s*sprop-(?:parameter-sets|vps|sps|pps)=[^;]*")

verbose = False


def log(msg):
    if verbose:
        sys.stderr.write("camera: %s\n" % msg)
        sys.stderr.flush()


class Unit:
    """One access unit: timestamps relative to the clip start (ns; dts may be < 0)."""
    __slots__ = ("dts", "pts", "duration", "buf", "video", "key")

    def __init__(self, dts, pts, duration, buf, video, key):
        self.dts, self.pts, self.duration = dts, pts, duration
        self.buf, self.video, self.key = buf, video, key


class Clip:
    """A clip demuxed into memory: caps per stream and the units of both streams in DTS order.
    with_audio=False for a clip that has no audio track (qtdemux would never make the audio pad,
    so the pipeline would never reach EOS)."""

    def __init__(self, path, with_audio=True):
        self.path, self.with_audio = path, with_audio
        self.vcaps = self.acaps = None
        self.units = []
        self._load()

    @staticmethod
    def _rt(seg, ts):
        # Signed running time (ns): B-frame DTS and AAC priming lie before the segment start.
        return int((ts - seg.start) / (seg.rate or 1.0)) + seg.base

    def _load(self):
        launch = ("filesrc name=src ! qtdemux name=d "
                  "d.video_0 ! queue ! appsink name=v sync=false emit-signals=true ")
        if self.with_audio:
            launch += "d.audio_0 ! queue ! appsink name=a sync=false emit-signals=true"
        pipe = Gst.parse_launch(launch)
        pipe.get_by_name("src").set_property("location", self.path)
        got = {"v": [], "a": []} if self.with_audio else {"v": []}
        for name, out in got.items():
            pipe.get_by_name(name).connect("new-sample", self._on_sample, out)
        pipe.set_state(Gst.State.PLAYING)
        bus = pipe.get_bus()
        msg = bus.timed_pop_filtered(60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
        pipe.set_state(Gst.State.NULL)
        if msg is None or msg.type != Gst.MessageType.EOS:
            err = msg.parse_error()[0].message if msg else "timeout"
            raise RuntimeError("cannot demux %s: %s" % (self.path, err))
        video, audio = got["v"], got.get("a", [])
        if not video:
            raise RuntimeError("%s has no video" % self.path)
        self.vcaps = video[0][0]
        self.acaps = audio[0][0] if audio else None
        units = self._video_units(video)
        if audio:
            units += self._audio_units(audio)
        units.sort(key=lambda u: (u.dts, 0 if u.video else 1))
        self.units = units

    @staticmethod
    def _on_sample(sink, out):
        s = sink.emit("pull-sample")
        if s is not None:
            out.append((s.get_caps(), s.get_segment(), s.get_buffer()))
        return Gst.FlowReturn.OK

    def _video_units(self, samples):
        units = []
        for _caps, seg, buf in samples:
            pts = self._rt(seg, buf.pts)
            dts = self._rt(seg, buf.dts) if buf.dts != Gst.CLOCK_TIME_NONE else pts
            if 0 <= pts < CLIP_NS:
                key = not buf.has_flags(Gst.BufferFlags.DELTA_UNIT)
                units.append(Unit(dts, pts, buf.duration, buf, True, key))
        if not units or not units[0].key:
            raise RuntimeError("%s: the video does not start with a keyframe" % self.path)
        return units

    def _audio_units(self, samples):
        caps = samples[0][0]
        name = caps.get_structure(0).get_name()
        rate = caps.get_structure(0).get_int("rate")[1]
        kept = [buf for _c, seg, buf in samples
                if self._rt(seg, buf.pts) > -Gst.MSECOND]  # drops the AAC priming frame
        units = []
        if name == "audio/mpeg":
            # Timestamps from the frame index: exactly 1024 samples per AAC frame, no drift.
            n = CLIP_SECONDS * rate // 1024
            for i, buf in enumerate(kept[:n]):
                pts = Gst.util_uint64_scale(i * 1024, Gst.SECOND, rate)
                dur = Gst.util_uint64_scale((i + 1) * 1024, Gst.SECOND, rate) - pts
                units.append(Unit(pts, pts, dur, buf, False, True))
        else:
            # G.711: one byte per sample; re-chunk into 20 ms buffers.
            data = bytearray()
            for buf in kept:
                ok, info = buf.map(Gst.MapFlags.READ)
                if ok:
                    data += info.data
                    buf.unmap(info)
            total = CLIP_SECONDS * rate
            for i, off in enumerate(range(0, min(total, len(data)), G711_CHUNK)):
                chunk = bytes(data[off:off + G711_CHUNK])
                pts = Gst.util_uint64_scale(off, Gst.SECOND, rate)
                dur = Gst.util_uint64_scale(len(chunk), Gst.SECOND, rate)
                units.append(Unit(pts, pts, dur, Gst.Buffer.new_wrapped(chunk), False, True))
        return units


class Feeder(threading.Thread):
    """Pushes a clip's units into the media's appsrcs in real time, forever, looping."""

    def __init__(self, name, clip, vsrc, asrc):
        super().__init__(name="feed" + name, daemon=True)
        self.clip, self.vsrc, self.asrc = clip, vsrc, asrc
        self.units = [u for u in clip.units if u.video or asrc is not None]
        self.stopped = threading.Event()

    def stop(self):
        self.stopped.set()

    def _now(self, clock):
        return clock.get_time() - self.vsrc.get_base_time()

    def run(self):
        try:
            self._run()
        except Exception as e:  # never take the camera down
            sys.stderr.write("camera: feeder %s: %s\n" % (self.name, e))

    def _run(self):
        # A live pipeline gets its clock when it goes to PLAYING (rtsp-media does that while
        # preparing a live media); only then can timestamps be put on the running time.
        clock = None
        deadline = time.monotonic() + 60
        while not self.stopped.is_set():
            clock = self.vsrc.get_clock()
            if clock is not None and self.vsrc.get_state(0)[1] == Gst.State.PLAYING:
                break
            if time.monotonic() > deadline:
                log("feeder %s: the media never started" % self.name)
                return
            time.sleep(0.005)
        if self.stopped.is_set():
            return
        units = self.units
        n = len(units)
        offset = self._now(clock) + LEAD_NS - min(u.dts for u in units[:8])
        i = 0
        last_dts = {True: -1, False: -1}
        while not self.stopped.is_set():
            u = units[i]
            dts = offset + u.dts
            now = self._now(clock)
            if dts - now > MAX_AHEAD_NS:
                # The pipeline was paused: running time stood still. Re-base, still monotonic.
                offset -= dts - now - LEAD_NS
                continue
            if dts - now > LEAD_NS:
                time.sleep(min((dts - now - LEAD_NS) / Gst.SECOND, 0.05))
                continue
            if now - dts > MAX_LAG_NS:
                # Frozen (SIGSTOP) or starved: skip to the next keyframe that is not late. Said
                # on stderr whatever the verbosity: the stream is no longer clean (a test that
                # expects no timestamp repair must know it was the camera, not the relay).
                sys.stderr.write("camera: SKIP %s: %.0f ms late, skipping to the next keyframe\n"
                                 % (self.name[4:], (now - dts) / Gst.MSECOND))
                sys.stderr.flush()
                while True:
                    i += 1
                    if i == n:
                        i, offset = 0, offset + CLIP_NS
                    if units[i].video and units[i].key and offset + units[i].dts >= now:
                        break
                continue
            src = self.vsrc if u.video else self.asrc
            buf = u.buf.copy()
            buf.dts = max(dts, last_dts[u.video] + 1)
            buf.pts = offset + u.pts
            buf.duration = u.duration
            last_dts[u.video] = buf.dts
            ret = src.push_buffer(buf)
            if ret != Gst.FlowReturn.OK:
                log("feeder %s: push returned %s, stopping" % (self.name, ret.value_nick))
                return
            i += 1
            if i == n:
                i, offset = 0, offset + CLIP_NS


def strip_sprop(sdp):
    """Remove sprop-parameter-sets / sprop-vps/sps/pps from every a=fmtp of an SDP, in place
    (an a=fmtp left with no parameter at all is removed)."""
    for mi in range(sdp.medias_len()):
        m = sdp.get_media(mi)
        for ai in reversed(range(m.attributes_len())):
            a = m.get_attribute(ai)
            if a.key != "fmtp" or "sprop-" not in (a.value or ""):
                continue
            pt, _, params = a.value.partition(" ")
            params = SPROP_RE.sub("", params).strip(";").strip()
            if not params:
                m.remove_attribute(ai)
                continue
            na = GstSdp.SDPAttribute()
            na.set("fmtp", "%s %s" % (pt, params))
            m.replace_attribute(ai, na)


class NoParamsMedia(GstRtspServer.RTSPMedia):
    """A media whose SDP carries no parameter sets (they come in-band only)."""
    __gtype_name__ = "LsTestNoParamsMedia"

    def do_setup_sdp(self, sdp, info):
        if not GstRtspServer.RTSPMedia.do_setup_sdp(self, sdp, info):
            return False
        strip_sprop(sdp)
        return True


class Camera:
    def __init__(self, args):
        self.args = args
        self.clips = {}
        self.clips_lock = threading.Lock()
        self.feeders = set()

    # --- clips -------------------------------------------------------------------------------
    def clip(self, fname):
        with self.clips_lock:
            c = self.clips.get(fname)
            if c is None:
                path = os.path.join(self.args.media, fname)
                t = time.monotonic()
                audio = any(m[0] == fname and m[2] for m in MOUNTS.values())
                c = self.clips[fname] = Clip(path, audio)
                log("loaded %s (%d units) in %.2f s" % (fname, len(c.units), time.monotonic() - t))
            return c

    # --- server ------------------------------------------------------------------------------
    def _pool(self):
        pool = GstRtspServer.RTSPAddressPool()
        lo, hi = self.args.rtp_ports
        if not pool.add_range("127.0.0.1", "127.0.0.1", lo, hi, 0):
            raise RuntimeError("cannot make the RTP address pool %d-%d" % (lo, hi))
        return pool

    @staticmethod
    def _permissions(protected):
        # gst-rtsp-server answers 404 when ACCESS is denied and 401 (with the challenge) when
        # CONSTRUCT is denied: anonymous clients get ACCESS everywhere so that a protected mount
        # asks for credentials rather than pretending not to exist.
        perms = GstRtspServer.RTSPPermissions()
        for role, construct in (("admin", True), ("anonymous", not protected)):
            perms.add_permission_for_role(role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_ACCESS, True)
            perms.add_permission_for_role(role, GstRtspServer.RTSP_PERM_MEDIA_FACTORY_CONSTRUCT, construct)
        return perms

    def _factory(self, path, clip, vcodec, acodec, flags, pool):
        video = VIDEO[vcodec]
        if "inband" in flags:
            # The clip carries its parameter sets before every IDR and they change mid-stream:
            # the payloader must not insert those of its caps (the first ones) before an IDR,
            # or the old SPS would follow the new one and be the one in force.
            video = video.replace(" config-interval=-1", "")
        launch = "( appsrc name=vsrc ! %s " % video
        if acodec:
            launch += " appsrc name=asrc ! %s " % AUDIO[acodec]
        launch += ")"
        f = GstRtspServer.RTSPMediaFactory()
        f.set_launch(launch)
        f.set_shared(True)
        f.set_address_pool(pool)
        f.set_protocols(GstRtsp.RTSPLowerTrans.UDP | GstRtsp.RTSPLowerTrans.TCP)
        if "noparams" in flags:
            f.set_media_gtype(NoParamsMedia.__gtype__)
        f.set_permissions(self._permissions("auth" in flags))
        f.connect("media-configure", self._on_media_configure, path, clip, acodec is not None)
        return f

    def _on_media_configure(self, _factory, media, path, clip_name, with_audio):
        clip = self.clip(clip_name)
        bin_ = media.get_element()
        vsrc = bin_.get_by_name("vsrc")
        asrc = bin_.get_by_name("asrc") if with_audio else None
        for src, caps in ((vsrc, clip.vcaps), (asrc, clip.acaps)):
            if src is None:
                continue
            src.set_property("caps", caps)
            src.set_property("format", Gst.Format.TIME)
            src.set_property("is-live", True)
            src.set_property("do-timestamp", False)
            src.set_property("block", True)
            src.set_property("max-bytes", 0)
            src.set_property("max-time", Gst.SECOND)
        feeder = Feeder(path, clip, vsrc, asrc)
        self.feeders.add(feeder)

        def unprepared(_media):
            feeder.stop()
            self.feeders.discard(feeder)
            log("media %s unprepared" % path)
        media.connect("unprepared", unprepared)
        feeder.start()
        log("media %s configured" % path)

    def run(self):
        server = GstRtspServer.RTSPServer()
        server.set_address("127.0.0.1")
        server.set_service(str(self.args.port))
        server.set_backlog(64)

        auth = GstRtspServer.RTSPAuth()
        set_auth_methods(auth, GstRtsp.RTSPAuthMethod.BASIC | GstRtsp.RTSPAuthMethod.DIGEST)
        admin = GstRtspServer.RTSPToken()
        admin.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "admin")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(self.args.user, self.args.password), admin)
        auth.add_digest(self.args.user, self.args.password, admin)
        anon = GstRtspServer.RTSPToken()
        anon.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "anonymous")
        auth.set_default_token(anon)
        server.set_auth(auth)

        pool = self._pool()
        mounts = server.get_mount_points()
        for path, (clip, vcodec, acodec, flags) in MOUNTS.items():
            mounts.add_factory(path, self._factory(path, clip, vcodec, acodec, flags, pool))

        if server.attach(None) == 0:
            raise RuntimeError("cannot listen on 127.0.0.1:%s" % self.args.port)
        port = server.get_bound_port()

        loop = GLib.MainLoop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, lambda *_: (loop.quit(), False)[1])

        if self.args.preload:
            for fname in sorted({m[0] for m in MOUNTS.values()}):
                self.clip(fname)
        print("READY %d" % port, flush=True)
        log("listening on 127.0.0.1:%d, RTP ports %d-%d" % ((port,) + tuple(self.args.rtp_ports)))
        loop.run()
        for f in list(self.feeders):
            f.stop()
        log("stopped")


def set_auth_methods(auth, methods):
    """gst_rtsp_auth_set_supported_methods() with BASIC|DIGEST: PyGObject refuses an OR of
    GstRTSPAuthMethod values (it is an enum in the GIR), so call the C function directly."""
    import ctypes
    get = ctypes.pythonapi.PyCapsule_GetPointer
    get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    lib = ctypes.CDLL("libgstrtspserver-1.0.so.0")
    lib.gst_rtsp_auth_set_supported_methods.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.gst_rtsp_auth_set_supported_methods(get(auth.__gpointer__, None), int(methods))
    if int(auth.get_supported_methods()) != int(methods):
        raise RuntimeError("cannot enable RTSP basic+digest authentication")


def pick_rtp_range(size):
    """A random, currently free-looking range below the ephemeral ports (32768+), so that it
    does not collide with ports the tests pick with bind(0)."""
    for _ in range(50):
        lo = random.randrange(20000, 32000 - size, 2)
        ok = True
        for p in (lo, lo + 1):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                s.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return lo, lo + size - 1
    return 20000, 20000 + size - 1


def main():
    global verbose
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--media", default=os.path.join(here, "..", ".cache", "media"),
                    help="directory made by media.sh (default tests/.cache/media)")
    ap.add_argument("--port", type=int, default=0, help="RTSP port on 127.0.0.1 (0: pick a free one)")
    ap.add_argument("--user", default="admin")
    ap.add_argument("--password", default="s3cr3t:p@ss")
    ap.add_argument("--rtp-ports", default="auto",
                    help="LO-HI UDP port range for RTP/RTCP on 127.0.0.1 (default: random 400-port range)")
    ap.add_argument("--preload", action="store_true",
                    help="demux every clip before READY (otherwise on a mount's first use)")
    ap.add_argument("--mount", action="append", metavar="PATH",
                    help="serve only this mount (repeatable; default: all). daemon/run.sh --demo serves "
                         "/h264_aac alone so that it needs one clip, made in a second")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    verbose = args.verbose
    if args.mount:
        unknown = [m for m in args.mount if m not in MOUNTS]
        if unknown:
            sys.stderr.write("camera: unknown mount %s\n" % ", ".join(unknown))
            return 2
        for m in [m for m in MOUNTS if m not in args.mount]:
            del MOUNTS[m]
    if args.rtp_ports == "auto":
        args.rtp_ports = pick_rtp_range(400)
    else:
        lo, hi = args.rtp_ports.split("-")
        args.rtp_ports = (int(lo), int(hi))
    missing = [m[0] for m in MOUNTS.values() if not os.path.isfile(os.path.join(args.media, m[0]))]
    if missing:
        sys.stderr.write("camera: missing clips in %s: %s (run tests/harness/media.sh)\n"
                         % (args.media, ", ".join(sorted(set(missing)))))
        return 2
    try:
        Camera(args).run()
    except Exception as e:
        sys.stderr.write("camera: %s\n" % e)
        return 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # don't wait for GStreamer's threads


if __name__ == "__main__":
    sys.exit(main())
