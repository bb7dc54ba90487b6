#!/usr/bin/python3
"""A misbehaving RTMP server on 127.0.0.1 (plain sockets, stdlib only), for the publisher's
error paths that nginx-rtmp and node-media-server cannot be made to take on purpose.

    /usr/bin/python3 tests/harness/rtmpbad.py --mode MODE [--port 0]

Prints "READY <port>" once it listens. It reads the client's chunks with its own parser (no
code shared with the library) and answers by mode:
  reject     connect -> _error NetConnection.Connect.Rejected
  badapp     connect -> _error NetConnection.Connect.InvalidApp
  deny       publish -> onStatus error NetStream.Publish.Denied
  busy       publish -> onStatus error NetStream.Publish.BadName "Stream already publishing"
  closemid   publish -> Publish.Start, closes after 50 media messages
  stall      publish -> Publish.Start, then stops reading (the socket fills up)
  garbage    answers the handshake with HTTP text
Every message read is logged on stderr as "MSG <type> <csid> <ts> <size> <first bytes hex>",
every connection as "CONN <n>", Set Chunk Size as "CHUNK <size>".
"""
import argparse
import os
import signal
import socket
import struct
import sys
import threading


def log(line):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def amf_str(s):
    b = s.encode()
    return b"\x02" + struct.pack(">H", len(b)) + b


def amf_num(v):
    return b"\x00" + struct.pack(">d", v)


def amf_obj(props):
    out = b"\x03"
    for k, v in props:
        kb = k.encode()
        out += struct.pack(">H", len(kb)) + kb + (amf_str(v) if isinstance(v, str) else amf_num(v))
    return out + b"\x00\x00\x09"


def message(csid, mtype, sid, payload, ts=0):
    """One message in 128-byte chunks (the server's default chunk size)."""
    out = bytes([csid]) + struct.pack(">I", ts)[1:] + struct.pack(">I", len(payload))[1:]
    out += bytes([mtype]) + struct.pack("<I", sid)
    for i in range(0, max(len(payload), 1), 128):
        if i:
            out += bytes([0xC0 | csid])
        out += payload[i:i + 128]
    return out


class Reader:
    """The client's chunk stream, parsed here independently of the library."""

    def __init__(self, sock):
        self.sock, self.buf, self.chunk, self.streams = sock, b"", 128, {}

    def need(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(65536)
            if not d:
                raise EOFError
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def message(self):
        while True:
            b0 = self.need(1)[0]
            fmt, csid = b0 >> 6, b0 & 0x3F
            if csid == 0:
                csid = 64 + self.need(1)[0]
            elif csid == 1:
                x = self.need(2)
                csid = 64 + x[0] + 256 * x[1]
            st = self.streams.setdefault(csid, {"ts": 0, "size": 0, "type": 0, "sid": 0, "data": b"", "ext": False})
            if fmt <= 2:
                h = self.need([11, 7, 3][fmt])
                ts = int.from_bytes(h[0:3], "big")
                st["ext"] = ts == 0xFFFFFF
                if fmt <= 1:
                    st["size"], st["type"] = int.from_bytes(h[3:6], "big"), h[6]
                if fmt == 0:
                    st["sid"] = int.from_bytes(h[7:11], "little")
                if st["ext"]:
                    ts = int.from_bytes(self.need(4), "big")
                st["ts"] = ts if fmt == 0 else st["ts"] + ts
            elif st["ext"]:
                self.need(4)
            take = min(self.chunk, st["size"] - len(st["data"]))
            st["data"] += self.need(take)
            if len(st["data"]) == st["size"]:
                data, st["data"] = st["data"], b""
                if st["type"] == 1:
                    self.chunk = struct.unpack(">I", data[:4])[0] & 0x7FFFFFFF
                    log("CHUNK %d" % self.chunk)
                return st["type"], csid, st["ts"], data


def amf_first_string_and_txn(data):
    n = struct.unpack(">H", data[1:3])[0]
    name = data[3:3 + n].decode(errors="replace")
    txn = struct.unpack(">d", data[4 + n:12 + n])[0] if data[3 + n] == 0 else 0
    return name, txn


def serve(conn, mode, counter):
    counter[0] += 1
    log("CONN %d" % counter[0])
    r = Reader(conn)
    c0c1 = r.need(1537)
    if mode == "garbage":
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n" + b"x" * 3000)
        return
    conn.sendall(b"\x03" + bytes(1536) + c0c1[1:])  # S0, S1, S2 (echo of C1)
    r.need(1536)  # C2
    media = 0
    while True:
        mtype, csid, ts, data = r.message()
        log("MSG %d %d %d %d %s" % (mtype, csid, ts, len(data), data[:16].hex()))
        if mtype in (8, 9, 18):
            media += 1
            if mode == "closemid" and media >= 50:
                return
            if mode == "stall" and media >= 20:
                threading.Event().wait()  # never read again
            continue
        if mtype != 20:
            continue
        name, txn = amf_first_string_and_txn(data)
        if name == "connect":
            if mode in ("reject", "badapp"):
                code = "NetConnection.Connect.Rejected" if mode == "reject" else "NetConnection.Connect.InvalidApp"
                conn.sendall(message(3, 20, 0, amf_str("_error") + amf_num(txn) + b"\x05" +
                                     amf_obj([("level", "error"), ("code", code), ("description", "no")])))
                continue
            conn.sendall(message(2, 5, 0, struct.pack(">I", 2500000)) +
                         message(3, 20, 0, amf_str("_result") + amf_num(txn) + amf_obj([("fmsVer", "FMS/3,0,1,123")]) +
                                 amf_obj([("level", "status"), ("code", "NetConnection.Connect.Success")])) +
                         message(2, 4, 0, struct.pack(">HI", 6, 1234)))  # a ping request
        elif name == "createStream":
            conn.sendall(message(3, 20, 0, amf_str("_result") + amf_num(txn) + b"\x05" + amf_num(1)))
        elif name == "publish":
            if mode in ("deny", "busy"):
                code, desc = (("NetStream.Publish.Denied", "denied") if mode == "deny" else
                              ("NetStream.Publish.BadName", "Stream already publishing"))
                conn.sendall(message(5, 20, 1, amf_str("onStatus") + amf_num(0) + b"\x05" +
                                     amf_obj([("level", "error"), ("code", code), ("description", desc)])))
                continue
            conn.sendall(message(5, 20, 1, amf_str("onStatus") + amf_num(0) + b"\x05" +
                                 amf_obj([("level", "status"), ("code", "NetStream.Publish.Start")])))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--mode", required=True,
                    choices=["reject", "badapp", "deny", "busy", "closemid", "stall", "garbage"])
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", args.port))
    srv.listen(16)
    print("READY %d" % srv.getsockname()[1], flush=True)
    counter = [0]
    while True:
        conn, _ = srv.accept()
        if args.mode == "stall":  # a small receive buffer fills fast
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)

        def run(c=conn):
            try:
                serve(c, args.mode, counter)
            except (EOFError, OSError):
                pass
            finally:
                log("CLOSE")
                c.close()
        threading.Thread(target=run, daemon=True).start()


if __name__ == "__main__":
    main()
