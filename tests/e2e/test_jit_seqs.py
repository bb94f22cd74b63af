"""Tuples and lists of ints or of floats as native arguments (docs/jit.md): len(seq),
seq[i] (negative indices; out of range deoptimises and the interpreter raises IndexError),
`for v in seq`, on daemons of their own with --jit=always, auto and off; results compared
with CPython, deoptimisation on an item of another kind."""
import pytest

from test_jit import _jit_stats, jitd  # noqa: F401 (jitd: the fixture, shared)


def dot(xs, ys):
    s = 0.0
    for i in range(len(xs)):
        s = s + xs[i] * ys[i]
    return s


def total(t):
    s = 0
    for v in t:
        s = s + v
    return s


def ends(xs):
    return xs[-1] * 1000 + xs[-len(xs)]


def backwards(xs):
    s = 0
    k = 1
    for i in range(len(xs) - 1, -1, -1):
        s = s + xs[i] * k
        k = k + 1
    return s


def item(xs, i):
    return xs[i]


def mean_or_zero(xs):
    if xs:
        return total(xs) / len(xs)
    return 0.0


def total_of(xs):
    return total(xs)


def test_results_match_cpython(jitd):
    mode, url, ex = jitd
    fl = [i * 0.5 - 7.25 for i in range(3000)]   # a list of several leaf chunks
    gl = [1.0 / (i + 1) for i in range(3000)]
    il = list(range(-1000, 2000))
    cat = il[:37] + il[5:] + il[:1001] + [9, 8]
    it = tuple(il)
    with ex.remotely.downloadAll():
        d1 = dot(fl, gl)
        d2 = dot(tuple(fl), tuple(gl))
        d3 = dot([], [])
        t1 = total(il)
        t2 = total(it)
        t3 = total(())
        t4 = total(fl)
        t5 = [total([x, x + 1, x + 2]) for x in range(200)]
        e1 = ends(il)
        e2 = ends((3, 4, 5))
        b1 = backwards(il)
        b2 = backwards(it)
        i1 = [item(il, k) for k in range(-3000, 3000, 7)]
        m1 = mean_or_zero([])
        m2 = mean_or_zero([1, 2, 3, 4])
        cat = il[:37] + il[5:] + il[:1001] + [9, 8]   # leaves of other sizes, built remotely
        c1 = (total(cat), backwards(cat), [item(cat, k) for k in range(-len(cat), len(cat), 13)])
    assert c1 == (total(cat), backwards(cat), [item(cat, k) for k in range(-len(cat), len(cat), 13)])
    assert d1 == dot(fl, gl) and d2 == d1 and d3 == 0.0
    assert (t1, t2, t3, t4) == (total(il), total(it), 0, total(fl))
    assert t5 == [total([x, x + 1, x + 2]) for x in range(200)]
    assert e1 == ends(il) and e2 == ends((3, 4, 5))
    assert b1 == backwards(il) and b2 == b1
    assert i1 == [item(il, k) for k in range(-3000, 3000, 7)]
    assert m1 == 0.0 and m2 == 2.5
    st = _jit_stats(url)
    if mode == "off":
        assert st["compiles"] == 0 and st["native_calls"] == 0
    if mode == "always":
        assert st["native_calls"] >= 200
        names = {e["function"].split(".")[-1] for e in st["not_compilable"]}
        assert not names & {"dot", "total", "ends", "backwards", "item", "mean_or_zero"}, \
            st["not_compilable"]


def test_items_of_another_kind_deoptimise(jitd):
    mode, url, ex = jitd
    mixed = [1, 2, 3.5, 4]           # typed by its first item: ints; 3.5 deoptimises
    big = [2 ** 62, 2 ** 62, 2 ** 62]  # int64 overflow in the sum
    huge = [1, 2 ** 70, 3]           # an item beyond int64
    bools = (True, False, True)
    floats_then_int = (1.5, 2.5, 3)
    with ex.remotely.downloadAll():
        r = (total(mixed), total(big), total(huge), total(bools), total(floats_then_int),
             dot([1.5, 2.0], [2, 3]), total_of([5, 6, 7]))
    assert r == (total(mixed), total(big), total(huge), total(bools), total(floats_then_int),
                 dot([1.5, 2.0], [2, 3]), 18)
    if mode == "always":
        assert _jit_stats(url)["deopts"] >= 3


def test_index_out_of_range_raises_from_the_interpreter(jitd):
    mode, url, ex = jitd
    with ex.remotely.downloadAll():
        ok = item([7, 8, 9], -3)
    assert ok == 7
    for bad in (3, -4, 2 ** 40):
        with pytest.raises(IndexError) as info:
            with ex.remotely.downloadAll():
                r = item([7, 8, 9], bad)  # noqa: F841
        tb = [(f.name, f.lineno) for f in info.traceback]
        assert ("item", item.__code__.co_firstlineno) in tb  # 0-based: its return line
