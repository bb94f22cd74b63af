"""Types with Python's semantics: int, float, bool, None, str, tuple, list, dict, set,
frozenset, range, slices, one-shot iterators."""
import math

BIG = 3 ** 200
PRIMES = (2, 3, 5, 7, 11, 13)
TEXT = "The Quick brown fox, jumps over the lazy dog."


# ------------------------------------------------------------------ int

def prog_int_big_power_and_digits():
    n = 2 ** 521 - 1
    digits = str(n)
    return len(digits), digits[:10], digits[-10:], sum(int(c) for c in digits), n % 1000003


def prog_int_big_division_signs():
    out = []
    for a in (BIG, -BIG, BIG + 1):
        for b in (7, -7, 2 ** 70, -(2 ** 70) + 3):
            out = out + [(a // b, a % b, divmod(a, b) == (a // b, a % b))]
    return out


def prog_int_bit_operations_big():
    a = (1 << 100) | 0xFFFF
    b = ~a
    return (a & 0xF0F0, a ^ (1 << 99), b, -b, a >> 90, b >> 3, (-1) << 70, a.bit_length(),
            (-a).bit_length(), bin(a)[:12], hex(b))


def prog_int_conversions_and_bases():
    return (int("  -42 "), int("ff", 16), int("0x1F", 16), int("777", 8), int("1010", 2),
            int("z", 36), int(3.99), int(-3.99), int(True), int("1_000_000"),
            int(1e20), int(2.5e-3), str(-0), int("-0"))


def prog_int_pow_and_modpow():
    return (pow(3, 200, 10 ** 9 + 7), pow(2, 10), pow(2, -2), 2 ** -1, (-2) ** 3, (-8) ** 2,
            0 ** 0, pow(7, 0, 5), pow(-3, 3, 7), 10 ** 25 // 10 ** 24, pow(BIG, 3, 2 ** 64))


def prog_int_comparisons_with_floats():
    huge = 10 ** 400
    return (huge > 1e308, -huge < -1e308, 2 ** 53 + 1 > 2.0 ** 53, 2 ** 53 + 1 == 2.0 ** 53,
            huge == float("inf"), 1 == 1.0, hash(1) == hash(1.0), hash(-1), hash(2 ** 64),
            max(3, 2.5, 3.0), min(2, 2.0), sorted([3, 1.5, 2, 0.5, True]))


# ------------------------------------------------------------------ float

def prog_float_repr_round_trip():
    vals = [0.1, 0.1 + 0.2, 1 / 3, 1e16, 1e-7, 123456789.123, 2.0 ** 0.5, -0.0, 5e-324,
            1.7976931348623157e308, 100.0, 1e22, 1e23]
    return [repr(v) for v in vals], [float(repr(v)) == v for v in vals], [str(v) for v in vals]


def prog_float_nan_inf():
    inf = float("inf")
    nan = float("nan")
    return (inf, -inf, inf - inf != inf - inf, nan == nan, nan != nan, inf > 10 ** 300,
            math.isnan(nan), math.isinf(-inf), repr(nan), str(-inf), float("-Infinity"),
            min(inf, 3.0), inf * 0 == 0, 1 / inf)


def prog_float_division_and_modulo():
    out = []
    for a in (7.5, -7.5, 0.0, 1e300):
        for b in (2.0, -2.0, 0.3):
            out = out + [(a / b, a // b, a % b, divmod(a, b))]
    return out


def prog_float_rounding():
    vals = [0.5, 1.5, 2.5, -0.5, -1.5, 2.675, 1.005, 123.456, -987.6543]
    return ([round(v) for v in vals], [round(v, 2) for v in vals], [round(v, -1) for v in vals],
            [type(round(v)).__name__ for v in vals[:2]], round(12345, -2), round(-15, -1))


def prog_float_int_methods():
    return ((2.5).is_integer(), (3.0).is_integer(), (0.75).as_integer_ratio(),
            float.fromhex("0x1.8p1"), (0.1).hex(), int(1e300) % 1000, math.trunc(-2.7),
            abs(-0.0), -(0.0), float(" 3.25 "), float("1e-3"), float(10 ** 20))


def prog_float_formatting():
    x = 1234.5678
    return (format(x, ".2f"), format(x, "e"), format(x, ".3g"), format(x, ",.1f"),
            format(0.000012345, "g"), format(1e21, "g"), "%.3f" % x, "%10.2f|" % -x,
            "%e" % x, "%g" % 1e-5, f"{x:>12.1f}", f"{x:+.0f}", f"{0.5:.0%}", str(1e16))


# ------------------------------------------------------------------ bool / None

def prog_bool_int_interplay():
    flags = [True, False, True, True]
    return (sum(flags), True + 1, True * 3.5, flags.count(True), True == 1, True is not None,
            isinstance(True, int), str(True), repr(False), int(False), True & False,
            True | False, True ^ True, ~True, -False, [bool(x) for x in (0, 0.0, "", [], (), {},
                                                                          None, "0", [0])])


def prog_none_handling():
    def get(d, k):
        return d.get(k)
    d = {"a": 1}
    vals = [get(d, "a"), get(d, "b")]
    return (vals, [v is None for v in vals], [v for v in vals if v is not None], repr(None),
            str(None), None == None, None == 0, bool(None), type(None).__name__)


# ------------------------------------------------------------------ str

def prog_str_index_slice_code_points():
    s = "héllo wörld ✓ 日本語"
    return (len(s), s[1], s[-1], s[::-1], s[2:9:2], s[-3:], s[100:], s[::3], s.find("ö"),
            [ord(c) for c in s[-4:]], s.index("✓"), s[-100:2])


def prog_str_split_join_strip():
    line = "  alpha, beta,,gamma ,  delta  "
    parts = [p.strip() for p in line.split(",")]
    return (parts, "|".join(parts), line.split(), line.strip().split(",", 2), line.rsplit(",", 1),
            "a  b c".split(" "), "-".join("xyz"), line.lstrip(), line.rstrip(" a"),
            "xxhixx".strip("x"), "\t\n mixed \r\n".strip(), "a\nb\r\nc".splitlines())


def prog_str_find_replace_count():
    s = "abracadabra"
    return (s.find("bra"), s.rfind("bra"), s.find("zz"), s.index("cad"), s.rindex("a"),
            s.count("a"), s.count("bra"), s.count(""), s.replace("a", "o"),
            s.replace("a", "", 2), s.find("a", 4), s.find("a", 4, 6), s.startswith("abr"),
            s.endswith(("x", "ra")), s.startswith("cad", 4))


def prog_str_index_missing_raises():
    return "hello".index("z")


def prog_str_case_mapping_unicode():
    words = ["straße", "ǅungla", "İstanbul", "ΣΊΣΥΦΟΣ", "ﬁne", "hello World", "ŉ"]
    return ([w.upper() for w in words], [w.lower() for w in words],
            [w.title() for w in words], [w.casefold() for w in words],
            [w.capitalize() for w in words], [w.swapcase() for w in words[:2]])


def prog_str_predicates():
    samples = ["abc", "ABC", "Abc", "123", "12.5", "", " ", "a1", "Ⅻ", "٣", "Title Case"]
    return [(s.isalpha(), s.isdigit(), s.isalnum(), s.isspace(), s.isupper(), s.islower(),
             s.istitle(), s.isnumeric(), s.isdecimal()) for s in samples]


def prog_str_format_method():
    return ("{} + {} = {}".format(1, 2, 3), "{0}{1}{0}".format("ab", "cd"),
            "{name}: {score:>5.1f}".format(name="ann", score=9.25), "{:08.3f}".format(-3.14159),
            "{:^9}|".format("mid"), "{:<4}|{:>4}".format("l", "r"), "{:x} {:o} {:b}".format(
                255, 8, 5), "{:,}".format(1234567), "{!r}".format("q"), "{:*^7d}".format(42))


def prog_fstrings_nested_expressions():
    items = [("apple", 1.5, 3), ("kiwi", 0.25, 12)]
    lines = [f"{name:<6}|{price:6.2f}|{qty:3d}|{price * qty:>7.2f}" for name, price, qty in items]
    w = 10
    return lines, f"{'x' * 3}{len(items)!r:>{w}}", f"{{literal}} {w + 1}", f"{items[0][0].upper()=}"


def prog_percent_formatting():
    return ("%s is %d years" % ("ann", 30), "%5s|%-5s|" % ("ab", "cd"), "%03d" % 7,
            "%x %X %o" % (255, 255, 8), "%.2e" % 12345.678, "%c" % 65, "%%", "%r" % "s",
            "%(a)s-%(b)s" % {"a": 1, "b": 2}, "%+d %+d" % (5, -5), "%s" % (1, ) + "%s" % [1])


def prog_str_multiplication_and_comparison():
    return ("ab" * 3, 3 * "-", "" * 5, "a" * 0, "abc" < "abd", "Z" < "a", "é" > "z",
            sorted(["b", "A", "a", "B", "é", "_"]), max("hello"), min("hello"), "abc" == "abc",
            "a" + "b" + "c")


def prog_str_misc_methods():
    s = "hello world"
    return (s.center(17, "*"), s.ljust(14, "."), s.rjust(14), s.zfill(14), "-42".zfill(6),
            s.partition(" "), s.rpartition("o"), s.partition("z"), "a,b,c".split(",", 1),
            "x".join(["1", "2", "3"]), "tab\tbed".expandtabs(4), s.title(),
            "  ".isspace())


def prog_str_iteration_and_ord_chr():
    word = "Zebra🦓"
    shifted = "".join(chr(ord(c) + 1) for c in word[:5])
    return (shifted, [hex(ord(c)) for c in word], chr(0x1F600), ord("€"), len("🦓"),
            "🦓" in word)


# ------------------------------------------------------------------ tuple / list

def prog_tuple_operations():
    t = (3, 1, 4, 1, 5, 9, 2, 6)
    return (t.count(1), t.index(5), t + (0,), t * 2, t[::2], t[::-3], len(t), min(t), max(t),
            sorted(t), tuple(reversed(t)), (1,) < (1, 0), (2,) > (1, 99), () == tuple(),
            (1, 2) == [1, 2], hash((1, 2)) == hash((1, 2)))


def prog_tuple_nested_comparison_and_sort():
    recs = [("b", 2, (1, 2)), ("a", 2, (0, 5)), ("b", 1, (9,)), ("a", 2, (0, 4))]
    return sorted(recs), max(recs), min(recs, key=lambda r: r[2]), sorted(recs, reverse=True)


def prog_list_indexing_and_errors():
    xs = [10, 20, 30]
    out = [xs[0], xs[-1], xs[-3]]
    try:
        out = out + [xs[3]]
    except IndexError as e:
        out = out + ["IndexError: " + str(e)]
    try:
        out = out + [xs["a"]]
    except TypeError as e:
        out = out + ["TypeError: " + str(e)]
    return out


def prog_list_methods_non_mutating():
    xs = [5, 3, 8, 3, 1, 3]
    return (xs.count(3), xs.index(8), xs.index(3, 2), xs + [0], xs * 2, xs[::-1], sorted(xs),
            list(reversed(xs)), xs.copy(), [x for x in xs if x != 3], xs == xs[:],
            xs < [5, 4], [[]] * 2, len(xs))


def prog_list_comparisons_nested():
    a = [[1, 2], [3]]
    b = [[1, 2], [3, 0]]
    return a < b, a == [[1, 2], [3]], max(a, b), [1, "x"] == [1, "x"], [] < [0], [0] > []


# ------------------------------------------------------------------ dict

def prog_dict_insertion_order():
    d = {"z": 1, "a": 2, "m": 3}
    d2 = {**d, "a": 20, "b": 4}
    d3 = dict(d2, z=100)
    return (list(d), list(d2.items()), list(d3.values()), list(d3), dict(zip("cba", range(3))),
            {k: v for k, v in sorted(d2.items(), key=lambda kv: -kv[1])})


def prog_dict_display_with_unpacking_keys_first():
    # found by tests/e2e/test_fuzz.py: in a display with ** each value ran before its key
    try:
        first = {**{}, [5, 9][3]: 1 // 0}
    except (IndexError, ZeroDivisionError) as e:
        first = type(e).__name__
    y = 1
    order = {**{"a": 1}, (x := 2): x + 1, "b": (x := 10), "c": x, y: (y := 5), "y": y}
    return first, order


def prog_dict_from_pairs_of_any_iterable():
    # found with the fuzzer's probes: dict(["ab"]) raised "has length 99", dict([1]) raised
    # ValueError instead of TypeError, and [1, 2].index(5) had Python 2's message
    out = []
    for f in (lambda: dict(["ab", "cd"]), lambda: dict([(1, 2), [3, 4], "xy", range(5, 7)]),
              lambda: dict([1]), lambda: dict([None]), lambda: dict([2.5]), lambda: dict(["abc"]),
              lambda: dict([(1,)]), lambda: dict(["ab"], z=5), lambda: dict([1], z=5),
              lambda: dict("%02d" % (i % 100) for i in range(20000)),
              lambda: dict([(i, i) for i in range(3000)] + ["zz"] + [7]),
              lambda: [1, 2].index(5), lambda: [1, "a"].index("b"), lambda: (1, 2).index(3)):
        try:
            out = out + [f()]
        except (TypeError, ValueError) as e:
            out = out + [(type(e).__name__, str(e))]
    return out


def prog_dict_methods_read_only():
    d = {"x": 1, "y": 2, "z": 3}
    return (d.get("x"), d.get("q"), d.get("q", 0), "y" in d, 2 in d, len(d), list(d.keys()),
            list(d.values()), sorted(d.items()), d.copy() == d, dict.fromkeys("ab", 0),
            {**d} == d, d == {"z": 3, "y": 2, "x": 1}, list(reversed(list(d))))


def prog_dict_missing_key_raises():
    d = {"a": 1}
    return d["a"] + d["b"]


def prog_dict_from_iterators_and_merge():
    pairs = ((x, x * x) for x in range(6))
    sq = dict(pairs)
    inv = {v: k for k, v in sq.items()}
    merged = sq | {10: 100, 0: -1}
    return sq, inv, merged, list(merged), dict([("a", 1), ("b", 2)]), dict(a=1, b=2)


def prog_dict_keys_of_many_types():
    d = {1: "int", 1.5: "float", "s": "str", (1, 2): "tuple", None: "none", True: "bool",
         frozenset([1]): "fs", -0.0: "zero"}
    return (len(d), d[1], d[1.0], d[(1, 2)], d[None], d[0], d[frozenset({1})], list(d.values()))


def prog_dict_views_set_ops():
    a = {"x": 1, "y": 2, "z": 3}
    b = {"y": 0, "w": 9}
    return (sorted(a.keys() & b.keys()), sorted(a.keys() | b.keys()), sorted(a.keys() - b),
            len(a.items()), ("x", 1) in a.items(), list(a.items())[-1])


# ------------------------------------------------------------------ set / frozenset

def prog_set_algebra():
    a = set(range(10))
    b = {x for x in range(5, 15)}
    return (sorted(a | b), sorted(a & b), sorted(a - b), sorted(a ^ b), a <= a | b, a < a,
            {1, 2} < {1, 2, 3}, a.isdisjoint({20}), sorted(a.union([30], (40,))),
            sorted(a.intersection(b, range(7))), sorted(a.difference(b)), len(a), 3 in a)


def prog_frozenset_as_keys_and_members():
    groups = [frozenset("abc"), frozenset("cab"), frozenset("xy")]
    uniq = set(groups)
    index = {g: len(g) for g in groups}
    return (len(uniq), sorted(index.values()), frozenset("ab") | {"c"}, type(frozenset("a") |
            {"b"}).__name__, type({"b"} | frozenset("a")).__name__, frozenset() == set(),
            sorted(sorted(g) for g in uniq))


def prog_set_of_mixed_numbers():
    s = {1, 1.0, True, 2, 2.5, 0, False, -0.0}
    return len(s), sorted(s), 1 in s, 0.0 in s, sorted(set([3, 1, 2, 3, 1]))


def prog_set_comprehension_dedup_and_sorted():
    words = "a man a plan a canal panama".split()
    letters = {c for w in words for c in w}
    return sorted(letters), len({w for w in words}), sorted({len(w) for w in words}, reverse=True)


# ------------------------------------------------------------------ range / slices

def prog_range_object_behaviour():
    r = range(3, 50, 4)
    return (len(r), r[0], r[-1], r[2:5], r[::-1], list(r[::3]), 11 in r, 12 in r, r.index(15),
            r.count(7), list(range(10, 0, -3)), range(0) == range(5, 2), range(1, 7, 2) ==
            range(1, 6, 2), sum(range(-10, 10, 3)), reversed(range(4)) is not None)


def prog_slices_negative_steps():
    xs = list(range(12))
    s = "abcdefghijkl"
    t = tuple(xs)
    return (xs[::-2], xs[10:2:-3], xs[-1:-6:-1], xs[2:10:-1], s[::-4], s[-2::-5], t[:-4:-2],
            xs[-100:100:5], s[5:-100:-1], xs[::-1][::-1] == xs, s[slice(1, 9, 2)],
            xs[slice(None, None, -6)])


def prog_slice_errors_and_step_zero():
    try:
        return [1, 2, 3][::0]
    except ValueError as e:
        return "ValueError: " + str(e)


# ------------------------------------------------------------------ iterators

def prog_iterators_are_one_shot():
    it = iter([1, 2, 3, 4, 5])
    first_two = [next(it), next(it)]
    rest = list(it)
    again = list(it)
    g = (x * x for x in range(4))
    total = sum(g)
    return first_two, rest, again, total, sum(g), next(iter("xyz"))


def prog_iterator_shared_between_consumers():
    it = iter(range(10))
    pairs = list(zip(it, it))
    it2 = iter("abcdefg")
    firsts = [c for c in it2 if c < "c"]
    left = list(it2)
    return pairs, firsts, left


def prog_map_filter_zip_are_lazy_and_one_shot():
    m = map(lambda x: x * 2, range(5))
    f = filter(None, [0, 1, "", "a", None, 2])
    z = zip("ab", [1, 2, 3])
    return list(m), list(m), list(f), list(z), list(z)


def prog_enumerate_and_reversed_iterators():
    e = enumerate("abc", start=10)
    first = next(e)
    r = reversed([1, 2, 3])
    return first, list(e), next(r), list(r), list(enumerate([])), list(reversed("xyz"))


def prog_int_from_long_strings_and_back():
    s = "9" * 120
    n = int(s)
    return (n + 1 == 10 ** 120, str(n * n)[:20], len(str(-n)), int("-" + s) == -n,
            int("0" * 50 + "7"), n // 10 ** 100, str(2 ** 64), repr(-(2 ** 64)))


def prog_str_join_of_generated_and_escape_reprs():
    rows = [("a", 1), ("b\tc", 2.5), ("quote's", None)]
    text = "\n".join("%s=%r" % (k, v) for k, v in rows)
    return text, text.splitlines(), repr(text), len(text), text.count("=")


def prog_tuple_and_list_unpacking_errors():
    out = []
    for seq in ([1, 2], [1, 2, 3], [1]):
        try:
            a, b = seq
            out = out + [(a, b)]
        except ValueError as e:
            out = out + [str(e)]
    return out


def prog_big_int_true_division_rounding():
    return ((2 ** 1000 + 1) / 2 ** 999, 10 ** 30 / 3, (10 ** 400) / (10 ** 399), 1 / 3,
            -(2 ** 60 + 1) / 3, 2 ** 1074 / 2 ** 2000 == 0.0)


def prog_nan_identity_in_containers():
    nan = float("nan")
    xs = [nan, 1.0]
    return (nan in xs, float("nan") in xs, xs.count(nan), xs == xs, [nan] == [nan],
            (nan,) == (nan,), {nan: 1}.get(nan), len({nan, nan}))


def prog_unicode_digits_and_int_parsing():
    return (int("٣٤"), int("１２"), float("٣.٥"), "٣".isdigit(), "½".isnumeric(),
            "½".isdigit(), int(" +7 "), str(int("-0012")))


def prog_negative_zero_and_formatting():
    z = -0.0
    return (str(z), repr(z), f"{z}", "%.1f" % z, round(-0.4), round(-0.4, 1), z == 0,
            str(0.0 * -1), abs(z), -z, format(-1e-10, ".2f"), f"{-0.0001:.0f}")


def prog_sequence_repeat_edge_cases():
    return ([1, 2] * -1, "ab" * 0, (0,) * 3, [[1]] * 2, "-" * 5 + ">", 2 * (1, "a"),
            [] * 100, "x" * True)


def prog_huge_ranges():
    r = range(10 ** 20, 10 ** 20 + 50, 7)
    big = range(0, 10 ** 18, 3)
    return (len(r), r[3], r[-1], 10 ** 20 + 14 in r, len(big), big[-1], big[10 ** 15],
            (10 ** 18 - 1) in big, list(r[:2]))


def prog_ranges_of_64_bit_bounds_longer_than_2_63():
    # found by tests/e2e/test_fuzz.py: range(-3, 2 ** 63 - 1) raised OverflowError at once;
    # CPython makes it (only its len() overflows)
    r = range(-3, 9223372036854775807, 2 ** 40)
    w = range(-9223372036854775807, 9223372036854775807)
    try:
        n = len(w)
    except OverflowError as e:
        n = str(e)
    return (len(r), r[-1], r[5], 2 ** 62 in r, list(r[2:9:3]), r[::-1][0], repr(r),
            w[-1], w[0], 5 in w, w.index(7), w.count(8), repr(w), n,
            list(range(2 ** 64, range(-3, 9223372036854775807)[3], 3)[-1:]),
            [x for x in range(-9223372036854775807, 9223372036854775807, 3)[:3]])


def prog_range_index_and_count_messages():
    # found by tests/e2e/test_fuzz.py: big ranges had no index/count, and a missing value's
    # message was "value is not in range"
    out = []
    for r, x in ((range(10), 20), (range(10), "a"), (range(10), 2.5), (range(10), 20.0),
                 (range(10), 3.0), (range(2 ** 70), -1), (range(2 ** 70), 2 ** 69),
                 (range(2 ** 70, 0, -7), 2 ** 70 - 14), (range(2 ** 70, 0, -7), 2 ** 70 - 13),
                 (range(10), True), (range(2 ** 70), True)):
        try:
            out = out + [(r.index(x), r.count(x))]
        except ValueError as e:
            out = out + [str(e), r.count(x)]
    q = range(2 ** 80, -5, -3)
    return out, (q.start, q.stop, q.step, hasattr(q, "index"))


def prog_mixed_type_comparison_errors():
    out = []
    for a, b in ((None, 1), ("a", 1), ([1], (1,)), ({1}, {2}), (1.5, "x")):
        try:
            out = out + [a < b]
        except TypeError as e:
            out = out + [str(e)]
    return out


def prog_str_split_maxsplit_and_strip_chars():
    s = "  a  b   c  "
    return (s.split(None, 1), s.split(" ", 2), s.rsplit(None, 1), s.strip(" a"),
            "www.example.com".strip("cmowz."), "a,b,,c".split(","), "".split(","), "".split(),
            "abc".split("abc"), "x".center(4, "-"), "mississippi".split("ss"))


def prog_format_field_access():
    point = (3, 4)
    data = {"name": "ann", "scores": [90, 85]}
    return ("{0[0]},{0[1]}".format(point), "{d[name]} {d[scores][1]}".format(d=data),
            "{:>{w}}|".format("r", w=5), "{0:{1}.{2}f}".format(3.14159, 8, 3),
            "{:_>8,}".format(1234567), "{!s:>6}{!r:<6}|".format("a", "b"))


def prog_dict_equal_keys_of_different_types():
    d = {1: "int", True: "bool", 1.0: "float"}
    e = {0: "a", -0.0: "b", False: "c"}
    return d, list(d.items()), e, {**d, **e}, {1: 0} == {1.0: 0}, {"a": 1, "b": 2} == {"b": 2,
                                                                                  "a": 1}


def prog_join_and_format_type_errors():
    out = []
    for f in (lambda: ", ".join(["a", 1]), lambda: "%s %s" % (1,), lambda: "%d" % "x",
              lambda: "a" + 1, lambda: "{0} {1}".format(1)):
        try:
            out = out + [f()]
        except (TypeError, IndexError) as e:
            out = out + [type(e).__name__ + ": " + str(e)]
    return out, "%d|%i|%5.1f%%" % (3.7, -2.2, 99.44)


def prog_string_counting_overlaps_and_zfill_signs():
    return ("aaaa".count("aa"), "aaaa".find("aa", 1), "+5".zfill(4), "-".zfill(3), "5".zfill(0),
            "abcabc".rfind("abc", 0, 5), "ab".replace("", "-"), "abc".replace("b", "", 0))


def prog_word_frequency_report():
    text = """It was the best of times, it was the worst of times, it was the age of
    wisdom, it was the age of foolishness"""
    words = [w.strip(",.").lower() for w in text.split()]
    freq = {}
    for w in words:
        freq = {**freq, w: freq.get(w, 0) + 1}
    top = sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    lines = ["%-8s %3d %s" % (w, n, "#" * n) for w, n in top]
    return lines, len(freq), f"{len(words) / len(freq):.3f}"


def prog_text_wrap_and_justify():
    def wrap(text, width):
        lines, cur = [], ""
        for w in text.split():
            if cur and len(cur) + 1 + len(w) > width:
                lines, cur = lines + [cur], w
            else:
                cur = (cur + " " + w) if cur else w
        return lines + [cur] if cur else lines
    text = "The quick brown fox jumps over the lazy dog and keeps running far away"
    lines = wrap(text, 16)
    return lines, [l.center(18, ".") for l in lines], [l.rjust(16) for l in lines[:2]]


def prog_run_length_encoding_round_trip():
    def encode(s):
        out = []
        for ch in s:
            if out and out[-1][0] == ch:
                out = out[:-1] + [(ch, out[-1][1] + 1)]
            else:
                out = out + [(ch, 1)]
        return "".join("%d%s" % (n, c) for c, n in out)

    def decode(s):
        out, num = "", ""
        for ch in s:
            if ch.isdigit():
                num = num + ch
            else:
                out, num = out + ch * int(num), ""
        return out
    samples = ["aaabccddddde", "", "abc", "zzzzzzzzzzzz", "ééé✓✓"]
    enc = [encode(s) for s in samples]
    return enc, [decode(e) for e in enc] == samples


def prog_matrix_operations_with_lists():
    def matmul(a, b):
        return [[sum(x * y for x, y in zip(row, col)) for col in zip(*b)] for row in a]

    def transpose(m):
        return [list(r) for r in zip(*m)]

    def identity(n):
        return [[1 if i == j else 0 for j in range(n)] for i in range(n)]
    a = [[1, 2, 3], [4, 5, 6]]
    b = [[7, 8], [9, 10], [11, 12]]
    m = [[2, 1], [1, 1]]
    p = identity(2)
    for _ in range(10):
        p = matmul(p, m)
    return matmul(a, b), transpose(a), p, matmul(identity(3), b) == b


def prog_title_and_casefold_corner_cases():
    words = ["they're bill's friends", "ǆemal", "hello-world 42nd", "ÉCOLE ß", "ﬂour ǈ"]
    return ([w.title() for w in words], [w.casefold() for w in words],
            [w.upper() for w in words], sorted(words), [w.istitle() for w in words])


def prog_int_float_edge_conversions():
    out = []
    for f in (lambda: float(2 ** 1024), lambda: pow(3, -1, 7), lambda: round(2 ** 70 + 0.5),
              lambda: -7 % 2.5, lambda: int(-0.999), lambda: 10 ** 20 * 1.0,
              lambda: float(2 ** 1023) * 2, lambda: (2 ** 63) // -1):
        try:
            out = out + [f()]
        except (OverflowError, ValueError) as e:
            out = out + [type(e).__name__ + ": " + str(e)]
    return out


ARGS = {}
XFAIL = {
    "nan_identity_in_containers": (
        "floats have no identity remotely: a fresh float('nan') is found by `in` (CPython: "
        "only the same nan object is), and list.count(nan) of the same nan object is 0 "
        "(CPython: 1)"),
}
