#!/usr/bin/python3
"""A fake, broken RTSP camera on 127.0.0.1 (plain sockets, stdlib only).

    /usr/bin/python3 tests/harness/badcam.py [--port 0] [--blackhole | --deaf]

Prints "READY <port>" on stdout once it listens. What it does depends on the URL's first path
segment:
  /notfound      OPTIONS 200; DESCRIBE and the rest: 404 Not Found
  /unauthorized  OPTIONS 200; everything else: 401 with "WWW-Authenticate: Basic", forever
                 (also when credentials are sent)
  /forbidden     OPTIONS 200; everything else: 403 Forbidden
  /garbage       answers any request with non-RTSP garbage bytes, then closes
  /truncated     DESCRIBE: 200 with a Content-Length larger than the SDP it sends, then closes
  /badsdp        DESCRIBE: 200 with a syntactically broken SDP
  /nodata        a valid H.264 SDP; SETUP (TCP interleaved or UDP) and PLAY answer 200, then no
                 media ever arrives (keep-alives are answered): for stall watchdogs
  /blackhole     reads the requests and never answers
  anything else  404
Whole-server modes:
  --blackhole    every path is /blackhole
  --deaf         accepts TCP connections, then never reads nor answers (for stop-latency tests)

Every connection and request is logged on stderr, one line each, for the tests to count:
  CONN <n> <peer>          a TCP connection was accepted (n counts from 1)
  REQ <n> <METHOD> <path>  a request was read (n counts from 1)
  CLOSE <peer>             the peer closed, or we did
  RR, AUTH, NORR, SENT     from /replay sessions (see rtpreplay.py)
SIGTERM/SIGINT stop it at once.
"""
import argparse
import os
import signal
import socket
import sys
import threading

import rtpreplay

SDP_OK = (
    "v=0\r\n"
    "o=- 1 1 IN IP4 127.0.0.1\r\n"
    "s=badcam\r\n"
    "c=IN IP4 0.0.0.0\r\n"
    "t=0 0\r\n"
    "m=video 0 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n"
    "a=fmtp:96 packetization-mode=1;profile-level-id=4d401e;"
    "sprop-parameter-sets=Z01AHtoCgL/lwEQAAAMABAAAAwDIPFi6gA==,aO88gA==\r\n"
    "a=control:track1\r\n"
)
SDP_BROKEN = (  # no valid line at all: version missing, media lines malformed, binary junk
    "v=\r\n"
    "o=- this is not an origin\r\n"
    "x\r\n"
    "m=vide0 notaport RTP/AVP\r\n"
    "a=rtpmap:96\r\n"
    "m=\r\n"
    "c=IN IP4\r\n"
    "\x00\x01\x02 binary junk \xff\r\n"
)
GARBAGE = bytes(range(256)) * 4 + b"\r\n\r\nHTTP/1.1 200 OK\r\n\r\n" + bytes(range(255, -1, -1)) * 4

lock = threading.Lock()
counters = {"conn": 0, "req": 0}


def event(line):
    with lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


def count(kind):
    with lock:
        counters[kind] += 1
        return counters[kind]


class Conn:
    def __init__(self, sock, peer, args):
        self.sock, self.peer, self.args = sock, peer, args
        self.buf = b""
        self.rtcp_sink = None  # takes (channel, payload) of the client's interleaved frames
        self.replay = None

    def read_request(self):
        """Returns (method, url, headers, body) or None at EOF."""
        while True:
            if self.buf.startswith(b"$"):  # interleaved RTCP from the client: skip it
                if len(self.buf) >= 4:
                    n = 4 + int.from_bytes(self.buf[2:4], "big")
                    if len(self.buf) >= n:
                        if self.rtcp_sink:
                            self.rtcp_sink(self.buf[1], self.buf[4:n])
                        self.buf = self.buf[n:]
                        continue
            elif b"\r\n\r\n" in self.buf:
                break
            data = self.sock.recv(65536)
            if not data:
                return None
            self.buf += data
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split()
        method, url = (parts + ["", ""])[:2]
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            headers[k.strip().lower()] = v.strip()
        clen = int(headers.get("content-length", "0") or 0)
        while len(rest) < clen:
            data = self.sock.recv(65536)
            if not data:
                return None
            rest += data
        body, self.buf = rest[:clen], rest[clen:]
        return method, url, headers, body

    def reply(self, code, reason, headers, cseq, extra=b"", body=b""):
        out = "RTSP/1.0 %d %s\r\nCSeq: %s\r\nServer: badcam\r\n" % (code, reason, cseq)
        for k, v in headers:
            out += "%s: %s\r\n" % (k, v)
        if body and not any(k.lower() == "content-length" for k, _ in headers):
            out += "Content-Length: %d\r\n" % len(body)
        self.sock.sendall(out.encode() + b"\r\n" + body + extra)

    def serve(self):
        session = "badcam%d" % os.getpid()
        while True:
            req = self.read_request()
            if req is None:
                return
            method, url, headers, _body = req
            path = url.split("://", 1)[-1]
            path = "/" + path.split("/", 1)[1] if "/" in path else "/"
            path = path.split("?", 1)[0]
            seg = path.strip("/").split("/", 1)[0]
            event("REQ %d %s %s" % (count("req"), method, path))
            cseq = headers.get("cseq", "0")
            mode = "blackhole" if self.args.blackhole else seg
            if mode == "replay" and self.args.recording:
                if not self.replay:
                    flags = (path.strip("/").split("/") + [""])[1].split("+")
                    self.replay = rtpreplay.Replay(self, self.args.recording, flags, event)
                if not self.replay.request(method, url, headers):
                    return
                continue
            if mode == "blackhole":
                continue  # read everything, answer nothing
            if mode == "garbage":
                self.sock.sendall(GARBAGE)
                return
            if method == "OPTIONS":
                self.reply(200, "OK", [("Public", "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, "
                                        "TEARDOWN, GET_PARAMETER, SET_PARAMETER")], cseq)
                continue
            if mode == "notfound" or mode not in ("unauthorized", "forbidden", "truncated",
                                                  "badsdp", "nodata"):
                self.reply(404, "Not Found", [], cseq)
            elif mode == "unauthorized":
                self.reply(401, "Unauthorized", [("WWW-Authenticate", 'Basic realm="badcam"')], cseq)
            elif mode == "forbidden":
                self.reply(403, "Forbidden", [], cseq)
            elif mode == "truncated" and method == "DESCRIBE":
                sdp = SDP_OK.encode()
                self.reply(200, "OK", [("Content-Type", "application/sdp"),
                                       ("Content-Base", url.rstrip("/") + "/"),
                                       ("Content-Length", str(len(sdp) + 1000))], cseq, body=sdp[:len(sdp) // 2])
                return
            elif mode == "badsdp" and method == "DESCRIBE":
                self.reply(200, "OK", [("Content-Type", "application/sdp"),
                                       ("Content-Base", url.rstrip("/") + "/")], cseq,
                           body=SDP_BROKEN.encode("latin-1"))
            elif mode in ("badsdp", "truncated"):
                self.reply(400, "Bad Request", [], cseq)  # nothing to SETUP or PLAY there
            elif method == "DESCRIBE":  # nodata
                self.reply(200, "OK", [("Content-Type", "application/sdp"),
                                       ("Content-Base", url.rstrip("/") + "/")], cseq,
                           body=SDP_OK.encode())
            elif method == "SETUP":
                tr = headers.get("transport", "RTP/AVP/TCP;unicast;interleaved=0-1")
                if "client_port" in tr:
                    tr = tr + ";server_port=9-9"  # discard port: nothing is ever sent
                self.reply(200, "OK", [("Transport", tr), ("Session", session + ";timeout=60")], cseq)
            elif method in ("PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER", "SET_PARAMETER"):
                self.reply(200, "OK", [("Session", session)], cseq)
                if method == "TEARDOWN":
                    return
            else:
                self.reply(405, "Method Not Allowed", [], cseq)


def handle(sock, peer, args):
    conn = None
    try:
        if args.deaf:
            # Never read: the client's requests sit in our receive buffer until it gives up.
            while True:
                threading.Event().wait(3600)
        conn = Conn(sock, peer, args)
        conn.serve()
    except OSError:
        pass
    finally:
        if conn and conn.replay:
            conn.replay.close()
        try:
            sock.close()
        except OSError:
            pass
        event("CLOSE %s:%d" % peer)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: pick a free one)")
    ap.add_argument("--blackhole", action="store_true", help="never answer, whatever the path")
    ap.add_argument("--deaf", action="store_true", help="accept connections, never read them")
    ap.add_argument("--record", metavar="URL", help="serve /replay/... from whole GOPs of this "
                    "camera's H.264 (recorded at start)")
    args = ap.parse_args()
    args.recording = rtpreplay.record(args.record) if args.record else None
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: os._exit(0))
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(128)
    print("READY %d" % srv.getsockname()[1], flush=True)
    while True:
        sock, peer = srv.accept()
        event("CONN %d %s:%d" % (count("conn"), peer[0], peer[1]))
        threading.Thread(target=handle, args=(sock, peer, args), daemon=True).start()


if __name__ == "__main__":
    main()
