"""Wider fused folds (docs/jit.md, "Fused folds: wider elements"): generator expressions and
list comprehensions whose element E reads the code around it — free variables of the
enclosing function (ints, floats, bools, tuples and lists of numbers) and a with-block's
globals holding tuples or lists — run as native loops, the values read once per chunk.
Every answer is compared with CPython's, in --jit=always, auto and off: item kinds that
deoptimise mid-fold, exceptions raised in E with the generator's line, empty ranges,
negative steps, values that are not native (a string, a function) and rebinding between
folds."""
import math

import pytest

from test_jit import _stats, foldd, outcome, remote  # noqa: F401 (foldd: the fixture)


# ---------------------------------------------------------------- closures over locals

def dot_products(n):
    xs = [i % 97 - 40 for i in range(n)]
    ys = [i % 13 for i in range(n)]
    fx = [(i % 89) * 0.25 for i in range(n)]
    ty = tuple(i % 7 - 3 for i in range(n))
    k = 3
    h = 0.5
    return (sum(xs[i] * ys[i] * k for i in range(len(xs))),
            sum(fx[i] * ys[i] for i in range(n)),
            sum(xs[i] * ty[i] for i in range(n - 1, -1, -1)),
            sum(fx[i] * h + k for i in range(0, n, 3)),
            sum(xs[i] for i in range(0)),
            sum(ty[-i] * k for i in range(1, n, 7)))


def dot_products_ref(n):
    xs = [i % 97 - 40 for i in range(n)]
    ys = [i % 13 for i in range(n)]
    fx = [(i % 89) * 0.25 for i in range(n)]
    ty = tuple(i % 7 - 3 for i in range(n))
    k = 3
    h = 0.5
    return (sum(xs[i] * ys[i] * k for i in range(len(xs))),
            math.fsum(fx[i] * ys[i] for i in range(n)),
            sum(xs[i] * ty[i] for i in range(n - 1, -1, -1)),
            math.fsum(fx[i] * h + k for i in range(0, n, 3)),
            sum(xs[i] for i in range(0)),
            sum(ty[-i] * k for i in range(1, n, 7)))


def closure_minmax_anyall(n):
    xs = [(i * 7919) % 10007 for i in range(n)]
    lim = 10000
    flag = True
    it = iter(range(n))
    a = any(xs[i] > lim for i in it)
    after = next(it)
    return (min(xs[i] - lim for i in range(n)), max(xs[i] * 2 for i in range(n - 1, -1, -1)),
            a, after, all(xs[i] >= 0 and flag for i in range(n)),
            any(xs[i] == lim + 6 for i in range(n)), min(xs[i] % 3 == 0 for i in range(n)))


def closure_comprehensions(n):
    xs = [i % 11 for i in range(n)]
    fs = tuple(i * 0.5 for i in range(n))
    k = 7
    b = False
    return ([xs[i] * k - 1 for i in range(n)], [fs[i] + k for i in range(n - 1, 0, -2)],
            [xs[i] > 5 or b for i in range(n)], [xs[i] for i in range(5, 5)])


def item_kinds(n):
    # an item of another kind (a float among ints, a bool, a big int, a str) deoptimises:
    # the rest of the part runs in the interpreter, exactly
    a = [2.5 if i == n // 2 else i for i in range(n)]
    b = [7 if i == n // 3 else i * 1.5 for i in range(n)]
    c = [10 ** 30 if i == n - 5 else i for i in range(n)]
    d = [True if i == n // 4 else i for i in range(n)]
    e = ["x" if i == 100 else i for i in range(n)]
    return (sum(a[i] * 2 for i in range(n)), sum(b[i] for i in range(n)),
            sum(c[i] * 3 for i in range(n)), max(c[i] for i in range(n)),
            sum(d[i] for i in range(n)), [c[i] + 1 for i in range(n - 10, n)],
            sum(e[i] * 2 for i in range(100)))


def str_item(n):
    e = ["x" if i == n // 2 else i for i in range(n)]
    return sum(e[i] * 2 for i in range(n))


def index_error(n):
    xs = [i for i in range(n)]
    return sum(xs[i + 1] - xs[i] for i in range(n))


def zero_division(n):
    xs = [i - 123457 for i in range(n)]
    k = 1000
    return sum(k // xs[i] for i in range(n))


def not_native_values(n):
    # a string, a function, None and a dict in the block: E runs in the interpreter
    s = "ab"
    f = abs
    d = {0: 1}
    z = None
    return (sum(len(s) * i for i in range(n)), sum(f(i - 50) for i in range(n)),
            sum(d.get(i, 2) for i in range(n)), [z is None for i in range(3)])


def rebinding(n):
    k = 2
    a = sum(i * k for i in range(n))
    k = 2.5
    b = sum(i * k for i in range(n))
    k = True
    c = sum(i * k for i in range(n))
    xs = [1, 2, 3]
    d = sum(xs[i % 3] for i in range(n))
    xs = [0.5, 1.5]
    e = sum(xs[i % 2] for i in range(n))
    return a, b, c, d, e


def many_values(n):
    a, b, c, d, e, f, g = 1, 2, 3, 4, 5, 6, 7
    return sum(i * a + b - c * d + e + f + g for i in range(n))


def six_values(n):
    a, b, c, d, e, f = 1, 2.0, 3, [4, 5], (6.5,), True
    return sum(i * a + b - c + d[i % 2] * e[0] + f for i in range(n))


# ---------------------------------------------------------------- filters

def sq(x):
    return x * x


def is_one_mod3(x):
    return x % 3 == 1


def big_when(x):
    # overflows int64 (deopt) on a few elements: the filter keeps them
    return x * 3037000500 * 3037000500 if x % 9973 == 17 else x


def filtered(n):
    xs = [i % 97 for i in range(n)]
    k = 4
    it = iter(range(n))
    a = any(x > n - 10 for x in it if x % 2)
    after = next(it, None)
    it2 = iter(range(n))
    b = all(x < 77777 for x in it2 if x % 3 == 0)
    after2 = next(it2, None)
    return (sum(x * x for x in range(n) if x % 3), [x * 2 for x in range(n) if x % 5 == 0],
            min(xs[x] - x for x in range(n) if xs[x] > 50), max(x * k for x in range(n) if x % 7 == 1),
            sum(sq(x) for x in range(n) if is_one_mod3(x)), a, after, b, after2,
            min(x % 11 for x in range(n) if x % 11 > 3), sum(x for x in range(n) if x < 0),
            max(x % 2 == 0 for x in range(n, 0, -3) if x % 4 == 1),
            [xs[x] for x in range(n - 1, -1, -7) if xs[x] > k and x % 2],
            sum(x for x in range(-n, n) if not x % 13 and x > -500),
            sum(big_when(x) for x in range(n) if x % 2))


def filtered_floats(n):
    return (sum(x * 0.25 for x in range(n, 0, -1) if x % 3 == 0 and x % 2),
            [x / 4 for x in range(n) if x % 1000 == 999], max(x * 0.5 for x in range(n) if x % 7 == 1))


def filtered_floats_ref(n):
    return (math.fsum(x * 0.25 for x in range(n, 0, -1) if x % 3 == 0 and x % 2),
            [x / 4 for x in range(n) if x % 1000 == 999], max(x * 0.5 for x in range(n) if x % 7 == 1))


def filter_overflows(n):
    # the filter itself overflows int64 on late elements: those run in the interpreter
    return (sum(x for x in range(n) if x ** 4 % 7 == 1), [x for x in range(n) if x ** 4 % 1001 == 1])


def filter_empty_min(n):
    return min(x for x in range(n) if x < 0)


def filter_raises(n):
    return sum(x for x in range(n) if 1000 // (x - 123457) > -5)


def filter_element_raises(n):
    return [1000 // (x - 123457) for x in range(n) if x % 2]


# ---------------------------------------------------------------- sequence bases

def half(x):
    return x * 0.5


def seq_bases(n):
    xs = [i % 1013 - 500 for i in range(n)]
    tx = tuple(xs)
    k = 3
    it = iter(xs)
    next(it)
    a = any(v > 510 for v in it)
    it2 = iter(tx)
    b = all(v < 400 for v in it2)
    after2 = next(it2)
    return (sum(v * v * k for v in xs), sum(v for v in tx if v % 2), min(v * 7 for v in xs),
            max(v % 97 for v in tx), a, b, after2, [v - 1 for v in xs if v > 490],
            [v * k for v in tx], sum(sq(v) for v in xs), min(sq(v) for v in tx),
            sum(v ** 3 for v in xs), sum(v for v in []), any(v > 0 for v in (-1, -2)))


def seq_float_bases(n):
    fs = [(i % 1013) * 0.125 for i in range(n)]
    return (sum(v * 2 for v in fs), [v + 0.5 for v in fs], sum(half(v) for v in fs),
            any(v > 126.5 for v in fs), sum(v for v in fs if v > 100))


def seq_float_bases_ref(n):
    fs = [(i % 1013) * 0.125 for i in range(n)]
    return (math.fsum(v * 2 for v in fs), [v + 0.5 for v in fs], math.fsum(half(v) for v in fs),
            any(v > 126.5 for v in fs), math.fsum(v for v in fs if v > 100))


def seq_mixed_items(n):
    # items of other kinds mid-list: those elements run in the interpreter, exactly
    a = [2.5 if i == n // 2 else i for i in range(n)]
    b = [10 ** 25 if i == n // 3 else i for i in range(n)]
    c = [True if i == 7 else i for i in range(n)]
    d = [(1, 2) if i == n - 3 else i for i in range(n)]
    return (sum(v * 2 for v in a), max(v for v in b if v % 2 == 0) if False else max(v + 1 for v in b),
            sum(v * v for v in b), [v * 2 for v in c][:10], sum(sq(v) for v in a),
            len([v for v in d if v != 5]))


def seq_item_raises(n):
    xs = [i - 12345 for i in range(n)]
    return sum(1000 // v for v in xs)


# ---------------------------------------------------------------- set comprehensions

def set_comps(n):
    xs = [i % 1013 for i in range(n)]
    k = 7
    return ({x % 1009 for x in range(n)}, {x * 0.5 for x in range(n, 0, -3) if x % 4},
            {v * k % 101 for v in xs}, {x % 3 == 0 for x in range(n)}, {None for x in range(n)},
            {x ** 5 % 1000003 for x in range(n)}, {x for x in range(0)},
            sorted({x % 17 - 8 for x in range(n)}), list({x % 5 for x in range(n)}),
            {(x % 3, x % 2) for x in range(n)}, {x: x % 7 for x in range(100)})


def dict_comps(n):
    xs = [i % 1013 for i in range(n)]
    k = 7
    return ({x: x * x for x in range(n)} == {x: x * x for x in range(n)},
            {x % 1009: x for x in range(n, 0, -3)}, {v * k % 101: v * 0.5 for v in xs if v % 3},
            {x % 7: x % 2 == 0 for x in range(n)}, {x ** 5 % 1000003: x ** 4 for x in range(n)},
            {x: None for x in range(0)}, list({x % 17 - 8: x for x in range(n)}.items()),
            {x * 0.25: x for x in range(-n, n, 7)}, {x % 3: (x, x) for x in range(n)})


def dict_value_error(n):
    return len({x: 1000 // (x - 123457) for x in range(n)})


def dict_key_error(n):
    return len({1000 // (x - 77777): x // (x - 123457) for x in range(n)})


# ---------------------------------------------------------------- nested loops

def nested(n):
    m = 37
    xs = [i % 101 - 50 for i in range(200)]
    return (sum(x * y for x in range(n) for y in range(m)),
            sum(x * y + 1 for x in range(n, -n, -3) for y in range(x % 7)),
            sum(x ^ y for x in range(n) if x % 3 for y in range(-5, 5, 2) if y != -1),
            sum(v * x for x in range(n) for v in xs),
            sum(x ** 3 * y for x in range(n) for y in range(4)),          # outgrows int64
            sum(x * y * 0.5 for x in range(300) for y in range(3)),       # floats: per element
            min(x - y for x in range(n) for y in range(3)), sum(1 for x in range(0) for y in x),
            sum(x * y for x in range(n) for y in range(0)))


def nested_raises(n):
    return sum(1000 // (x * 10 + y - 123457) for x in range(n) for y in range(10))


def set_comp_error(n):
    return len({1000 // (x - 123457) for x in range(n)})


REFERENCE = {dot_products: dot_products_ref, filtered_floats: filtered_floats_ref,
             seq_float_bases: seq_float_bases_ref}

PROGRAMS = [(dot_products, 100003), (closure_minmax_anyall, 100000),
            (closure_comprehensions, 50000), (item_kinds, 60000), (str_item, 50000),
            (index_error, 100000), (zero_division, 1000000), (not_native_values, 30000),
            (rebinding, 50000), (many_values, 50000), (six_values, 50000), (filtered, 100000),
            (filtered_floats, 100001), (filter_overflows, 100000), (filter_empty_min, 50000),
            (filter_raises, 1000000), (filter_element_raises, 1000000), (seq_bases, 100000),
            (seq_float_bases, 100000), (seq_mixed_items, 50000), (seq_item_raises, 100000),
            (set_comps, 100000), (set_comp_error, 1000000), (dict_comps, 100000),
            (dict_value_error, 1000000), (dict_key_error, 1000000), (nested, 30000),
            (nested_raises, 100000)]


@pytest.mark.parametrize("fn,n", PROGRAMS, ids=[p[0].__name__ for p in PROGRAMS])
def test_same_as_cpython(foldd, fn, n):
    mode, url, ex = foldd
    local = outcome(lambda: REFERENCE.get(fn, fn)(n))
    assert outcome(lambda: remote(ex, fn, n)) == local


# ---------------------------------------------------------------- with-blocks: globals

def test_block_dot_product_runs_natively(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        xs = [i % 97 for i in range(300000)]
        ys = tuple((i % 13) * 1.5 for i in range(300000))
        k = 3
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        s = sum(xs[i] * ys[i] * k for i in range(len(xs)))
        m = max(xs[i] - ys[i] for i in range(0, len(xs), 5))
        lst = [xs[i] * k for i in range(len(xs) - 1, 0, -3)]
    after = _stats(url)["jit"]
    xs_l = [i % 97 for i in range(300000)]
    ys_l = tuple((i % 13) * 1.5 for i in range(300000))
    assert s == math.fsum(xs_l[i] * ys_l[i] * 3 for i in range(300000))
    assert m == max(xs_l[i] - ys_l[i] for i in range(0, 300000, 5))
    assert lst == [xs_l[i] * 3 for i in range(299999, 0, -3)]
    if mode != "off":
        assert after["native_calls"] - before["native_calls"] >= 300000 + 100000


def test_block_globals_of_other_kinds(foldd):
    # the same element code over globals of other kinds in turn: a kernel per kind, a deopt
    # (a big int), or the interpreter (a str) — never a wrong answer
    mode, url, ex = foldd
    cases = (([1, 2], 3, 1), ((1.5, 2.5), 2, 0.5), ([1, 2], True, 7), ([10 ** 20, 1], 3, 1),
             ((4, 5), 2.5, 0), ("ab", 3, "x"), ([], 1, 1))
    for a, b, c in cases:
        def here():
            with ex.remotely.downloadAll():
                r = sum(a[i % 2] * b + c for i in range(20000 if len(a) else 0))
            return r
        ref = outcome(lambda: sum(a[i % 2] * b + c for i in range(20000 if len(a) else 0)))
        got = outcome(here)
        assert got == ref, (a, b, c)


def test_block_exception_line(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        ws = [i - 123457 for i in range(300000)]
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = sum(1000 // ws[i] for i in range(300000))  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    line = test_block_exception_line.__code__.co_firstlineno + 6
    assert ("<genexpr>", line) in tb, tb


def test_closure_dot_product_runs_natively(foldd):
    mode, url, ex = foldd
    before = _stats(url)["jit"]
    assert remote(ex, dot_products, 200000) == dot_products_ref(200000)
    after = _stats(url)["jit"]
    if mode != "off":  # (its kernels may be there already: compiled code is cached)
        assert after["fold_kernels"] >= 4
        assert after["native_calls"] - before["native_calls"] >= 200000 * 3


def test_filter_runs_natively(foldd):
    mode, url, ex = foldd
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        s = sum(x * x for x in range(-300000, 300000, 3) if x % 7 < 3)
        lst = [x - 1 for x in range(300000) if x % 10 == 3]
    assert s == sum(x * x for x in range(-300000, 300000, 3) if x % 7 < 3)
    assert lst == [x - 1 for x in range(300000) if x % 10 == 3]
    after = _stats(url)["jit"]
    if mode != "off":
        assert after["native_calls"] - before["native_calls"] >= 200000 + 300000


def test_filter_exception_line(foldd):
    mode, url, ex = foldd
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = sum(x for x in range(1000000) if 1000 // (x - 123457))  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    line = test_filter_exception_line.__code__.co_firstlineno + 4
    assert ("<genexpr>", line) in tb, tb


def test_seq_base_runs_natively(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        xs = [i % 1013 - 500 for i in range(300000)]
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        s = sum(v * v - 3 for v in xs)
        lst = [v * 2 for v in xs if v > 0]
    after = _stats(url)["jit"]
    xs_l = [i % 1013 - 500 for i in range(300000)]
    assert s == sum(v * v - 3 for v in xs_l)
    assert lst == [v * 2 for v in xs_l if v > 0]
    if mode != "off":
        assert after["native_calls"] - before["native_calls"] >= 600000


def test_seq_base_exception_line(foldd):
    mode, url, ex = foldd
    with ex.remotely.downloadAll():
        ws = [i - 123457 for i in range(300000)]
    with pytest.raises(ZeroDivisionError) as info:
        with ex.remotely.downloadAll():
            r = sum(1000 // w for w in ws)  # noqa: F841
    tb = [(f.name, f.lineno + 1) for f in info.traceback]  # pytest's line numbers: from 0
    line = test_seq_base_exception_line.__code__.co_firstlineno + 6
    assert ("<genexpr>", line) in tb, tb


def test_set_comprehension_runs_natively(foldd):
    mode, url, ex = foldd
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        r = {x * x % 10007 for x in range(-200000, 200000, 2)}
    assert r == {x * x % 10007 for x in range(-200000, 200000, 2)}
    after = _stats(url)["jit"]
    if mode != "off":
        assert after["native_calls"] - before["native_calls"] >= 200000


def test_dict_comprehension_runs_natively(foldd):
    mode, url, ex = foldd
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        r = {x % 10007: x * 0.5 for x in range(-200000, 200000, 2)}
    assert r == {x % 10007: x * 0.5 for x in range(-200000, 200000, 2)}
    after = _stats(url)["jit"]
    if mode != "off":
        assert after["native_calls"] - before["native_calls"] >= 400000


def test_nested_runs_natively(foldd):
    mode, url, ex = foldd
    before = _stats(url)["jit"]
    with ex.remotely.downloadAll():
        r = sum(x * y - 3 for x in range(-20000, 20000) for y in range(50))
    assert r == sum(x * y - 3 for x in range(-20000, 20000) for y in range(50))
    after = _stats(url)["jit"]
    if mode != "off":
        assert after["native_calls"] - before["native_calls"] >= 40000


def digits(n):
    # str() in E: the element does not compile; --jit=always lists it with the reason
    return sum(len(str(x)) for x in range(n)), [str(x) for x in range(n)][-1]


def test_always_reports_elements_that_do_not_compile(foldd):
    mode, url, ex = foldd
    assert remote(ex, digits, 20000) == digits(20000)
    if mode != "always":
        return
    listed = [e for e in _stats(url)["jit"]["not_compilable"]
              if e["function"] == "digits.<locals>.<genexpr>" and e["signature"] == "(int)"]
    assert len(listed) == 1, _stats(url)["jit"]["not_compilable"]
    assert "global" in listed[0]["reason"] and listed[0]["calls"] >= 1, listed
