"""The native tier end to end (docs/jit.md): daemons of their own with --jit=always, auto and
off; results compared with CPython, the /v1/stats "jit" counters, deoptimisation on int64
overflow and on division by zero (the exception comes from the interpreter with its
traceback), cancellation of a native loop."""
import json
import os
import subprocess
import time
import urllib.request

import pytest

from conftest import ROOT, _free_port, _hello

import pyfora


def _start(mode, threads=1):
    """A pyforad of its own with --jit=MODE: (process, url)."""
    exe = os.environ.get("PYFORAD", os.path.join(ROOT, "build", "core", "pyforad"))
    port = _free_port()
    proc = subprocess.Popen([exe, "--listen", "127.0.0.1:%d" % port, "--threads", str(threads),
                             "--jit=" + mode])
    deadline = time.monotonic() + 30
    while not _hello("127.0.0.1", port):
        assert proc.poll() is None and time.monotonic() < deadline, "pyforad did not start"
        time.sleep(0.05)
    return proc, "http://127.0.0.1:%d" % port


@pytest.fixture(scope="module", params=["always", "auto", "off"])
def jitd(request):
    proc, url = _start(request.param)
    ex = pyfora.connect(url)
    yield request.param, url, ex
    ex.close()
    proc.terminate()
    proc.wait(timeout=10)


def _jit_stats(url):
    with urllib.request.urlopen(url + "/v1/stats") as r:
        return json.load(r)["jit"]


@pytest.fixture(scope="module", params=["always", "auto", "off"])
def foldd(request):
    """A daemon of the module's own on 2 worker threads per mode: (mode, url, executor)."""
    proc, url = _start(request.param, 2)
    ex = pyfora.connect(url)
    yield request.param, url, ex
    ex.close()
    proc.terminate()
    proc.wait(timeout=10)


def _stats(url):
    with urllib.request.urlopen(url + "/v1/stats") as r:
        return json.load(r)


def remote(ex, fn, *args):
    """fn(*args) computed remotely (executor.submit), downloaded."""
    return ex.submit(fn, *args).result(timeout=300).toLocal().result(timeout=300)


def outcome(thunk):
    """('ok', type, value) or ('raise', type, message): how a call ended."""
    try:
        v = thunk()
        return ("ok", type(v).__name__, v)
    except pyfora.ComputationError as e:
        return ("raise", type(e.remoteException).__name__, str(e.remoteException))
    except Exception as e:  # noqa: BLE001 (the local reference raised)
        return ("raise", type(e).__name__, str(e))


def isPrime(p):
    x = 2
    while x * x <= p:
        if p % x == 0:
            return 0
        x = x + 1
    return 1


def cubes(n):
    s = 0
    for x in range(n):
        s = s + x ** 3
    return s


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def mean_gap(a, b):
    t = 0.0
    for i in range(a, b):
        t = t + (i % 7) / 2.0 - i // 3
    return t / (b - a)


def divides(a, b):
    return a // b


def spin(n):
    t = 0
    for i in range(n):
        t = (t + i) % 1000003
    return t


def test_results_match_cpython(jitd):
    mode, url, ex = jitd
    with ex.remotely.downloadAll():
        primes = sum(isPrime(x) for x in range(20000))
        big = cubes(200000)          # outgrows int64: native code deoptimises
        small = [cubes(n) for n in range(50)]
        f = fib(18)
        g = mean_gap(-100, 1000)
    assert primes == sum(isPrime(x) for x in range(20000))
    assert big == cubes(200000) and big > 2 ** 63
    assert small == [cubes(n) for n in range(50)]
    assert f == fib(18)
    assert g == mean_gap(-100, 1000)
    st = _jit_stats(url)
    assert st["mode"] == mode
    if mode == "off":
        assert st["compiles"] == 0 and st["native_calls"] == 0
    if mode == "always":
        assert st["compiles"] >= 4
        assert st["native_calls"] >= 20000
        assert st["deopts"] >= 1          # cubes(200000)
        assert st["compile_ms_max"] > 0
        names = {e["function"] for e in st["not_compilable"]}
        assert not names & {"isPrime", "cubes", "fib", "mean_gap"}, st["not_compilable"]


def test_zero_division_after_deopt_has_the_traceback(jitd):
    mode, url, ex = jitd
    with ex.remotely.downloadAll():
        ok = [divides(x, 3) for x in range(-5, 5)]
    assert ok == [divides(x, 3) for x in range(-5, 5)]
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            bad = divides(7, 0)  # noqa: F841
    tb = [(f.name, f.lineno) for f in info.traceback]
    assert ("divides", divides.__code__.co_firstlineno) in tb


def test_not_compilable_is_reported_in_always_mode(jitd):
    mode, url, ex = jitd
    if mode != "always":
        pytest.skip("reported per call in --jit=always")

    def first(xs, n):
        return len(xs) + n     # a list of str: not a native argument

    def scaled(k):
        def mul(x):
            return x * k     # a closure: never compiled
        return mul(2)

    def with_default(a, b=3):
        return a + b

    with ex.remotely.downloadAll():
        r = [first(["a", "b"], n) for n in range(3)]
        s = [scaled(k) for k in range(4)]
        d = with_default(1)
    assert r == [2, 3, 4] and s == [0, 2, 4, 6] and d == 4
    reasons = {e["function"].split(".")[-1]: (e["reason"], e["calls"])
               for e in _jit_stats(url)["not_compilable"]}
    assert reasons["first"][1] >= 3 and "types other than" in reasons["first"][0]
    assert reasons["mul"][1] >= 4 and "closure" in reasons["mul"][0], reasons
    assert reasons["with_default"][1] >= 1 and "defaults" in reasons["with_default"][0]


def test_auto_compiles_hot_functions(jitd):
    mode, url, ex = jitd
    if mode != "auto":
        pytest.skip("auto mode only")
    for _ in range(50):   # the compile thread finishes within a few of these blocks
        with ex.remotely.downloadAll():
            r = sum(isPrime(x) for x in range(5000))
        assert r == sum(isPrime(x) for x in range(5000))
        if _jit_stats(url)["native_calls"] > 0:
            break
    st = _jit_stats(url)
    assert st["compiles"] >= 1 and st["native_calls"] > 0


def test_native_loop_is_cancelled(jitd):
    mode, url, ex = jitd
    if mode != "always":
        pytest.skip("always mode runs the loop natively from its first call")

    def cb(status):
        if not status["done"] and status["work"] > 0:   # native loops report work too
            raise KeyboardInterrupt   # the client cancels the computation
    with pytest.raises(KeyboardInterrupt):
        with ex.remotely.downloadAll().withStatusCallback(cb):
            r = spin(10 ** 13)   # noqa: F841  (hours if it were not cancelled)
    busy = 1
    for _ in range(600):
        with urllib.request.urlopen(url + "/v1/cluster") as resp:
            busy = json.load(resp)["machines"][0]["busy"]
        if busy == 0:
            break
        time.sleep(0.05)
    assert busy == 0
    with ex.remotely.downloadAll():
        r = spin(1000)
    assert r == spin(1000)


def long_loop(n):
    t = 0
    for i in range(n):
        t = (t * 31 + i) % 1000000007
    return t


def test_auto_loops_make_a_function_hot(jitd):
    mode, url, ex = jitd
    if mode != "auto":
        pytest.skip("auto mode only")
    before = _jit_stats(url)["compiles"]
    for k in range(40):   # a few calls, each looping long: hot long before 100 calls
        with ex.remotely.downloadAll():
            r = long_loop(200000 + k)
        assert r == long_loop(200000 + k)
        if _jit_stats(url)["compiles"] > before:
            break
    assert _jit_stats(url)["compiles"] > before


def test_native_recursion_is_cancelled(jitd):
    mode, url, ex = jitd
    if mode != "always":
        pytest.skip("always mode runs the recursion natively from its first call")

    def cb(status):
        if not status["done"] and status["work"] > 0:   # native calls report work too
            raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        with ex.remotely.downloadAll().withStatusCallback(cb):
            r = fib(80)   # noqa: F841  (centuries if it were not cancelled)
    busy = 1
    for _ in range(600):
        with urllib.request.urlopen(url + "/v1/cluster") as resp:
            busy = json.load(resp)["machines"][0]["busy"]
        if busy == 0:
            break
        time.sleep(0.05)
    assert busy == 0


def test_divide_and_conquer_forks_above_its_native_calls():
    """fib is compiled at its first call (always), yet on two workers its top calls stay
    interpreted, so that its independent calls fork and the other worker steals some: only
    below them does it run natively (jit_bridge.c, NATIVE_FORK_DEPTH). Before, the block's
    call ran natively as a whole, on one worker, and nothing was ever stolen."""
    proc, url = _start("always", threads=2)
    try:
        ex = pyfora.connect(url)
        expected = fib(27)
        stolen = False
        for _ in range(8):
            with urllib.request.urlopen(url + "/v1/stats") as resp:
                before = json.load(resp)
            with ex.remotely.downloadAll():
                r = fib(27)
            assert r == expected
            with urllib.request.urlopen(url + "/v1/stats") as resp:
                after = json.load(resp)
            assert after["jit"]["native_calls"] > before["jit"]["native_calls"]
            if after["steals"] > before["steals"]:
                stolen = True
                break
        assert stolen, "no forked call of fib was ever stolen"
        ex.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
