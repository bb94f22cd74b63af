"""Modules: math, functools.reduce, operator, itertools (chain, islice, count, repeat,
product, accumulate), imported at module level and inside functions."""
import functools
import itertools
import math
import operator
from functools import reduce
from itertools import accumulate, chain, islice
from operator import itemgetter

from pure import fsum_reference


def prog_math_basics():
    return (math.sqrt(2), math.floor(-2.5), math.ceil(-2.5), math.trunc(2.7), math.fabs(-3),
            math.pi, math.e, math.tau, math.inf, math.isnan(math.nan), math.floor(10 ** 20 + 0.5),
            type(math.floor(2.5)).__name__, math.hypot(3, 4), math.copysign(2, -0.0))


def prog_math_transcendental():
    xs = [0.1, 0.5, 1.0, 2.0, 10.0]
    return ([math.exp(x) for x in xs], [math.log(x) for x in xs], [math.log10(x) for x in xs],
            [math.log2(x) for x in xs], math.log(8, 2), math.log(100, 10),
            [math.sin(x) for x in xs], [math.cos(x) for x in xs], [math.tan(x) for x in xs[:3]],
            math.atan2(1, -1), math.asin(0.5), math.acos(-1), math.atan(1))


def prog_math_integer_functions():
    return (math.factorial(30), math.gcd(2 ** 40, 6 ** 20), math.gcd(0, 5), math.comb(50, 25),
            math.perm(10, 3), math.isqrt(10 ** 30 + 12345), math.lcm(4, 6),
            [math.isqrt(n) for n in (0, 1, 15, 16, 17)], math.prod(range(1, 15)))


def prog_math_domain_errors():
    out = []
    for f, x in ((math.sqrt, -1.0), (math.log, 0.0), (math.log, -2.0), (math.acos, 2.0)):
        try:
            out = out + [f(x)]
        except ValueError as e:
            out = out + ["ValueError: " + str(e)]
    return out


@fsum_reference
def prog_math_fsum_isclose_and_sum():
    vals = [0.1] * 10 + [1e100, -1e100]
    return (math.fsum(vals), sum([0.1] * 10), math.isclose(0.1 + 0.2, 0.3),
            math.isclose(1.0, 1.1, rel_tol=0.2), math.isfinite(1e308), math.fsum([]),
            math.degrees(math.pi), math.radians(180), math.pow(2, 10), math.ldexp(0.5, 3),
            math.frexp(8.0), math.modf(-3.25), math.fmod(-7.0, 3.0), math.sqrt(16))


def prog_reduce_variants():
    nums = list(range(1, 11))
    return (reduce(lambda a, b: a * b, nums), reduce(operator.add, nums, 100),
            functools.reduce(lambda acc, w: acc + w[0], ["alpha", "beta"], ""),
            reduce(max, [3, 9, 2]), reduce(lambda a, b: a + [b * 2], nums, []),
            reduce(operator.add, [[1], [2], [3]]))


def prog_reduce_empty_raises():
    return reduce(operator.add, [])


def prog_operator_functions():
    return (operator.add(2, 3), operator.sub(2, 3), operator.mul("ab", 3),
            operator.truediv(7, 2), operator.floordiv(-7, 2), operator.mod(-7, 3),
            operator.pow(2, 100), operator.neg(5), operator.not_(0), operator.eq(1, 1.0),
            operator.lt("a", "b"), operator.contains([1, 2], 2), operator.getitem("abc", 1),
            operator.and_(6, 3), operator.or_(6, 3), operator.xor(6, 3), operator.abs(-4))


def prog_operator_itemgetter_attrgetter_sorting():
    rows = [("b", 2, 9.5), ("a", 3, 1.0), ("c", 1, 5.0)]
    by_second = sorted(rows, key=itemgetter(1))
    by_pair = sorted(rows, key=operator.itemgetter(2, 0))
    firsts = list(map(operator.itemgetter(0), rows))
    return by_second, by_pair, firsts, operator.itemgetter(1, 2)(rows[0])


def prog_operator_with_map_and_reduce():
    a = [1, 2, 3, 4]
    b = [10, 20, 30, 40]
    return (list(map(operator.mul, a, b)), reduce(operator.add, map(operator.mul, a, b)),
            sorted(zip(a, b), key=operator.itemgetter(1), reverse=True)[:2],
            list(map(operator.neg, a)), sum(map(operator.pow, a, [2, 2, 2, 2])))


def prog_itertools_chain_and_islice():
    merged = list(chain([1, 2], (3,), "ab", range(2)))
    flat = list(itertools.chain.from_iterable([[1, 2], [3], []]))
    head = list(islice(range(100), 5))
    mid = list(itertools.islice("abcdefghij", 2, 8, 3))
    return merged, flat, head, mid, list(islice(chain("xy", "z"), 10))


def prog_itertools_count_repeat_lazy():
    evens = list(islice(itertools.count(0, 2), 6))
    floats = list(islice(itertools.count(0.5, 0.25), 4))
    rep = list(itertools.repeat("ab", 3))
    pairs = list(zip(itertools.count(1), "xyz"))
    return evens, floats, rep, pairs, list(islice(itertools.repeat(7), 4)), \
        list(map(pow, range(5), itertools.repeat(2)))


def prog_itertools_product():
    p1 = list(itertools.product("ab", [1, 2, 3]))
    p2 = list(itertools.product([0, 1], repeat=3))
    p3 = [a * b for a, b in itertools.product(range(1, 4), range(1, 4)) if a <= b]
    return p1, p2, p3, len(list(itertools.product())), list(itertools.product("x", []))


@fsum_reference
def prog_itertools_accumulate():
    xs = [3, 1, 4, 1, 5, 9, 2, 6]
    return (list(accumulate(xs)), list(accumulate(xs, max)), list(accumulate(xs, operator.mul)),
            list(itertools.accumulate(xs, lambda a, b: a - b, initial=100)),
            list(accumulate([])), list(accumulate(["a", "b", "c"])),
            list(accumulate([0.1, 0.2, 0.3])))


def prog_import_inside_function():
    def hyp(a, b):
        import math
        return math.sqrt(a * a + b * b)

    def total(xs):
        from functools import reduce
        from operator import add
        return reduce(add, xs, 0)

    def firsts(n):
        import itertools as it
        return list(it.islice(it.count(10), n))
    return hyp(5, 12), total([1, 2, 3]), firsts(3)


def prog_import_as_aliases_inside_functions():
    def stats(xs):
        import math as m
        from itertools import accumulate as acc
        from operator import itemgetter as ig
        mean = sum(xs) / len(xs)
        var = sum((x - mean) ** 2 for x in xs) / len(xs)
        return mean, m.sqrt(var), list(acc(xs)), ig(0, -1)(xs)
    return stats([2, 4, 4, 4, 5, 5, 7, 9])


def prog_module_functions_as_values():
    ops = {"+": operator.add, "-": operator.sub, "*": operator.mul, "max": max}
    exprs = [("+", 2, 3), ("*", 4, 5), ("-", 1, 10), ("max", 7, 3)]
    roots = list(map(math.sqrt, [1, 4, 9.0]))
    return [ops[o](a, b) for o, a, b in exprs], roots, reduce(ops["*"], range(1, 6))


def prog_combined_pipeline_primes():
    def is_prime(n):
        return n > 1 and all(n % d for d in range(2, math.isqrt(n) + 1))
    primes = list(islice(filter(is_prime, itertools.count(2)), 15))
    gaps = [b - a for a, b in zip(primes, primes[1:])]
    return primes, gaps, reduce(operator.mul, primes[:6]), list(accumulate(gaps))


def prog_product_and_reduce_grid_paths():
    moves = list(itertools.product((0, 1), repeat=4))
    ends = {reduce(lambda p, m: (p[0] + m, p[1] + 1 - m), mv, (0, 0)) for mv in moves}
    return sorted(ends), len(moves), sum(1 for mv in moves if sum(mv) == 2)


def prog_functools_reduce_building_dict():
    words = "a bb a ccc bb a".split()
    counts = reduce(lambda d, w: {**d, w: d.get(w, 0) + 1}, words, {})
    longest = reduce(lambda a, b: a if len(a) >= len(b) else b, words)
    return counts, longest, sorted(counts.items(), key=operator.itemgetter(1), reverse=True)


def prog_math_on_big_ints_and_floats():
    big = 10 ** 50
    return (math.log10(big), math.log(big), math.sqrt(big), math.floor(1e30),
            math.ceil(-1e30), math.isqrt(big), math.gcd(big, 2 ** 100),
            math.factorial(25) // math.factorial(23), math.exp(-1000), math.inf > big)


def prog_math_overflow_error():
    try:
        return math.exp(1000)
    except OverflowError as e:
        return "OverflowError: " + str(e)


def prog_chain_of_generators_with_islice_windows():
    def windows(xs, n):
        return [list(islice(xs, i, i + n)) for i in range(len(xs) - n + 1)]
    data = list(chain(range(3), range(10, 13)))
    return windows(data, 3), [sum(w) for w in windows(data, 2)]


def prog_math_gcd_many_and_comb_errors():
    out = [math.gcd(12, 18, 24), math.gcd(), math.lcm(3, 4, 6), math.comb(5, 7), math.perm(5)]
    for f in (lambda: math.comb(-1, 2), lambda: math.factorial(-3), lambda: math.isqrt(-1)):
        try:
            out = out + [f()]
        except ValueError as e:
            out = out + ["ValueError: " + str(e)]
    return out


def prog_islice_count_variants():
    return (list(islice("abcdefg", None)), list(islice("abcdefg", 2, None)),
            list(islice("abcdefg", 1, None, 2)), list(islice(itertools.count(10, -3), 4)),
            list(islice(itertools.count(), 3, 6)), list(itertools.repeat(None, 0)))


def prog_itertools_product_strings_join():
    codes = ["".join(p) for p in itertools.product("AB", "01", repeat=1)]
    pins = ["".join(p) for p in itertools.product("12", repeat=3)]
    return codes, pins, len(list(itertools.product(range(3), "xy", [True])))


def prog_accumulate_running_stats():
    data = [4, 8, 15, 16, 23, 42]
    running = list(accumulate(data))
    means = [s / (i + 1) for i, s in enumerate(running)]
    peaks = list(accumulate(data, max, initial=0))
    return running, means, peaks, list(accumulate(data, operator.sub))


def prog_reduce_with_initializer_on_empty_and_lambda_closure():
    base = 7
    return (reduce(lambda a, b: a + b, [], base), reduce(lambda a, b: a * base + b, [1, 2, 3]),
            reduce(lambda acc, x: acc + (x,), "abc", ()), functools.reduce(operator.or_, [1, 2, 4]))


def prog_math_floor_ceil_of_big_floats_and_ints():
    return (math.floor(1e20), math.ceil(-1.5e19), math.floor(2 ** 80), math.trunc(-1e19),
            type(math.ceil(2.0)).__name__, math.floor(-0.5), math.ceil(-0.5), math.sqrt(2 ** 80),
            math.isqrt(2 ** 81), math.log(2 ** 1000, 2), math.log10(10 ** 300))


def prog_infinite_chain_lazy_with_islice():
    stream = chain([-1, -2], itertools.count(), itertools.repeat("never"))
    return list(islice(stream, 6)), list(islice(chain.from_iterable(itertools.repeat("ab")), 5))


def prog_operator_attrgetter_and_methodcaller():
    class P:
        def __init__(self, name, age):
            self.name = name
            self.age = age
    people = [P("ann", 30), P("bob", 25)]
    by_age = sorted(people, key=operator.attrgetter("age"))
    up = list(map(operator.methodcaller("upper"), ["a", "b"]))
    return [p.name for p in by_age], up, operator.attrgetter("name", "age")(people[0])


def prog_math_prod_fsum_mixed():
    return (math.prod([1, 2, 3], start=10), math.prod([]), math.prod([0.5, 4]),
            math.fsum([1, 2.5, 10 ** 20, -(10 ** 20)]), math.fsum(x / 10 for x in range(10)),
            math.dist((0, 0), (3, 4)))


def prog_math_error_messages():
    out = []
    for f in (lambda: math.floor(float("inf")), lambda: math.ceil(float("nan")),
              lambda: math.log(0), lambda: math.sqrt(-0.0), lambda: math.factorial(2.5),
              lambda: math.isclose(1.0, 1.05, abs_tol=0.1)):
        try:
            out = out + [f()]
        except (OverflowError, ValueError, TypeError) as e:
            out = out + [type(e).__name__ + ": " + str(e)]
    return out


ARGS = {}
XFAIL = {}
