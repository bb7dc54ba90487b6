#!/usr/bin/python3
"""lightstreamd's /metrics against the Prometheus text format 0.0.4 and naming conventions.

A strict parser (below, checked first on expositions it must refuse) reads every scrape: HELP
and TYPE before a family's samples and once each, the samples of a family in one group, valid
metric and label names, only the escapes the format allows, no duplicate series; then the
conventions: every family has HELP and TYPE, counters end in _total and nothing else does,
base units (no kbps, ms, KiB...), unit words at the end of the name, the daemon's families
named lightstreamd_*, the process_* families of the client libraries. Then the values: a relay
pushing to nginx-rtmp with a viewer, its byte counters growing, its output up, requests counted
by code and method, the old names gone."""
import math
import os
import re
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from lsd import h  # noqa: E402
import common  # noqa: E402
from test_api import ApiCase, output_of, wait_relay  # noqa: E402
from test_daemon import Viewer  # noqa: E402

CAM = None
NGX = None


def setUpModule():
    global CAM, NGX
    CAM = h.Camera(common.media_dir()).start()
    NGX = h.Nginx().start()


def tearDownModule():
    if NGX:
        NGX.stop()
    if CAM:
        CAM.stop()


# ------------------------------------------------------------------------------------------
# A strict reader of the text format 0.0.4
# ------------------------------------------------------------------------------------------
METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count")}


class PromError(AssertionError):
    pass


def _unescape(text, allowed, where):
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in allowed:
                raise PromError("%s: bad escape in %r" % (where, text))
            out.append({"n": "\n"}.get(text[i + 1], text[i + 1]))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _labels(text, where):
    """{name: value} of the inside of {...}: name="value" pairs, commas between."""
    labels, i = {}, 0
    while i < len(text):
        m = re.match(r'([^=]*)="', text[i:])
        if not m or not LABEL_NAME.match(m.group(1)) or m.group(1).startswith("__"):
            raise PromError("%s: bad label name in {%s}" % (where, text))
        name, i = m.group(1), i + m.end()
        start = i
        while i < len(text) and text[i] != '"':
            i += 2 if text[i] == "\\" else 1
        if i >= len(text):
            raise PromError("%s: unterminated label value in {%s}" % (where, text))
        value = _unescape(text[start:i], '\\"n', where)
        i += 1
        if name in labels:
            raise PromError("%s: label %s twice" % (where, name))
        labels[name] = value
        if i < len(text):
            if text[i] != ",":
                raise PromError("%s: expected ',' in {%s}" % (where, text))
            i += 1
    return labels


def _value(text, where):
    if text in ("NaN", "+Inf", "-Inf"):
        return float(text.replace("Inf", "inf"))
    if not re.match(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\Z", text):
        raise PromError("%s: bad value %r" % (where, text))
    return float(text)


def _family_of(name, types):
    if name in types:
        return name
    for fam, kind in types.items():
        if any(name == fam + s for s in SUFFIXES.get(kind, ())):
            return fam
    return None


def parse(text):
    """{"families": {name: {"type", "help", "samples": [(name, labels, value)]}}}; raises
    PromError on anything the format forbids."""
    if text and not text.endswith("\n"):
        raise PromError("the exposition must end with a newline")
    fams, types, done, current = {}, {}, set(), None
    series = set()
    for n, line in enumerate(text.split("\n")[:-1], 1):
        where = "line %d" % n
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            kw, rest = line[2:6], line[7:]
            name, _, arg = rest.partition(" ")
            if not METRIC_NAME.match(name):
                raise PromError("%s: bad metric name %r" % (where, name))
            fam = fams.setdefault(name, {"type": None, "help": None, "samples": []})
            if fam["samples"] or name in done:
                raise PromError("%s: %s for %s after its samples" % (where, kw, name))
            if kw == "TYPE":
                if fam["type"] or arg not in TYPES:
                    raise PromError("%s: TYPE twice or bad: %r" % (where, line))
                fam["type"] = types[name] = arg
            else:
                if fam["help"] is not None:
                    raise PromError("%s: HELP %s twice" % (where, name))
                fam["help"] = _unescape(arg, "\\n", where)
            continue
        if line.startswith("#") or not line.strip():
            if line.strip() and not line.startswith("# "):
                raise PromError("%s: bad comment %r" % (where, line))
            continue
        m = re.match(r"([^{ ]+)(\{(.*)\})? ([^ ]+)( -?\d+)?\Z", line)
        if not m or not METRIC_NAME.match(m.group(1)):
            raise PromError("%s: not a sample: %r" % (where, line))
        name, labels = m.group(1), _labels(m.group(3) or "", where)
        fam_name = _family_of(name, types)
        if fam_name is None:
            raise PromError("%s: %s has no TYPE before it" % (where, name))
        if fam_name != current:
            if fam_name in done:
                raise PromError("%s: samples of %s are not in one group" % (where, fam_name))
            if current:
                done.add(current)
            current = fam_name
        key = (name, frozenset(labels.items()))
        if key in series:
            raise PromError("%s: series %s%s twice" % (where, name, labels))
        series.add(key)
        fams[fam_name]["samples"].append((name, labels, _value(m.group(4), where)))
    return fams


# ------------------------------------------------------------------------------------------
# The naming conventions (prometheus.io/docs/practices/naming)
# ------------------------------------------------------------------------------------------
NOT_BASE = {"kbps", "mbps", "kbit", "mbit", "kb", "mb", "gb", "kib", "mib", "gib", "kilobytes",
            "megabytes", "ms", "msec", "millis", "milliseconds", "us", "usec", "microseconds",
            "ns", "nanoseconds", "minutes", "hours", "days", "percent", "kbits", "mbits"}
UNITS = ("bytes", "seconds", "bits", "bits_per_second", "frames_per_second", "ratio", "info",
         "fds")
PROCESS = {"process_start_time_seconds": "gauge", "process_cpu_seconds_total": "counter",
           "process_resident_memory_bytes": "gauge", "process_open_fds": "gauge",
           "process_max_fds": "gauge", "process_virtual_memory_bytes": "gauge"}


def convention_problems(fams):
    bad = []
    for name, f in fams.items():
        if f["type"] is None or not f["help"]:
            bad.append("%s: HELP and TYPE are both required" % name)
        if not (name.startswith("lightstreamd_") or name in PROCESS):
            bad.append("%s: not lightstreamd_* nor a standard process_* family" % name)
        if name in PROCESS and f["type"] != PROCESS[name]:
            bad.append("%s: is a %s" % (name, PROCESS[name]))
        if (f["type"] == "counter") != name.endswith("_total"):
            bad.append("%s: a %s; only counters end in _total" % (name, f["type"]))
        words = name.split("_")
        for w in words:
            if w.lower() in NOT_BASE:
                bad.append("%s: %r is not a base unit" % (name, w))
        stem = name[:-6] if name.endswith("_total") else name
        for unit in ("bytes", "seconds", "bits"):
            if unit in words and not any(stem.endswith("_" + u) for u in UNITS):
                bad.append("%s: the unit %s belongs at the end of the name" % (name, unit))
        if name.endswith("_info") and any(v != 1 for _, _, v in f["samples"]):
            bad.append("%s: an info metric is 1" % name)
    return bad


def samples(fams, name, **labels):
    f = fams.get(name)
    if not f:
        raise AssertionError("no family %s" % name)
    return [(ls, v) for n, ls, v in f["samples"]
            if n == name and all(ls.get(k) == str(x) for k, x in labels.items())]


def one(fams, name, **labels):
    got = samples(fams, name, **labels)
    if len(got) != 1:
        raise AssertionError("%s%s: %d samples: %s" % (name, labels, len(got), got))
    return got[0][1]


# ------------------------------------------------------------------------------------------
class Parser(unittest.TestCase):
    """The parser refuses what the format forbids (else the checks below prove nothing)."""
    GOOD = ('# HELP a_total things\n# TYPE a_total counter\na_total{x="q\\"\\\\\\n"} 3\n'
            '# HELP b_seconds time\n# TYPE b_seconds gauge\nb_seconds 1.5e3\nb_seconds{y="1"} NaN\n')
    BAD = {
        "no TYPE": "# HELP a x\na 1\n",
        "TYPE after samples": "# TYPE a gauge\na 1\n# TYPE a gauge\n",
        "HELP after samples": "# TYPE a gauge\n# HELP a x\na 1\n# HELP a y\n",
        "two TYPEs": "# TYPE a gauge\n# TYPE a counter\na 1\n",
        "split group": "# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"1\"} 2\n",
        "duplicate": "# TYPE a gauge\na{x=\"1\"} 1\na{x=\"1\"} 2\n",
        "bad name": "# TYPE 1a gauge\n1a 1\n",
        "bad label name": "# TYPE a gauge\na{1x=\"1\"} 1\n",
        "reserved label": "# TYPE a gauge\na{__x=\"1\"} 1\n",
        "bad escape": "# TYPE a gauge\na{x=\"\\t\"} 1\n",
        "unquoted": "# TYPE a gauge\na{x=1} 1\n",
        "bad value": "# TYPE a gauge\na 1,5\n",
        "no newline at the end": "# TYPE a gauge\na 1",
        "two spaces": "# TYPE a gauge\na  1\n",
    }

    def test_accepts_valid(self):
        fams = parse(self.GOOD)
        self.assertEqual(one(fams, "a_total"), 3)
        self.assertEqual(samples(fams, "a_total")[0][0], {"x": 'q"\\\n'})
        self.assertTrue(math.isnan(one(fams, "b_seconds", y=1)))

    def test_refuses_invalid(self):
        for what, text in self.BAD.items():
            with self.assertRaises(PromError, msg=what):
                parse(text)

    def test_conventions_catch_bad_names(self):
        fams = parse("# HELP x_bitrate_kbps k\n# TYPE x_bitrate_kbps gauge\nx_bitrate_kbps 1\n"
                     "# HELP lightstreamd_up_total u\n# TYPE lightstreamd_up_total gauge\n"
                     "lightstreamd_up_total 1\n# TYPE lightstreamd_a_bytes_sent counter\n"
                     "lightstreamd_a_bytes_sent 1\n")
        bad = "\n".join(convention_problems(fams))
        for part in ("x_bitrate_kbps: not lightstreamd_", "'kbps' is not a base unit",
                     "lightstreamd_up_total: a gauge", "lightstreamd_a_bytes_sent: a counter",
                     "lightstreamd_a_bytes_sent: HELP and TYPE", "unit bytes belongs at the end"):
            self.assertIn(part, bad)


class Metrics(ApiCase):
    REQUIRED = {
        "lightstreamd_build_info", "process_start_time_seconds", "process_cpu_seconds_total",
        "process_resident_memory_bytes", "process_open_fds", "process_max_fds",
        "lightstreamd_relays", "lightstreamd_viewers", "lightstreamd_http_requests_total",
        "lightstreamd_config_reloads_total", "lightstreamd_relay_up", "lightstreamd_relay_state",
        "lightstreamd_relay_input_bytes_total", "lightstreamd_relay_input_bits_per_second",
        "lightstreamd_relay_input_video_frames_per_second", "lightstreamd_relay_reconnects_total",
        "lightstreamd_relay_viewers", "lightstreamd_relay_viewer_sent_bytes_total",
        "lightstreamd_relay_timestamp_repairs_total", "lightstreamd_output_up",
        "lightstreamd_output_reconnects_total", "lightstreamd_output_sent_bytes_total"}
    OLD = ("lightstream_relay_bitrate_kbps", "lightstream_uptime_seconds",
           "lightstream_relays", "lightstream_output_bytes_total")

    def scrape(self, d):
        st, hd, raw = d.request("GET", "/metrics")
        self.assertEqual(st, 200)
        ctype = hd.get("content-type", "")
        self.assertTrue(ctype.startswith("text/plain") and "version=0.0.4" in ctype, ctype)
        text = raw.decode("utf-8")
        fams = parse(text)
        self.assertEqual(convention_problems(fams), [])
        for old in self.OLD:
            self.assertNotIn(old, text)
        return fams

    def test_names_and_moving_values(self):
        d = self.start_daemon()
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "m1", "source": CAM.url("/h264_aac"),
                                                     "outputs": [NGX.rtmp_url("m1")]})
        self.assertEqual(st, 201, r)
        oid = r["outputs"][0]["id"]
        st, _, r = d.api("POST", "/api/v1/relays", {"id": "m2", "source": CAM.url("/h264"),
                                                     "on_demand": True})
        self.assertEqual(st, 201, r)
        self.assertEqual(d.api("GET", "/api/v1/relays/nope")[0], 404)
        wait_relay(d, "m1", lambda x: x["state"] == "streaming" and
                   output_of(x, oid)["state"] == "streaming" and x["stats"]["fps"] >= 20,
                   what="m1 and its output streaming at full rate")
        v = Viewer(d.port, "/live/m1.flv")
        self.addCleanup(v.close)
        h.wait_until(lambda: v.bytes > 10000, 10, what="the viewer gets data")

        s1 = self.scrape(d)
        self.assertTrue(self.REQUIRED <= set(s1), self.REQUIRED - set(s1))
        info = samples(s1, "lightstreamd_build_info")
        self.assertEqual(len(info), 1)
        self.assertEqual(set(info[0][0]), {"version", "ffmpeg"})
        self.assertRegex(info[0][0]["ffmpeg"], r"^\d|^n\d|^N-")
        start = one(s1, "process_start_time_seconds")
        self.assertTrue(time.time() - 600 < start <= time.time() + 1, start)
        self.assertGreater(one(s1, "process_resident_memory_bytes"), 1 << 20)
        self.assertTrue(0 < one(s1, "process_open_fds") <= one(s1, "process_max_fds"))
        self.assertEqual(one(s1, "lightstreamd_relays"), 2)
        self.assertEqual(one(s1, "lightstreamd_viewers"), 1)
        self.assertEqual(one(s1, "lightstreamd_relay_up", relay="m1"), 1)
        self.assertEqual(one(s1, "lightstreamd_relay_up", relay="m2"), 0)
        st1 = {ls["state"]: x for ls, x in samples(s1, "lightstreamd_relay_state", relay="m1")}
        self.assertEqual((st1.get("streaming"), sum(st1.values())), (1, 1), st1)
        self.assertGreater(one(s1, "lightstreamd_relay_input_bits_per_second", relay="m1"), 50000)
        fps = one(s1, "lightstreamd_relay_input_video_frames_per_second", relay="m1")
        self.assertTrue(20 <= fps <= 30, fps)
        self.assertEqual(one(s1, "lightstreamd_relay_viewers", relay="m1"), 1)
        self.assertEqual(one(s1, "lightstreamd_output_up", relay="m1", output=oid), 1)
        self.assertEqual(one(s1, "lightstreamd_output_reconnects_total", relay="m1", output=oid), 0)
        self.assertGreater(one(s1, "lightstreamd_output_sent_bytes_total", relay="m1", output=oid), 0)
        self.assertEqual(samples(s1, "lightstreamd_output_up", relay="m2"), [])
        kinds = {ls["kind"] for ls, _ in samples(s1, "lightstreamd_relay_timestamp_repairs_total",
                                                 relay="m1")}
        self.assertEqual(kinds, {"backward", "jump", "equal", "wrap", "missing", "reconnect",
                                 "reorder", "interleave"})
        self.assertGreaterEqual(one(s1, "lightstreamd_http_requests_total", code=201, method="POST"), 2)
        self.assertGreaterEqual(one(s1, "lightstreamd_http_requests_total", code=404, method="GET"), 1)
        for f in s1.values():
            for n, ls, x in f["samples"]:
                self.assertGreaterEqual(x, 0, "%s%s" % (n, ls))

        time.sleep(2.0)
        s2 = self.scrape(d)
        for name, labels in (("lightstreamd_relay_input_bytes_total", {"relay": "m1"}),
                             ("lightstreamd_relay_input_video_frames_total", {"relay": "m1"}),
                             ("lightstreamd_relay_viewer_sent_bytes_total", {"relay": "m1"}),
                             ("lightstreamd_output_sent_bytes_total", {"relay": "m1", "output": oid}),
                             ("lightstreamd_http_requests_total", {"code": 200, "method": "GET"})):
            a, b = one(s1, name, **labels), one(s2, name, **labels)
            self.assertGreater(b, a, "%s%s does not move: %s then %s" % (name, labels, a, b))
        self.assertGreaterEqual(one(s2, "process_cpu_seconds_total"), one(s1, "process_cpu_seconds_total"))
        self.assertEqual(one(s2, "process_start_time_seconds"), start)
        # Two seconds at the reported bitrate: the byte counter agrees within a wide margin.
        grew = one(s2, "lightstreamd_relay_input_bytes_total", relay="m1") - \
            one(s1, "lightstreamd_relay_input_bytes_total", relay="m1")
        bps = one(s2, "lightstreamd_relay_input_bits_per_second", relay="m1")
        self.assertTrue(0.25 < grew * 8 / 2.0 / bps < 4, (grew, bps))
        # A removed relay leaves the exposition, its outputs with it.
        self.assertEqual(d.request("DELETE", "/api/v1/relays/m1")[0], 204)
        s3 = self.scrape(d)
        self.assertEqual(samples(s3, "lightstreamd_relay_up", relay="m1"), [])
        self.assertEqual(samples(s3, "lightstreamd_output_up", relay="m1"), [])
        self.assertEqual(one(s3, "lightstreamd_relays"), 1)
        self.assertGreaterEqual(one(s3, "lightstreamd_http_requests_total", code=204, method="DELETE"), 1)

    def test_label_values(self):
        """Relay ids may hold '.', '-' and '_'; label values stay parseable."""
        d = self.start_daemon()
        for rid in ("a.b-c_d", "x" * 64):
            st, _, r = d.api("POST", "/api/v1/relays", {"id": rid, "source": CAM.url("/h264"),
                                                         "on_demand": True})
            self.assertEqual(st, 201, r)
        s = self.scrape(d)
        self.assertEqual(one(s, "lightstreamd_relay_up", relay="a.b-c_d"), 0)
        self.assertEqual(one(s, "lightstreamd_relay_up", relay="x" * 64), 0)


if __name__ == "__main__":
    unittest.main(verbosity=2)
