#!/usr/bin/env python3
"""Generates cases_gen.h: operations on values with the results CPython gives.

Each case is {op, args, expected}: "args" is a JSON array of values in the wire encoding of
docs/ir.md, "expected" is repr(result) or "!ExcName: message". Run with python3 (3.11) from
this folder: python3 gen_cases.py > cases_gen.h
"""
import json
import math
import operator as o

INT64_MIN, INT64_MAX = -2**63, 2**63 - 1


def enc(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if INT64_MIN <= v <= INT64_MAX else {"int": format(v, "x")}
    if isinstance(v, float):
        if math.isnan(v):
            return {"float": "nan"}
        if math.isinf(v):
            return {"float": "inf" if v > 0 else "-inf"}
        return v
    if isinstance(v, str):
        return v
    if isinstance(v, tuple):
        return {"tuple": [enc(x) for x in v]}
    if isinstance(v, list):
        return {"list": [enc(x) for x in v]}
    if isinstance(v, dict):
        return {"dict": [[enc(k), enc(x)] for k, x in v.items()]}
    if isinstance(v, frozenset):
        return {"frozenset": [enc(x) for x in v]}
    if isinstance(v, set):
        return {"set": [enc(x) for x in v]}
    if isinstance(v, range):
        return {"range": [v.start, v.stop, v.step]}
    raise TypeError(v)


def c_str(s):
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if c in '"\\':
            out.append("\\" + c)
        elif 32 <= b < 127 and c != "?":
            out.append(c)
        else:
            out.append("\\%03o" % b)
    return '"' + "".join(out) + '"'


cases = []


def case(op, fn, *args, skip_msg=False):
    try:
        r = fn(*args)
        if isinstance(r, complex):
            return
        exp = repr(r)
        if len(exp) > 2000:
            return
    except Exception as e:  # noqa: BLE001
        if "complex" in str(e):
            return
        exp = "!%s: %s" % (type(e).__name__, "" if skip_msg else e)
    cases.append((op, json.dumps([enc(a) for a in args], ensure_ascii=False), exp))


ints = [0, 1, -1, 2, 3, -3, 7, -7, 10, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1,
        2**62, 2**63, -2**63 - 1, 2**64 + 5, -(2**70) + 3, 10**30, -10**30, 2**53 + 1,
        3**40, True, False]
floats = [0.0, -0.0, 1.5, -2.5, 7.0, -7.0, 0.1, 1e308, -1e-310, 2.0**63, 1e16, float("inf"),
          float("-inf"), float("nan"), 3.25, -1e-5]
nums = ints + floats

binops = {"add": o.add, "sub": o.sub, "mul": o.mul, "truediv": o.truediv,
          "floordiv": o.floordiv, "mod": o.mod, "pow": o.pow, "lshift": o.lshift,
          "rshift": o.rshift, "and": o.and_, "or": o.or_, "xor": o.xor}
cmps = {"lt": o.lt, "le": o.le, "eq": o.eq, "ne": o.ne, "gt": o.gt, "ge": o.ge}

for a in nums:
    for b in nums:
        for name, f in binops.items():
            if name == "pow" and isinstance(b, int) and not isinstance(b, bool) and b > 64 \
                    and isinstance(a, int) and abs(a) > 1:
                continue
            if name == "lshift" and isinstance(b, int) and b > 200:
                continue
            case(name, f, a, b)
        for name, f in cmps.items():
            case(name, f, a, b)
    case("divmod", divmod, a, 7)
    case("divmod", divmod, a, -2.5)
    case("neg", o.neg, a)
    case("pos", o.pos, a)
    case("invert", o.invert, a)
    case("not", o.not_, a)
    case("abs", abs, a)
    case("float", float, a)
    case("int", int, a)
    case("round", round, a)
    for nd in (0, 1, 2, -1, -2, 5):
        case("round", round, a, nd)
    if not (isinstance(a, float) and math.isnan(a)):
        case("hash", hash, a)
    case("repr", repr, a)
    case("str", str, a)
    case("truthy", bool, a)
    for fn in ("hex", "oct", "bin"):
        case(fn, getattr(__builtins__, fn), a)

# int -> float rounding
for x in [2**53 + 1, 2**53 + 3, 2**54 + 2, 2**54 + 6, 2**54 + 1, -(2**53 + 1), 2**64 - 1,
          2**1023 * 2 - 2**970, 2**1024 - 2**970, 2**1024, 10**308, 10**309,
          123456789012345678901234567890, 2**63 + 1025, 2**63 + 1024, 2**63 + 3072]:
    case("float", float, x)
for a, b in [(10**400, 10**399), (1, 3), (2**64 + 1, 3), (10**30, 7), (-10**30, 7),
             (1, 10**400), (10**400, 1), (3**200, 2**300), (-(2**70), 10**5), (2**80 + 1, 2**80),
             (1, -10**30), (0, -10**30), (10**330, 10**20), (1, 2**1074), (1, 2**1075),
             (3, 2**1076), (2**1080, 2**55), (2**1024 - 1, 1)]:
    case("truediv", o.truediv, a, b)

# float repr
for x in [1e16, 1e15, 1.5e-5, 0.1, -0.0, 1e22, 1e-4, 0.0001234, 123456789.125, 5e-324,
          1.7976931348623157e308, 2.2250738585072014e-308, 1 / 3, 2 / 3, 100.0, 1e-7,
          9007199254740993.0, 0.3, 1e300 * 10, 4.35, 1234567890123456.7, 12345678901234567.0]:
    case("repr", repr, x)

# mixed int/float comparisons, exact
for a in [2**53 + 1, 2**63, 2**63 - 1, 10**400, -10**400, 2**1024, 9007199254740993]:
    for b in [9007199254740992.0, 9.223372036854775807e18, 1e308, float("inf"), -1e308,
              9007199254740994.0]:
        for name, f in cmps.items():
            case(name, f, a, b)

# pow, 3-arg pow
for a, b, m in [(2, 10, 1000), (3, -1, 7), (2, -1, 4), (3, 200, -7), (-3, 5, 7), (5, 0, 1),
                (2, 3, 0), (10**30, 10**30, 10**20 + 7), (2.0, 3, 5), (4, -2, 9)]:
    case("pow3", pow, a, b, m)
for a, b in [(0, -1), (0.0, -1), (2, -2), (-2, -3), (2.0, 10000), (10, 0.5), (-8, 1 / 3),
             (-8.0, 3.0), (float("inf"), -1), (0.0, 0), (-1, 10**30), (1, 10**30), (2, 100)]:
    case("pow", o.pow, a, b)

# round for floats with ndigits
for x in [2.675, 0.5, 1.5, 2.5, -0.5, 0.125, 0.375, 1234.5678, 1e300, 5e-324, -2.5, 12345.0,
          float("inf"), float("nan"), 1.0000000000000002, 0.285, 1.005]:
    for nd in [None, 0, 1, 2, 3, -1, -2, -3, 400, -400, 20]:
        if nd is None:
            case("round", round, x)
        else:
            case("round", round, x, nd)
for x in [15, 25, -25, 5, 123, 10**30 + 5 * 10**10, -(10**25) - 5, 2**63 + 5]:
    for nd in [-1, -2, -10, -11, -40, 3]:
        case("round", round, x, nd)

# int parse
for s, base in [("  12_3 ", 10), ("-0x1f", 0), ("0b101", 0), ("0o17", 0), ("017", 0),
                ("00", 0), ("1__2", 10), ("_12", 10), ("12_", 10), ("z", 36), ("Z", 36),
                ("0x_1f", 16), ("0x_1f", 0), ("12", 1), ("12", 37), ("", 10), ("-", 10),
                ("+7", 10), ("99999999999999999999999999", 10), ("-9223372036854775809", 10),
                ("1.5", 10), (" -0 ", 0), ("0x", 16), ("ff", 16), ("FF", 16), ("0b2", 0),
                ("\u00e9", 10), ("1 2", 10), ("12", 2)]:
    case("int_base", int, s, base)
for s in ["1.5", "  -2.5e3 ", "inf", "-Infinity", "nan", "1e500", "1_000.5", "1__0",
          "abc", "", ".5", "5.", ".", "1e", "0x10", "1e-400", "+1.5E+3", "-0", "1_e5"]:
    case("float", float, s)
    case("int", int, s)

# strings
S = ["", "a", "abc", "h\u00e9llo", "\u65e5\u672c\u8a9e", "it's", 'say "hi"', 'both \' and "',
     "tab\there\nnl\\", "\x00\x7f\x80\u200b\U0001F600", "\u00a0\u2028x", "aaa"]
for s in S:
    case("repr", repr, s)
    case("len", len, s)
    for i in [0, 1, -1, 2, 5, -6, 2**70, True]:
        case("getitem", o.getitem, s, i)
    for sl in [(None, None, None), (1, None, None), (None, -1, None), (None, None, -1),
               (None, None, 2), (1, 4, 2), (-2, None, -2), (10, -10, -3), (5, 1, -1),
               (-100, 100, 1), (0, 2**70, 1)]:
        case("slice", lambda x, a, b, c: x[a:b:c], s, *sl)
    for t in ["", "a", "\u00e9", "ll", "\u672c"]:
        case("contains", o.contains, s, t)
    case("add", o.add, s, "\u00e9!")
    case("mul", o.mul, s, 3)
    case("mul", o.mul, 2, s)
    case("mul", o.mul, s, -1)
    for t in S[:6]:
        for name, f in cmps.items():
            case(name, f, s, t)
case("add", o.add, "a", 1)
case("mul", o.mul, "a", 1.5)
case("lt", o.lt, 1, "a")
case("ord", ord, "\u00e9")
case("ord", ord, "ab")
case("ord", ord, 5)
for c in [65, 0xE9, 0x1F600, -1, 0x110000, 2**70]:
    case("chr", chr, c)
case("contains", o.contains, "abc", 1)

# str % args
FMT = [("%d", 5), ("%5d|%-5d|%05d", (42, 42, 42)), ("%+d % d", (7, 7)), ("%x %X %#x %o %#o", (255, 255, 255, 8, 8)),
       ("%s and %r", ("x", "x")), ("%.3s|%5s|%-5s|", ("abcdef", "ab", "ab")), ("%f", 3.14159),
       ("%.2f|%8.3f|%-8.1f|%08.2f", (3.14159, -2.5, 1.25, -3.5)), ("%e %E", (12345.678, 0.00012)),
       ("%g %g %g %G", (1e-5, 123456789.0, 0.5, 1e20)), ("%d%%", 50), ("%s", (1, 2)),
       ("%s %s", (1,)), ("%s", ((1, 2),)), ("%d", "a"), ("%d", 3.99), ("%x", 3.5), ("%c%c", (65, "\u00e9")),
       ("%5.1f%%", 99.55), ("%i", 10**30), ("%x", -(2**70)), ("%(a)s-%(b)d", {"a": "x", "b": 3}),
       ("%s", None), ("%r", [1, "a"]), ("%.0f %.0f", (0.5, 1.5)), ("%z", 1), ("abc", ()),
       ("%s", ()), ("%*d|%-*d", (5, 1, 4, 2)), ("%.*f", (2, 3.14159)), ("%f", float("nan")),
       ("%f %F", (float("inf"), float("-inf"))), ("%5s|", "\u00e9"), ("%s", 2**64), ("%.3d", 7),
       ("%f", 10**400), ("%s %s", ("\u65e5", 1.5)), ("%", 1), ("%d %d", (True, False)),
       ("%s", {1: 2})]
for f, a in FMT:
    case("fmt", o.mod, f, a)

# tuples, lists, ranges
for t in [(), (1,), (1, 2), (1, 2.5, "a", None, True), ((1, 2), (3,)), (2**64, -1), (-1, -2),
          (1.5, 2), (0,), ("a", "b")]:
    case("hash", hash, t) if all(not isinstance(x, str) for x in t) else None
    case("repr", repr, t)
    case("repr", repr, list(t))
    case("len", len, t)
    for i in [0, -1, 1, 5, -5, 2**70, "a", 1.0]:
        case("getitem", o.getitem, t, i)
        case("getitem", o.getitem, list(t), i)
    for sl in [(None, None, -1), (1, None, None), (None, None, 2), (-1, -3, -1), (None, None, 0)]:
        case("slice", lambda x, a, b, c: x[a:b:c], t, *sl)
        case("slice", lambda x, a, b, c: x[a:b:c], list(t), *sl)
    case("add", o.add, t, (9,))
    case("add", o.add, list(t), [9])
    case("add", o.add, list(t), (9,))
    case("mul", o.mul, t, 2)
    case("mul", o.mul, list(t), 0)
    case("contains", o.contains, t, 1)
    case("contains", o.contains, list(t), 1.0)
seqs = [(), (1,), (1, 2), (1, 3), (1, 2, 0), (0, 5), (1.0, 2), ("a",), (1, "a")]
for a in seqs:
    for b in seqs:
        for name, f in cmps.items():
            case(name, f, a, b)
            case(name, f, list(a), list(b))
    case("eq", o.eq, a, list(a))
for r in [range(10), range(1, 10, 3), range(10, 0, -2), range(0), range(-5, 5), range(5, 5),
          range(INT64_MIN, INT64_MAX, 2**62), range(0, 100, 7), range(3, -10, -4)]:
    case("repr", repr, r)
    case("len", len, r)
    if len(r) > 1:  # hash(range) of len <= 1 hashes None: id-based in CPython 3.11
        case("hash", hash, r)
    case("truthy", bool, r)
    for i in [0, 1, -1, 3, -4, 100, 2**70]:
        case("getitem", o.getitem, r, i)
    for sl in [(None, None, -1), (1, None, None), (None, None, 2), (-1, -3, -1), (2, 8, 3),
               (None, None, -3), (100, -100, -7)]:
        if r.start == INT64_MIN:  # bounds beyond int64: not representable here (documented)
            continue
        case("slice", lambda x, a, b, c: x[a:b:c], r, *sl)
    for x in [0, 1, 4, 7, -5, -4, 9, 10, 2**70, 3.0, 3.5, "a", True]:
        case("contains", o.contains, r, x)
    for r2 in [range(10), range(0, 10, 1), range(0), range(1, 0), range(1, 2, 5), range(1, 2)]:
        case("eq", o.eq, r, r2)
case("range", range, 1, 10, 0)

# dicts and sets
D = [{}, {1: "a"}, {1: "a", 2: "b"}, {2: "b", 1: "a"}, {"x": [1, 2], (1, 2): None},
     {1: "a", 1.0: "b", True: "c"}, {2**64: 1, -1: 2.5}]
for d in D:
    case("repr", repr, d)
    case("len", len, d)
    case("truthy", bool, d)
    for k in [1, 2, "x", (1, 2), 3, 1.0, [1]]:
        case("getitem", o.getitem, d, k)
        case("contains", o.contains, d, k)
    for d2 in D:
        case("eq", o.eq, d, d2)
        case("or", o.or_, d, d2)
    case("hash", hash, d)
SETS = [set(), {1}, {1, 2}, {2, 1}, {1, 2, 3}, {3}, frozenset(), frozenset({1, 2}),
        frozenset({1, 2, 3}), {1.0, 2}, {-1, -2, 10**30, (1, 2)}]
for s in SETS:
    case("repr", repr, s) if len(s) <= 1 else None
    case("len", len, s)
    if isinstance(s, frozenset):
        case("hash", hash, s)
    else:
        case("hash", hash, s)
    for x in [1, 1.0, True, 3, (1, 2), [1]]:
        case("contains", o.contains, s, x)
    for s2 in SETS:
        for name, f in cmps.items():
            case(name, f, s, s2)
        for name in ["or", "and", "sub", "xor"]:
            case("len_" + name, lambda a, b, f=binops[name]: len(f(a, b)), s, s2)
case("hash", hash, frozenset({(1, 2), -5, 10**20}))
case("hash", hash, ((1, 2), frozenset({3, 4}), range(3)))
case("hash", hash, [1])
case("hash", hash, (1, [2]))
case("getitem", o.getitem, 5, 0)
case("len", len, 5)
case("contains", o.contains, 5, 0)

# math module
M1 = ["sqrt", "exp", "exp2", "expm1", "log1p", "sin", "cos", "tan", "asin", "acos", "atan",
      "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "fabs", "degrees", "radians", "erf",
      "erfc", "gamma", "lgamma", "floor", "ceil", "trunc", "log", "log2", "log10", "isnan",
      "isinf", "isfinite", "cbrt"]
for fn in M1:
    op = "math~:" + fn if fn in ("gamma", "lgamma") else "math:" + fn  # libm: last-ulp diffs
    for x in [0, 1, -1, 0.5, -0.5, 2, 10, 1000, -1000, 1e300, float("inf"), float("-inf"),
              float("nan"), 10**400, 2**70, 1e-320, -2.5, 0.0, 3.7, "a"]:
        case(op, getattr(math, fn), x)
M2 = ["pow", "atan2", "copysign", "fmod", "log", "hypot", "ldexp", "isclose"]
for fn in M2:
    for x, y in [(2, 10), (0, -1), (-8, 1 / 3), (10, 400), (1, 0), (0.0, 0.0), (-1.0, float("inf")),
                 (float("inf"), 2), (float("nan"), 0), (5.5, -2), (10**400, 10), (1, 1.0000000001),
                 (3, 4), (2, 1100), (-7.5, 2.0), (1e308, 1e308)]:
        case("math:" + fn, getattr(math, fn), x, y)
case("math:hypot", math.hypot, 3, 4, 12)
case("math:hypot", math.hypot)
case("math:hypot", math.hypot, 1e308, 1e308, 1e308)
for args in [(), (12,), (12, 18), (-4, 6), (0, 0), (2**70, 2**65 * 3), (12, 18, 27), (1.5,)]:
    case("math:gcd", math.gcd, *args)
    case("math:lcm", math.lcm, *args)
for n in [0, 1, 5, 20, 21, 100, -1, 2.0, 2**70]:
    case("math:factorial", math.factorial, n)
for n in [0, 1, 15, 16, 2**64, 10**40 + 1, -1, 2.0]:
    case("math:isqrt", math.isqrt, n)
for n, k in [(5, 2), (5, 0), (5, 6), (5, -1), (-5, 2), (100, 50), (2**70, 2), (2**70, 2**70 - 1),
             (10, 3.0)]:
    case("math:comb", math.comb, n, k)
    case("math:perm", math.perm, n, k)
case("math:perm", math.perm, 6)
for xs in [(), (2, 3), (2, 3.5), (10**20, 10**20), ("a", 3), (3, "a")]:
    case("math:prod", lambda *a: math.prod(a), *xs)
for x in [2.5, -2.5, float("inf"), 0.0, float("nan")]:
    case("math:modf", math.modf, x)
    case("math:frexp", math.frexp, x)

# fsum
FS = [[0.1] * 10, [1, 1e100, 1, -1e100], [1e308, 1e308], [float("inf"), -float("inf")],
      [float("inf"), 1.0], [float("nan"), 1.0], [], [1e-16, 1.0, 1e-16],
      [0.1, 0.2, 0.3, -0.6], [2.0**53, 1.0, 1.0], [1e308, -1e308, 1e-308],
      [1.0, 1e-16, 1e-16, 1e-16, 1e-16], [-0.0], [1e308, 1e308, -1e308],
      [float(i) / 7 for i in range(1, 100)], [(-1.0) ** i * 1e15 / (i + 1) for i in range(50)],
      [1.7976931348623157e308, 9.979201547673598e291]]
for xs in FS:
    case("fsum", lambda *a: math.fsum(a), *xs)

# format(value, spec)
FV = [0, 1, -1, 42, -1234567, 2**70, -(2**64), True, False, 255, 0.0, -0.0, 1.5, -2.25, 1234.5,
      12345.678, 1e16, 1e-5, 123456789.0, 0.5, float("inf"), float("-inf"), float("nan"),
      1 / 3, "ab", "h\u00e9llo", "", None, (1, 2), [1]]
FS = ["", "5", ">5", "<5", "^6", "*^7", "\u00e9>4", "=8", "+", "-", " ", "+08", "08", "010,",
      "09,", ",", "_", "x", "X", "#x", "#X", "b", "#b", "o", "#o", "_x", "#_b", "c", "d", "n",
      ".2f", ",.2f", "10.3f", "<10.1e", "e", "E", ".3", ".0", "g", "G", ".10g", "#g", "%",
      ".1%", "z.1f", "z", "s", ".2s", "10s", "^10.3s", "x<^10", ",x", ",_", ".", ".2", "f",
      "F", "0=10", "020.3f", "q", "+.3e", "#.0f", ".0e", "_d", "#.3", "-^+12.4f", "010", "+,", ",.3e", "_.2f", "#10.4g", ">+10,d", "^#12_b", "=+12,.1f",
      "#e", "#.0e", "#x>8", "0<8", "0^9", "-08.3", "%.0", " .2%", "_g", "10", "<", "#", ","]
for v in FV:
    for s in FS:
        case("format", format, v, s)

# random doubles (repr, hash, int/float conversion) and random ints across the int64 edge
import random
import struct
rnd = random.Random(20261125)
for _ in range(800):
    x = struct.unpack("<d", rnd.getrandbits(64).to_bytes(8, "little"))[0]
    if math.isnan(x):
        continue
    case("repr", repr, x)
    case("hash", hash, x)
    case("int", int, x)
    y = rnd.uniform(-1e6, 1e6) * 10.0 ** rnd.randint(-30, 30)
    case("repr", repr, y)
    case("floordiv", o.floordiv, x, y)
    case("mod", o.mod, y, x)
    case("round", round, y, rnd.randint(-5, 12))
for _ in range(400):
    bits_a, bits_b = rnd.choice([8, 62, 63, 64, 65, 100, 300, 1100]), rnd.choice([3, 62, 63, 64, 65, 200])
    a = rnd.getrandbits(bits_a) * rnd.choice([1, -1])
    b = rnd.getrandbits(bits_b) * rnd.choice([1, -1]) or 1
    for name in ["add", "sub", "mul", "floordiv", "mod", "truediv", "and", "or", "xor"]:
        case(name, binops[name], a, b)
    case("rshift", o.rshift, a, rnd.randint(0, 70))
    case("lshift", o.lshift, a, rnd.randint(0, 70))
    case("float", float, a)
    case("hash", hash, a)
    case("lt", o.lt, a, float(b) * 1.5)
    if bits_a < 1000:
        case("eq", o.eq, a, float(a))
    case("repr", repr, a)
    case("hex", hex, a)
    case("pow3", pow, a, rnd.randint(-3, 300), b)

# str case mappings and predicates (pf_str_upper … pf_str_istitle)
STR_METHODS = ["upper", "lower", "casefold", "swapcase", "title", "capitalize", "isalpha",
               "isdigit", "isdecimal", "isnumeric", "isalnum", "isspace", "isupper", "islower",
               "istitle"]
SS = ["", "hello World", "\u00df", "stra\u00dfe", "\u03a3", "a\u03a3", "\u03a3a", "a\u03a3b",
      "a\u03a3.", "a'\u03a3", "a\u03a3'", "a\u03a3'b", "\u039f\u03a3\u039f\u03a3 \u03a3\u0391\u03a3",
      "A\u0301\u03a3", "\u03a3\u03a3", " \u03a3 ", "1\u03a3", "\ufb01", "\u01c5", "\u01c6", "\u01c4x",
      "\u0130stanbul", "\u0149", "\u0390", "they're bill's friends", "hello wORLD 123", "\u1fb3",
      "\u1fbc", "\u1f80\u1f88", "\ufb00", "\u00b2", "\u00bd", "\u0663", "\u4e00", "\u216b", "\u00a0",
      "\u2028", "\x1c", " \t\n", "abc123", "ABC", "Abc Def", "ABC def", "a1", "1a", "\U0001d400",
      "\uab70", "\u13a0", "\u01f2", "\u1e9e", "\u00aa", "\u02b0", "Hello \u01c5ungla", "\u00e9t\u00e9",
      "\u0130", "i\u0307", "\u0345", "\u03d0\u03f5", "\u1e96", "\U00010428\U00010400", "A1b2 C3",
      "a\u0345\u03a3", "\u02bc\u03a3", "X\u00ad\u03a3\u00ad", "\u2160\u2170", "\u24b6\u24d0",
      "ffi \ufb03 \u0587", "\u0131", "\u017f", "MiXeD cAsE", "12", "\uff11\uff12", "\u0e51"]
for x in SS:
    for m in STR_METHODS:
        case("str:" + m, getattr(str, m), x)


def fnv(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return h & ((1 << 62) - 1)


# every code point: 4096-code-point blocks (surrogates left out) → FNV-1a of the UTF-8 of
# block.upper() etc., and of each code point's predicate bits (two bytes per code point)
PREDS = ["isalpha", "isdecimal", "isdigit", "isnumeric", "isspace", "islower", "isupper",
         "istitle", "isalnum"]
for lo in range(0, 0x110000, 0x1000):
    blk = "".join(chr(c) for c in range(lo, lo + 0x1000) if not 0xD800 <= c <= 0xDFFF)
    for m in STR_METHODS[:6]:
        cases.append(("fnvstr:" + m, json.dumps([lo, lo + 0x1000]),
                      repr(fnv(getattr(str, m)(blk).encode("utf-8")))))
    bits = bytearray()
    for ch in blk:
        v = sum(1 << i for i, pn in enumerate(PREDS) if getattr(ch, pn)())
        bits += bytes([v & 0xFF, v >> 8])
    cases.append(("fnvpred", json.dumps([lo, lo + 0x1000]), repr(fnv(bits))))

# lists as persistent vectors: with L = list(range(n)), signatures (lsig below) of slices,
# slices of slices, concatenations of slices, rotations, repetitions, appends and prepends
def lsig(xs):
    h = len(xs)
    for x in xs:
        h = (h * 1000003 + x + 1) % (2**61 - 1)
    return h


def lcase(kind, fn, *args):
    cases.append(("lsig:" + kind, json.dumps(list(args)), repr(lsig(fn(*args)))))


LN = [0, 1, 31, 32, 33, 64, 65, 1000, 1024, 1025, 1057, 32768, 32769, 40000]
LB = [None, 0, 1, -1, 5, 31, 32, 33, -33, 1023, 1024, 1025, -1025, 20000, 40001, -40001]
for n in LN:
    L = list(range(n))
    for a in LB:
        for b in LB:
            for st in [None, 1, 2, -1, -3, 33]:
                lcase("slice", lambda n, a, b, st, L=L: L[a:b:st], n, a, b, st)
    for a in [0, 1, 31, 33, 1000, 1030]:
        for b in [-1, 500, 1025, 35000]:
            lcase("slice2", lambda n, a, b, c, d, L=L: L[a:b][c:d], n, a, b, 3, -2)
            lcase("slice2", lambda n, a, b, c, d, L=L: L[a:b][c:d], n, a, b, 32, 1000)
            lcase("concat", lambda n, a, b, c, d, L=L: L[a:b] + L[c:d], n, a, b, b, a)
            lcase("concat", lambda n, a, b, c, d, L=L: L[a:b] + L[c:d], n, a, b, 0, -1)
    for k in [0, 1, 31, 32, 33, 999, 1024, 32767, 32768, 39999]:
        lcase("rot", lambda n, k, L=L: L[k:] + L[:k], n, k)
    for k in [-1, 0, 1, 2, 3, 33, 100]:
        if n * k <= 200000:
            lcase("repeat", lambda n, k, L=L: L * k, n, k)
for n in [0, 1, 32, 33, 1024, 1025, 5000]:
    lcase("append", lambda n: [x for x in range(n)], n)
    lcase("prepend", lambda n: list(range(n - 1, -1, -1)), n)

# dicts and sets as persistent maps: keys (i * 7919) % m for i in range(n), values i;
# dict(zip(...)) and the same built by {**d, k: v} steps (insertion order, first position
# kept, last value), and sets (signature of the sorted items: set order is not CPython's)
def dict_steps(n, m):
    d = {}
    for i in range(n):
        d = {**d, (i * 7919) % m: i}
    return d


for n in [0, 1, 31, 32, 33, 100, 1000, 3000]:
    for m in [1, 7, 32, 33, 1024, 100003]:
        cases.append(("dsig:new", json.dumps([n, m]), repr(lsig(
            [x for kv in dict(zip([(i * 7919) % m for i in range(n)], range(n))).items() for x in kv]))))
        if n <= 1000:
            cases.append(("dsig:set", json.dumps([n, m]), repr(lsig(
                [x for kv in dict_steps(n, m).items() for x in kv]))))
        cases.append(("ssig:new", json.dumps([n, m]), repr(lsig(sorted(set((i * 7919) % m for i in range(n)))))))
        cases.append(("ssig:add", json.dumps([n, m]), repr(lsig(sorted(frozenset((i * 7919) % m for i in range(n)))))))

# items compared inside containers: identity first (one nan object, as our inline floats)
NAN = float("nan")
for a, b in [([NAN], [NAN]), ((NAN,), (NAN,)), ([NAN, 1.0], [NAN, 2.0]), ([1, NAN], [1, NAN]),
             ({1: NAN}, {1: NAN}), ((NAN, [NAN]), (NAN, [NAN])), ({NAN: 1}, {NAN: 1})]:
    for name in ["eq", "ne", "lt", "le"]:
        case(name, getattr(o, name), a, b)
for c in [[NAN, 1.0], (NAN,), {NAN: 1}, frozenset([NAN]), {NAN}]:
    case("contains", lambda c, x: x in c, c, NAN)
case("getitem", o.getitem, {NAN: "found"}, NAN)
case("len", len, {NAN, NAN})

print("/* Generated by gen_cases.py with CPython %s; do not edit. */" % __import__("sys").version.split()[0])
print("static const char *const gen_cases[][3] = {")
for op, args, exp in cases:
    print("    {%s, %s, %s}," % (c_str(op), c_str(args), c_str(exp)))
print("};")
