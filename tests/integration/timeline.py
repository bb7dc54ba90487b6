"""Checks of a relay's video timeline as independent readers see it (issue 8), shared by the
integration tests (test_timeline.py) and lightstreamd's HTTP-FLV tests.

The input is a Timeline (lsharness.probe_timeline: ffprobe; flvread.hevc_timeline: H.265 in
FLV, which FFmpeg 5.1 cannot demux). Each check returns a list of problems, empty when the
property holds, so a failing test says what is wrong and where:

- decode_problems: per video stream, in the order the packets came, DTS strictly increases
  (by one frame period per frame: the test camera is a constant-rate camera that loses
  nothing), DTS <= PTS on every packet, some packets have PTS > DTS (a camera with B-frames
  needs a composition time), and CTS = PTS - DTS is small and regular;
- presentation_problems: the decoded frames, in the order the decoder outputs them, have
  strictly increasing presentation timestamps one frame period apart: frames are displayed in
  the right order and none is shown twice or skipped;
- interleave_problems: across all streams, in file order, no tag's timestamp is below the
  previous tag's (FLV readers and RTMP servers treat a step back as a discontinuity).
"""

SHOW = 6   # examples quoted per problem


def _fmt(v):
    return "-" if v is None else "%g" % v


def decode_problems(tl, period, max_b, min_packets=25):
    """Problems of the video packets of Timeline tl (DTS/PTS in ms) from a camera with
    B-frames. period: its frame period (ms); max_b: its longest run of B-frames (the CTS bound
    is (max_b + 3) periods and at most max_b + 2 distinct CTS values may occur)."""
    pk = tl.video_packets()
    if len(pk) < min_packets:
        return ["only %d video packets read (want >= %d); reader errors: %s"
                % (len(pk), min_packets, tl.errors[:3])]
    out = []
    missing = [i for i, p in enumerate(pk) if p.dts is None or p.pts is None]
    if missing:
        out.append("%d video packets without DTS or PTS (first at #%s)" % (len(missing), missing[:SHOW]))
    pk = [p for p in pk if p.dts is not None and p.pts is not None]
    back = ["#%d dts %s after %s" % (i + 1, _fmt(b.dts), _fmt(a.dts))
            for i, (a, b) in enumerate(zip(pk, pk[1:])) if b.dts <= a.dts]
    if back:
        out.append("DTS not strictly increasing at %d of %d packets: %s"
                   % (len(back), len(pk), ", ".join(back[:SHOW])))
    uneven = ["#%d dts %s after %s" % (i + 1, _fmt(b.dts), _fmt(a.dts))
              for i, (a, b) in enumerate(zip(pk, pk[1:])) if abs(b.dts - a.dts - period) > 1]
    if uneven:
        out.append("DTS does not advance one frame period (%g ms) per frame at %d of %d packets: %s"
                   % (period, len(uneven), len(pk), ", ".join(uneven[:SHOW])))
    ahead = ["#%d dts %s > pts %s" % (i, _fmt(p.dts), _fmt(p.pts)) for i, p in enumerate(pk)
             if p.dts > p.pts]
    if ahead:
        out.append("DTS above PTS on %d of %d packets: %s" % (len(ahead), len(pk), ", ".join(ahead[:SHOW])))
    cts = [p.pts - p.dts for p in pk]
    if not any(c > 0 for c in cts):
        out.append("composition time is 0 on all %d video packets (PTS == DTS): B-frames would "
                   "be presented in decode order; (dts, pts) of the first: %s"
                   % (len(pk), [(_fmt(p.dts), _fmt(p.pts)) for p in pk[:8]]))
        return out
    bound = (max_b + 3) * period
    big = ["#%d cts %s" % (i, _fmt(c)) for i, c in enumerate(cts) if c > bound + 1]
    if big:
        out.append("CTS above %g ms (%d B-frames + 3 frame periods) on %d packets: %s"
                   % (bound, max_b, len(big), ", ".join(big[:SHOW])))
    values = clusters(cts)
    if len(values) > max_b + 2:
        out.append("CTS irregular: %d distinct values (want <= %d): %s"
                   % (len(values), max_b + 2, [_fmt(v) for v in values[:12]]))
    return out


def clusters(values, tol=1.0):
    """The distinct values of a list, values within ±tol of one another taken as one (PTS and
    DTS are each rounded to ms: a CTS of 40 ms shows as 39, 40 or 41). Returns the smallest
    value of each group."""
    out = []
    for v in sorted(values):
        if not out or v - out[-1] > 2 * tol:
            out.append(v)
    return out


def presentation_problems(tl, period, max_b=0, min_frames=25, tol=1.0):
    """Problems of the decoded video frames of Timeline tl in output order: each frame's PTS
    must be the previous one's plus one frame period (± tol ms). Among the last max_b + 1
    frames a step of up to max_b + 1 periods is allowed: a stream cut after a reference frame
    (the relay stopped, the reader left) lacks the B-frames shown before it."""
    pts = [f.pts for f in tl.video_frames()]
    if len(pts) < min_frames:
        return ["only %d video frames decoded (want >= %d); reader errors: %s"
                % (len(pts), min_frames, tl.errors[:3])]
    out = []
    if None in pts:
        out.append("%d decoded frames without a timestamp" % pts.count(None))
        pts = [p for p in pts if p is not None]
    tail = len(pts) - 1 - (max_b + 1)    # steps from this index on end in the tail

    def ok(i, step):
        if abs(step - period) <= tol:
            return True
        gap = round(step / period)
        return i >= tail and 1 < gap <= max_b + 1 and abs(step - gap * period) <= tol
    bad = ["#%d %s after %s" % (i + 1, _fmt(b), _fmt(a))
           for i, (a, b) in enumerate(zip(pts, pts[1:])) if not ok(i, b - a)]
    if bad:
        back = sum(1 for a, b in zip(pts, pts[1:]) if b <= a)
        out.append("decoded frames not %g ms apart in output order at %d of %d frames (%d "
                   "going back: displayed out of order): %s; first PTS in output order: %s"
                   % (period, len(bad), len(pts), back, ", ".join(bad[:SHOW]),
                      [_fmt(p) for p in pts[:12]]))
    return out


def interleave_problems(tl, min_packets=50):
    """Problems of all the packets of Timeline tl in file order: a timestamp (DTS) below the
    previous packet's, whatever the streams."""
    pk = [p for p in tl.packets if p.dts is not None]
    if len(pk) < min_packets or len({p.kind for p in pk}) < 2:
        return ["only %d packets of %s read; reader errors: %s"
                % (len(pk), sorted({str(p.kind) for p in pk}), tl.errors[:3])]
    back = [(a, b) for a, b in zip(pk, pk[1:]) if b.dts < a.dts]
    if not back:
        return []
    worst = max(a.dts - b.dts for a, b in back)
    return ["%d of %d tags have a timestamp below the previous tag's (worst by %g ms): %s"
            % (len(back), len(pk), worst, ", ".join("%s %s after %s %s" % (
                b.kind, _fmt(b.dts), a.kind, _fmt(a.dts)) for a, b in back[:SHOW]))]


class Asserts:
    """Mixin for unittest.TestCase: the checks above as assertions whose message lists the
    problems."""

    def assertNoProblems(self, problems, what):
        if problems:
            self.fail("%s:\n  %s" % (what, "\n  ".join(problems)))

    def assertDecodeTimeline(self, tl, what, period=40, max_b=3):
        self.assertNoProblems(decode_problems(tl, period, max_b), what + ": video DTS/PTS")

    def assertPresentationOrder(self, tl, what, period=40, max_b=0):
        self.assertNoProblems(presentation_problems(tl, period, max_b), what + ": decoded frames")

    def assertInterleaved(self, tl, what):
        self.assertNoProblems(interleave_problems(tl), what + ": tag order")
