"""Generates diff_gen.h for test_jit.c: programs (IR made with ../interp/mkir.py from Python
source) whose numeric functions the JIT compiles, and the result CPython gives for each.
test_jit.c runs every program in the interpreter alone and with the JIT compiling every call
(--jit=always), and checks both against CPython: boundary values of every operator
(INT64_MIN, -1, 0, overflow edges: the deoptimisation paths), hand-written cases (recursion,
calls, range loops, globals), and random small functions (seeded, so the file is stable).
Run: python3 gen_diff.py > diff_gen.h"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interp"))
from mkir import block  # noqa: E402

sys.setrecursionlimit(20000)

B = [-2**63, -2**63 + 1, -2**62, -3037000500, -2**31, -65, -7, -2, -1, 0, 1, 2, 3, 7, 64,
     2**31, 3037000499, 3037000500, 2**62, 2**63 - 1]
SHIFTS = [-1, 0, 1, 2, 31, 62, 63, 64, 65, 100]
EXPS = [-2, -1, 0, 1, 2, 3, 5, 31, 62, 63, 64]
FLOATS = [-2.5, -1.0, -0.0, 0.0, 0.5, 1e300, 3.0, 7.25]

RUNNER = """
def run(args):
    out = []
    for a, b in args:
        try:
            out = out + [f(a, b)]
        except ZeroDivisionError:
            out = out + ["ZeroDivisionError"]
        except OverflowError:
            out = out + ["OverflowError"]
        except ValueError:
            out = out + ["ValueError"]
        except UnboundLocalError:
            out = out + ["UnboundLocalError"]
        except IndexError:
            out = out + ["IndexError"]
    return out
r = run(ARGS)
"""


def enc(v):
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v if -2**63 <= v < 2**63 else {"int": format(v, 'x')}
    if isinstance(v, float):
        if v != v:
            return {"float": "nan"}
        if v in (float('inf'), float('-inf')):
            return {"float": repr(v)}
        return v
    if isinstance(v, str):
        return v
    if isinstance(v, list):
        return {"list": [enc(x) for x in v]}
    if isinstance(v, tuple):
        return {"tuple": [enc(x) for x in v]}
    raise TypeError(type(v))


def case(name, fsrc, args):
    src = fsrc + RUNNER
    g = {"ARGS": args}
    exec(src, g)
    ir = block(src, ["r"], globals_={"ARGS": "args"},
               defs={"args": {"kind": "value", "value": enc(args)}})
    return name, json.dumps(ir, separators=(",", ":")), json.dumps({"r": enc(g["r"])})


def op_cases():
    out = []
    pairs = [(a, b) for a in B for b in B]
    for op in ["+", "-", "*", "//", "%", "/", "&", "|", "^", "<", "<=", "==", "!=", ">", ">="]:
        out.append(case("op " + op, "def f(a, b):\n    return a %s b\n" % op, pairs))
    out.append(case("op **", "def f(a, b):\n    return a ** b\n", [(a, e) for a in B for e in EXPS]))
    for op in ["<<", ">>"]:
        out.append(case("op " + op, "def f(a, b):\n    return a %s b\n" % op,
                        [(a, s) for a in B for s in SHIFTS]))
    fpairs = [(x, y) for x in FLOATS for y in FLOATS] + [(x, b) for x in FLOATS for b in B[::3]] + \
             [(b, x) for x in FLOATS for b in B[::3]]
    for op in ["+", "-", "*", "/", "//", "%", "<", "<=", "==", "!=", ">", ">="]:
        out.append(case("float op " + op, "def f(a, b):\n    return a %s b\n" % op, fpairs))
    out.append(case("float **", "def f(a, b):\n    return a ** b\n",
                    [(x, e) for x in FLOATS for e in [0, 1, 2, 3, 10, 200]]))
    out.append(case("unary", "def f(a, b):\n    return -a + (~b) * 2 + (not a) - (a is b) + (a is not b) + (+b)\n",
                    [(a, b) for a in B for b in B[:3]]))
    out.append(case("neg", "def f(a, b):\n    return -a\n", [(a, 0) for a in B]))
    out.append(case("bool args", "def f(a, b):\n    return a + b\n",
                    [(True, False), (True, True), (True, 2**63 - 1), (False, -2**63)]))
    return out


HAND = [
    ("isPrime", """
def isPrime(p):
    x = 2
    while x*x <= p:
        if p%x == 0:
            return 0
        x = x + 1
    return 1
def f(a, b):
    s = 0
    for x in range(a, b):
        s = s + isPrime(x)
    return s
""", [(0, 1000), (10**6, 10**6 + 200), (-5, 3)]),
    ("fib recursion", """
def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)
def f(a, b):
    return fib(a) + b
""", [(0, 0), (1, 5), (20, 1), (25, 0)]),
    ("mutual recursion", """
def even(n):
    if n == 0:
        return True
    return odd(n - 1)
def odd(n):
    if n == 0:
        return False
    return even(n - 1)
def f(a, b):
    return even(a) != odd(b)
""", [(0, 0), (10, 3), (501, 77)]),
    ("gcd", """
def gcd(a, b):
    while b:
        a, b = b, a % b
    return a
def f(a, b):
    return gcd(a, b)
""", [(12, 18), (-12, 18), (0, 0), (2**62, 3**39), (-2**63, -1)]),
    ("range steps", """
def f(a, b):
    s = 0
    for i in range(a, b, -3):
        s = s + i
    for j in range(b, a, 7):
        s = s - j * 2
    for k in range(a % 50):
        s = s ^ k
    return s
""", [(10, -10), (-10, 10), (100, 0), (0, 0), (2**63 - 5, 2**63 - 100), (5, 2**63 - 1 - 20)]),
    ("range step zero", """
def f(a, b):
    s = 0
    for i in range(a, b, 0):
        s = s + i
    return s
""", [(1, 2)]),
    ("globals and floats", """
SCALE = 2.5
LIMIT = 40
FLAG = True
def g(x):
    return x * SCALE
def f(a, b):
    t = 0.0
    for i in range(LIMIT):
        if FLAG and i % 3 == 0:
            t = t + g(i) / (a + 1.5)
        else:
            t = t - i / 3
    return t + b
""", [(1, 0), (-2, 7), (100, 2**53 + 1)]),
    ("numeric integration", """
def fx(x):
    return 4.0 / (1.0 + x * x)
def f(a, b):
    h = 1.0 / a
    s = 0.0
    for i in range(a):
        s = s + fx((i + 0.5) * h)
    return s * h + b
""", [(1000, 0), (7, 1)]),
    ("exact growth", """
def f(a, b):
    s = 0
    for x in range(a):
        s = s + x ** 3 * b
    return s
""", [(100, 1), (2000, 2**40), (10, -2**62)]),
    ("unbound and None", """
def h(x):
    if x > 0:
        y = x
    return y
def k(x):
    if x:
        return None
    return None
def f(a, b):
    if k(a) is None:
        return h(b)
    return 0
""", [(1, 1), (0, 5), (1, -1)]),
    ("mixed returns", """
def h(x):
    if x > 0:
        return 1
    return 1.5
def f(a, b):
    return h(a) + h(b)
""", [(1, -1), (-1, 1)]),
    ("builtins", """
def f(a, b):
    x = abs(a) + abs(b * 2)
    y = min(a, b) - max(a, b)
    z = float(a) / 4 + int(float(b) / 3.0)
    w = min(float(a), float(b) * 0.5) + max(abs(float(a)), 1.5) + int(2.75) + int(-2.75)
    return x + y + z + w
""", [(3, -4), (-2**63 + 1, 5), (-2**63, 0), (2**53 + 1, -7), (0, 0), (10**18, -10**18)]),
    ("int of float", """
def f(a, b):
    return int(a * 1.5) + int(b)
""", [(1.0, 2.5), (1e300, 0.0), (-3.0, -0.5), (float("nan"), 1.0), (float("inf"), 1.0)]),
    ("int or float", """
def g(x):
    if x > 0:
        return x * 2
    return x / 4
def f(a, b):
    acc = 0
    for i in range(a % 20):
        acc = acc + i / (b + 0.5)
    if b > 3:
        acc = -acc
    t = g(a) + g(b) - acc
    u = 0
    if a > 2:
        u = 2.5
    v = u < b
    w = u * 3 + a // 2 - (u // 1) + u % 3
    if not u:
        return t + v
    return w + t + (-u) + (+u) + float(u)
""", [(0, 0), (0, 7), (5, 2), (5, 7), (-3, 2**62 + 1), (3, 2**62 + 1), (2**62, -2**63),
      (17, -1), (1, 2**53 + 1)]),
    ("math", """
import math
def g(x):
    return math.sqrt(x) + math.exp(x / 10) - math.log(x + 1) + math.sin(x) * math.cos(x)
def f(a, b):
    t = 0.0
    for i in range(1, 20):
        t = t + g(i * 0.25) + math.atan(i) - math.tan(i / 7) + math.fabs(-i) * math.pi
    r = math.floor(a / 3) + math.ceil(b * 1.5) + math.floor(a) + math.tau + math.e
    return t + r + math.sqrt(b)
""", [(1, 2), (7, 0), (-5, 3), (3, -1), (2.5, 4.0), (1e300, 1), (float("inf"), 1), (1, 1e308)]),
    ("sequences: dot, for, truth", """
def sdot(xs, ys):
    s = 0.0
    for i in range(len(xs)):
        s = s + xs[i] * ys[i]
    return s
def sself(xs):
    if not xs:
        return -1.0
    t = 0.0
    for v in xs:
        for w in xs:
            t = t + v * w
    return t
def f(a, b):
    return sdot(a, b) + sself(a) - sself(b)
""", [([1.5, 2.0], [2.0, 4.0]), ([i * 0.25 for i in range(100)], [1.0 / (i + 1) for i in range(100)]),
      ((), ()), ((0.5, -1.5, 3.0), [2.0, 2.0, 2.0]), ([1.5, 2], [1.0, 1.0]), ([1.0, 2.0], [3.0, 4])]),
    ("sequences: ints, indices, deopts", """
def stotal(t):
    s = 0
    for v in t:
        s = s + v
    return s
def sitem(xs, i):
    return xs[i] * 3 + xs[-1] - xs[-len(xs)]
def sback(xs):
    s = 0
    for i in range(len(xs) - 1, -1, -1):
        s = s * 3 + xs[i]
        s = s % 1000003
    return s
def f(a, b):
    return stotal(a) + sitem(a, b) + len(a) + sback(a)
""", [([1, 2, 3], -1), ([1, 2, 3], 3), ([1, 2, 3], -4), (list(range(100)), -100),
      (tuple(range(-50, 50)), 99), ((5, 6), 1), ([2**62, 2**62], 0), ([1, 2.5], 0),
      ([True, 2], 1), ([2**70, 1], 1), ([], 0), ([7], 2**62), ([7], -2**63)]),
    ("deep recursion", """
def down(n):
    if n == 0:
        return 0
    return 1 + down(n - 1)
def f(a, b):
    return down(a) + b
""", [(10, 0), (5000, 1)]),
]


def rand_expr(rng, names, depth):
    if depth <= 0 or rng.random() < 0.3:
        if rng.random() < 0.7:
            return rng.choice(names)
        return repr(rng.choice([0, 1, 2, 3, -1, 7, 10, 255, 2**31, 2**62, -2**63, 0.5, 1.25, -3.0]))
    op = rng.choice(["+", "-", "*", "//", "%", "+", "-", "*", "/", "**2"])
    a = rand_expr(rng, names, depth - 1)
    if op == "**2":  # on a parameter only: loops must not grow numbers without bound
        return "(%s ** %d)" % (rng.choice(["a", "b"]), rng.choice([0, 1, 2, 3]))
    return "(%s %s %s)" % (a, op, rand_expr(rng, names, depth - 1))


def rand_case(rng, n):
    lines = ["def f(a, b):", "    acc = 0", "    t = a"]
    names = ["a", "b", "acc", "t"]
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.35:
            lines.append("    t = %s" % rand_expr(rng, names, 2))
        elif kind < 0.6:
            lines.append("    for i in range(%d):" % rng.randint(0, 12))
            lines.append("        acc = acc + %s" % rand_expr(rng, ["a", "b", "i", "t"], 2))
        elif kind < 0.8:
            lines.append("    if %s %s %s:" % (rand_expr(rng, names, 1), rng.choice(["<", "<=", "==", "!=", ">", ">="]),
                                              rand_expr(rng, names, 1)))
            lines.append("        return %s" % rand_expr(rng, names, 2))
        else:
            lines.append("    n = 0")
            lines.append("    while n < %d:" % rng.randint(0, 9))
            lines.append("        t = t + %s" % rand_expr(rng, ["a", "b", "n", "acc"], 1))
            lines.append("        n = n + 1")
    lines.append("    return %s" % rand_expr(rng, names, 2))
    vals = [0, 1, -1, 3, 17, -1000, 2**31, 2**62, -2**63, 2**63 - 1, 2.5, -0.5]
    args = [(rng.choice(vals), rng.choice(vals)) for _ in range(8)]
    return case("random %d" % n, "\n".join(lines) + "\n", args)


def main():
    cases = op_cases()
    for name, src, args in HAND:
        cases.append(case(name, src, args))
    rng = random.Random(6)
    n = 0
    while n < 60:
        try:
            cases.append(rand_case(rng, n))
        except (MemoryError, RecursionError):
            continue
        n += 1
    print("/* Generated by gen_diff.py — do not edit. */")
    print("typedef struct dcase { const char *name, *ir, *expected; } dcase;")
    print("static const dcase dcases[] = {")
    for name, ir, exp in cases:
        print("  {%s,\n   %s,\n   %s}," % (json.dumps(name), json.dumps(ir), json.dumps(exp)))
    print("};")


main()
