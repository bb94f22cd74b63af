"""Generates inst_gen.h for test_jit.c: programs with instances of user classes as native
arguments (attribute reads of every kind, class constants, methods calling methods,
inheritance, a subclass where the base was compiled, a property, int overflow in a method,
AttributeError and ZeroDivisionError from native calls), and the result CPython gives for
each. test_jit.c runs each in the interpreter alone and with the JIT compiling every call
(--jit=always) and checks both against CPython, then which functions compiled.
Run: python3 gen_inst.py > inst_gen.h"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "interp"))
from mkir import block  # noqa: E402

CLASSES = """
class P:
    K = 7
    F = 0.25
    B = True
    N = None

    def __init__(self, x, y):
        self.x = x
        self.y = y
        self.flag = x > y
        self.none = None
        self.name = "p"

    def dot(self, o):
        return self.x * o.x + self.y * o.y

    def norm2(self):
        return self.dot(self)

    def consts(self):
        if self.N is None and self.B:
            return self.x * self.K + self.F
        return 0.0

    def kinds(self):
        t = 0
        if self.flag:
            t = t + 1
        if self.none is None:
            t = t + 10
        return t

    def grow(self, n):
        s = 1
        for _ in range(n):
            s = s * self.x
        return s

    def ratio(self, d):
        return self.x // d

    def missing(self):
        return self.nothere

    def same(self, o):
        if self is o:
            return 1
        if o is None or self.none is not None:
            return 2
        if self:
            if o is not None:
                return 3
        return 4

    def text(self):
        return self.name

    @property
    def area(self):
        return self.x * self.y

    def twice(self):
        return self.area * 2


class Q(P):
    def __init__(self, x, y, z):
        P.__init__(self, x, y)
        self.z = z

    def dot(self, o):
        return self.x * o.x + self.y * o.y + self.z * 3


class Particle:
    def __init__(self, pos, vel, ws):
        self.pos = pos
        self.vel = vel
        self.ws = ws

    def total(self, dt):
        s = self.pos.x * dt + self.vel.norm2()
        for w in self.ws:
            s = s + w
        return s + len(self.ws) + self.ws[-1]


def energy(p, n):
    e = 0.0
    for i in range(n):
        e = e + p.norm2() * i
    return e


def call_dot(p, q):
    return p.dot(q)
"""

RUNNER = """
def run(mk):
    out = []
    for k in range(-3, 4):
        p = mk(k)
        q = P(k * 2, 1.5)
        for c in CALLS:
            try:
                out = out + [c(p, q, k)]
            except ZeroDivisionError:
                out = out + ["ZeroDivisionError"]
            except AttributeError:
                out = out + ["AttributeError"]
    return out
r = run(MK)
"""

CALLS = {
    "dot": "lambda p, q, k: p.dot(q)",
    "norm2": "lambda p, q, k: p.norm2()",
    "consts": "lambda p, q, k: p.consts()",
    "kinds": "lambda p, q, k: p.kinds()",
    "grow": "lambda p, q, k: p.grow(abs(k) * 13)",
    "ratio": "lambda p, q, k: p.ratio(k)",
    "missing": "lambda p, q, k: p.missing()",
    "twice": "lambda p, q, k: p.twice()",
    "energy": "lambda p, q, k: energy(p, 5)",
    "call_dot": "lambda p, q, k: call_dot(q, p)",
    "same": "lambda p, q, k: p.same(q) + p.same(p) * 10",
    "particle": "lambda p, q, k: Particle(p, q, [k, 2, 3]).total(k)",
    "particlef": "lambda p, q, k: Particle(q, p, (0.5, k * 1.5)).total(2)",
}

MAKERS = [
    ("ints", "lambda k: P(k, k + 2)"),
    ("floats", "lambda k: P(k * 0.5, -1.25)"),
    ("bools", "lambda k: P(k > 0, True)"),
    ("subclass", "lambda k: Q(k, 3, 2)"),
    ("big", "lambda k: P(2 ** 62 + k, 2 ** 62)"),
]


def enc(v):
    """CPython's value in the IR's JSON value encoding."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return v if -2**63 <= v < 2**63 else {"int": format(v, 'x')}
    if isinstance(v, float):
        return v
    if isinstance(v, list):
        return {"list": [enc(x) for x in v]}
    raise TypeError(type(v))


def case(name, mk):
    src = (CLASSES + "CALLS = [" + ", ".join(CALLS.values()) + "]\nMK = " + mk + "\n" + RUNNER)
    g = {}
    exec(src, g)
    ir = block(src, ["r"])
    return name, json.dumps(ir, separators=(",", ":")), json.dumps({"r": enc(g["r"])})


GUARD_SRC = """
class P:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def get(self):
        return self.x + self.y


class Q(P):
    def get(self):
        return self.x - self.y


class R:
    def __init__(self, y, x):
        self.y = y
        self.x = x

    def get(self):
        return self.x + self.y


def f(p):
    return p.get() * 2


a = P(3, 4)
b = P(5, 6)
c = P(1.5, 2)
d = Q(3, 4)
e = R(4, 3)
"""
GUARD_NAMES = ["f", "a", "b", "c", "d", "e"]


def main():
    print("/* Generated by gen_inst.py — do not edit. */")
    g = {}
    exec(GUARD_SRC, g)
    print("/* the guard program: f(p) of instances of one layout, another, a subclass, a class")
    print(" * of another layout with the same names: f(a), f(b), f(c), f(d), f(e) */")
    print("static const char *guard_names[] = {%s};" % ", ".join('"%s"' % n for n in GUARD_NAMES))
    print("static const char *guard_ir = %s;" % json.dumps(json.dumps(block(GUARD_SRC, GUARD_NAMES),
                                                                        separators=(",", ":"))))
    print("static const double guard_expect[] = {%s};" % ", ".join(
        repr(float(g["f"](g[n]))) for n in GUARD_NAMES[1:]))
    print("static const dcase icases[] = {")
    for name, mk in MAKERS:
        n, ir, exp = case(name, mk)
        print("  {%s,\n   %s,\n   %s}," % (json.dumps(n), json.dumps(ir), json.dumps(exp)))
    print("};")


if __name__ == "__main__":
    main()
