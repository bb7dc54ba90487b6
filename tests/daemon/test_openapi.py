#!/usr/bin/python3
"""docs/openapi.json is lint-clean and true to the daemon.

- `redocly lint` (@redocly/cli, pinned in tests/daemon/redocly, installed by
  tests/harness/deps.sh) with its recommended rules: no error, no warning;
- the daemon serves that same document at /api/v1/openapi.json;
- its paths and methods are exactly the daemon's route tables (read from daemon/*.c), and each
  operation's security is the route's access (public, API token, viewer token);
- on a running daemon with both tokens: OPTIONS on each path lists the documented methods in
  Allow; without a token every secured operation is 401 and every public one is not; the
  status of each read-only operation is one the document lists;
- its CORS claim: only /live/ replies carry Access-Control-Allow-Origin: *, others none unless
  cors_origin is configured (then exactly that)."""
import json
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from test_api import ApiCase  # noqa: E402

ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
DOC = os.path.join(ROOT, "docs", "openapi.json")
REDOCLY = os.path.join(HERE, "redocly", "node_modules", ".bin", "redocly")
METHODS = ("get", "head", "post", "put", "patch", "delete")
API, VIEWER = "api-t0ken", "viewer-t0ken"
SAMPLE = {"id": "nosuch", "oid": "1", "file": "app.js", "handle": "1",
          "name": "nosuch-20261207T000000Z.mp4", "init": "init0", "seq": "0"}
STATE_CHANGING_GETS = {"/STREAM/*/BEATS", "/STREAM/*/STOP"}


def load_doc():
    with open(DOC, encoding="utf-8") as f:
        return json.load(f)


def doc_ops(doc):
    """{(pattern with * for each {param}, METHOD): (path, operation)}"""
    out = {}
    for path, item in doc["paths"].items():
        for m in METHODS:
            if m in item:
                out[(re.sub(r"\{[^}]+\}", "*", path), m.upper())] = (path, item[m])
    return out


ROUTE = re.compile(r'\{\s*(LSD_[A-Z]+(?:\s*\|\s*LSD_[A-Z]+)*)\s*,\s*"([^"]+)"\s*,\s*'
                   r'(LSD_[A-Z]+)\s*,\s*\w+')


def code_routes():
    """{(pattern, METHOD): access} from every route table in daemon/*.c."""
    out = {}
    src = os.path.join(ROOT, "daemon")
    for name in sorted(os.listdir(src)):
        if not name.endswith(".c"):
            continue
        with open(os.path.join(src, name), encoding="utf-8") as f:
            for m in ROUTE.finditer(f.read()):
                for bit in re.split(r"\s*\|\s*", m.group(1)):
                    out[(m.group(2), bit[4:])] = m.group(3)
    return out


def access_of(doc, op):
    sec = op.get("security", doc.get("security", []))
    names = {k for req in sec for k in req}
    if not sec or sec == [{}]:
        return "LSD_PUBLIC"
    if "viewerToken" in names:
        return "LSD_VIEWER"
    return "LSD_API"


def concrete(path):
    return re.sub(r"\{([^}]+)\}", lambda m: SAMPLE[m.group(1)], path)


class Lint(unittest.TestCase):
    def test_redocly_lint_clean(self):
        self.assertTrue(os.path.exists(REDOCLY),
                        "@redocly/cli is missing: run tests/harness/deps.sh --tests")
        env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true",
                   NO_COLOR="1")
        p = subprocess.run([REDOCLY, "lint", DOC, "--format=json"], capture_output=True,
                           text=True, timeout=240, env=env, cwd=HERE)
        try:
            report = json.loads(p.stdout[p.stdout.index("{"):])
        except ValueError:
            self.fail("redocly lint printed no report (exit %d):\n%s\n%s" %
                      (p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
        problems = ["%s %s: %s" % (x.get("severity"), x.get("ruleId"), x.get("message"))
                    for x in report.get("problems", [])]
        self.assertEqual(problems, [])
        self.assertEqual(report["totals"]["errors"], 0)
        self.assertEqual(report["totals"]["warnings"], 0)
        self.assertEqual(p.returncode, 0, p.stderr[-2000:])

    def test_no_nullable_without_type(self):
        """The one error @redocly/cli found; kept checked without it too."""
        def walk(node, where):
            if isinstance(node, dict):
                if node.get("nullable") is True:
                    self.assertIn("type", node, where)
                for k, v in node.items():
                    walk(v, where + "/" + k)
            elif isinstance(node, list):
                for i, v in enumerate(node):
                    walk(v, "%s/%d" % (where, i))
        walk(load_doc(), "#")


class RouteTables(unittest.TestCase):
    def test_paths_and_methods_are_the_route_tables(self):
        doc = load_doc()
        documented, routes = doc_ops(doc), code_routes()
        self.assertGreater(len(routes), 30, "the route tables were read")
        routed = {k for k in routes if k[1] != "OPTIONS"}
        self.assertEqual(sorted(routed - set(documented)), [], "routes missing from the document")
        self.assertEqual(sorted(set(documented) - routed), [], "documented but not routed")

    def test_security_is_the_routes_access(self):
        doc = load_doc()
        routes = code_routes()
        wrong = ["%s %s: documented %s, routed %s" % (m, p, access_of(doc, op), routes[(k, m)])
                 for (k, m), (p, op) in doc_ops(doc).items()
                 if (k, m) in routes and access_of(doc, op) != routes[(k, m)]]
        self.assertEqual(wrong, [])


class Live(ApiCase):
    """The document against a running daemon with both tokens."""

    def test_served_document_is_the_file(self):
        d = self.start_daemon()
        st, hd, raw = d.request("GET", "/api/v1/openapi.json")
        self.assertEqual(st, 200)
        with open(DOC, "rb") as f:
            self.assertEqual(raw, f.read())

    def test_operations_against_the_daemon(self):
        doc = load_doc()
        d = self.start_daemon(config={"api_token": API, "viewer_token": VIEWER},
                              args=["--web-dir", os.path.join(ROOT, "daemon", "web")])
        by_path = {}
        for (_, method), (path, op) in doc_ops(doc).items():
            by_path.setdefault(path, {})[method] = op
        for path, ops in sorted(by_path.items()):
            url = concrete(path)
            st, hd, _ = d.request("OPTIONS", url)
            self.assertEqual(st, 204, "OPTIONS " + url)
            allow = {m.strip() for m in hd.get("allow", "").split(",")} - {"OPTIONS"}
            self.assertEqual(allow, set(ops), "Allow of %s" % url)
            for method, op in ops.items():
                secured = access_of(doc, op) != "LSD_PUBLIC"
                if not secured and method not in ("GET", "HEAD"):
                    continue  # nothing public changes state
                st = d.request(method, url, body={} if method != "GET" and method != "HEAD"
                               else None)[0]
                if secured:
                    self.assertEqual(st, 401, "%s %s without a token" % (method, url))
                    self.assertIn("401", op["responses"], "%s %s documents 401" % (method, path))
                else:
                    self.assertIn(str(st), op["responses"], "%s %s gave %d" % (method, url, st))
                if method in ("GET", "HEAD") and secured and \
                        re.sub(r"\{[^}]+\}", "*", path) not in STATE_CHANGING_GETS:
                    token = VIEWER if access_of(doc, op) == "LSD_VIEWER" else API
                    st = d.request(method, url, token=token)[0]
                    self.assertIn(str(st), op["responses"],
                                  "%s %s with its token gave %d" % (method, url, st))

    def test_cors_claims(self):
        d = self.start_daemon()
        for path in ("/healthz", "/api/v1/relays", "/metrics", "/api/v1/openapi.json",
                     "/api/v1/relays/nosuch"):
            st, hd, _ = d.request("GET", path)
            self.assertNotIn("access-control-allow-origin", hd, path)
        st, hd, _ = d.request("GET", "/live/nosuch.flv")
        self.assertEqual((st, hd.get("access-control-allow-origin")), (404, "*"))
        st, hd, _ = d.request("OPTIONS", "/api/v1/relays", headers={
            "Origin": "http://app.test", "Access-Control-Request-Method": "POST"})
        self.assertEqual(st, 204)
        self.assertNotIn("access-control-allow-origin", hd)
        self.assertNotIn("access-control-allow-methods", hd)
        d2 = self.start_daemon(config={"cors_origin": "http://app.test"})
        st, hd, _ = d2.request("GET", "/api/v1/relays")
        self.assertEqual(hd.get("access-control-allow-origin"), "http://app.test")
        st, hd, _ = d2.request("OPTIONS", "/api/v1/relays", headers={
            "Origin": "http://app.test", "Access-Control-Request-Method": "POST"})
        self.assertEqual((st, hd.get("access-control-allow-origin")), (204, "http://app.test"))
        self.assertIn("POST", hd.get("access-control-allow-methods", ""))
        st, hd, _ = d2.request("GET", "/live/nosuch.flv")
        self.assertEqual(hd.get("access-control-allow-origin"), "*")


if __name__ == "__main__":
    unittest.main(verbosity=2)
