"""Generates osr_gen.h for test_jit.c: programs whose function is called once and loops long,
so that the interpreter's frame enters native code at a loop header (on-stack replacement),
and what CPython gives for each (the value, or the exception and the line it is raised at in
f). The functions take a default parameter (k), so that --jit=always does not compile the
call itself: the loop goes native only through OSR. Deoptimisations inside the OSR code
(int64 overflow in iteration k, division by zero, a float sequence with an int item, a
callee that overflows, math.sqrt of a negative number, an index out of range, an unbound
local) must resume the interpreter exactly where native code stopped. Then random functions
(seeded) whose outer loop runs 3000 times.
Run: python3 gen_osr.py > osr_gen.h"""
import json
import os
import random
import sys
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interp"))
from mkir import block  # noqa: E402

# (name, source defining f (and helpers) and r, whether the loop is expected to deoptimise)
CASES = [
    ("rest of a range loop", """
def f(n, k=1):
    t = 0
    for i in range(n):
        t = (t * 31 + i * k) % 1000000007
    return t
r = f(300000)
""", False),
    ("overflow in iteration k", """
def f(n, k=1):
    t = 0
    for i in range(n):
        t = t + i * i * i * k
    return t
r = f(100000)
""", True),
    ("zero division", """
def f(n, k=1):
    t = 0
    for i in range(n):
        t = t + 1000 // (50000 - i * k)
    return t
r = f(100000)
""", True),
    ("nested loops and while", """
def f(n, k=1):
    t = 0
    for i in range(n):
        j = 0
        while j < i % 7:
            t = t + (i ^ j) * k
            j = j + 1
    return t
r = f(100000)
""", False),
    ("float sequence with an int item", """
def f(xs, k=1):
    t = 0.0
    for v in xs:
        t = t + v * k
    return t
r = f([0.5] * 70000 + [3] + [0.25] * 30000)
""", True),
    ("callee overflows", """
def g(x):
    return x * x * x * x * x
def f(n, k=1):
    t = 0
    for i in range(n):
        t = t + g(i) % 1000 * k
    return t
r = f(20000)
""", True),
    ("math domain error", """
import math
def f(n, k=1):
    t = 0.0
    for i in range(n):
        t = t + math.sqrt(n // 2 - i * k)
    return t
r = f(100000)
""", True),
    ("index out of range", """
def f(xs, k=1):
    i = 0
    t = 0
    while i <= len(xs):
        t = t + xs[i] * k
        i = i + 1
    return t
r = f(tuple(range(50000)))
""", True),
    ("int or float accumulator", """
def f(n, k=2):
    acc = 0
    x = 0.5
    while x < n:
        acc = acc + x / k
        x = x + 1.0
    return acc
r = f(100000)
""", False),
    ("the with-block's own loop", """
r = 0
for i in range(300000):
    r = (r * 31 + i) % 1000000007
""", False),
    ("the with-block's own loop outgrows int64", """
r = 0
x = 0.0
for i in range(100000):
    r = r + i * i * i
    x = x + i / 7
r = r + int(x)
""", True),
    ("unbound local after the loop", """
def f(n, k=1):
    t = 0
    for i in range(n):
        t = t + i * k
    if t < 0:
        return t
    return t + y
    y = 1
r = f(50000)
""", True),
]


def enc(v):
    if isinstance(v, int) and not isinstance(v, bool) and not -2**63 <= v < 2**63:
        return {"int": format(v, 'x')}
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        return {"float": "nan" if v != v else repr(v)}
    return v


def rand_expr(rng, names, depth):
    if depth <= 0 or rng.random() < 0.3:
        if rng.random() < 0.7:
            return rng.choice(names)
        return repr(rng.choice([0, 1, 2, 3, -1, 7, 10, 255, 2**31, 2**62, -2**63, 0.5, 1.25, -3.0]))
    op = rng.choice(["+", "-", "*", "//", "%", "+", "-", "*", "/"])
    return "(%s %s %s)" % (rand_expr(rng, names, depth - 1), op, rand_expr(rng, names, depth - 1))


def rand_case(rng, n):
    """A random function whose outer loop runs 3000 times (OSR in --jit=always), with
    overflows, divisions by zero and int/float mixes on the way (seeded: a stable file)."""
    lines = ["def f(a, b, k=1):", "    acc = 0", "    t = a", "    for j in range(3000):"]
    names = ["a", "b", "acc", "t", "j"]
    for _ in range(rng.randint(1, 4)):
        kind = rng.random()
        if kind < 0.35:   # kept bounded: 3000 iterations must not grow numbers without end
            lines.append("        t = %s %% 1000003" % rand_expr(rng, names, 2))
        elif kind < 0.6:
            lines.append("        for i in range(%d):" % rng.randint(0, 5))
            lines.append("            acc = (acc + %s) %% 1000003" % rand_expr(rng, names + ["i"], 2))
        elif kind < 0.8:
            lines.append("        if %s %s %s:" % (rand_expr(rng, names, 1),
                                                  rng.choice(["<", "<=", "==", "!=", ">", ">="]),
                                                  rand_expr(rng, names, 1)))
            lines.append("            return %s" % rand_expr(rng, names, 2))
        else:
            lines.append("        acc = (acc + %s) %% 1000003" % rand_expr(rng, names, 1))
    lines.append("    return acc + t * k")
    vals = [0, 1, -1, 3, 17, 2**31, 2**62, -2**63, 2.5, -0.5]
    return ("random %d" % n, "\n".join(lines) + "\nr = f(%r, %r)\n" % (rng.choice(vals), rng.choice(vals)),
            False, False)


def expected(src):
    """{"r": value} or {"exception": type, "line": line in t.py of f's frame}."""
    g = {}
    try:
        exec(compile(src, "t.py", "exec"), g)
        return {"r": enc(g["r"])}
    except Exception as e:  # noqa: BLE001
        lines = [fr.lineno for fr in traceback.extract_tb(e.__traceback__) if fr.name == "f"]
        return {"exception": type(e).__name__, "line": lines[-1]}


def main():
    print("/* Generated by gen_osr.py — do not edit. */")
    print("typedef struct ocase { const char *name, *ir, *expected; int deopts, osr; } ocase;")
    print("static const ocase ocases[] = {")
    rng = random.Random(11)
    cases = [c + (True,) for c in CASES] + [rand_case(rng, n) for n in range(24)]
    for name, src, deopts, osr in cases:
        ir = json.dumps(block(src, ["r"]), separators=(",", ":"))
        print("  {%s,\n   %s,\n   %s, %d, %d}," % (json.dumps(name), json.dumps(ir),
                                                json.dumps(json.dumps(expected(src))),
                                                int(deopts), int(osr)))
    print("};")


main()
