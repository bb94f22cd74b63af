"""Several pyforad processes on this machine joined over libfabric (tcp;ofi_rxm on loopback,
and, where `ip netns` is allowed, a worker in its own network namespace): membership in
GET /v1/cluster and getWorkerCount(), a worker killed with SIGKILL declared dead while the
coordinator keeps computing, clean departures, and the shared token on HTTP and on join.
Each test starts its own daemons; results are compared with CPython's."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from math import sqrt

import pytest

import pyfora

from conftest import ROOT, _free_port

EXE = os.environ.get("PYFORAD", os.path.join(ROOT, "build", "core", "pyforad"))
HEARTBEAT = 0.25
DEAD_AFTER = 1.5


def _get(host, port, path, token=None, timeout=10):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        headers = {"Authorization": "Bearer " + token} if token else {}
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        body = r.read()
        json_body = body and "json" in (r.getheader("Content-Type") or "")
        return r.status, (json.loads(body) if json_body else body)
    finally:
        conn.close()


def _wait_until(pred, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


class Cluster:
    """Starts pyforad processes and stops every one of them at the end."""

    def __init__(self):
        self.procs = []

    def start(self, *args, prefix=(), env=None):
        p = subprocess.Popen(list(prefix) + [EXE] + [str(a) for a in args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.procs.append(p)
        return p

    def coordinator(self, *extra, host="127.0.0.1", token=None, prefix=()):
        port = _free_port()
        args = ["--listen", "%s:%d" % (host, port), "--threads", "2",
                "--heartbeat", HEARTBEAT, "--dead-after", DEAD_AFTER] + list(extra)
        if token:
            args += ["--token", token]
        p = self.start(*args, prefix=prefix)
        ok = _wait_until(lambda: p.poll() is not None or self._answers(host, port, token), 30)
        assert ok and p.poll() is None, "coordinator did not start: %s" % (p.communicate()[1],)
        return p, host, port

    @staticmethod
    def _answers(host, port, token):
        try:
            return _get(host, port, "/v1/hello", token, timeout=2)[0] in (200, 401)
        except OSError:
            return False

    def worker(self, host, port, *extra, prefix=()):
        return self.start("--join", "%s:%d" % (host, port), "--threads", "1", *extra,
                          prefix=prefix)

    def stop(self):
        """Stops every process; returns the sanitizer reports in their stderr (a daemon built
        with PF_SANITIZE or PF_TSAN reports there), which the fixtures assert are none."""
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        reports = []
        for p in self.procs:
            try:
                _, err = p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                _, err = p.communicate()
            except ValueError:  # its stderr was read already (communicate in the test)
                err = ""
            reports += [line for line in (err or "").splitlines()
                        if "Sanitizer" in line or "runtime error:" in line]
        return reports


@pytest.fixture
def cluster():
    c = Cluster()
    yield c
    assert c.stop() == []


def _machines(host, port, token=None):
    status, doc = _get(host, port, "/v1/cluster", token)
    assert status == 200
    return doc


def _live(host, port, token=None):
    return _machines(host, port, token)["live"]


def isPrime(p):
    if p < 2:
        return 0
    if p < 4:
        return 1
    if p % 2 == 0:
        return 0
    i = 3
    while i <= sqrt(p):
        if p % i == 0:
            return 0
        i = i + 2
    return 1


def _count_primes(ex, n):
    with ex.remotely.downloadAll():
        result = sum(isPrime(x) for x in range(n))
    return result


# ---------------------------------------------------------------- membership


def test_three_processes_form_a_cluster(cluster):
    _, host, port = cluster.coordinator()
    w1 = cluster.worker(host, port)
    w2 = cluster.worker(host, port)
    assert _wait_until(lambda: _live(host, port) == 3), _machines(host, port)
    doc = _machines(host, port)
    ms = doc["machines"]
    assert [m["id"] for m in ms] == [0, 1, 2]
    assert [m["role"] for m in ms] == ["coordinator", "worker", "worker"]
    assert all(m["state"] == "alive" for m in ms)
    assert ms[0]["threads"] == 2 and ms[1]["threads"] == 1 and ms[2]["threads"] == 1
    assert all(m["host"] == socket.gethostname() for m in ms)
    for m in ms[1:]:
        assert m["http_port"] == 0  # workers serve no HTTP without --listen
        assert m["cores"] >= 1 and m["numa_nodes"] >= 1
        assert m["fabric_address"].startswith("fi_sockaddr_in://127.0.0.1:")
        assert 0 <= m["heartbeat_age_s"] < DEAD_AFTER
        assert abs(m["last_heartbeat"] - time.time()) < DEAD_AFTER + 1
    assert len({m["fabric_address"] for m in ms}) == 3
    assert doc["fabric"]["provider"] == "tcp;ofi_rxm"
    assert doc["fabric"]["message_version"] == 1
    assert doc["fabric"]["heartbeat_s"] == HEARTBEAT
    assert doc["fabric"]["dead_after_s"] == DEAD_AFTER
    assert _get(host, port, "/v1/hello")[1]["workers"] == 3

    ex = pyfora.connect("http://%s:%d" % (host, port))
    try:
        assert ex.getWorkerCount() == 3
        # Computations still run (on the coordinator) and give CPython's answers.
        assert _count_primes(ex, 20000) == sum(isPrime(x) for x in range(20000))
    finally:
        ex.close()
    assert w1.poll() is None and w2.poll() is None


def test_sigkilled_worker_is_declared_dead_while_the_coordinator_computes(cluster):
    _, host, port = cluster.coordinator()
    victim = cluster.worker(host, port)
    assert _wait_until(lambda: _live(host, port) == 2)  # the victim is machine 1
    cluster.worker(host, port)
    assert _wait_until(lambda: _live(host, port) == 3)
    ex = pyfora.connect("http://%s:%d" % (host, port))
    try:
        expected = sum(isPrime(x) for x in range(30000))
        victim.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        # The coordinator answers computations while it waits for the missing heartbeats.
        assert _count_primes(ex, 30000) == expected

        def victim_dead():
            states = [m["state"] for m in _machines(host, port)["machines"]]
            return states == ["alive", "dead", "alive"]
        assert _wait_until(victim_dead, DEAD_AFTER + 5), _machines(host, port)
        elapsed = time.monotonic() - killed
        assert DEAD_AFTER - HEARTBEAT <= elapsed <= DEAD_AFTER + 2 * HEARTBEAT + 1.0, elapsed
        assert ex.getWorkerCount() == 2
        assert _count_primes(ex, 30000) == expected
        dead = _machines(host, port)["machines"][1]
        assert dead["heartbeat_age_s"] >= DEAD_AFTER
    finally:
        ex.close()


def test_clean_departures(cluster):
    coord, host, port = cluster.coordinator()
    w1 = cluster.worker(host, port)
    assert _wait_until(lambda: _live(host, port) == 2)  # w1 is machine 1
    w2 = cluster.worker(host, port)
    assert _wait_until(lambda: _live(host, port) == 3)
    w1.terminate()
    assert w1.wait(timeout=10) == 0
    # A worker that stops sends LEAVE: "left" at once, not "dead" after the timeout.
    assert _wait_until(lambda: [m["state"] for m in _machines(host, port)["machines"]]
                       == ["alive", "left", "alive"], DEAD_AFTER - 0.5)
    # The coordinator stopping sends LEAVE to the live workers, which then stop themselves.
    coord.terminate()
    assert coord.wait(timeout=10) == 0
    assert w2.wait(timeout=DEAD_AFTER + 5) == 0
    assert "shut down" in w2.communicate()[1]


def test_worker_exits_when_its_coordinator_vanishes(cluster):
    coord, host, port = cluster.coordinator()
    w = cluster.worker(host, port)
    assert _wait_until(lambda: _live(host, port) == 2)
    coord.send_signal(signal.SIGKILL)
    assert w.wait(timeout=DEAD_AFTER + 5) == 3
    assert "no heartbeat from the coordinator" in w.communicate()[1]


def test_shm_fabric_within_one_host(cluster):
    coord, host, port = cluster.coordinator("--fabric", "shm")
    w = cluster.worker(host, port, "--fabric", "shm")
    assert _wait_until(lambda: _live(host, port) == 2), _machines(host, port)
    doc = _machines(host, port)
    assert doc["fabric"]["provider"] == "shm"
    assert [m["fabric_address"][:9] for m in doc["machines"]] == ["fi_shm://"] * 2
    # A worker on another fabric is refused with both names.
    other = cluster.worker(host, port, "--fabric", "tcp")
    _, err = other.communicate(timeout=30)
    assert other.returncode == 1 and "'shm'" in err and "'tcp;ofi_rxm'" in err, err
    w.terminate()
    assert w.wait(timeout=10) == 0
    assert _wait_until(lambda: _machines(host, port)["machines"][1]["state"] == "left", 5)
    coord.terminate()
    assert coord.wait(timeout=10) == 0


def test_worker_with_listen_serves_http(cluster):
    _, host, port = cluster.coordinator()
    wport = _free_port()
    w = cluster.worker(host, port, "--listen", "127.0.0.1:%d" % wport)
    assert _wait_until(lambda: _live(host, port) == 2)
    assert _wait_until(lambda: Cluster._answers("127.0.0.1", wport, None))
    doc = _machines("127.0.0.1", wport)
    assert doc["machines"][0]["role"] == "worker" and doc["machines"][0]["id"] == 1
    assert doc["machines"][1]["role"] == "coordinator"
    assert _machines(host, port)["machines"][1]["http_port"] == wport
    assert w.poll() is None


def test_join_errors(cluster):
    # Nobody there: the worker gives up after its join timeout with a clear message.
    port = _free_port()
    w = cluster.start("--join", "127.0.0.1:%d" % port, "--fabric", "tcp")
    # (the default join timeout is 30 s; do not wait for it: the worker must still be trying)
    time.sleep(0.5)
    assert w.poll() is None
    w.kill()
    # Bad arguments are refused at once.
    for args, msg in ((["--join", "nohostport"], "HOST:PORT"),
                      (["--fabric", "infiniband"], "tcp, verbs or shm"),
                      (["--heartbeat", "-1"], "seconds"),
                      (["--token", "a", "--token-file", "/dev/null"], "not both"),
                      (["--token", "two words"], "printable ASCII")):
        p = cluster.start(*args)
        out, err = p.communicate(timeout=10)
        assert p.returncode == 2 and msg in err, (args, err)


def test_missing_provider_lists_what_is_offered(cluster):
    offered = subprocess.run(["fi_info", "-l"], capture_output=True, text=True).stdout \
        if shutil.which("fi_info") else ""
    if "verbs" in offered:
        pytest.skip("this machine has a verbs provider")
    p = cluster.start("--listen", "127.0.0.1:%d" % _free_port(), "--fabric", "verbs")
    _, err = p.communicate(timeout=20)
    assert p.returncode == 1
    assert "'verbs;ofi_rxm' is not available" in err and "tcp;ofi_rxm" in err, err


# ---------------------------------------------------------------- tokens


def test_token_on_http_and_join(cluster, monkeypatch):
    _, host, port = cluster.coordinator(token="s3cret")
    status, doc = _get(host, port, "/v1/cluster")
    assert status == 401 and doc["error"]["type"] == "Unauthorized"
    assert "Authorization: Bearer" in doc["error"]["message"]
    status, doc = _get(host, port, "/v1/hello", token="wrong")
    assert status == 401 and "wrong token" in doc["error"]["message"]
    status, page = _get(host, port, "/", token="s3cret")
    assert status == 200 and b"<h2>cluster</h2>" in page and b'"live": 1' in page
    # POST bodies are refused too, before they are parsed.
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("POST", "/v1/computations", body=b"{}" * 1000,
                 headers={"Content-Type": "application/json"})
    assert conn.getresponse().status == 401
    conn.close()

    url = "http://%s:%d" % (host, port)
    monkeypatch.delenv("PYFORA_TOKEN", raising=False)
    with pytest.raises(pyfora.ConnectionError, match="requires a token"):
        pyfora.connect(url)
    with pytest.raises(pyfora.ConnectionError, match="refused the token"):
        pyfora.connect(url, token="nope")
    ex = pyfora.connect(url, token="s3cret")
    try:
        assert _count_primes(ex, 2000) == sum(isPrime(x) for x in range(2000))
    finally:
        ex.close()
    monkeypatch.setenv("PYFORA_TOKEN", "s3cret")
    ex = pyfora.connect(url)
    try:
        assert ex.getWorkerCount() == 1
        # Workers: without the token, or with another, they are refused and exit.
        for extra, msg in (([], "requires a token"), (["--token", "other"], "refused the token")):
            w = cluster.worker(host, port, *extra)
            _, err = w.communicate(timeout=30)
            assert w.returncode == 1 and msg in err, err
        w = cluster.worker(host, port, "--token", "s3cret")
        assert _wait_until(lambda: ex.getWorkerCount() == 2)
        assert w.poll() is None
    finally:
        ex.close()


def test_token_file(cluster, tmp_path):
    f = tmp_path / "token"
    f.write_text("from-a-file\n")
    _, host, port = cluster.coordinator("--token-file", str(f))
    assert _get(host, port, "/v1/hello")[0] == 401
    assert _get(host, port, "/v1/hello", token="from-a-file")[0] == 200
    w = cluster.worker(host, port, "--token-file", str(f))
    assert _wait_until(lambda: _live(host, port, "from-a-file") == 2)
    assert w.poll() is None
    empty = tmp_path / "empty"
    empty.write_text("\n")
    p = cluster.start("--token-file", str(empty))
    assert p.wait(timeout=10) == 2 and "no token" in p.communicate()[1]


def test_non_loopback_needs_a_token(cluster):
    p = cluster.start("--listen", "0.0.0.0:%d" % _free_port())
    _, err = p.communicate(timeout=10)
    assert p.returncode == 2 and "refusing to start" in err and "--token" in err
    p = cluster.start("--join", "192.0.2.1:30000")  # TEST-NET-1: never reached
    _, err = p.communicate(timeout=10)
    assert p.returncode == 2 and "refusing to start" in err
    # With a token it starts, and a worker joins it through a non-loopback bind.
    port = _free_port()
    c = cluster.start("--listen", "0.0.0.0:%d" % port, "--token", "t0k")
    assert _wait_until(lambda: c.poll() is not None or Cluster._answers("127.0.0.1", port, "t0k"))
    assert c.poll() is None
    w = cluster.worker("127.0.0.1", port, "--token", "t0k")
    assert _wait_until(lambda: _live("127.0.0.1", port, "t0k") == 2), w.poll()
    fab = _machines("127.0.0.1", port, "t0k")["fabric"]
    assert fab["heartbeat_s"] == 0.5 and fab["dead_after_s"] == 3.0  # the defaults


# ---------------------------------------------------------------- network namespaces


@pytest.fixture
def netns():
    """A network namespace joined to this one by a veth pair: 10.199.x.1 here, .2 there."""
    if os.geteuid() != 0 or not shutil.which("ip"):
        pytest.skip("network namespaces need root and iproute2")
    tag = "pf%d" % (os.getpid() % 100000)
    net = "10.199.%d" % (os.getpid() % 250 + 1)
    cmds = [["ip", "netns", "add", tag],
            ["ip", "link", "add", tag + "a", "type", "veth", "peer", "name", tag + "b"],
            ["ip", "link", "set", tag + "b", "netns", tag],
            ["ip", "addr", "add", net + ".1/24", "dev", tag + "a"],
            ["ip", "link", "set", tag + "a", "up"],
            ["ip", "netns", "exec", tag, "ip", "addr", "add", net + ".2/24", "dev", tag + "b"],
            ["ip", "netns", "exec", tag, "ip", "link", "set", tag + "b", "up"],
            ["ip", "netns", "exec", tag, "ip", "link", "set", "lo", "up"]]
    try:
        for c in cmds:
            r = subprocess.run(c, capture_output=True, text=True)
            if r.returncode != 0:
                pytest.skip("ip netns not allowed here: %s" % r.stderr.strip())
        yield tag, net
    finally:
        subprocess.run(["ip", "link", "del", tag + "a"], capture_output=True)
        subprocess.run(["ip", "netns", "del", tag], capture_output=True)


def test_worker_in_another_network_namespace(cluster, netns):
    tag, net = netns
    _, host, port = cluster.coordinator(host=net + ".1", token="ns-token")
    w = cluster.worker(host, port, "--token", "ns-token", prefix=["ip", "netns", "exec", tag])
    assert _wait_until(lambda: _live(host, port, "ns-token") == 2), w.poll()
    ms = _machines(host, port, "ns-token")["machines"]
    assert ms[0]["fabric_address"].startswith("fi_sockaddr_in://%s.1:" % net)
    assert ms[1]["fabric_address"].startswith("fi_sockaddr_in://%s.2:" % net)
    ex = pyfora.connect("http://%s:%d" % (host, port), token="ns-token")
    try:
        assert ex.getWorkerCount() == 2
        assert _count_primes(ex, 5000) == sum(isPrime(x) for x in range(5000))
        # work moves into the namespace and back over the veth pair
        assert _count_primes(ex, 300000) == sum(isPrime(x) for x in range(300000))
        status, stats = _get(host, port, "/v1/stats", "ns-token")
        assert status == 200 and stats["migration"]["positions_done"] > 0, stats["migration"]
    finally:
        ex.close()
    w.send_signal(signal.SIGKILL)
    assert _wait_until(lambda: _live(host, port, "ns-token") == 1, DEAD_AFTER + 5)


def test_shm_region_left_under_our_pid(cluster):
    # A region left by a killed daemon whose PID a new daemon got looks in use to libfabric's
    # shm (the PID in it is alive: the new daemon's own). Made here by copying a live
    # daemon's region to the name the next daemon will have: it still starts and works.
    coord, host, port = cluster.coordinator("--fabric", "shm")
    addr = _machines(host, port)["machines"][0]["fabric_address"]
    region = "/dev/shm/" + addr[len("fi_shm://"):]
    suffix = region[len("/dev/shm/%d" % coord.pid):]   # ":uid:index"
    assert os.path.exists(region) and suffix.startswith(":"), addr
    script = 'cp "%s" "/dev/shm/$$%s" && exec "$@"' % (region, suffix)
    again, host2, port2 = cluster.coordinator("--fabric", "shm",
                                              prefix=("sh", "-c", script, "sh"))
    assert _machines(host2, port2)["machines"][0]["fabric_address"].startswith(
        "fi_shm://%d:" % again.pid)
    cluster.worker(host2, port2, "--fabric", "shm")
    assert _wait_until(lambda: _live(host2, port2) == 2), _machines(host2, port2)
