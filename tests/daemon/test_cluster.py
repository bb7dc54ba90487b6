#!/usr/bin/python3
"""Fleet mode's foundation (issue 11, docs/cluster.md) against a real etcd (Debian's
etcd-server on a loopback port picked at run time) and two lightstreamd nodes with a 2 s lease:
the nodes list each other in /api/v1/cluster (one of them through a dead first endpoint); a node frozen longer than its TTL fences itself,
drops out of the other's list, and registers again; etcd down leaves the API and a streaming
relay alone while the nodes say etcd is unreachable, and etcd back (same data) registers them
again; a node killed with -9 leaves the other's list within TTL + 2 s; a daemon without the
"cluster" key answers 404 not_configured. One etcd and two nodes serve the whole class."""
import os
import signal
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import lsd  # noqa: E402
from lsd import h  # noqa: E402
import common  # noqa: E402
from test_api import wait_streaming  # noqa: E402

TTL = 2


def cluster(d):
    st, _, js = d.api("GET", "/api/v1/cluster", timeout=5)
    assert st == 200, (st, js)
    return js


def names(js):
    return sorted(n["node"] for n in js["nodes"])


def wait_cluster(d, pred, timeout, what):
    last = {}

    def ok():
        last["js"] = cluster(d)
        return pred(last["js"])
    try:
        h.wait_until(ok, timeout, 0.05, what)
    except TimeoutError as e:
        raise AssertionError("%s; last answer %r\n%s" % (e, last.get("js"), d.log()[-3000:]))
    return last["js"]


class ClusterCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.cam = h.Camera(common.media_dir()).start()
        cls.etcd = h.Etcd().start()
        conf = lambda n, eps: {"cluster": {"etcd": eps, "node": n,  # noqa: E731
                                           "lease_ttl_s": TTL, "prefix": "/fleet-test/"}}
        cls.a = lsd.Daemon(conf("node-a", cls.etcd.endpoints())).start()
        # B's first endpoint has nothing listening: its calls fail over to the second.
        cls.dead = "http://127.0.0.1:%d" % h.free_port()
        cls.b = lsd.Daemon(conf("node-b", [cls.dead] + cls.etcd.endpoints())).start()
        cls.b_started = time.monotonic()

    @classmethod
    def tearDownClass(cls):
        for x in (cls.a, cls.b, cls.etcd, cls.cam):
            if isinstance(x, lsd.Daemon):
                if x.proc:
                    x.proc.kill()
            else:
                x.stop()

    def test_1_nodes_see_each_other_within_2s(self):
        both = lambda js: names(js) == ["node-a", "node-b"]  # noqa: E731
        for d, me in ((self.a, "node-a"), (self.b, "node-b")):
            js = wait_cluster(d, both, 2.0 - (time.monotonic() - self.b_started) + 0.05,
                              "%s lists both nodes" % me)
            self.assertEqual(js["node"], me)
            self.assertEqual(js["state"], "registered")
            self.assertTrue(js["etcd"]["reachable"])
            self.assertEqual(js["lease_ttl_s"], TTL)
            self.assertEqual(js["etcd"]["endpoint"], self.etcd.endpoints()[0])  # B: failed over
            for n in js["nodes"]:
                self.assertEqual(n["self"], n["node"] == me)
                other = self.a if n["node"] == "node-a" else self.b
                self.assertEqual(n["advertise_url"], other.base)
                self.assertEqual(n["relays"], 0)
        # A relay added on A: its count reaches B through etcd (A rewrites its key).
        st, _, js = self.a.api("POST", "/api/v1/relays", {"id": "cam", "source": self.cam.url()})
        self.assertEqual(st, 201, js)
        wait_cluster(self.b, lambda js: any(n["node"] == "node-a" and n["relays"] == 1
                                            for n in js["nodes"]), 3, "B sees A's relay count")
        wait_streaming(self.a, "cam")

    def test_1b_client_calls_on_real_etcd(self):
        # etcd_probe: create-if-absent (created, then refused), put with a NUL in the value,
        # range, delete, keep-alive, revoke, keep-alive of a gone lease, and a watch that sees
        # exactly those changes; its calls fail over from a dead first endpoint.
        r = h.run([os.environ.get("LSD_ETCD_PROBE", "etcd_probe"), "/probe-test/", self.dead]
                  + self.etcd.endpoints(), timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr + r.stdout)
        self.assertIn("etcd_probe: ok (P:k1 P:k2 D:k1 D:k2 )", r.stdout)

    def test_2_without_cluster_key_404(self):
        with lsd.Daemon() as d:
            st, _, js = d.api("GET", "/api/v1/cluster")
            self.assertEqual(st, 404)
            self.assertEqual(js["error"]["code"], "not_configured")
            d.stop_checked()
            self.assertNotIn("cluster: ", d.log())  # nothing of fleet mode ran

    def test_3_sigstop_longer_than_ttl_fences_then_reregisters(self):
        wait_cluster(self.b, lambda js: js["state"] == "registered", 5, "B registered")
        fences = cluster(self.b)["fences"]
        self.b.proc.freeze()
        t0 = time.monotonic()
        try:
            # The lease runs out while B sleeps: A's list drops it within TTL + 2 s.
            wait_cluster(self.a, lambda js: names(js) == ["node-a"], TTL + 2, "B gone from A")
            self.assertLess(time.monotonic() - t0, TTL + 2)
            time.sleep(max(0, TTL + 1 - (time.monotonic() - t0)))
        finally:
            self.b.proc.thaw()
        js = cluster(self.b)  # the first answer after waking: the fence already happened
        self.assertGreater(js["fences"], fences, js)
        self.assertIn(js["state"], ("fenced", "joining", "registered"))
        self.assertIn("node node-b fenced (no keep-alive succeeded for", self.b.log())
        wait_cluster(self.b, lambda js: js["state"] == "registered", 3, "B registered again")
        wait_cluster(self.a, lambda js: names(js) == ["node-a", "node-b"], 3, "A sees B again")

    def test_4_etcd_down_then_back(self):
        self.etcd.stop()
        t0 = time.monotonic()
        for d in (self.a, self.b):
            js = wait_cluster(d, lambda js: not js["etcd"]["reachable"] and
                              js["state"] == "fenced", TTL + 1, "etcd unreachable, fenced")
            self.assertTrue(js["etcd"].get("error"), js)
        self.assertLess(time.monotonic() - t0, TTL + 1)
        # The node alone serves on: API, health, the relay.
        st, _, js = self.a.api("GET", "/healthz")
        self.assertEqual((st, js["relays"]), (200, 1))
        st, _, r = self.a.api("GET", "/api/v1/relays/cam")
        self.assertEqual((st, r["state"]), (200, "streaming"))
        bytes0 = r["stats"]["bytes_in"]
        self.etcd.start()  # same data directory
        for d in (self.a, self.b):
            wait_cluster(d, lambda js: js["state"] == "registered" and js["etcd"]["reachable"]
                         and names(js) == ["node-a", "node-b"], 5, "registered again")
        st, _, r = self.a.api("GET", "/api/v1/relays/cam")
        self.assertEqual((st, r["state"]), (200, "streaming"))
        self.assertGreater(r["stats"]["bytes_in"], bytes0)  # read on all along

    def test_5_kill9_leaves_the_list_within_ttl_plus_2s(self):
        wait_cluster(self.a, lambda js: names(js) == ["node-a", "node-b"], 5, "both listed")
        self.b.kill9()
        t0 = time.monotonic()
        wait_cluster(self.a, lambda js: names(js) == ["node-a"], TTL + 2, "B gone after kill -9")
        print("kill -9: gone from the other node's list after %.2f s (TTL %d s)"
              % (time.monotonic() - t0, TTL))
        # A clean stop with etcd calls and the watch in flight: exit 0, no sanitizer report.
        self.a.stop_checked()


if __name__ == "__main__":
    unittest.main(verbosity=2)
