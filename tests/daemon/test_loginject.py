#!/usr/bin/python3
"""lightstreamd's log cannot be forged from outside: at debug level the daemon logs request
paths (decoded: %0a is a newline) and the client's User-Agent; control characters (CR, LF,
ESC, C1, DEL) and bytes that are not UTF-8 in them come out escaped, so every line of the log
is one of the daemon's own lines, starting with its timestamp, and the log is valid UTF-8."""
import os
import re
import socket
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402

LINE = re.compile(rb"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (error|warn |info |debug) ")
RAW_CONTROL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")


def raw_request(port, head):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        c.sendall(head)
        data = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                return data
            data += chunk


class LogInjection(unittest.TestCase):
    def test_outside_strings_cannot_forge_log_lines(self):
        with lsd.Daemon() as d:
            paths = ["/live/%0aFAKE%20LINE.flv",
                     "/live/%0d%0a2030-01-01T00:00:00.000Z%20error%20FAKE%20CRLF.flv",
                     "/live/%1b[2J%1b[1;1HFAKE%20ESC%c2%9b.flv",
                     "/live/FAKE%ff%fe%e2%80%a8bytes%7f.flv"]
            for p in paths:
                st, _, _ = d.request("GET", p)
                self.assertEqual(st, 404, p)
            # The HTTP parser lets no CR or LF into a header value, but other bytes that some
            # viewers and terminals take for line breaks pass: VT, FF, NEL, U+2028.
            ua = b"player\x0bFAKE VT\x0cFAKE FF\x85FAKE NEL\xe2\x80\xa8FAKE LS\x1b[31m"
            reply = raw_request(d.port, b"GET /live/ua.flv HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                        b"User-Agent: " + ua + b"\r\nConnection: close\r\n\r\n")
            self.assertTrue(reply.startswith(b"HTTP/1.1 404"), reply[:100])
            with open(d.proc.log_path, "rb") as f:
                log = f.read()
            d.stop_checked()
        lines = log.split(b"\n")
        forged = [ln for ln in lines if ln and not LINE.match(ln) or ln.startswith(b"2030-")]
        self.assertEqual(forged, [], "lines that are not the daemon's")
        self.assertIsNone(RAW_CONTROL.search(log), "a raw control character in the log")
        log.decode("utf-8")   # raises on bytes that are not UTF-8
        text = log.decode()
        self.assertIn("/live/\\nFAKE LINE.flv", text)
        self.assertIn("player\\x0bFAKE VT\\x0cFAKE FF\\x85FAKE NEL\\xe2\\x80\\xa8FAKE LS"
                      "\\x1b[31m", text)
        self.assertIn("ESC\\xc2\\x9b", text)
        self.assertIn("FAKE\\xff\\xfe\\xe2\\x80\\xa8bytes\\x7f", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
