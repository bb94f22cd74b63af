"""zip and enumerate in native fused folds (docs/jit.md, "Fused folds: zip and enumerate"):
(E for a, b in zip(xs, ys)) and (E for i, v in enumerate(xs[, start])) under sum, min,
max, any and all, xs and ys tuples or lists of numbers, run as native loops over positions
(the pair read at index x). Every answer is compared with CPython's, in --jit=always, auto
and off: unequal lengths, empty sequences, tuples and lists, ints and floats, an item of
another kind mid-way, exceptions raised in E with the generator's line, filters, enumerate
with a start."""
import math

import pytest

from test_jit import _stats, foldd, outcome, remote  # noqa: F401 (foldd: the fixture)


# ---------------------------------------------------------------- programs

def zip_ints(n):
    xs = [i % 97 - 40 for i in range(n)]
    ys = tuple(i % 13 for i in range(n + 17))
    zs = [i % 5 for i in range(n // 2)]
    k = 3
    return (sum(x * y for x, y in zip(xs, ys)),
            sum(x * y * k for x, y in zip(ys, xs)),
            sum(x - y for x, y in zip(xs, zs)),
            min(x * y for x, y in zip(xs, ys)),
            max(x + y for x, y in zip(zs, ys)),
            any(x * y == 1234 for x, y in zip(xs, ys)),
            all(x + y > -100 for x, y in zip(xs, ys)),
            sum(x for x, y in zip(xs, []) ),
            sum(x * y for x, y in zip(xs, ys) if x % 3 == 1))


def zip_floats(n):
    fx = [(i % 89) * 0.25 for i in range(n)]
    fy = tuple((i % 7) * 1.5 - 3 for i in range(n))
    xs = [i % 11 for i in range(n - 5)]
    return (sum(x * y for x, y in zip(fx, fy)),
            sum(x * y for x, y in zip(xs, fy)),
            any(x > y + 20 for x, y in zip(fx, fy)),
            all(x >= 0 for x, y in zip(fx, xs)))


def zip_floats_ref(n):
    fx = [(i % 89) * 0.25 for i in range(n)]
    fy = tuple((i % 7) * 1.5 - 3 for i in range(n))
    xs = [i % 11 for i in range(n - 5)]
    return (math.fsum(x * y for x, y in zip(fx, fy)),
            math.fsum(x * y for x, y in zip(xs, fy)),
            any(x > y + 20 for x, y in zip(fx, fy)),
            all(x >= 0 for x, y in zip(fx, xs)))


def enum_ints(n):
    xs = [i % 97 - 40 for i in range(n)]
    ty = tuple(i % 7 - 3 for i in range(n))
    return (sum(i * v for i, v in enumerate(xs)),
            sum(i * v for i, v in enumerate(ty, 5)),
            sum(i - v for i, v in enumerate(xs, -1000)),
            max(v for i, v in enumerate(xs) if i % 2),
            min(i * v for i, v in enumerate(ty, 3)),
            any(i == v + 5000 for i, v in enumerate(xs)),
            all(i >= 0 for i, v in enumerate(xs)),
            sum(i for i, v in enumerate([])),
            sum(i * v for i, v in enumerate(xs, 2 ** 62)))


def enum_floats(n):
    fx = [(i % 89) * 0.25 for i in range(n)]
    return (sum(i * v for i, v in enumerate(fx)), any(v > i for i, v in enumerate(fx, 10)))


def enum_floats_ref(n):
    fx = [(i % 89) * 0.25 for i in range(n)]
    return (math.fsum(i * v for i, v in enumerate(fx)), any(v > i for i, v in enumerate(fx, 10)))


def enum_big_start(n):
    xs = [i % 5 for i in range(n)]
    return (sum(i * v for i, v in enumerate(xs, 2 ** 63 - 100)),
            sum(i + v for i, v in enumerate(xs, 2 ** 70)))


def item_kinds(n):
    xs = [2.5 if i == n // 2 else i % 13 for i in range(n)]
    ys = [10 ** 20 if i == n // 3 else True if i == n // 4 else i % 7 for i in range(n)]
    return (max(x * y for x, y in zip(xs, ys)),
            sum(x + y for x, y in zip(ys, ys)),
            sum(x * y for x, y in zip(xs, xs)),
            sum(i * v for i, v in enumerate(ys)),
            any(v == 2.5 for i, v in enumerate(xs)))


def str_item(n):
    xs = [i % 13 for i in range(n)]
    ys = ["a" if i == n - 10 else i % 7 for i in range(n)]
    return sum(x * y for x, y in zip(xs, ys))


def zero_division(n):
    xs = [i - n // 2 for i in range(n)]
    ys = [i % 3 + 1 for i in range(n)]
    return sum(y // x for x, y in zip(xs, ys))


def enum_zero_division(n):
    xs = [i % 3 + 1 for i in range(n)]
    return sum(v // (i - n // 3) for i, v in enumerate(xs))


def filter_raises(n):
    xs = [i for i in range(n)]
    return sum(x for x, y in zip(xs, xs) if 1000 // (y - 777777))


def overflow(n):
    xs = [2 ** 40 + i for i in range(n)]
    return (sum(x * y for x, y in zip(xs, xs)), max(x * y for x, y in zip(xs, xs)),
            sum(i * v * v for i, v in enumerate(xs)))


def rebinding(n):
    xs = [i % 10 for i in range(n)]
    out = ()
    for r in range(3):
        ys = [i % (r + 2) for i in range(n)]
        out = out + (sum(x * y for x, y in zip(xs, ys)), sum(i * y for i, y in enumerate(ys, r)))
    return out


def tuples_and_lists(n):
    xs = tuple(i % 9 for i in range(n))
    ys = list(range(n))
    return (sum(a * b for a, b in zip(xs, ys)), sum(a * b for a, b in zip(ys, xs)),
            sum(a * b for a, b in zip(xs, xs)), sum(a for a, b in zip(xs, ys) if b % 2))


def comprehensions(n):
    xs = [i % 97 - 40 for i in range(n)]
    ys = tuple(i % 13 for i in range(n + 17))
    fx = [(i % 89) * 0.25 for i in range(n - 3)]
    return ([a - b for a, b in zip(xs, ys)],
            [a * b for a, b in zip(fx, ys) if b > 6],
            [i * v for i, v in enumerate(xs, 10)],
            {a % 50 for a, b in zip(xs, ys) if b},
            {a: b for a, b in zip(ys, xs)},
            {i % 100: v for i, v in enumerate(fx)},
            [a for a, b in zip(xs, [])])


def comprehension_raises(n):
    xs = [i - n // 2 for i in range(n)]
    return [100 // a for a, b in zip(xs, xs)]


def comprehension_item_kinds(n):
    xs = [2.5 if i == n // 2 else "s" if i == n - 3 else i % 13 for i in range(n)]
    return [i + v for i, v in enumerate(xs[:n - 5])], [v * 2 for i, v in enumerate(xs)]


def pair_sum(src):
    return sum(a * b + 1 for a, b in src)


def consumed_and_shared(n):
    xs = [i % 31 for i in range(n)]
    ys = tuple(i % 17 - 8 for i in range(n))
    e = enumerate(xs, 3)
    next(e)
    next(e)
    z = zip(xs, ys)
    next(z)
    it = iter(xs)
    next(it)
    return (sum(i * v for i, v in e),
            sum(a * b for a, b in z),
            sum(a * b for a, b in zip(it, ys)),
            pair_sum(zip(xs, ys)), pair_sum(enumerate(ys)), pair_sum(enumerate(xs, -5)),
            pair_sum([(1, 2), (3, 4)] * 1000))


REFERENCE = {zip_floats: zip_floats_ref, enum_floats: enum_floats_ref}

PROGRAMS = [(zip_ints, 100003), (zip_floats, 100001), (enum_ints, 100000),
            (enum_floats, 100000), (enum_big_start, 50000), (item_kinds, 60000),
            (str_item, 50000), (zero_division, 100000), (enum_zero_division, 100000),
            (filter_raises, 1000000), (overflow, 50000), (rebinding, 30000),
            (tuples_and_lists, 50000), (zip_ints, 0), (enum_ints, 1), (zip_ints, 3),
            (comprehensions, 100000), (comprehension_raises, 100000),
            (comprehension_item_kinds, 50000), (comprehensions, 2),
            (consumed_and_shared, 50000)]


@pytest.mark.parametrize("fn,n", PROGRAMS, ids=["%s-%d" % (p[0].__name__, p[1]) for p in PROGRAMS])
def test_same_as_cpython(foldd, fn, n):
    mode, url, ex = foldd
    local = outcome(lambda: REFERENCE.get(fn, fn)(n))
    assert outcome(lambda: remote(ex, fn, n)) == local


def test_zip_enumerate_run_natively(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        xs = [i % 1013 - 500 for i in range(300000)]
        ys = tuple((i % 13) * 1.5 for i in range(300000))
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        s = sum(x * y for x, y in zip(xs, ys))
        e = sum(i * v for i, v in enumerate(xs, 7))
        m = max(v for i, v in enumerate(xs) if i % 2)
        d = [x - y for x, y in zip(xs, ys)]
    after = _stats(url)["jit"]
    xs_l = [i % 1013 - 500 for i in range(300000)]
    ys_l = tuple((i % 13) * 1.5 for i in range(300000))
    assert s == math.fsum(x * y for x, y in zip(xs_l, ys_l))
    assert e == sum(i * v for i, v in enumerate(xs_l, 7))
    assert m == max(v for i, v in enumerate(xs_l) if i % 2)
    assert d == [x - y for x, y in zip(xs_l, ys_l)]
    if mode != "off":
        assert after["native_calls"] - before["native_calls"] >= 900000


def test_zip_exception_line(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        ws = [i - 123457 for i in range(300000)]
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = sum(1000 // w + v for w, v in zip(ws, ws))  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    line = test_zip_exception_line.__code__.co_firstlineno + 6
    assert ("<genexpr>", line) in tb, tb


def test_enumerate_exception_line(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        ws = [i % 5 for i in range(300000)]
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = sum(v // (i - 200001) for i, v in enumerate(ws))  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    line = test_enumerate_exception_line.__code__.co_firstlineno + 6
    assert ("<genexpr>", line) in tb, tb


# ---------------------------------------------------------------- the suite's own daemon

SHARED = [(zip_ints, 400000), (enum_ints, 400000), (comprehensions, 300000),
          (zero_division, 400000), (consumed_and_shared, 200000)]


@pytest.mark.parametrize("fn,n", SHARED, ids=[p[0].__name__ for p in SHARED])
def test_suite_daemon_same_as_cpython(executor, fn, n):
    # the session's daemon: under ctest's pytest_e2e_cluster a worker has joined it, so the
    # parts of these folds also run on another machine (per element there, or natively)
    local = outcome(lambda: REFERENCE.get(fn, fn)(n))
    assert outcome(lambda: remote(executor, fn, n)) == local
