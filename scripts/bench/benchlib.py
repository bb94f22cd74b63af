"""What the benchmarks share: a free port, a timer, and a real pyforad with a connected
executor (started for a `with` block, stopped after it)."""
import contextlib
import inspect
import os
import socket
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "clientpy"))
import pyfora  # noqa: E402


def isPrime(p):
    """The seed's trial division, the function every isPrime benchmark ships."""
    x = 2
    while x * x <= p:
        if p % x == 0:
            return 0
        x = x + 1
    return 1


# isPrime's source, for the baselines that run it in another interpreter (CPython, Numba)
ISPRIME_SOURCE = inspect.getsource(isPrime)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(fn):
    """(fn(), seconds it took)."""
    t0 = time.perf_counter()
    r = fn()
    return r, time.perf_counter() - t0


@contextlib.contextmanager
def daemon(args, exe=None, timeout=600.0, quiet=False):
    """Starts `pyforad --listen 127.0.0.1:PORT ARGS…` and yields (url, executor); stops both."""
    exe = exe or os.path.join(ROOT, "build", "core", "pyforad")
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    proc = subprocess.Popen([exe, "--listen", "127.0.0.1:%d" % port] + list(args),
                            stderr=subprocess.DEVNULL if quiet else None)
    ex = None
    try:
        deadline = time.monotonic() + 30
        while ex is None:
            try:
                ex = pyfora.connect(url, timeout=timeout)
            except pyfora.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit("pyforad did not start")
                time.sleep(0.05)
        yield url, ex
    finally:
        if ex is not None:
            ex.close()
        proc.terminate()
        proc.wait(timeout=10)
