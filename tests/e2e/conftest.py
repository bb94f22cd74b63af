"""Fixtures for the end-to-end suites: one real pyforad for the whole session."""
import http.client
import os
import random
import socket
import subprocess
import sys
import time
from collections import namedtuple

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "clientpy"))

# Small enough that the 413 tests send little; large enough for every program here.
MAX_BODY = 4 * 1024 * 1024

Daemon = namedtuple("Daemon", "url host port proc")


def _free_port():
    """A port of 127.0.0.1 that is free now, picked at random below the kernel's ephemeral
    range (32768 and up on Linux), where the suites' own client sockets take theirs: the
    suites run in parallel (ctest -j), and a port the kernel handed out and took back could
    be given to one of their connections before the daemon binds it."""
    rng = random.SystemRandom()
    for _ in range(200):
        port = rng.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _hello(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", "/v1/hello")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _live(host, port):
    import json
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", "/v1/cluster")
        return json.loads(conn.getresponse().read()).get("live", 1)
    except (OSError, ValueError):
        return 0
    finally:
        conn.close()


def stop_processes(procs):
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def start_pyforad(args):
    """Starts pyforad on a free port of 127.0.0.1 with "args" after --listen and waits for
    its /v1/hello: returns a Daemon (stop its proc with stop_processes)."""
    exe = os.environ.get("PYFORAD", os.path.join(ROOT, "build", "core", "pyforad"))
    if not os.path.exists(exe):
        pytest.fail("pyforad not found at %s (build first, or set PYFORAD)" % exe)
    host, port = "127.0.0.1", _free_port()
    proc = subprocess.Popen([exe, "--listen", "%s:%d" % (host, port)] + list(args))
    deadline = time.monotonic() + 30
    while not _hello(host, port):
        if proc.poll() is not None:
            pytest.fail("pyforad exited with status %s before answering" % proc.returncode)
        if time.monotonic() > deadline:
            stop_processes([proc])
            pytest.fail("pyforad did not answer /v1/hello within 30 s")
        time.sleep(0.05)
    return Daemon("http://%s:%d" % (host, port), host, port, proc)


@pytest.fixture(scope="session")
def daemon():
    exe = os.environ.get("PYFORAD", os.path.join(ROOT, "build", "core", "pyforad"))
    # PYFORAD_ARGS: extra options (ctest runs the suite again with --jit=always and --jit=off)
    extra = os.environ.get("PYFORAD_ARGS", "").split()
    d = start_pyforad(["--threads", "2", "--max-body", str(MAX_BODY)] + extra)
    workers = []
    try:
        # PYFORA_E2E_WORKERS=N: N workers join it (one thread each), so that the suite's folds
        # also split between machines (ctest's pytest_e2e_cluster)
        for _ in range(int(os.environ.get("PYFORA_E2E_WORKERS", "0"))):
            workers.append(subprocess.Popen([exe, "--join", "%s:%d" % (d.host, d.port),
                                             "--threads", "1"] + extra))
        deadline = time.monotonic() + 30
        while workers and _live(d.host, d.port) != len(workers) + 1:
            if time.monotonic() > deadline or any(w.poll() is not None for w in workers):
                pytest.fail("the workers did not join")
            time.sleep(0.05)
        yield d
    finally:
        stop_processes(workers + [d.proc])


@pytest.fixture(scope="session")
def url(daemon):
    return daemon.url


@pytest.fixture(scope="session")
def executor(daemon):
    import pyfora
    ex = pyfora.connect(daemon.url)
    yield ex
    ex.close()
