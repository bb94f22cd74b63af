"""Native fold kernels end to end (docs/jit.md, "Fused folds"): sum/min/max/any/all of
(F(x) for x in range(...)) run as native loops over chunks of each subrange, with F inlined.
The same for generator expressions with an element of their own, (E for x in range(...)),
whose E is compiled as a function of x. Every answer is compared with CPython's: exact
big-int sums across int64 overflow of the partial, elements on which F deoptimises mid-chunk, the exception (and its traceback) of the
first failing element in Python order, min/max types and any/all positions (the iterator is
left where a sequential fold leaves it), and folds split between workers while native chunks
run. Daemons of their own: --jit=always, auto and off, on 2 worker threads."""
import json
import math
import time
import urllib.request

import pytest

from test_jit import _start, _stats, foldd, outcome, remote  # noqa: F401 (foldd: the fixture)

import pyfora


# ---------------------------------------------------------------- element functions

def isPrime(p):
    x = 2
    while x * x <= p:
        if p % x == 0:
            return 0
        x = x + 1
    return 1


def cube(x):
    return x ** 3


def near_max(x):
    # about 2**62 each: the int64 partial of a chunk would overflow every other element
    return 4611686018427387904 - x * (x % 5)


def sometimes_big(x):
    # x * 3037000500 overflows int64 for x > 3037000499: F deoptimises on those elements
    # (the interpreter answers with an exact big int) and the fold resumes natively
    if x % 9973 == 17:
        return x * 3037000500 * 3037000500
    return x % 1000 - 500


def scatter(x):
    return (x * 7919) % 10007 - 5000


def is_odd(x):
    return x % 2 == 1


def fails_at(x):
    return 1000 // (x - 123457)


def two_failures(x):
    # x == 150001: integer ZeroDivisionError; x == 900001: a float one; the first wins
    return 1 // (x - 150001) + int(1.0 / (x - 900001))


def late_true(x):
    return x * x > 40000000000


def first_negative(x):
    return x - 77777 >= 0


def maybe_float(x):
    if x % 3 == 0:
        return 0.5
    return 0.0


# ---------------------------------------------------------------- the programs

def big_sums(n):
    return (sum(cube(x) for x in range(n)),
            sum(cube(x) for x in range(n, -n, -3)),
            sum(near_max(x) for x in range(n)),
            sum(near_max(x) for x in range(-n, 0, 7)))


def deopt_mid_chunk(n):
    return (sum(sometimes_big(x) for x in range(n)),
            min(sometimes_big(x) for x in range(n)),
            max(sometimes_big(x) for x in range(n)),
            all(sometimes_big(x) < 10 ** 30 for x in range(n)))


def minmax(n):
    return (min(scatter(x) for x in range(n)), max(scatter(x) for x in range(3, n, 7)),
            min(is_odd(x) for x in range(n)), max(is_odd(x) for x in range(n)),
            min(is_odd(x) for x in range(1, n, 2)), max(scatter(x) for x in range(n, 0, -1)))


def anyall(n):
    it = iter(range(n))
    a = any(late_true(x) for x in it)
    after_any = next(it)
    it2 = iter(range(n))
    b = all(first_negative(x) for x in it2)
    after_all = next(it2)
    return (a, after_any, b, after_all, any(maybe_float(x) for x in range(1, n, 3)),
            any(maybe_float(x) for x in range(n)), all(isPrime(x) for x in range(2, n)))


def count_primes(n):
    return sum(isPrime(x) for x in range(n))


def zero_division(n):
    return sum(fails_at(x) for x in range(n))


def first_of_two(n):
    return sum(two_failures(x) for x in range(n))


# generator expressions with an element of their own: E(x) compiled as a function of x

OFFSET = 12345


def genexpr_sums(n):
    return (sum(x ** 3 for x in range(n)), sum(x * x for x in range(-n, n, 3)),
            sum(x * 3037000500 for x in range(n)),             # E overflows: per element
            sum((x if x > 100 else x % 7) * OFFSET for x in range(n)),
            sum(isPrime(x) + 1 for x in range(n)), sum(x % 3 == 0 for x in range(n)))


def genexpr_minmax(n):
    return (min((x * 7919) % 10007 - 5000 for x in range(n)),
            max(x % 2 == 1 for x in range(n)), min(x % 2 == 1 for x in range(1, n, 2)),
            max(-x for x in range(n, 0, -1)))


def genexpr_anyall(n):
    it = iter(range(n))
    a = any(x * x > 40000000000 for x in it)
    after_any = next(it)
    it2 = iter(range(n))
    b = all(x - 77777 < 0 for x in it2)
    return a, after_any, b, next(it2), any(x * 0.5 > 1e300 for x in range(n))


def genexpr_closure(n):
    k = n % 7 + 2
    return sum(x * k for x in range(n)), sum(x * 2.5 for x in range(n))


def genexpr_other_shapes(n):
    # a filter, a nested loop, a tuple element: not taken as native elements, still exact
    return (sum(x * x for x in range(n) if x % 3), sum(x * y for x in range(n) for y in range(3)),
            max((x % 17, x) for x in range(n)), sum(x ** 3 for x in range(0, n, 7) if x > 10),
            min(x * 2 for x in range(n, 0, -1)), any(x > n for x in range(n)))


def comprehensions(n):
    # [E for x in range(...)]: E's values from native chunks, the rest (after a deopt) from
    # the interpreter; other shapes and kinds as before
    return ([x * x - 3 for x in range(n)], [x * 0.5 for x in range(-n, n, 7)],
            [x % 3 == 0 for x in range(n)], [None for x in range(5, n, 11)],
            [x ** 4 for x in range(n)],                       # int64 until x ~ 55109
            [scatter(x) for x in range(n, 0, -3)], [x for x in range(n) if x % 5],
            [(x, x) for x in range(10)], {x % 7 for x in range(n)}, {x: x * x for x in range(50)},
            [[y * x for y in range(3)] for x in range(50)])


def comprehension_error(n):
    return len([1000 // (x - 123457) for x in range(n)])


def genexpr_zero_division(n):
    return sum(1000 // (x - 123457) for x in range(n))


def genexpr_late_overflow(n):
    # int64 elements until x ** 5 outgrows them: the rest runs in the interpreter, exactly
    return sum(x ** 5 for x in range(n)), max(x ** 5 - x for x in range(n))


def float_sums(n):
    # sums of floats are exact in pyfora (as math.fsum): the kernel hands the results over
    return (sum(half(x) for x in range(n)), sum(1.0 / (x + 1) for x in range(n)),
            sum((1e100 if x % 2 == 0 else -1e100) + (x % 5) * 1e-3 for x in range(n)),
            sum(maybe_float(x) for x in range(n)))


def float_sums_ref(n):
    return (math.fsum(half(x) for x in range(n)), math.fsum(1.0 / (x + 1) for x in range(n)),
            math.fsum((1e100 if x % 2 == 0 else -1e100) + (x % 5) * 1e-3 for x in range(n)),
            math.fsum(maybe_float(x) for x in range(n)))


def half(x):
    return x * 0.5


REFERENCE = {float_sums: float_sums_ref}

PROGRAMS = [(float_sums, 200001), (big_sums, 300000), (deopt_mid_chunk, 200000), (minmax, 200000),
            (anyall, 300000), (count_primes, 100000), (zero_division, 1000000),
            (first_of_two, 1000000), (genexpr_sums, 300000), (genexpr_minmax, 200000),
            (comprehensions, 100000), (comprehension_error, 1000000),
            (genexpr_anyall, 300000), (genexpr_closure, 100000), (genexpr_other_shapes, 50000),
            (genexpr_zero_division, 1000000), (genexpr_late_overflow, 100000)]


@pytest.mark.parametrize("fn,n", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_same_as_cpython(foldd, fn, n):
    mode, url, ex = foldd
    local = outcome(lambda: REFERENCE.get(fn, fn)(n))
    assert outcome(lambda: remote(ex, fn, n)) == local


def test_native_folds_ran(foldd):
    mode, url, ex = foldd
    before = _stats(url)["jit"]
    assert remote(ex, big_sums, 100000) == big_sums(100000)
    after = _stats(url)["jit"]
    if mode == "off":
        assert after["fold_kernels"] == 0 and after["native_calls"] == 0
    else:
        # 4 folds of 280,953 elements in all, natively (warm start in auto mode)
        assert after["fold_kernels"] >= 1
        assert after["native_calls"] - before["native_calls"] >= 280953


def test_zero_division_traceback(foldd):
    mode, url, ex = foldd
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = sum(fails_at(x) for x in range(1000000))  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    assert ("fails_at", fails_at.__code__.co_firstlineno + 1) in tb
    assert ("<genexpr>", test_zero_division_traceback.__code__.co_firstlineno + 4) in tb


def test_genexpr_element_runs_natively(foldd):
    mode, url, ex = foldd
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        r = sum(x ** 3 - 7 * x for x in range(-200000, 200000, 3))
    assert r == sum(x ** 3 - 7 * x for x in range(-200000, 200000, 3))
    after = _stats(url)["jit"]
    if mode != "off":
        assert after["fold_kernels"] > before["fold_kernels"]
        assert after["native_calls"] - before["native_calls"] >= 133334


def small_f(x):
    return x * x - 3 * x


def many_small(n):
    t = 0
    for y in range(n):
        t = t + sum(small_f(x) for x in range(y, y + 1000)) + max(x % 1009 for x in range(y, y + 900))
    return t


def test_small_folds_get_kernels(foldd):
    # folds below the warm-start size call F per element until they have asked for 10,000
    # elements; then (auto) the kernel compiles on the compile thread
    mode, url, ex = foldd
    before = _stats(url)["jit"]["fold_kernels"]
    assert remote(ex, many_small, 300) == many_small(300)
    if mode == "off":
        return
    deadline = time.monotonic() + 10
    while _stats(url)["jit"]["fold_kernels"] < before + 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _stats(url)["jit"]["fold_kernels"] >= before + 2


def test_comprehension_runs_natively(foldd):
    mode, url, ex = foldd
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        r = [x * x - 7 for x in range(-100000, 200000, 3)]
    assert r == [x * x - 7 for x in range(-100000, 200000, 3)]
    after = _stats(url)["jit"]
    if mode != "off":
        assert after["fold_kernels"] > before["fold_kernels"]
        assert after["native_calls"] - before["native_calls"] >= 100000


def test_comprehension_zero_division_traceback(foldd):
    mode, url, ex = foldd
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = [1000 // (x - 123457) for x in range(1000000)]  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    line = test_comprehension_zero_division_traceback.__code__.co_firstlineno + 4
    assert ("<listcomp>", line) in tb, tb


def test_genexpr_zero_division_traceback(foldd):
    mode, url, ex = foldd
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = sum(1000 // (x - 123457) for x in range(1000000))  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    line = test_genexpr_zero_division_traceback.__code__.co_firstlineno + 4
    assert ("<genexpr>", line) in tb


def slow(x):
    i = 0
    while i < 20000:
        i = i + 1
    return x % 3


def endless(n):
    return sum(slow(x) for x in range(n)) + sum(i * slow(i) for i in range(n))


def test_cancel_stops_native_chunks(foldd):
    mode, url, ex = foldd
    if mode == "off":
        pytest.skip("native chunks only")

    def busy():
        with urllib.request.urlopen(url + "/v1/cluster", timeout=10) as r:
            return sum(m["busy"] for m in json.load(r)["machines"])

    # the previous test's workers go idle just after its result is out
    deadline = time.monotonic() + 30
    while busy() != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert busy() == 0
    fut = ex.submit(endless, 10 ** 12)  # hours of native work
    deadline = time.monotonic() + 30
    while busy() < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert busy() >= 2  # split onto the second worker while native chunks ran
    assert fut.cancel()
    deadline = time.monotonic() + 30
    while busy() != 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert busy() == 0
    assert remote(ex, count_primes, 1000) == count_primes(1000)


def test_split_while_native_chunks_run():
    proc, url = _start("auto", 4)
    try:
        ex = pyfora.connect(url)
        before = _stats(url)
        with ex.remotely.downloadAll():
            n = sum(isPrime(x) for x in range(400000))
            m = min(scatter(x) for x in range(5, 3000005, 3))
            g = sum(isPrime(x) * x for x in range(400000))
        assert n == count_primes(400000)
        assert g == sum(isPrime(x) * x for x in range(400000))
        assert m == min(scatter(x) for x in range(5, 3000005, 3))
        after = _stats(url)
        assert after["splits"] > before["splits"]
        assert after["jit"]["fold_kernels"] >= 3
        ex.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def gen_of(x):
    yield x
    yield x * 2


def generator_elements(n):
    # F is a generator function: F(x) is a generator, never a native element
    return list(gen_of(x) for x in range(3)) == [] or sum(sum(g) for g in (gen_of(x) for x in range(n)))


def test_generator_function_elements(foldd):
    mode, url, ex = foldd
    assert outcome(lambda: remote(ex, generator_elements, 20000)) == outcome(lambda: generator_elements(20000))
    local = outcome(lambda: sum(gen_of(x) for x in range(20000)))
    assert local[0] == "raise"
    got = outcome(lambda: remote(ex, sum_of_generators, 20000))
    assert got[:2] == local[:2]


def sum_of_generators(n):
    return sum(gen_of(x) for x in range(n))


def test_one_worker_comprehension_and_genexpr():
    # on one worker these are not split, yet run natively once their kernel is ready
    proc, url = _start("auto", 1)
    try:
        ex = pyfora.connect(url)
        before = _stats(url)["jit"]
        assert remote(ex, comprehensions, 30000) == comprehensions(30000)
        with ex.remotely.downloadAll():
            s = sum(x ** 3 for x in range(50000))
            lst = [x * 3 - 1 for x in range(-20000, 20000)]
        assert s == sum(x ** 3 for x in range(50000))
        assert lst == [x * 3 - 1 for x in range(-20000, 20000)]
        after = _stats(url)["jit"]
        assert after["fold_kernels"] >= before["fold_kernels"] + 3
        assert after["native_calls"] - before["native_calls"] >= 90000
        ex.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
