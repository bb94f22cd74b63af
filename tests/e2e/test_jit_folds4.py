"""Wider native folds (docs/jit.md, "Fused folds: map, zip of three, nested min/max"):
sum/min/max/any/all of map(F, xs) and map(F, range(...)) (F a plain function or a lambda),
map(F, xs, ys, ...) (F called natively per element), min/max over nested loops, and
(E for a, b, c in zip(xs, ys, zs)) under the same folds and in list comprehensions, run as
native loops. Every answer is compared with CPython's, in --jit=always, auto and off: ints,
floats, empty bases, filters, an item of another kind mid-way, F raising (with its line), F
not native, unequal lengths (Python stops at the shortest), early exits of any/all (the
iterator left just past the deciding element)."""
import math

import pytest

from test_jit import _stats, foldd, outcome, remote  # noqa: F401 (foldd: the fixture)


# ---------------------------------------------------------------- map(F, xs)

def sq(x):
    return x * x


def cube(x):
    return x * x * x


def half(x):
    return x * 0.5


def is_big(x):
    return x > 99990


def mod7(x):
    return x % 7


def text(x):
    return "a" * (x % 3)


def two(a, b):
    return a * b


def inv(x):
    return 1000 // (x - 123457)


def map_ints(n):
    xs = [i % 1013 - 500 for i in range(n)]
    tx = tuple(xs)
    it = map(is_big, range(n))
    a = any(it)
    after = next(it, None)
    it2 = map(mod7, xs)
    b = all(it2)
    after2 = next(it2, None)
    return (sum(map(sq, xs)), sum(map(sq, range(n))), sum(map(cube, range(-n, n, 3))),
            sum(map(lambda v: v * 3 - 1, tx)), min(map(mod7, range(1, n))), max(map(sq, tx)),
            min(map(lambda v: v * v - v, xs)), a, after, b, after2,
            sum(map(sq, [])), sum(map(sq, range(0))), list(map(sq, range(5))),
            sum(map(sq, range(n, 0, -7)), 10 ** 20), max(map(is_big, range(n))))


def map_floats(n):
    fs = [(i % 1013) * 0.125 for i in range(n)]
    return (sum(map(half, range(n))), sum(map(sq, fs)), sum(map(lambda v: v + 0.5, fs)),
            any(map(lambda v: v > 126.5, fs)), all(map(half, range(1, n))))


def map_floats_ref(n):
    fs = [(i % 1013) * 0.125 for i in range(n)]
    return (math.fsum(map(half, range(n))), math.fsum(map(sq, fs)),
            math.fsum(map(lambda v: v + 0.5, fs)), any(map(lambda v: v > 126.5, fs)),
            all(map(half, range(1, n))))


def map_overflow(n):
    # sq overflows int64 on the big elements: those run in the interpreter, exactly
    return sum(map(sq, range(n, n * 3037000, 3037))), sum(map(cube, range(n * 1000, n * 1001)))


def map_item_kinds(n):
    a = [2.5 if i == n // 2 else i for i in range(n)]
    b = [10 ** 25 if i == n // 3 else i for i in range(n)]
    c = [True if i == 7 else i for i in range(n)]
    d = [(1, 2) if i == n - 3 else i for i in range(n)]
    return (sum(map(sq, a)), max(map(sq, b)), sum(map(cube, b)), sum(map(sq, c)),
            len(list(map(sq, d))), min(map(lambda v: -v, a)))


def map_str_item(n):
    e = ["x" if i == n // 2 else i for i in range(n)]
    return sum(map(sq, e))


def map_not_native(n):
    # F returning a str, a builtin F, F over a str, F of another arity, F a generator function
    return (sum(map(len, map(text, range(n)))), sum(map(abs, range(-n, n))),
            "".join(map(text, range(10))), list(map(sq, "")), sum(map(sq, range(3), range(4))))


def map_text_sum(n):
    return sum(map(text, range(n)))


def map_arity(n):
    return sum(map(two, range(n)))


def map_raises(n):
    return sum(map(inv, range(n)))


def map_raises_seq(n):
    xs = list(range(n))
    return max(map(lambda v: 1000 // (v - 123457), xs))


def map_rebinding(n):
    f = sq
    a = sum(map(f, range(n)))
    f = half
    b = sum(map(f, range(n)))
    f = lambda v: v % 5  # noqa: E731
    c = max(map(f, range(n)))
    return a, b, c


# ---------------------------------------------------------------- zip of three

def zip3_ints(n):
    xs = [i % 97 - 40 for i in range(n)]
    ys = tuple(i % 13 for i in range(n + 17))
    zs = [i % 5 - 2 for i in range(n // 2)]
    k = 3
    it = zip(xs, ys, xs)
    a = any(x * y * z == 1521 for x, y, z in it)
    after = next(it, None)
    return (min(a * b + c for a, b, c in zip(xs, ys, zs)),
            sum(a * b * c for a, b, c in zip(xs, ys, xs)),
            max(a - b * k + c for a, b, c in zip(ys, xs, zs)),
            sum(a + b + c for a, b, c in zip(xs, ys, []) ),
            all(a + b + c > -100 for a, b, c in zip(xs, ys, zs)), a, after,
            sum(a * c for a, b, c in zip(xs, ys, xs) if b % 3 == 1),
            [a * b - c for a, b, c in zip(xs, zs, ys)][-5:],
            len([a for a, b, c in zip(xs, ys, zs) if a > b + c]),
            {a % 7: b + c for a, b, c in zip(xs, ys, zs)},
            {a * b % 11 for a, b, c in zip(xs, ys, zs) if c})


def zip3_floats(n):
    fx = [(i % 89) * 0.25 for i in range(n)]
    fy = tuple((i % 7) * 1.5 - 3 for i in range(n))
    xs = [i % 11 for i in range(n - 5)]
    return (sum(a * b + c for a, b, c in zip(fx, fy, xs)),
            min(a - b for a, b, c in zip(xs, fy, fx)),
            any(a > b + c + 20 for a, b, c in zip(fx, fy, xs)),
            [a * b * c for a, b, c in zip(fx, fy, fx)][:7])


def zip3_floats_ref(n):
    fx = [(i % 89) * 0.25 for i in range(n)]
    fy = tuple((i % 7) * 1.5 - 3 for i in range(n))
    xs = [i % 11 for i in range(n - 5)]
    return (math.fsum(a * b + c for a, b, c in zip(fx, fy, xs)),
            min(a - b for a, b, c in zip(xs, fy, fx)),
            any(a > b + c + 20 for a, b, c in zip(fx, fy, xs)),
            [a * b * c for a, b, c in zip(fx, fy, fx)][:7])


def zip3_item_kinds(n):
    a = [2.5 if i == n // 2 else i for i in range(n)]
    b = [10 ** 25 if i == n // 3 else i for i in range(n)]
    c = [True if i == 7 else i for i in range(n)]
    d = ["x" if i == n - 3 else i for i in range(n)]
    return (sum(x * y + z for x, y, z in zip(c, b, c)), sum(x * y + z for x, y, z in zip(c, a, c)),
            max(x + y - z for x, y, z in zip(c, a, b)), min(x * y * z for x, y, z in zip(c, c, a)),
            [x + y + z for x, y, z in zip(a, b, c)][-3:],
            len([x for x, y, z in zip(d, a, c) if x != 5]))


def zip3_str_item(n):
    d = ["x" if i == n - 3 else i for i in range(n)]
    return sum(x + y + z for x, y, z in zip(d, d, d))


def zip3_raises(n):
    xs = [i - 123457 for i in range(n)]
    return sum(y + 1000 // x - z for x, y, z in zip(xs, xs, xs))


def zip3_shapes(n):
    # not native, still exact: a zip of four, a range among the bases, targets alike
    xs = list(range(n))
    return (sum(a + b + c + d for a, b, c, d in zip(xs, xs, xs, xs)),
            sum(a * b + c for a, b, c in zip(xs, range(n), xs)),
            sum(a * b for a, a, b in zip(xs, xs, xs)),  # noqa: B007
            sum(v[0] + v[2] for v in zip(xs, xs, xs)))


# ---------------------------------------------------------------- map(F, xs, ys)

def add3(a, b, c):
    return a + b * c


def div2(a, b):
    return a // (b - 123457)


def map2_ints(n):
    xs = [i % 97 - 40 for i in range(n)]
    ys = tuple(i % 13 for i in range(n + 17))
    zs = [i % 5 for i in range(n // 2)]
    i1, i2 = iter(xs), iter(zs)
    s1 = sum(map(two, i1, i2))
    rest1 = (next(i1, None), next(i2, None))   # the longer one gave one more
    j1, j2 = iter(zs), iter(xs)
    s2 = max(map(two, j1, j2))
    rest2 = (next(j1, None), next(j2, None))   # the shorter one ran out first
    k1, k2 = iter(xs), iter(ys)
    a = any(map(lambda u, v: u * v == 240, k1, k2))
    rest3 = (next(k1, None), next(k2, None))
    return (sum(map(two, xs, ys)), min(map(two, ys, xs)), s1, rest1, s2, rest2, a, rest3,
            sum(map(two, range(n), xs)), all(map(lambda u, v: u + v > -100, xs, ys)),
            sum(map(add3, xs, ys, zs)), sum(map(two, xs, [])), list(map(two, range(4), xs)))


def map2_floats(n):
    fx = [(i % 89) * 0.25 for i in range(n)]
    fy = tuple((i % 7) * 1.5 - 3 for i in range(n))
    return sum(map(two, fx, fy)), max(map(two, fy, fx)), sum(map(add3, fx, fy, range(n)))


def map2_floats_ref(n):
    fx = [(i % 89) * 0.25 for i in range(n)]
    fy = tuple((i % 7) * 1.5 - 3 for i in range(n))
    return (math.fsum(map(two, fx, fy)), max(map(two, fy, fx)),
            math.fsum(map(add3, fx, fy, range(n))))


def map2_item_kinds(n):
    a = [2.5 if i == n // 2 else i for i in range(n)]
    b = [10 ** 25 if i == n // 3 else i for i in range(n)]
    c = [True if i == 7 else i for i in range(n)]
    d = ["x" if i == n - 3 else i for i in range(n)]
    return (sum(map(two, c, b)), max(map(two, b, c)), len(list(map(two, d, c))),
            sum(map(two, a, c)) > 0)


def map2_str_item(n):
    d = ["x" if i == n - 3 else i for i in range(n)]
    return sum(map(two, d, d))


def map2_raises(n):
    return sum(map(div2, range(n), range(n)))


def map2_arity(n):
    return sum(map(sq, range(n), range(n)))


# ---------------------------------------------------------------- nested loops under min/max

def nested_minmax(n):
    xs = [(i * 7919) % 1009 - 500 for i in range(n)]
    k = 3
    return (max(i * j for i in range(n) for j in range(i)),
            min(xs[i] * xs[j] for i in range(n) if i % 3 for j in range(i + 1, n) if j % 2),
            max(i - j * k for i in range(n) for j in range(i % 4)),       # empty inner loops
            min(v * i for i in range(n, 0, -2) for v in xs[:7]),
            max(i + j for i in range(0) for j in range(3)) if False else 0,
            min(i ^ j for i in range(n) for j in range(-3, 3) if i + j > n - 5),
            max(i > j * 3 for i in range(n) for j in range(i % 5)),       # bools: per element
            max(i * 0.5 + j for i in range(n) for j in range(3)),         # floats: per element
            min(v * w for v in xs for w in xs[:5]))


def nested_overflow(n):
    # i ** 3 * j overflows int64 for the large i: those elements run in the interpreter
    return max(i ** 3 * j for i in range(n * 1000, n * 1000 + n) for j in range(3000000, 3000003)),\
        min(-(i ** 5) + j for i in range(n) for j in range(2))


def nested_empty(n):
    return max(i * j for i in range(n) for j in range(0))


def nested_raises(n):
    return min(1000 // (i * 10 + j - 123457) for i in range(n) for j in range(10))


def nested_kinds(n):
    xs = [2.5 if i == n // 2 else i for i in range(n)]
    ss = ["a" if i == 3 else i for i in range(10)]
    return (max(xs[i] * j for i in range(n) for j in range(3)),
            min(i * j for i in range(n) for j in ss[:3]) if n < 3 else 0)


def nested_str(n):
    ss = ["a" if i == 3 else i for i in range(10)]
    return max(i * j for i in range(n) for j in ss)


REFERENCE = {map_floats: map_floats_ref, zip3_floats: zip3_floats_ref, map2_floats: map2_floats_ref}

PROGRAMS = [(map_ints, 100000), (map_ints, 0), (map_ints, 3), (map_floats, 100001),
            (map_overflow, 3000), (map_item_kinds, 60000), (map_str_item, 50000),
            (map_not_native, 20000), (map_text_sum, 50000), (map_arity, 50000),
            (map_raises, 1000000), (map_raises_seq, 300000), (map_rebinding, 50000),
            (zip3_ints, 100003), (zip3_ints, 0), (zip3_ints, 3), (zip3_floats, 100001),
            (zip3_item_kinds, 60000), (zip3_str_item, 50000), (zip3_raises, 300000),
            (zip3_shapes, 30000), (map2_ints, 100003), (map2_ints, 0), (map2_ints, 3),
            (map2_floats, 100001), (map2_item_kinds, 60000), (map2_str_item, 50000),
            (map2_raises, 300000), (map2_arity, 1000), (nested_minmax, 600),
            (nested_minmax, 0), (nested_minmax, 2), (nested_overflow, 3000), (nested_empty, 5000),
            (nested_raises, 100000), (nested_kinds, 30000), (nested_str, 3000)]


@pytest.mark.parametrize("fn,n", PROGRAMS, ids=["%s-%d" % (p[0].__name__, p[1]) for p in PROGRAMS])
def test_same_as_cpython(foldd, fn, n):
    mode, url, ex = foldd
    local = outcome(lambda: REFERENCE.get(fn, fn)(n))
    assert outcome(lambda: remote(ex, fn, n)) == local


def test_map_runs_natively(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        xs = [i % 1013 - 500 for i in range(300000)]
        fs = tuple((i % 13) * 1.5 for i in range(300000))
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        s = sum(map(sq, xs))
        r = sum(map(cube, range(300000)))
        m = max(map(lambda v: v * 3, fs))
    after = _stats(url)["jit"]
    assert s == sum(map(sq, [i % 1013 - 500 for i in range(300000)]))
    assert r == sum(map(cube, range(300000)))
    assert m == max(map(lambda v: v * 3, tuple((i % 13) * 1.5 for i in range(300000))))
    if mode != "off":
        assert after["fold_kernels"] >= 2
        assert after["native_calls"] - before["native_calls"] >= 600000


def test_map2_calls_natively(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        xs = [i % 1013 - 500 for i in range(300000)]
        ys = tuple(i % 13 for i in range(300000))
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        s = sum(map(two, xs, ys))
    after = _stats(url)["jit"]
    assert s == sum(map(two, [i % 1013 - 500 for i in range(300000)],
                        tuple(i % 13 for i in range(300000))))
    if mode != "off":
        assert after["native_calls"] - before["native_calls"] >= 300000


def test_map2_exception_line(foldd):
    mode, url, ex = foldd
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = sum(map(div2, range(1000000), range(1000000)))  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    assert ("div2", div2.__code__.co_firstlineno + 1) in tb, tb


def test_nested_minmax_run_natively(foldd):
    mode, url, ex = foldd
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        a = max(i * j - i for i in range(3000) for j in range(i % 50))
        b = min(i * j for i in range(-1500, 1500) for j in range(-20, 20) if (i + j) % 3)
    after = _stats(url)["jit"]
    assert a == max(i * j - i for i in range(3000) for j in range(i % 50))
    assert b == min(i * j for i in range(-1500, 1500) for j in range(-20, 20) if (i + j) % 3)
    if mode != "off":
        assert after["native_calls"] - before["native_calls"] >= 6000


def test_nested_exception_line(foldd):
    mode, url, ex = foldd
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = max(1000 // (i * 10 + j - 12347) for i in range(3000) for j in range(10))  # noqa
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    line = test_nested_exception_line.__code__.co_firstlineno + 4
    assert ("<genexpr>", line) in tb, tb


def test_map_exception_line(foldd):
    mode, url, ex = foldd
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = sum(map(inv, range(1000000)))  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    assert ("inv", inv.__code__.co_firstlineno + 1) in tb, tb
    assert not [t for t in tb if t[0] == "<genexpr>"], tb


def test_zip3_runs_natively(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        xs = [i % 1013 - 500 for i in range(300000)]
        ys = tuple((i % 13) * 1.5 for i in range(300000))
        zs = [i % 7 for i in range(300000)]
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        s = sum(a * b + c for a, b, c in zip(xs, zs, xs))
        m = min(a * b + c for a, b, c in zip(xs, zs, xs))
        d = [a - b * c for a, b, c in zip(xs, ys, zs)]
    after = _stats(url)["jit"]
    xs_l = [i % 1013 - 500 for i in range(300000)]
    ys_l = tuple((i % 13) * 1.5 for i in range(300000))
    zs_l = [i % 7 for i in range(300000)]
    assert s == sum(a * b + c for a, b, c in zip(xs_l, zs_l, xs_l))
    assert m == min(a * b + c for a, b, c in zip(xs_l, zs_l, xs_l))
    assert d == [a - b * c for a, b, c in zip(xs_l, ys_l, zs_l)]
    if mode != "off":
        assert after["native_calls"] - before["native_calls"] >= 900000


def test_zip3_exception_line(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        ws = [i - 123457 for i in range(300000)]
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = sum(1000 // w + v - u for w, v, u in zip(ws, ws, ws))  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    line = test_zip3_exception_line.__code__.co_firstlineno + 6
    assert ("<genexpr>", line) in tb, tb


# ---------------------------------------------------------------- the suite's own daemon

SHARED = [(map_ints, 400000), (map_raises, 400000), (zip3_ints, 400000), (zip3_raises, 400000),
          (map2_ints, 400000), (map2_raises, 400000), (nested_minmax, 1500),
          (nested_raises, 100000)]


@pytest.mark.parametrize("fn,n", SHARED, ids=[p[0].__name__ for p in SHARED])
def test_suite_daemon_same_as_cpython(executor, fn, n):
    # the session's daemon: under ctest's pytest_e2e_cluster a worker has joined it, so the
    # parts of these folds also run on another machine
    local = outcome(lambda: REFERENCE.get(fn, fn)(n))
    assert outcome(lambda: remote(executor, fn, n)) == local
