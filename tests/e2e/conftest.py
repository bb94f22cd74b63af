"""Fixtures for the end-to-end suites: one real pyforad for the whole session."""
import http.client
import os
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
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _hello(host, port):
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", "/v1/hello")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


@pytest.fixture(scope="session")
def daemon():
    exe = os.environ.get("PYFORAD", os.path.join(ROOT, "build", "core", "pyforad"))
    if not os.path.exists(exe):
        pytest.fail("pyforad not found at %s (build first, or set PYFORAD)" % exe)
    host, port = "127.0.0.1", _free_port()
    # PYFORAD_ARGS: extra options (ctest runs the suite again with --jit=always and --jit=off)
    extra = os.environ.get("PYFORAD_ARGS", "").split()
    proc = subprocess.Popen([exe, "--listen", "%s:%d" % (host, port), "--threads", "2",
                             "--max-body", str(MAX_BODY)] + extra)
    try:
        deadline = time.monotonic() + 30
        while not _hello(host, port):
            if proc.poll() is not None:
                pytest.fail("pyforad exited with status %s before answering" % proc.returncode)
            if time.monotonic() > deadline:
                pytest.fail("pyforad did not answer /v1/hello within 30 s")
            time.sleep(0.05)
        yield Daemon("http://%s:%d" % (host, port), host, port, proc)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def url(daemon):
    return daemon.url


@pytest.fixture(scope="session")
def executor(daemon):
    import pyfora
    ex = pyfora.connect(daemon.url)
    yield ex
    ex.close()
