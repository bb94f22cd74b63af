"""On-stack replacement end to end (docs/jit.md, "On-stack replacement"): a function called
once whose loop runs long goes native in the middle of its loop, and a deoptimisation inside
the native code resumes the interpreter exactly where it stopped. Every answer is compared
with CPython's (values, big ints past int64, exceptions and their traceback lines); nested
loops, `while` loops, sequences, callees that overflow; cancelling a long OSR'd loop. Runs on
the suite's daemon, in whatever mode ctest gives it (auto, --jit=always, --jit=off): OSR
entries are asserted in auto and always. The functions take a default parameter k, so that
--jit=always does not compile the call itself: their loops go native only through OSR."""
import json
import math
import os
import time
import urllib.request

import pytest

from test_jit import outcome, remote


def _jit(url):
    with urllib.request.urlopen(url + "/v1/stats") as r:
        return json.load(r)["jit"]


def _native(url):
    """Whether this daemon runs OSR entries where its stats can see them."""
    return _jit(url)["mode"] != "off" and int(os.environ.get("PYFORA_E2E_WORKERS", "0")) == 0


def isPrime(p):
    x = 2
    while x * x <= p:
        if p % x == 0:
            return 0
        x = x + 1
    return 1


def count(n, k=1):
    c = 0
    for x in range(n):
        if isPrime(x):
            c = c + k
    return c


def squares(n, k=1):
    total = 0
    for i in range(n):
        total = total + i * i * k
    return total


def nested(n, k=1):
    t = 0
    for i in range(n):
        j = 0
        while j < i % 9:
            t = t + (i ^ j) * k
            j = j + 1
    return t


def collatz_total(n, k=1):
    steps = 0
    x = 1
    y = 1
    while y < n:
        if x == 1:
            y = y + 1
            x = y
        elif x % 2 == 0:
            x = x // 2
        else:
            x = 3 * x + k
        steps = steps + 1
    return steps


def divide_down(n, k=1):
    t = 0
    for i in range(n):
        t = t + 1000 // (n // 2 - i * k)
    return t


def fifth(x):
    return x * x * x * x * x


def callee_overflows(n, k=1):
    t = 0
    for i in range(n):
        t = t + fifth(i) % 1000 * k
    return t


def roots(n, k=1):
    t = 0.0
    for i in range(n):
        t = t + math.sqrt(n // 2 - i * k)
    return t


def weighted(xs, k=1):
    t = 0.0
    for v in xs:
        t = t + v * k
    return t


def mixed_seq(n, k=1):
    return weighted([0.5] * n + [3] + [0.25] * n, k)


def spin(n, k=1):
    t = 0
    for i in range(n):
        t = (t * 31 + i * k) % 1000000007
    return t


@pytest.mark.parametrize("fn,arg", [
    (count, 100000),                 # isPrime compiled; count's own loop through OSR
    (squares, 3000000),              # the total outgrows int64: deopt, exact big int
    (nested, 200000),                # nested loops, an inner while
    (collatz_total, 10000),          # a while loop alone
    (callee_overflows, 100000),      # the native callee deoptimises inside the OSR loop
    (mixed_seq, 150000),             # an int item in a float sequence: deopt mid-loop
])
def test_called_once_matches_cpython(executor, url, fn, arg):
    expected = outcome(lambda: fn(arg))
    before = _jit(url)["osr_entries"]
    for _ in range(100):  # auto: the entry compiles in the background, maybe after this call
        assert outcome(lambda: remote(executor, fn, arg)) == expected
        if not _native(url) or _jit(url)["osr_entries"] > before:
            break
        time.sleep(0.1)
    if _native(url):
        assert _jit(url)["osr_entries"] > before


@pytest.mark.parametrize("fn,arg,exc", [
    (divide_down, 400000, ZeroDivisionError),
    (roots, 400000, ValueError),
])
def test_exception_in_osr_loop_has_the_traceback(executor, url, fn, arg, exc):
    expected = outcome(lambda: fn(arg))
    before = _jit(url)["osr_entries"]
    for _ in range(100):  # auto: the entry compiles in the background, maybe after this call
        with pytest.raises(exc) as info:
            with executor.remotely.downloadAll():
                r = fn(arg)  # noqa: F841
        tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's lines: from 0
        line = fn.__code__.co_firstlineno + 3                    # the statement that raises
        assert (fn.__name__, line) in tb, tb
        assert outcome(lambda: remote(executor, fn, arg)) == expected
        if not _native(url) or _jit(url)["osr_entries"] > before:
            break
        time.sleep(0.1)
    if _native(url):
        assert _jit(url)["osr_entries"] > before


def test_with_block_calls_once(executor, url):
    with executor.remotely.downloadAll():
        r = count(200000)
        s = squares(2000000)
    assert r == count(200000) and s == squares(2000000)


def test_with_block_own_loop(executor, url):
    """A loop directly in the with-block: its names are the block's globals, which the
    block's OSR entry stores natively; the total outgrows int64 (a deopt) in the second."""
    before = _jit(url)["osr_entries"]
    for _ in range(100):  # auto: the entry compiles in the background, maybe after this block
        with executor.remotely.downloadAll():
            total = 0
            for i in range(2000000):
                total = (total * 31 + i) % 1000000007
        assert total == spin(2000000)
        if not _native(url) or _jit(url)["osr_entries"] > before:
            break
        time.sleep(0.1)
    if _native(url):
        assert _jit(url)["osr_entries"] > before
    with executor.remotely.downloadAll():
        big = 0
        x = 0.0
        for j in range(200000):
            big = big + j * j * j
            x = x + j / 7
    exp_big, exp_x = 0, 0.0
    for j in range(200000):
        exp_big = exp_big + j * j * j
        exp_x = exp_x + j / 7
    assert big == exp_big and big > 2 ** 63 and x == exp_x


def test_cancel_of_a_long_osr_loop(executor, url):
    def busy():
        with urllib.request.urlopen(url + "/v1/cluster", timeout=10) as r:
            return sum(m["busy"] for m in json.load(r)["machines"])

    deadline = time.monotonic() + 30
    while busy() != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    before = _jit(url)["osr_entries"]
    fut = executor.submit(spin, 10 ** 13)  # hours, natively or not
    deadline = time.monotonic() + 60
    while busy() < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert busy() >= 1
    if _native(url):   # wait until the loop is in native code
        while _jit(url)["osr_entries"] == before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _jit(url)["osr_entries"] > before
    time.sleep(0.3)
    assert fut.cancel()
    deadline = time.monotonic() + 30
    while busy() != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert busy() == 0
    assert remote(executor, spin, 5000) == spin(5000)
