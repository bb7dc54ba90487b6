#!/usr/bin/python3
"""A WS-Discovery responder on 127.0.0.1 (UDP) for the ONVIF tests. Stdlib only.

It answers a unicast Probe (SOAP 1.2, Body/wsdd:Probe) whose Types are empty or include
dn:NetworkVideoTransmitter (or tds:Device) with agsh-onvif's captured ProbeMatches
(tests/data/onvif/agsh-onvif/Probe.xml), its placeholders filled: RELATES_TO = the Probe's
wsa:MessageID, SERVICE_URI = --xaddrs (default http://127.0.0.1:<--device-port>/onvif/device_service).
Datagrams from anywhere but 127.0.0.1 are ignored. Prints `READY <port>` once bound.
--record FILE: one JSON line per datagram received ({"t", "from", "message_id", "types",
"action", "soap", "matched", "answered"}).
"""
import argparse
import json
import os
import re
import signal
import socket
import sys
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
PROBE_MATCHES = os.path.normpath(os.path.join(HERE, "..", "data", "onvif", "agsh-onvif", "Probe.xml"))
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
NVT = ("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter")
DEVICE = ("http://www.onvif.org/ver10/device/wsdl", "Device")


def local(tag):
    return tag.rsplit("}", 1)[-1]


def find_local(elem, name):
    for e in elem.iter():
        if local(e.tag) == name:
            return e
    return None


def xml_escape(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def resolve_types(raw, types):
    """Types is a list of QNames; resolve their prefixes with the xmlns declarations of the
    datagram (ElementTree does not keep them)."""
    decls = dict(re.findall(r'xmlns:([\w.-]+)\s*=\s*["\']([^"\']*)["\']', raw))
    out = []
    for q in types.split():
        prefix, _, name = q.rpartition(":")
        out.append((decls.get(prefix, prefix), name))
    return out


def handle(data, args):
    """(record, answer bytes or None)."""
    rec = {"t": time.monotonic(), "message_id": None, "types": None, "action": None,
           "soap": None, "matched": False, "answered": False}
    raw = data.decode("utf-8", "replace")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        rec["error"] = "not XML: %s" % e
        return rec, None
    rec["soap"] = "1.2" if root.tag.startswith("{%s}" % SOAP12) else root.tag
    mid, action = find_local(root, "MessageID"), find_local(root, "Action")
    rec["message_id"] = mid.text.strip() if mid is not None and mid.text else None
    rec["action"] = action.text.strip() if action is not None and action.text else None
    body = find_local(root, "Body")
    if body is None or len(body) == 0 or local(body[0].tag) != "Probe":
        rec["error"] = "not a Probe"
        return rec, None
    types_el = find_local(body[0], "Types")
    types = (types_el.text or "").strip() if types_el is not None else ""
    rec["types"] = types
    resolved = resolve_types(raw, types)
    rec["types_resolved"] = ["{%s}%s" % t for t in resolved]
    rec["matched"] = not resolved or any(t in (NVT, DEVICE) for t in resolved)
    if not rec["matched"] or not rec["message_id"]:
        return rec, None
    with open(PROBE_MATCHES, "rb") as f:
        text = f.read().decode("utf-8")
    relates = args.relates_to if args.relates_to is not None else rec["message_id"]
    text = text.replace("RELATES_TO", xml_escape(relates)).replace("SERVICE_URI", xml_escape(args.xaddrs))
    rec["answered"] = True
    return rec, text.encode("utf-8")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--device-port", type=int, default=80,
                    help="port of the default XAddr http://127.0.0.1:<port>/onvif/device_service")
    ap.add_argument("--xaddrs", help="the XAddrs to announce (space-separated URLs)")
    ap.add_argument("--relates-to", help="answer with this RelatesTo instead of the MessageID")
    ap.add_argument("--delay-ms", type=int, default=0, help="wait before answering")
    ap.add_argument("--record", metavar="FILE")
    args = ap.parse_args(argv)
    if not args.xaddrs:
        args.xaddrs = "http://127.0.0.1:%d/onvif/device_service" % args.device_port

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", args.port))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    record = open(args.record, "a", buffering=1) if args.record else None
    sys.stdout.write("READY %d\n" % sock.getsockname()[1])
    sys.stdout.flush()
    while True:
        data, peer = sock.recvfrom(65536)
        if peer[0] != "127.0.0.1":
            continue
        rec, answer = handle(data, args)
        rec["from"] = "%s:%d" % peer
        if answer is not None:
            if args.delay_ms:
                time.sleep(args.delay_ms / 1000.0)
            sock.sendto(answer, peer)
        if record:
            record.write(json.dumps(rec, sort_keys=True) + "\n")
            record.flush()


if __name__ == "__main__":
    sys.exit(main())
