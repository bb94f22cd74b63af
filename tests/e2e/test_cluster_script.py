"""scripts/pyfora-cluster with stand-in `ssh` and `srun` (tests/e2e/cluster_bin) that start
the processes on this machine: start from a hostfile or a Slurm allocation, status, stop."""
import os
import subprocess
import time

import pytest

import pyfora

from conftest import ROOT, _free_port

SCRIPT = os.path.join(ROOT, "scripts", "pyfora-cluster")
STANDINS = os.path.join(ROOT, "tests", "e2e", "cluster_bin")
EXE = os.environ.get("PYFORAD", os.path.join(ROOT, "build", "core", "pyforad"))


@pytest.fixture
def env(tmp_path):
    e = dict(os.environ)
    e["PATH"] = STANDINS + os.pathsep + e["PATH"]
    e["PF_STANDIN_LOG"] = str(tmp_path / "standin.log")
    e.pop("PYFORA_TOKEN", None)
    return e


def _run(env, *args, timeout=90):
    return subprocess.run([SCRIPT] + list(args), env=env, capture_output=True, text=True,
                          timeout=timeout)


def _pyforads(state):
    """pids of the pyforad processes whose command line names this state dir."""
    out = subprocess.run(["pgrep", "-f", "--", "token-file %s/token" % state],
                         capture_output=True, text=True).stdout
    return {int(p) for p in out.split()}


def _check_cluster(env, state, port, machines):
    status = _run(env, "status", "--state", state)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].split()[:3] == ["id", "role", "host"]
    assert len(lines) == 2 + machines
    assert "live: %d" % machines in lines[-1] and "tcp;ofi_rxm" in lines[-1]
    token = open(os.path.join(state, "token")).read().strip()
    assert len(token) >= 32
    assert oct(os.stat(os.path.join(state, "token")).st_mode & 0o777) == "0o600"
    ex = pyfora.connect("http://127.0.0.1:%d" % port, token=token)
    try:
        assert ex.getWorkerCount() == machines
        with ex.remotely.downloadAll():
            total = sum(x * x for x in range(1000))
        assert total == sum(x * x for x in range(1000))
    finally:
        ex.close()


def _stop(env, state):
    stop = _run(env, "stop", "--state", state)
    assert stop.returncode == 0, stop.stderr
    deadline = time.monotonic() + 15
    while _pyforads(state) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _pyforads(state)


def test_start_status_stop_from_a_hostfile(env, tmp_path):
    state = str(tmp_path / "state")
    port = _free_port()
    hostfile = tmp_path / "hosts"
    hostfile.write_text("# three nodes\n127.0.0.1 slots=2\n127.0.0.1\n\n127.0.0.1  # last\n")
    r = _run(env, "start", "--hostfile", str(hostfile), "--port", str(port), "--threads", "1",
             "--pyforad", EXE, "--state", state)
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        assert "cluster up: 3 machine(s)" in r.stdout
        assert open(env["PF_STANDIN_LOG"]).read().split("\n")[:3] == ["ssh 127.0.0.1"] * 3
        assert len(_pyforads(state)) == 3
        _check_cluster(env, state, port, 3)
        again = _run(env, "start", "--hostfile", str(hostfile), "--state", state)
        assert again.returncode == 2 and "stop first" in again.stderr
    finally:
        _stop(env, state)
    assert _run(env, "status", "--state", state).returncode == 2


def test_start_status_stop_in_a_slurm_allocation(env, tmp_path):
    state = str(tmp_path / "state")
    port = _free_port()
    env["SLURM_JOB_NODELIST"] = "127.0.0.1,127.0.0.1,127.0.0.1,127.0.0.1"
    env["PATH"] = STANDINS + os.pathsep + "/usr/bin:/bin"  # no real scontrol
    r = _run(env, "start", "--slurm", "--port", str(port), "--threads", "1", "--pyforad", EXE,
             "--state", state)
    try:
        assert r.returncode == 0, r.stdout + r.stderr
        assert "cluster up: 4 machine(s)" in r.stdout
        calls = sorted(open(env["PF_STANDIN_LOG"]).read().splitlines())  # started concurrently
        assert len(calls) == 2
        assert "--nodes=1" in calls[0] and "--nodelist=127.0.0.1" in calls[0]
        assert "--nodes=3" in calls[1] and "--ntasks-per-node=1" in calls[1]
        assert "--exclude=127.0.0.1" in calls[1] and "--cpu-bind=none" in calls[1]
        _check_cluster(env, state, port, 4)
    finally:
        _stop(env, state)


def test_errors(env, tmp_path):
    r = _run(env, "start", "--state", str(tmp_path / "s"))
    assert r.returncode == 2 and "--hostfile FILE or --slurm" in r.stderr
    env.pop("SLURM_JOB_NODELIST", None)
    r = _run(env, "start", "--slurm", "--state", str(tmp_path / "s"))
    assert r.returncode == 2 and "not inside a Slurm allocation" in r.stderr
    empty = tmp_path / "empty"
    empty.write_text("# nobody\n")
    r = _run(env, "start", "--hostfile", str(empty), "--state", str(tmp_path / "s"))
    assert r.returncode == 2 and "names no host" in r.stderr
    r = _run(env, "start", "--hostfile", str(empty), "--fabric", "ib")
    assert r.returncode == 2 and "tcp, verbs or shm" in r.stderr
    r = _run(env, "frobnicate")
    assert r.returncode == 2
    r = _run(env, "--help")
    assert r.returncode == 0 and "--hostfile" in r.stdout
