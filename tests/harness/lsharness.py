"""liblightstream integration-test harness: real servers on 127.0.0.1, ports picked at run time.

Stdlib only; run under Debian's /usr/bin/python3 (camera.py needs its python3-gi).

    import lsharness as h
    with h.Camera() as cam, h.Nginx() as ngx:
        url = cam.url("/h264_aac")
        ...
        info = h.ffprobe_streams(ngx.rtmp_url("x"))

Every server runs as a child in its own process group (Proc), killed with its whole group when
the test stops it, when the `with` block ends, at interpreter exit, and (PR_SET_PDEATHSIG) when
the test process dies, so that no server survives a failed test. Every helper has a timeout.
Temporary files go under $LS_TEST_TMP (default: a new mkdtemp directory, removed at exit unless
LS_TEST_KEEP=1).
"""
import atexit
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import namedtuple
from fractions import Fraction

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SYS_PYTHON = "/usr/bin/python3"          # Debian's: the one with python3-gi
DEFAULT_MEDIA_DIR = os.path.join(REPO, "tests", ".cache", "media")
CAMERA_USER = "admin"
CAMERA_PASSWORD = "s3cr3t:p@ss"

#: camera.py mounts -> (video codec, audio codec or None, width, height)
MOUNTS = {
    "/h264_aac": ("h264", "aac", 640, 360),
    "/h264b_aac": ("h264", "aac", 640, 360),       # H.264 High with B-frames: strict IBBP
    "/h264bp_aac": ("h264", "aac", 640, 360),      # H.264 Main, B-pyramid (3 B-frames)
    "/h265_aac": ("hevc", "aac", 640, 360),
    "/h265b_aac": ("hevc", "aac", 640, 360),       # H.265 with B-frames (3, pyramid)
    "/h264_pcma": ("h264", "pcm_alaw", 640, 360),
    "/h264_pcmu": ("h264", "pcm_mulaw", 640, 360),
    "/h264_noparams": ("h264", "aac", 640, 360),   # no sprop-parameter-sets in the SDP
    "/h265_noparams": ("hevc", "aac", 640, 360),   # no sprop-vps/sps/pps in the SDP
    "/h264_720p": ("h264", "aac", 1280, 720),      # ~2 Mbit/s, for benchmarks
    "/h264_2fps": ("h264", None, 640, 360),        # 2 fps, an IDR every 10 s, video only
    "/h264_switch_aac": ("h264", "aac", 640, 360),  # then 320x180: a switch every 4 s (first size here)
    "/h264": ("h264", None, 640, 360),             # video only
    "/h265": ("hevc", None, 640, 360),             # video only
    "/auth/h264_aac": ("h264", "aac", 640, 360),   # basic or digest: admin / CAMERA_PASSWORD
}
FPS = 25
CLIP_SECONDS = 32


class HarnessError(RuntimeError):
    pass


# --------------------------------------------------------------------------------------------
# temporary files, ports, waiting
# --------------------------------------------------------------------------------------------
_tmp_lock = threading.Lock()
_tmp_root = None


def tmp_root():
    """$LS_TEST_TMP (created if needed), else one mkdtemp directory for this process."""
    global _tmp_root
    with _tmp_lock:
        if _tmp_root is None:
            env = os.environ.get("LS_TEST_TMP")
            if env:
                os.makedirs(env, exist_ok=True)
                _tmp_root = env
            else:
                _tmp_root = tempfile.mkdtemp(prefix="lsharness-")
                if os.environ.get("LS_TEST_KEEP") != "1":
                    atexit.register(shutil.rmtree, _tmp_root, True)
        return _tmp_root


def tmpdir(prefix="t-"):
    """A new directory under tmp_root()."""
    return tempfile.mkdtemp(prefix=prefix, dir=tmp_root())


_given_ports = set()
_ports_lock = threading.Lock()


def free_port(udp=False):
    """A port on 127.0.0.1 that was free a moment ago (bind to 0). Never returns the same port
    twice in one process, so two servers started back to back do not get the same one."""
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    for _ in range(100):
        s = socket.socket(socket.AF_INET, kind)
        try:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        finally:
            s.close()
        with _ports_lock:
            if port not in _given_ports:
                _given_ports.add(port)
                return port
    raise HarnessError("no free port found")


def wait_until(pred, timeout=10.0, interval=0.05, what=None):
    """Calls pred() until it returns something truthy and returns that; raises TimeoutError
    after `timeout` seconds. Exceptions raised by pred propagate."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise TimeoutError("timed out after %.1f s waiting for %s" % (timeout, what or getattr(pred, "__name__", "condition")))
        time.sleep(interval)


def port_open(port, host="127.0.0.1", timeout=0.5):
    """True if a TCP connection to host:port succeeds."""
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def loopback_only():
    """True if this network namespace has no interface but lo (the lead runs the integration
    tests under `unshare -n`): UDP tests are safe to run only then (FFmpeg binds its client RTP
    ports to all addresses)."""
    try:  # not /sys/class/net: sysfs shows the namespace it was mounted in
        return [n for _i, n in socket.if_nameindex()] == ["lo"]
    except OSError:
        return False


# --------------------------------------------------------------------------------------------
# processes
# --------------------------------------------------------------------------------------------
_live_procs = set()
_live_lock = threading.Lock()


def _kill_all_at_exit():
    with _live_lock:
        procs = list(_live_procs)
    for p in procs:
        p.kill()


atexit.register(_kill_all_at_exit)


def _child_setup():
    # Die with the test process even if it is SIGKILLed (no atexit then). PDEATHSIG fires when
    # the *thread* that started the child exits: start servers from long-lived threads.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except Exception:
        pass


class Proc:
    """A child process in its own process group. stdout is drained by a thread into a log file
    (a full pipe can never block the child) and scanned for a ready line; stderr goes to the
    same log. stop()/kill() act on the whole group."""

    def __init__(self, argv, name=None, ready=None, ready_timeout=30.0, env=None, cwd=None):
        self.argv = [str(a) for a in argv]
        self.name = name or os.path.basename(self.argv[0])
        self.ready_re = re.compile(ready) if ready else None
        self.ready_timeout = ready_timeout
        self.env = env
        self.cwd = cwd
        self.popen = None
        self.ready_match = None
        self.log_path = None
        self._ready = threading.Event()
        self._reader = None

    # -- lifecycle --
    def start(self):
        if self.alive():
            raise HarnessError("%s is already running" % self.name)
        self.ready_match = None
        self._ready.clear()
        fd, self.log_path = tempfile.mkstemp(prefix=self.name + "-", suffix=".log", dir=tmp_root())
        log = os.fdopen(fd, "ab", buffering=0)
        env = dict(os.environ if self.env is None else self.env)
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=log, cwd=self.cwd, env=env, start_new_session=True,
                                      preexec_fn=_child_setup)
        with _live_lock:
            _live_procs.add(self)
        self._reader = threading.Thread(target=self._drain, args=(self.popen.stdout, log),
                                        name="drain-" + self.name, daemon=True)
        self._reader.start()
        if self.ready_re is not None:
            self.wait_ready(self.ready_timeout)
        return self

    def _drain(self, pipe, log):
        try:
            for line in iter(pipe.readline, b""):
                log.write(line)
                if self.ready_re is not None and self.ready_match is None:
                    m = self.ready_re.search(line.decode("utf-8", "replace"))
                    if m:
                        self.ready_match = m
                        self._ready.set()
        except (OSError, ValueError):
            pass
        finally:
            log.close()

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while not self._ready.wait(0.05):
            if not self.alive():
                self._reap()
                raise HarnessError("%s exited (%s) before it was ready:\n%s"
                                   % (self.name, self.returncode, self.log_tail()))
            if time.monotonic() > deadline:
                self.kill()
                raise HarnessError("%s not ready after %.0f s:\n%s" % (self.name, timeout, self.log_tail()))
        return self.ready_match

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    @property
    def returncode(self):
        return self.popen.poll() if self.popen else None

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig):
        """Sends sig to the whole process group."""
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def stop(self, timeout=5.0):
        """SIGTERM (and SIGCONT, in case it is frozen) to the group, then SIGKILL after
        `timeout`. Returns the exit code (negative: killed by that signal)."""
        if self.popen is None:
            return None
        if self.popen.poll() is None:
            self.signal(signal.SIGTERM)
            self.signal(signal.SIGCONT)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        return self.kill()

    def kill(self):
        """SIGKILL to the group (also reaps leftovers of a process that already exited)."""
        if self.popen is None:
            return None
        self.signal(signal.SIGKILL)
        try:
            self.popen.wait(10)
        except subprocess.TimeoutExpired:
            pass
        self._reap()
        return self.popen.returncode

    def _reap(self):
        with _live_lock:
            _live_procs.discard(self)
        if self._reader is not None:
            self._reader.join(2)

    def freeze(self):
        """SIGSTOP the group (a hung server: sockets stay open, nothing is answered)."""
        self.signal(signal.SIGSTOP)

    def thaw(self):
        self.signal(signal.SIGCONT)

    # -- logs --
    def log(self):
        """Everything the process wrote on stdout and stderr so far."""
        if not self.log_path:
            return ""
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_tail(self, n=40):
        return "\n".join(self.log().splitlines()[-n:])

    def __enter__(self):
        if not self.alive():
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


# --------------------------------------------------------------------------------------------
# media
# --------------------------------------------------------------------------------------------
_media_lock = threading.Lock()


def media(directory=None, timeout=900):
    """Makes sure the test clips exist (runs media.sh, which regenerates them only when the
    script changed; about 30-40 s the first time). Returns the directory."""
    directory = os.path.abspath(directory or os.environ.get("LS_TEST_MEDIA") or DEFAULT_MEDIA_DIR)
    with _media_lock:
        r = run([os.path.join(HERE, "media.sh"), directory], timeout=timeout)
        if r.returncode != 0:
            raise HarnessError("media.sh failed (%s):\n%s" % (r.returncode, r.stderr[-4000:]))
    return directory


# --------------------------------------------------------------------------------------------
# servers
# --------------------------------------------------------------------------------------------
class _Server:
    proc = None

    def stop(self, timeout=5.0):
        """Clean stop: SIGTERM, SIGKILL after timeout."""
        return self.proc.stop(timeout) if self.proc else None

    def kill(self):
        """Hard stop (SIGKILL), like pulling the plug."""
        return self.proc.kill() if self.proc else None

    def stop_signal(self):
        """SIGSTOP: the server freezes; TCP connections stay open and silent."""
        self.proc.freeze()

    def cont(self):
        """SIGCONT after stop_signal()."""
        self.proc.thaw()

    def alive(self):
        return self.proc is not None and self.proc.alive()

    def log(self):
        return self.proc.log() if self.proc else ""

    def __enter__(self):
        if not self.alive():
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


class Camera(_Server):
    """camera.py (gst-rtsp-server): the clips looped forever on rtsp://127.0.0.1:<port>/<mount>.
    start() after kill()/stop() comes back on the same port (a camera reboot)."""

    def __init__(self, media_dir=None, port=0, password=CAMERA_PASSWORD, user=CAMERA_USER,
                 preload=False, verbose=False, extra_args=(), ready_timeout=30.0):
        self.media_dir = media_dir
        self.port = port
        self.user, self.password = user, password
        self.preload, self.verbose = preload, verbose
        self.extra_args = list(extra_args)
        self.ready_timeout = ready_timeout
        self.proc = None

    def start(self):
        if self.alive():
            raise HarnessError("camera already running")
        if self.media_dir is None:
            self.media_dir = media()
        last = None
        for attempt in range(10):   # on restart the old port may still be busy for a moment
            argv = [SYS_PYTHON, os.path.join(HERE, "camera.py"), "--media", self.media_dir,
                    "--port", str(self.port), "--user", self.user, "--password", self.password]
            argv += (["--preload"] if self.preload else []) + (["-v"] if self.verbose else [])
            self.proc = Proc(argv + self.extra_args, name="camera", ready=r"^READY (\d+)",
                             ready_timeout=self.ready_timeout)
            try:
                self.proc.start()
                self.port = int(self.proc.ready_match.group(1))
                return self
            except HarnessError as e:
                last = e
                if not self.port:
                    raise
                time.sleep(0.2 * (attempt + 1))
        raise last

    def url(self, mount="/h264_aac", auth=False, user=None, password=None, host="127.0.0.1"):
        """rtsp://127.0.0.1:<port><mount>. auth=True (or user/password given) puts the
        credentials in the URL, percent-encoded (the default password has ':' and '@')."""
        if not mount.startswith("/"):
            mount = "/" + mount
        cred = ""
        if auth or user is not None or password is not None:
            u = self.user if user is None else user
            p = self.password if password is None else password
            cred = "%s:%s@" % (urllib.parse.quote(u, safe=""), urllib.parse.quote(p, safe=""))
        return "rtsp://%s%s:%d%s" % (cred, host, self.port, mount)

    def skips(self, mount=None):
        """Lines where the camera fell over 0.5 s behind on a mount (an overloaded machine,
        or SIGSTOP) and skipped to the next keyframe: its stream then jumps, like a real
        camera's after a hiccup."""
        return [ln for ln in self.log().splitlines() if ln.startswith("camera: SKIP ")
                and (mount is None or ln.startswith("camera: SKIP %s:" % mount))]


class BadCam(_Server):
    """badcam.py: a broken RTSP camera. Paths: /notfound /unauthorized /forbidden /garbage
    /truncated /badsdp /nodata /blackhole (see badcam.py). mode: None, "blackhole" (never
    answers anything) or "deaf" (accepts TCP, never reads). record: a camera URL whose whole
    GOPs badcam records at start and serves on /replay/FLAGS (see rtpreplay.py)."""

    def __init__(self, mode=None, port=0, record=None):
        if mode not in (None, "blackhole", "deaf"):
            raise ValueError("mode must be None, 'blackhole' or 'deaf'")
        self.mode, self.port, self.record, self.proc = mode, port, record, None

    def start(self):
        argv = [SYS_PYTHON, os.path.join(HERE, "badcam.py"), "--port", str(self.port)]
        if self.mode:
            argv.append("--" + self.mode)
        if self.record:
            argv += ["--record", self.record]
        self.proc = Proc(argv, name="badcam", ready=r"^READY (\d+)", ready_timeout=15)
        self.proc.start()
        self.port = int(self.proc.ready_match.group(1))
        return self

    def url(self, path="/blackhole", user=None, password=None):
        if not path.startswith("/"):
            path = "/" + path
        cred = ""
        if user is not None:
            cred = "%s:%s@" % (urllib.parse.quote(user, safe=""), urllib.parse.quote(password or "", safe=""))
        return "rtsp://%s127.0.0.1:%d%s" % (cred, self.port, path)

    def connections(self):
        """How many TCP connections it accepted so far."""
        return len(re.findall(r"^CONN ", self.log(), re.M))

    def requests(self, method=None, path=None):
        """How many requests it read so far (optionally of one method and/or path)."""
        n = 0
        for m in re.finditer(r"^REQ \d+ (\S+) (\S+)", self.log(), re.M):
            if (method is None or m.group(1) == method) and (path is None or m.group(2).startswith(path)):
                n += 1
        return n

    def closes(self):
        return len(re.findall(r"^CLOSE ", self.log(), re.M))


class RtmpBad(_Server):
    """rtmpbad.py: a misbehaving RTMP server (modes: reject badapp deny busy closemid stall
    garbage, see rtmpbad.py) that logs every message it reads with its own chunk parser."""

    def __init__(self, mode, port=0):
        self.mode, self.port, self.proc = mode, port, None

    def start(self):
        argv = [SYS_PYTHON, os.path.join(HERE, "rtmpbad.py"), "--mode", self.mode, "--port", str(self.port)]
        self.proc = Proc(argv, name="rtmpbad", ready=r"^READY (\d+)", ready_timeout=15)
        self.proc.start()
        self.port = int(self.proc.ready_match.group(1))
        return self

    def rtmp_url(self, name="test", app="live"):
        return "rtmp://127.0.0.1:%d/%s/%s" % (self.port, app, name)

    def messages(self):
        """(type, csid, timestamp, size, first bytes hex) of every message read so far."""
        return [(int(t), int(c), int(ts), int(n), hx) for t, c, ts, n, hx in
                re.findall(r"^MSG (\d+) (\d+) (\d+) (\d+) (\S*)$", self.log(), re.M)]


class Nginx(_Server):
    """Debian's nginx + libnginx-mod-rtmp on 127.0.0.1:<port>, application "live".
    extra_app: more nginx-rtmp directives for the application (e.g. "wait_key on;")."""

    def __init__(self, port=0, extra_app=""):
        self.port, self.extra_app, self.proc, self.workdir = port, extra_app, None, None

    def start(self):
        sys.path.insert(0, HERE)
        import nginx_rtmp
        nginx_rtmp.check_installed()
        self.workdir = tmpdir("nginx-")
        fixed = bool(self.port)
        last = ""
        for _attempt in range(5):
            port = self.port if fixed else free_port()
            conf = nginx_rtmp.write_config(self.workdir, port, self.extra_app)
            self.proc = Proc(nginx_rtmp.nginx_argv(self.workdir, conf), name="nginx")
            self.proc.start()
            try:
                wait_until(lambda: port_open(port) or not self.proc.alive(), 15, what="nginx on %d" % port)
            except TimeoutError:
                pass
            if self.proc.alive() and port_open(port):
                self.port = port
                return self
            self.proc.kill()
            last = self.error_log()
            if fixed:
                break
        raise HarnessError("nginx did not start:\n%s" % last[-3000:])

    def rtmp_url(self, name="test", app="live"):
        return "rtmp://127.0.0.1:%d/%s/%s" % (self.port, app, name)

    def error_log(self):
        try:
            with open(os.path.join(self.workdir, "error.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log(self):
        return self.proc.log() + self.error_log() if self.proc else ""


class Nms(_Server):
    """node-media-server 4.x bound to 127.0.0.1: RTMP on rtmp_port, HTTP-FLV on http_port."""

    def __init__(self, rtmp_port=0, http_port=0, log_level="info"):
        self.rtmp_port, self.http_port, self.log_level, self.proc = rtmp_port, http_port, log_level, None

    def start(self):
        nms_js = os.path.join(HERE, "nms.js")
        if not os.path.isdir(os.path.join(HERE, "node_modules", "node-media-server")):
            raise HarnessError("node-media-server is not installed (run tests/harness/deps.sh --tests)")
        node = shutil.which("node") or shutil.which("nodejs") or "node"
        argv = [node, nms_js, "--rtmp-port", self.rtmp_port, "--http-port", self.http_port,
                "--dir", tmpdir("nms-"), "--log-level", self.log_level]
        self.proc = Proc(argv, name="nms", ready=r"^READY (\d+) (\d+)", ready_timeout=30)
        self.proc.start()
        self.rtmp_port = int(self.proc.ready_match.group(1))
        self.http_port = int(self.proc.ready_match.group(2))
        return self

    def rtmp_url(self, name="test", app="live"):
        return "rtmp://127.0.0.1:%d/%s/%s" % (self.rtmp_port, app, name)

    def flv_url(self, name="test", app="live"):
        return "http://127.0.0.1:%d/%s/%s.flv" % (self.http_port, app, name)


class Etcd(_Server):
    """Debian's etcd-server (3.4): `members` (1 or 3) members on 127.0.0.1, client and peer
    ports picked at run time, data in a temporary directory kept across stop()/start() (a
    restart finds its data). endpoints() lists the client URLs; the v3 JSON gateway is at
    <endpoint>/v3/... . stop()/kill() act on every member; member(i) is one member's Proc."""

    def __init__(self, members=1):
        if members not in (1, 3):
            raise HarnessError("Etcd: 1 or 3 members")
        self.n, self.procs, self.ports, self.datadir = members, [], None, None
        self.proc = None

    def _argv(self, i, cluster):
        client, peer = self.ports[i]
        name = "m%d" % i
        return ["etcd", "--name", name, "--data-dir", os.path.join(self.datadir, name),
                "--listen-client-urls", "http://127.0.0.1:%d" % client,
                "--advertise-client-urls", "http://127.0.0.1:%d" % client,
                "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
                "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
                "--initial-cluster", cluster, "--initial-cluster-state", "new",
                "--initial-cluster-token", "lstest", "--heartbeat-interval", "50",
                "--election-timeout", "500", "--log-outputs", "stderr"]

    def start(self):
        if shutil.which("etcd") is None:
            raise HarnessError("etcd is not installed (run tests/harness/deps.sh --tests)")
        if self.datadir is None:
            self.datadir = tmpdir("etcd-")
            self.ports = [(free_port(), free_port()) for _ in range(self.n)]
        cluster = ",".join("m%d=http://127.0.0.1:%d" % (i, p[1]) for i, p in enumerate(self.ports))
        self.procs = [Proc(self._argv(i, cluster), name="etcd%d" % i).start() for i in range(self.n)]
        self.proc = self.procs[0]
        wait_until(self.healthy, 30, what="etcd healthy")
        return self

    def member(self, i):
        return self.procs[i]

    def endpoints(self):
        return ["http://127.0.0.1:%d" % p[0] for p in self.ports]

    def healthy(self, i=None):
        """Whether member i (any member when None) answers /health with health true."""
        import urllib.request
        for j in ([i] if i is not None else range(self.n)):
            try:
                with urllib.request.urlopen(self.endpoints()[j] + "/health", timeout=1) as r:
                    if json.loads(r.read()).get("health") in ("true", True):
                        return True
            except (OSError, ValueError):
                pass
        return False

    def call(self, path, body, timeout=5.0):
        """POST body (a dict) to /v3/<path> of the first member; the reply as a dict."""
        import urllib.request
        req = urllib.request.Request(self.endpoints()[0] + "/v3/" + path,
                                     data=json.dumps(body).encode(), method="POST")
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read())

    def stop(self, timeout=5.0):
        for p in self.procs:
            p.stop(timeout)

    def kill(self):
        for p in self.procs:
            p.kill()

    def alive(self):
        return any(p.alive() for p in self.procs)

    def log(self):
        return "".join(p.log() for p in self.procs)


# --------------------------------------------------------------------------------------------
# running tools
# --------------------------------------------------------------------------------------------
RunResult = namedtuple("RunResult", "returncode stdout stderr timed_out")


def run(argv, timeout=60.0, input=None, text=True):
    """Runs argv in its own process group; on timeout kills the group and returns what was
    output so far with timed_out=True (never hangs, never raises for a timeout)."""
    p = subprocess.Popen([str(a) for a in argv], stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                         preexec_fn=_child_setup)
    timed_out = False
    try:
        out, err = p.communicate(input.encode() if isinstance(input, str) else input, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
    if text:
        out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    return RunResult(p.returncode, out, err, timed_out)


def input_options(url, transport="tcp", io_timeout=10.0):
    """FFmpeg input options for url: RTSP transport and an I/O timeout (so that a dead server
    makes the tool fail instead of hanging)."""
    scheme = url.split(":", 1)[0].lower()
    us = str(int(io_timeout * 1e6))
    if scheme in ("rtsp", "rtsps"):
        return ["-rtsp_transport", transport or "tcp", "-timeout", us]
    if scheme in ("rtmp", "rtmps", "http", "https", "tcp"):
        return ["-rw_timeout", us]
    return []


class ProbeError(HarnessError):
    pass


def ffprobe_streams(url, timeout=20.0, transport="tcp", extra=()):
    """ffprobe -show_streams -show_format on url. Returns the parsed JSON (dict with "streams"
    and "format"); raises ProbeError (with ffprobe's stderr) on failure or timeout."""
    argv = ["ffprobe", "-v", "error", *input_options(url, transport, min(timeout, 10.0)), *extra,
            "-show_streams", "-show_format", "-of", "json", url]
    r = run(argv, timeout=timeout)
    if r.timed_out or r.returncode != 0:
        raise ProbeError("ffprobe %s failed (%s): %s" % (url, "timeout" if r.timed_out else r.returncode, r.stderr.strip()[-2000:]))
    try:
        return json.loads(r.stdout)
    except ValueError:
        raise ProbeError("ffprobe %s: bad JSON output" % url)


def stream_summary(info):
    """[(codec_type, codec_name, width-or-sample_rate, height-or-channels), ...] of a
    ffprobe_streams() result, in stream order."""
    out = []
    for s in info.get("streams", []):
        if s.get("codec_type") == "video":
            out.append(("video", s.get("codec_name"), s.get("width"), s.get("height")))
        elif s.get("codec_type") == "audio":
            out.append(("audio", s.get("codec_name"), int(s.get("sample_rate", 0)), s.get("channels")))
        else:
            out.append((s.get("codec_type"), s.get("codec_name"), None, None))
    return out


Packet = namedtuple("Packet", "stream dts pts duration size")
Packets = namedtuple("Packets", "streams packets errors timed_out time_base")
FrameCount = namedtuple("FrameCount", "video audio errors")


def read_packets(url, seconds, timeout=None, transport="tcp", extra=()):
    """Reads `seconds` of media (ffmpeg's -t: by timestamps, from the first packet of any
    stream) from url with `ffmpeg -c copy -f framemd5` (video and audio streams only; indexes
    are those of ffmpeg's output). Returns Packets(streams={index: (codec_type, codec_name)},
    packets=[Packet(stream, dts, pts, duration, size)] (in the stream's time base, shifted by
    ffmpeg to start near 0), errors=[stderr lines], timed_out, time_base={index: Fraction}).
    Never raises for a stream problem: check errors and counts."""
    timeout = timeout if timeout is not None else seconds + 20.0
    # Audio and video only: a data stream (FLV onMetaData) gets one packet and would keep -t
    # from ever ending. -copyinkf: keep the frames before the first keyframe too (a client
    # joining a live stream mid-GOP gets them).
    argv = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error",
            *input_options(url, transport, min(10.0, timeout)), *extra, "-i", url,
            "-map", "0:v?", "-map", "0:a?", "-c", "copy", "-copyinkf",
            "-t", "%.3f" % seconds, "-f", "framemd5", "-"]
    r = run(argv, timeout=timeout)
    streams, tbs, packets = {}, {}, []
    for line in r.stdout.splitlines():
        if line.startswith("#"):
            m = re.match(r"#media_type (\d+): (\w+)", line)
            if m:
                streams.setdefault(int(m.group(1)), [None, None])[0] = m.group(2)
            m = re.match(r"#codec_id (\d+): (\w+)", line)
            if m:
                streams.setdefault(int(m.group(1)), [None, None])[1] = m.group(2)
            m = re.match(r"#tb (\d+): (\d+)/(\d+)", line)
            if m:
                tbs[int(m.group(1))] = Fraction(int(m.group(2)), int(m.group(3)))
            continue
        f = [x.strip() for x in line.split(",")]
        if len(f) >= 5 and f[0].isdigit():
            try:
                packets.append(Packet(int(f[0]), int(f[1]), int(f[2]), int(f[3]), int(f[4])))
            except ValueError:
                pass
    errors = [ln for ln in r.stderr.splitlines() if ln.strip()]
    if r.returncode not in (0, None) and not r.timed_out and not errors:
        errors = ["ffmpeg exited with %s" % r.returncode]
    return Packets({k: tuple(v) for k, v in streams.items()}, packets, errors, r.timed_out, tbs)


def count_frames(url, seconds, timeout=None, transport="tcp", extra=()):
    """Counts video frames and audio packets in `seconds` of media from url, each stream over
    its own first `seconds` of timestamps (a server may start one stream a little after the
    other). Returns FrameCount(video, audio, errors): at 25 fps 5 s ~ 125 video frames; AAC
    48 kHz ~ 46.9 packets/s; G.711: whatever the packetizer made (the camera: 50/s).
    Reads for seconds + 1 s."""
    timeout = timeout if timeout is not None else seconds + 21.0
    p = read_packets(url, seconds + 1.0, timeout, transport, extra)
    first, n = {}, {}
    for k in p.packets:
        tb = p.time_base.get(k.stream)
        if tb is None:
            continue
        first.setdefault(k.stream, k.dts)
        if (k.dts - first[k.stream]) * tb < seconds:
            n[k.stream] = n.get(k.stream, 0) + 1
    kinds = {i: s[0] for i, s in p.streams.items()}
    video = sum(c for i, c in n.items() if kinds.get(i) == "video")
    audio = sum(c for i, c in n.items() if kinds.get(i) == "audio")
    errors = list(p.errors) + (["timed out"] if p.timed_out else [])
    return FrameCount(video, audio, errors)


Monotonic = namedtuple("Monotonic", "ok packets violations errors")


def probe_packets(url, seconds=10.0, timeout=None, transport="tcp", extra=()):
    """ffprobe -show_packets over the first `seconds` of url, timestamps untouched (the
    demuxer's own). Returns (list of dicts: stream_index, codec_type, pts_time, dts_time, flags,
    size, ...; errors)."""
    timeout = timeout if timeout is not None else seconds + 20.0
    argv = ["ffprobe", "-v", "error", *input_options(url, transport, min(10.0, timeout)), *extra,
            "-read_intervals", "%%+%g" % seconds, "-show_packets", "-show_entries",
            "packet=stream_index,codec_type,pts,pts_time,dts,dts_time,duration_time,size,flags",
            "-of", "json", url]
    r = run(argv, timeout=timeout)
    errors = [ln for ln in r.stderr.splitlines() if ln.strip()]
    if r.timed_out:
        errors.append("timed out")
    try:
        pk = json.loads(r.stdout).get("packets", []) if r.stdout.strip() else []
    except ValueError:
        pk = []
        errors.append("bad JSON from ffprobe (killed?)")
    return pk, errors


def check_monotonic(url, seconds=10.0, timeout=None, transport="tcp", strict=False, extra=()):
    """Reads `seconds` of url with ffprobe -show_packets and checks that DTS never goes back
    in any stream (strict=True: strictly increasing). Returns Monotonic(ok, packets={stream:
    count}, violations=[str], errors=[str]); ok is False on any violation, on no packets, or on
    ffprobe errors."""
    pk, errors = probe_packets(url, seconds, timeout, transport, extra)
    last, counts, bad = {}, {}, []
    for p in pk:
        s = p.get("stream_index")
        counts[s] = counts.get(s, 0) + 1
        d = p.get("dts")
        if d is None:  # FFmpeg's RTSP input gives the first packets no DTS: nothing to compare
            continue
        if s in last and (d < last[s] or (strict and d == last[s])):
            bad.append("stream %s: dts %s after %s (packet %d)" % (s, d, last[s], counts[s]))
        last[s] = d
    ok = not bad and not errors and bool(counts)
    return Monotonic(ok, counts, bad, errors)


TsPacket = namedtuple("TsPacket", "stream kind pts dts key")
TsFrame = namedtuple("TsFrame", "stream kind pts")


class Timeline(namedtuple("Timeline", "streams packets frames errors timed_out")):
    """What probe_timeline read: streams={index: (codec_type, codec_name)}; packets=[TsPacket]
    in the order the demuxer returned them (for FLV: file order); frames=[TsFrame] in the order
    the decoders output them (presentation order). Timestamps in milliseconds (float; None
    when absent)."""

    def video_packets(self):
        return [p for p in self.packets if p.kind == "video"]

    def video_frames(self):
        return [f for f in self.frames if f.kind == "video"]


def probe_timeline(url, seconds=None, frames=True, timeout=None, transport="tcp", extra=()):
    """One ffprobe pass over url (a file, or a live URL read for `seconds` of timestamps):
    every packet's pts/dts/key flag in demuxer order and, with frames=True, every decoded
    frame's pts in output order (the container's pts carried through the decoder's reordering;
    its best-effort timestamp when the frame has none). Never raises for a stream problem:
    check errors and counts."""
    timeout = timeout if timeout is not None else (seconds or 0) + 30.0
    entries = "stream=index,codec_type,codec_name,time_base:packet=stream_index,pts,dts,flags"
    if frames:
        entries += ":frame=stream_index,pts,best_effort_timestamp"
    argv = ["ffprobe", "-v", "error", *input_options(url, transport, min(10.0, timeout)), *extra]
    if seconds is not None:
        argv += ["-read_intervals", "%%+%g" % seconds]
    r = run(argv + ["-show_entries", entries, "-of", "json", url], timeout=timeout)
    errors = [ln for ln in r.stderr.splitlines() if ln.strip()]
    if r.timed_out:
        errors.append("timed out")
    try:
        js = json.loads(r.stdout) if r.stdout.strip() else {}
    except ValueError:
        js, errors = {}, errors + ["bad JSON from ffprobe (killed?)"]
    streams, scale = {}, {}
    for st in js.get("streams", []):
        streams[st["index"]] = (st.get("codec_type"), st.get("codec_name"))
        num, _, den = st.get("time_base", "1/1000").partition("/")
        scale[st["index"]] = 1000.0 * int(num) / int(den)

    def ms(x, key):
        v = x.get(key)
        return None if v is None else v * scale.get(x["stream_index"], 1.0)
    packets, decoded = [], []
    for x in js.get("packets_and_frames", js.get("packets", [])):
        kind = streams.get(x["stream_index"], (None,))[0]
        if x.get("type", "packet") == "packet":
            packets.append(TsPacket(x["stream_index"], kind, ms(x, "pts"), ms(x, "dts"),
                                    "K" in x.get("flags", "")))
        else:
            pts = ms(x, "pts")
            decoded.append(TsFrame(x["stream_index"], kind,
                                   pts if pts is not None else ms(x, "best_effort_timestamp")))
    return Timeline(streams, packets, decoded, errors, r.timed_out)


def rtsp_request(url, method="DESCRIBE", headers=None, timeout=5.0, read_body=True):
    """One raw RTSP request over a fresh TCP connection (no auth handling). Returns
    (status_code, {lower-case header: value; a repeated header's values joined with "\n"},
    body bytes). Raises OSError/TimeoutError on
    network problems, HarnessError on a reply that is not RTSP."""
    u = urllib.parse.urlsplit(url)
    hdrs = {"CSeq": "1", "User-Agent": "lsharness"}
    if method == "DESCRIBE":
        hdrs["Accept"] = "application/sdp"
    hdrs.update(headers or {})
    req = "%s %s RTSP/1.0\r\n%s\r\n" % (method, url, "".join("%s: %s\r\n" % kv for kv in hdrs.items()))
    deadline = time.monotonic() + timeout
    with socket.create_connection((u.hostname, u.port or 554), timeout=timeout) as s:
        s.sendall(req.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            d = s.recv(65536)
            if not d:
                break
            buf += d
        head, _, body = buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        m = re.match(r"RTSP/1\.\d (\d{3})", lines[0])
        if not m:
            raise HarnessError("not an RTSP reply: %r" % buf[:80])
        h = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            k, v = k.strip().lower(), v.strip()
            h[k] = h[k] + "\n" + v if k in h else v  # repeated headers: joined with \n
        clen = int(h.get("content-length", "0") or 0)
        while read_body and len(body) < clen:
            s.settimeout(max(0.01, deadline - time.monotonic()))
            d = s.recv(65536)
            if not d:
                break
            body += d
        return int(m.group(1)), h, body


# --------------------------------------------------------------------------------------------
# publishing with ffmpeg (a stand-in relay for harness self-tests)
# --------------------------------------------------------------------------------------------
def ffmpeg_relay(src_url, dst_url, transport="tcp", extra_out=(), name="ffmpeg-relay"):
    """Starts `ffmpeg -i src -c copy -f flv dst` as a Proc (not waited for: poll the
    destination). Stop it with .stop()."""
    argv = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error",
            *input_options(src_url, transport), "-i", src_url,
            "-map", "0:v?", "-map", "0:a?", "-c", "copy", *extra_out, "-f", "flv", dst_url]
    return Proc(argv, name=name).start()
