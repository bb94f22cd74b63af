"""pyforad's command line: --version, --help, --topology, a taken port, clean shutdown."""
import os
import signal
import subprocess
import time

import pytest

from conftest import ROOT, _free_port, _hello

EXE = os.environ.get("PYFORAD", os.path.join(ROOT, "build", "core", "pyforad"))


def run(*args, timeout=30):
    return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=timeout)


def test_version_and_help():
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("pyforad ")
    out = run("--help")
    assert out.returncode == 0
    for opt in ("--listen", "--threads", "--max-body", "--topology", "--verbose"):
        assert opt in out.stdout


def test_bad_options():
    for args in (["--bogus"], ["--listen", "nohost"], ["--listen", "1.2.3.4:99999"],
                 ["--threads", "-1"], ["--max-body", "0"]):
        out = run(*args)
        assert out.returncode == 2, args
        assert "pyforad:" in out.stderr


def test_topology():
    out = run("--topology", "--threads", "3")
    assert out.returncode == 0
    assert "PU" in out.stdout and "pinning plan: 3 worker thread(s)" in out.stdout
    assert out.stdout.count("-> PU P#") == 3


def test_port_taken(daemon):
    out = run("--listen", "%s:%d" % (daemon.host, daemon.port))
    assert out.returncode == 1
    assert "in use" in out.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_clean_shutdown(sig):
    port = _free_port()
    proc = subprocess.Popen([EXE, "--listen", "localhost:%d" % port, "--verbose"],
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not _hello("127.0.0.1", port):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        proc.send_signal(sig)
        assert proc.wait(timeout=20) == 0
        err = proc.stderr.read()
        assert "GET /v1/hello -> 200" in err
        assert "shutting down" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
