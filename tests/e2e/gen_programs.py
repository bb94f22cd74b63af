"""A seeded generator of random whole programs inside pyfora's Pure Python subset
(docs/pure-python.md), for the differential fuzzer tests/e2e/test_fuzz.py.

`program(seed)` returns the source of a module (deterministic per seed) that defines
`main()`. main() calls a few generated "cases" (functions taking no arguments), each inside
its own try/except, and returns a list with one item per case: the case's value, or
("exc", type name, message) when it raised. Cases mix ints (small, huge, negative), floats,
bools, None, strings (slicing, methods, % and f-string formatting), tuples, lists, dicts and
sets (comprehensions, methods, `in`), classes (methods, properties, inheritance, super()),
closures and lambdas, loops with break/continue/else, if/elif chains, recursion, generators,
try/except/finally with raise of builtin exceptions, and the builtins folds.

Programs stay clear of the semantics docs/pure-python.md documents as our choice:
  - "`sum` of floats is correctly rounded" (Semantics we chose): sum() only ever sees ints;
  - "`hash()` of a `str` is deterministic": hash() only of ints and tuples of ints;
  - "Recursion limit": recursion is at most ~20 deep;
  - identity of floats in containers (Not yet supported): no nan inside containers;
  - set iteration order is CPython's hash order, an implementation detail that Python does
    not promise: sets are only iterated through sorted(), or by order-free folds
    (len, sum of ints, min, max, any, all, in).
Mutating methods, print, augmented assignment, attribute assignment outside __init__ and
item assignment are never generated (the subset rejects them).
Run `python3 gen_programs.py SEED` to print one program.
"""
import random
import sys

SMALL = list(range(-12, 13))
HUGE = ["2 ** 64", "-(2 ** 64)", "2 ** 100 + 7", "-(3 ** 70)", "10 ** 30 - 1",
        "9223372036854775807", "-9223372036854775808", "2 ** 63", "-(2 ** 63) - 1",
        "(1 << 127) - 1", "4611686018427387904", "-4611686018427387905", "2 ** 200 - 3"]
FLOATS = ["0.5", "-1.25", "3.0", "0.1", "-0.0", "1e300", "-2.5e-300", "1e16", "7.75",
          "123.456", "-0.3", "2.0", "1.5", "1e-7", "float('inf')", "-float('inf')", "1e22",
          "0.125", "-7.0", "5e-324"]
WORDS = ["", "a", "ab", "hello", "Hello World", "  pad  ", "x,y,,z", "AbC", "straße",
         "été", "123", "-42", "a-b-c", "mississippi", "tab\tsep", "MiXeD cAsE", "0",
         "  ", "z", "Ünïcode", "3.5", "line\nbreak", "q'uote", 'd"q']


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.top = []        # module-level definitions
        self.n = 0
        self.classes = []    # (name, nfields)
        self.gens = []       # generator function names: gen(n) yields ints
        self.recs = []       # recursive function names: rec(n) -> int, n small
        self.closures = []   # closure makers: mk(k) -> function(int) -> int

    # ------------------------------------------------------------ helpers
    def name(self, p):
        self.n += 1
        return "%s%d" % (p, self.n)

    def pick(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    def var(self, env, t):
        vs = env.get(t)
        if vs and self.chance(0.6):
            return self.pick(vs)
        return None

    # ------------------------------------------------------------ ints
    def small(self):
        return str(self.pick(SMALL))

    def int_lit(self):
        x = self.r.random()
        if x < 0.6:
            s = self.small()
        elif x < 0.85:
            s = self.pick(HUGE)
        else:
            s = str(self.r.randint(-10 ** 6, 10 ** 6))
        return s if s.lstrip("0123456789") == "" else "(%s)" % s   # ** is right-associative

    def int_e(self, env, d):
        v = self.var(env, "int")
        if v and self.chance(0.5):
            return v
        if d <= 0:
            return v or self.int_lit()
        a = lambda: self.int_e(env, d - 1)
        k = self.r.randint(0, 36)
        if k == 0:
            return "(%s %s %s)" % (a(), self.pick(["+", "-", "*"]), a())
        if k == 1:
            return "(%s %s %s)" % (a(), self.pick(["//", "%"]), a())
        if k == 2:
            return "(%s ** %d)" % (a(), self.r.randint(0, 9))
        if k == 3:
            return "(%s %s %d)" % (a(), self.pick(["<<", ">>"]), self.r.randint(-1, 130))
        if k == 4:
            return "(%s %s %s)" % (a(), self.pick(["&", "|", "^"]), a())
        if k == 5:
            return "(~%s)" % a()
        if k == 6:
            return "abs(%s)" % a()
        if k == 7:
            return "divmod(%s, %s)[%d]" % (a(), a(), self.r.randint(0, 1))
        if k == 8:
            return "len(%s)" % self.pick([self.str_e(env, d - 1), self.list_e(env, d - 1),
                                          self.dict_e(env, d - 1), self.set_e(env, d - 1)])
        if k == 9:
            return "sum(%s)" % self.list_e(env, d - 1)
        if k == 10:
            f = self.pick(["min", "max"])
            if self.chance(0.3):
                return "%s(%s, key=lambda q: %s)" % (f, self.list_e(env, d - 1),
                                                      self.pick(["-q", "q % 5", "abs(q - 3)",
                                                                 "(q & 3, -q)", "str(q)"]))
            if self.chance(0.3):
                return "%s(%s, default=%s)" % (f, self.list_e(env, d - 1), self.int_lit())
            return "%s(%s)" % (f, self.pick([self.list_e(env, d - 1), self.set_e(env, d - 1),
                                             "%s, %s" % (a(), a())]))
        if k == 11:
            return "int(%s)" % self.pick([self.float_e(env, d - 1), self.pick(
                ['"%d"' % self.r.randint(-999, 999), '" 17 "', '"0x1f"', '"1_000"', '"12a"',
                 '"-0"', '"٣٤"']), "True"])
        if k == 12:
            return "round(%s)" % self.float_e(env, d - 1)
        if k == 13:
            return "(%s if %s else %s)" % (a(), self.bool_e(env, d - 1), a())
        if k == 14:
            return "%s[%s]" % (self.list_e(env, d - 1), self.idx(env, d - 1))
        if k == 15:
            return "%s.get(%s, %s)" % (self.dict_e(env, d - 1), self.str_e(env, d - 1), a())
        if k == 16:
            return "sum(%s for %s in %s if %s)" % (self.pick(["w * w", "w", "w // 3", "-w",
                                                             "w % 7"]), "w",
                                                  self.iter_e(env, d - 1),
                                                  self.pick(["w % 2", "w > 0", "True", "w != 3"]))
        if k == 17:
            return "%s.%s(%s)" % (self.str_e(env, d - 1), self.pick(["find", "count", "rfind"]),
                                  self.str_e(env, 0))
        if k == 18:
            return "ord(%s)" % self.pick(['"a"', '"ß"', '"€"', '"Z"'])
        if k == 19:
            return "hash(%s)" % self.pick([a(), "(%s, %s)" % (a(), a())])
        if k == 20 and self.recs:
            return "%s(%d)" % (self.pick(self.recs), self.r.randint(-1, 12))
        if k == 21 and self.closures:
            return "%s(%s)(%s)" % (self.pick(self.closures), a(), a())
        if k == 22 and self.gens:
            return "sum(%s(%d))" % (self.pick(self.gens), self.r.randint(0, 9))
        if k == 23 and self.classes:
            return self.obj_int(env, d - 1)
        if k == 24:
            return "pow(%s, %d, %s or 7)" % (a(), self.r.randint(0, 40), a())
        if k == 25:
            return "(%s + %s)" % (self.bool_e(env, d - 1), a())
        if k == 26:
            return "%s[%s]" % (self.tup_e(env, d - 1), self.idx(env, d - 1))
        if k == 27:
            lo, st = a(), self.pick(["1", "-1", "3", "-2", "7"])
            return "range(%s, %s %s 25, %s)[%s]" % (lo, lo, "-" if "-" in st else "+", st,
                                                   self.idx(env, d - 1))
        if k == 28:
            return "len(range(%s, %s, %s))" % (a(), a(), self.pick(["1", "-1", "3", "-4", "0"]))
        if k == 29:
            return "int(%s, %d)" % (self.pick(['"ff"', '"-101"', '"zz"', '"7"', '"0b11"']),
                                    self.pick([2, 8, 16, 36, 0]))
        if k == 30:
            return "(%s %s %s)" % (a(), self.pick(["+", "*", "-"]), a())
        if k == 31:
            return "%s(%s)" % (self.pick(["min", "max"]), self.pick([
                "(w * 3 - 1 for w in %s)" % self.iter_e(env, d - 1),
                "(w for w in %s if w %% 2), default=%s" % (self.iter_e(env, d - 1), self.small())]))
        if k == 32:
            dct = self.dict_e(env, d - 1)
            return self.pick(["sum(%s.values())" % dct, "len(list(%s.items()))" % dct,
                              "next(iter(%s.values()), %s)" % (dct, self.small()),
                              "sum(len(k) * v for k, v in %s.items())" % dct])
        if k == 33:
            return self.pick(["math.floor(%s)" % self.float_e(env, d - 1),
                              "math.ceil(%s)" % self.float_e(env, d - 1),
                              "math.gcd(%s, %s)" % (a(), a()),
                              "math.isqrt(abs(%s))" % a(),
                              "next(%s, %s)" % (self.pick(["iter(%s)" % self.list_e(env, d - 1)]
                                                          + ["%s(%d)" % (g, self.r.randint(0, 4))
                                                             for g in self.gens]), self.small()),
                              "(%s).bit_length()" % a()])
        return self.int_lit()

    def idx(self, env, d):
        """An index: mostly in -3..3, so that most subscripts succeed."""
        if self.chance(0.8):
            return str(self.r.randint(-3, 3))
        return self.int_e(env, d)

    # ------------------------------------------------------------ floats
    def float_e(self, env, d):
        v = self.var(env, "float")
        if v and self.chance(0.5):
            return v
        if d <= 0:
            return v or self.pick(FLOATS)
        a = lambda: self.float_e(env, d - 1)
        i = lambda: self.int_e(env, d - 1)
        k = self.r.randint(0, 17)
        if k == 0:
            return "(%s %s %s)" % (a(), self.pick(["+", "-", "*", "/"]), a())
        if k == 1:
            return "(%s %s %s)" % (a(), self.pick(["//", "%"]), a())
        if k == 2:
            return "(%s / %s)" % (i(), i())
        if k == 3:
            return "float(%s)" % self.pick([i(), '"%s"' % self.pick(["1.5", "-inf", " 2e3 ",
                                                                      "nan", "1_0.5", "x"])])
        if k == 4:
            return "(abs(%s) ** %s)" % (a(), self.pick(["0.5", "2", "3", "-1", "1.5", "0"]))
        if k == 5:
            return "round(%s, %d)" % (a(), self.r.randint(-2, 4))
        if k == 6:
            return "math.%s(%s)" % (self.pick(["sqrt", "fabs", "exp", "log", "sin", "atan"]),
                                    self.pick([a(), "abs(%s)" % a()]))
        if k == 7:
            return "(%s %s %s)" % (a(), self.pick(["+", "*", "-"]), i())
        if k == 8:
            return "(%s if %s else %s)" % (a(), self.bool_e(env, d - 1), a())
        if k == 9:
            return "%s(%s, %s)" % (self.pick(["min", "max"]), a(), a())
        if k == 10:
            return "(%s ** %d)" % (a(), self.r.randint(-3, 5))
        if k == 11:
            return "abs(%s)" % a()
        if k == 12:
            return "(-%s)" % a()
        if k == 13:
            return "divmod(%s, %s)[%d]" % (a(), a(), self.r.randint(0, 1))
        if k == 14:
            return "%s(%s)" % (self.pick(["min", "max"]), "[%s, %s, %s]" % (a(), a(), i()))
        return self.pick(FLOATS)

    # ------------------------------------------------------------ bools
    def bool_e(self, env, d):
        v = self.var(env, "bool")
        if v and self.chance(0.4):
            return v
        if d <= 0:
            return v or self.pick(["True", "False"])
        k = self.r.randint(0, 11)
        i = lambda: self.int_e(env, d - 1)
        if k == 0:
            return "(%s %s %s)" % (i(), self.pick(["<", "<=", "==", "!=", ">", ">="]), i())
        if k == 1:
            return "(%s %s %s)" % (self.float_e(env, d - 1),
                                   self.pick(["<", "<=", "==", "!=", ">"]),
                                   self.pick([self.float_e(env, d - 1), i()]))
        if k == 2:
            return "(%s %s %s)" % (self.str_e(env, d - 1), self.pick(["<", "==", ">=", "in"]),
                                   self.str_e(env, d - 1))
        if k == 3:
            return "(%s in %s)" % (i(), self.pick([self.list_e(env, d - 1), self.set_e(env, d - 1),
                                                   self.tup_e(env, d - 1)]))
        if k == 4:
            return "(%s %s %s)" % (self.bool_e(env, d - 1), self.pick(["and", "or"]),
                                   self.bool_e(env, d - 1))
        if k == 5:
            return "(not %s)" % self.bool_e(env, d - 1)
        if k == 6:
            return "%s(%s %s for %s in %s)" % (self.pick(["any", "all"]), "w",
                                               self.pick(["> 2", "% 3 == 0", "!= 0", "< 100"]),
                                               "w", self.iter_e(env, d - 1))
        if k == 7:
            return "%s.%s()" % (self.str_e(env, d - 1), self.pick(["isdigit", "isalpha", "isupper",
                                                                   "islower", "isspace", "isalnum"]))
        if k == 8:
            return "(%s %s %s)" % (self.list_e(env, d - 1), self.pick(["<", "==", ">="]),
                                   self.list_e(env, d - 1))
        if k == 9:
            return "(%s < %s < %s)" % (i(), i(), i())
        if k == 10:
            return "(%s in %s)" % (self.str_e(env, d - 1), self.dict_e(env, d - 1))
        return "bool(%s)" % self.pick([i(), self.str_e(env, d - 1), self.list_e(env, d - 1)])

    # ------------------------------------------------------------ strings
    def str_lit(self):
        return repr(self.pick(WORDS))

    def str_e(self, env, d):
        v = self.var(env, "str")
        if v and self.chance(0.5):
            return v
        if d <= 0:
            return v or self.str_lit()
        a = lambda: self.str_e(env, d - 1)
        i = lambda: self.int_e(env, d - 1)
        f = lambda: self.float_e(env, d - 1)
        k = self.r.randint(0, 24)
        if k == 0:
            return "(%s + %s)" % (a(), a())
        if k == 1:
            return "(%s * %s)" % (a(), self.small())
        if k == 2:
            return "%s[%s:%s]" % (a(), self.pick(["", self.small()]), self.pick(["", self.small()]))
        if k == 3:
            return "%s[%s:%s:%s]" % (a(), self.pick(["", self.small()]),
                                     self.pick(["", self.small()]), self.pick(["-1", "2", "-3", "0"]))
        if k == 4:
            return "%s[%s]" % (a(), self.idx(env, 0))
        if k == 5:
            return "%s.%s()" % (a(), self.pick(["upper", "lower", "strip", "title", "swapcase",
                                                "capitalize", "casefold", "lstrip", "rstrip"]))
        if k == 6:
            return "%s.replace(%s, %s)" % (a(), self.pick(['"a"', '"s"', '""', '" "']), a())
        if k == 7:
            return "%s.join(%s)" % (self.pick(['""', '"-"', '", "']), self.lstr_e(env, d - 1))
        if k == 8:
            return "%s.%s(%d%s)" % (a(), self.pick(["center", "ljust", "rjust"]),
                                    self.r.randint(-1, 12), self.pick(["", ', "*"']))
        if k == 9:
            return "%s.zfill(%d)" % (a(), self.r.randint(0, 10))
        if k == 10:
            return '("%s" %% (%s, %s))' % (self.pick(["%d|%s", "%5d/%r", "%x:%s", "%-6d%s",
                                                     "%o..%s", "%+d %10s"]), i(), a())
        if k == 11:
            return '("%s" %% %s)' % (self.pick(["%.3f", "%e", "%g", "%10.2f", "%r", "%s", "%.0f",
                                               "%-9.1e", "%G"]), f())
        if k == 12:
            # the f-string sees only the lambda's parameter: no quotes or backslashes
            # inside its braces, whatever the argument's source holds
            spec, arg = self.pick([("{q:>6}", i), ("{q:,}", i), ("{q:x}", i), ("[{q!r}]", a),
                                   ("{q:^9}", a), ("{q:.2f}", f), ("{q:+08.3f}", f),
                                   ("{q}-{q!s:<3}", i), ("{q:e}", f), ("{q:b}", i),
                                   ("{q:%}", f), ("{q:.4g}", f), ("{q}", f), ("<{q}>", a)])
            return '(lambda q: f"%s")(%s)' % (spec, arg())
        if k == 13:
            return "str(%s)" % self.pick([i(), f(), self.list_e(env, d - 1),
                                          self.tup_e(env, d - 1), self.bool_e(env, d - 1),
                                          "None", self.dict_e(env, d - 1)])
        if k == 14:
            return "repr(%s)" % self.pick([i(), f(), a(), self.lstr_e(env, d - 1)])
        if k == 15:
            return "%s(%s)" % (self.pick(["hex", "oct", "bin"]), i())
        if k == 16:
            return '"{}:{!r}:{:>4}".format(%s, %s, %s)' % (i(), a(), self.small())
        if k == 17:
            return "(%s if %s else %s)" % (a(), self.bool_e(env, d - 1), a())
        if k == 18:
            return "%s.partition(%s)[%d]" % (a(), self.pick(['"-"', '" "', '"s"']),
                                             self.r.randint(0, 2))
        if k == 19:
            return "chr(%s)" % self.pick(["65", "223", "8364", "%s %% 200 + 32" % i()])
        if k == 20:
            return "format(%s, %s)" % (self.pick([i(), f()]),
                                       self.pick(['""', '"08.3f"', '","', '">12"', '"_"', '"e"']))
        if k == 21 and self.classes:
            return "repr(%s)" % self.pick([self.obj(env, d - 1),
                                           "[%s, %s]" % (self.obj(env, d - 1), self.obj(env, d - 1))])
        if k == 22:
            dct = self.dict_e(env, d - 1)
            return self.pick(['"".join(sorted(%s))' % dct, '",".join(%s.keys())' % dct,
                              'str(sorted(%s.items()))' % dct, 'repr(list(%s))' % dct,
                              '"/".join(str(w) for w in %s)' % self.iter_e(env, d - 1),
                              'str(%s)' % dct])
        if k == 23:
            return "%s.%s(%s)" % (a(), self.pick(["removeprefix", "removesuffix", "strip",
                                                  "lstrip", "rstrip"]),
                                  self.pick(['"a"', '"He"', '" "', '"ss"', '"-"']))
        if k == 24 and self.classes:
            cls = self.pick(self.classes)[0]
            o = self.obj(env, d - 1)
            return self.pick(["type(%s).__name__" % o, "str(isinstance(%s, %s))" % (o, cls),
                              "%s.__name__" % cls])
        return self.str_lit()

    def lstr_e(self, env, d):
        if d <= 0 or self.chance(0.3):
            return repr([self.pick(WORDS) for _ in range(self.r.randint(0, 4))])
        s = self.str_e(env, d - 1)
        k = self.r.randint(0, 5)
        if k == 0:
            return "%s.split(%s)" % (s, self.pick(["", '","', '"-"', '"s"']))
        if k == 1:
            return "sorted(%s%s)" % (self.lstr_e(env, d - 1), self.pick(["", ", key=len",
                                                                         ", reverse=True",
                                                                         ", key=str.lower"]))
        if k == 2:
            return "[c for c in %s if c %s]" % (s, self.pick(['!= "a"', '< "m"', '.isalpha()']))
        if k == 3:
            return "%s.rsplit(%s, 1)" % (s, self.pick(['" "', '","']))
        if k == 4:
            return "list(map(str, %s))" % self.list_e(env, d - 1)
        return "[w.strip() for w in %s]" % self.lstr_e(env, d - 1)

    # ------------------------------------------------------------ containers
    def iter_e(self, env, d):
        k = self.r.randint(0, 6)
        if k == 0:
            lo, hi = self.r.randint(-20, 20), self.r.randint(-20, 20)
            return "range(%d, %d, %s)" % (lo, hi, self.pick(["1", "-1", "2", "-3", "5"]))
        if k == 1 and self.gens:
            return "%s(%d)" % (self.pick(self.gens), self.r.randint(0, 8))
        if k == 2:
            return "sorted(%s)" % self.set_e(env, d)
        if k == 3:
            return "reversed(%s)" % self.list_e(env, d)
        if k == 4:
            return "range(%d)" % self.r.randint(0, 15)
        return self.list_e(env, d)

    def list_e(self, env, d):
        v = self.var(env, "list")
        if v and self.chance(0.5):
            return v
        if d <= 0:
            return v or repr([self.pick(SMALL) for _ in range(self.r.randint(0, 6))])
        a = lambda: self.list_e(env, d - 1)
        i = lambda: self.int_e(env, d - 1)
        k = self.r.randint(0, 18)
        if k == 0:
            return "(%s + %s)" % (a(), a())
        if k == 1:
            return "%s[%s:%s%s]" % (a(), self.pick(["", self.small()]), self.pick(["", self.small()]),
                                    self.pick(["", ":-1", ":2", ":-2"]))
        if k == 2:
            return "list(range(%d, %d, %s))" % (self.r.randint(-15, 15), self.r.randint(-15, 15),
                                                 self.pick(["1", "-1", "2", "-3"]))
        if k == 3:
            return "[%s for w in %s if %s]" % (self.pick(["w * 2", "w - 1", "w * w", "-w",
                                                          "w // 2", "w ** 3", "w << 40"]),
                                               self.iter_e(env, d - 1),
                                               self.pick(["w % 2 == 0", "w > -3", "True", "w"]))
        if k == 4:
            return "sorted(%s%s)" % (a(), self.pick(["", ", reverse=True", ", key=lambda q: -q",
                                                     ", key=lambda q: (q % 3, q)",
                                                     ", key=abs, reverse=True"]))
        if k == 5:
            return "list(reversed(%s))" % a()
        if k == 6:
            return "list(map(lambda q: %s, %s))" % (self.pick(["q + 1", "q * q", "q % 4",
                                                               "q // -3", "~q"]), a())
        if k == 7:
            return "list(filter(lambda q: %s, %s))" % (self.pick(["q > 0", "q % 3", "q != 2"]),
                                                       a())
        if k == 8:
            return "(%s * %d)" % (a(), self.r.randint(-1, 3))
        if k == 9:
            return "[x + y for x, y in zip(%s, %s)]" % (a(), a())
        if k == 10:
            return "[i * x for i, x in enumerate(%s, %d)]" % (a(), self.r.randint(-2, 2))
        if k == 11:
            return "[%s, %s, %s]" % (i(), i(), i())
        if k == 12:
            return "sorted(%s)" % self.set_e(env, d - 1)
        if k == 13:
            return "list(%s.values())" % self.dict_e(env, d - 1)
        if k == 14 and self.gens:
            return "list(%s(%d))" % (self.pick(self.gens), self.r.randint(0, 8))
        if k == 15:
            return "[y for x in %s for y in range(x %% 4)]" % a()
        if k == 16:
            dct = self.dict_e(env, d - 1)
            return self.pick(["[v for k, v in %s.items() if k %s]" % (dct, self.pick(
                                  ['< "m"', '!= ""', 'in "abc"'])),
                              "sorted(%s.values(), reverse=True)" % dct,
                              "sorted(w * 2 for w in %s)" % self.iter_e(env, d - 1),
                              "list(tuple(w for w in %s if w))" % self.iter_e(env, d - 1)])
        return repr([self.pick(SMALL) for _ in range(self.r.randint(0, 6))])

    def tup_e(self, env, d):
        if d <= 0 or self.chance(0.3):
            return "(%s)" % "".join("%d, " % self.pick(SMALL) for _ in range(self.r.randint(0, 4)
                                                                            or 2))
        k = self.r.randint(0, 4)
        if k == 0:
            return "tuple(%s)" % self.list_e(env, d - 1)
        if k == 1:
            return "(%s, %s)" % (self.int_e(env, d - 1), self.int_e(env, d - 1))
        if k == 2:
            return "%s[%s:%s]" % (self.tup_e(env, d - 1), self.pick(["", self.small()]),
                                  self.pick(["", self.small()]))
        if k == 3:
            return "(%s + %s)" % (self.tup_e(env, d - 1), self.tup_e(env, d - 1))
        return "tuple(sorted(%s))" % self.set_e(env, d - 1)

    def dict_e(self, env, d):
        v = self.var(env, "dict")
        if v and self.chance(0.5):
            return v
        if d <= 0:
            return repr({self.pick(WORDS): self.pick(SMALL) for _ in range(self.r.randint(0, 4))})
        k = self.r.randint(0, 6)
        if k == 0:
            return "{w: len(w) for w in %s}" % self.lstr_e(env, d - 1)
        if k == 1:
            return "dict(zip(%s, %s))" % (self.lstr_e(env, d - 1), self.list_e(env, d - 1))
        if k == 2:
            return "{**%s, %s: %s}" % (self.dict_e(env, d - 1), self.str_e(env, d - 1),
                                       self.int_e(env, d - 1))
        if k == 3:
            return "{str(w): w * w for w in %s}" % self.list_e(env, d - 1)
        if k == 4:
            return "{k: v for k, v in %s.items() if v %s}" % (self.dict_e(env, d - 1),
                                                               self.pick(["> 1", "% 2", "!= 0"]))
        if k == 5:
            return "dict(%s, zz=%s)" % (self.dict_e(env, d - 1), self.int_e(env, d - 1))
        return repr({self.pick(WORDS): self.pick(SMALL) for _ in range(self.r.randint(0, 4))})

    def set_e(self, env, d):
        v = self.var(env, "set")
        if v and self.chance(0.5):
            return v
        if d <= 0:
            return "{%s}" % ", ".join(str(self.pick(SMALL)) for _ in range(self.r.randint(1, 5)))
        a = lambda: self.set_e(env, d - 1)
        k = self.r.randint(0, 5)
        if k == 0:
            return "(%s %s %s)" % (a(), self.pick(["|", "&", "-", "^"]), a())
        if k == 1:
            return "set(%s)" % self.list_e(env, d - 1)
        if k == 2:
            return "{w %% %d for w in %s}" % (self.r.randint(1, 7), self.list_e(env, d - 1))
        if k == 3:
            return "frozenset(%s)" % self.list_e(env, d - 1)
        if k == 4:
            return "set(%s.values())" % self.dict_e(env, d - 1)
        return "{%s}" % ", ".join(str(self.pick(SMALL)) for _ in range(self.r.randint(1, 5)))

    # ------------------------------------------------------------ objects
    def obj(self, env, d):
        cls, nf = self.pick(self.classes)
        return "%s(%s)" % (cls, ", ".join(self.int_e(env, d) for _ in range(nf)))

    def obj_int(self, env, d):
        o = self.obj(env, d)
        return self.pick(["%s.total()" % o, "%s.prop" % o, "%s.scale(%s)" % (o, self.small()),
                          "len(sorted([%s, %s]))" % (o, self.obj(env, d)),
                          "sorted([%s, %s, %s])[0].prop" % (o, self.obj(env, d), self.obj(env, d)),
                          "(%s == %s)" % (o, self.obj(env, d)),
                          "max([%s, %s], key=lambda o: o.total()).prop" % (o, self.obj(env, d))])

    # ------------------------------------------------------------ module-level definitions
    def make_class(self):
        base = None
        if self.classes and self.chance(0.5):
            base = self.pick(self.classes)
        name = self.name("K")
        env = {"int": ["self.a", "self.b"]}
        if base is None:
            src = ["class %s:" % name,
                   "    def __init__(self, a, b=%s):" % self.small(),
                   "        self.a = a",
                   "        self.b = b",
                   "    def total(self):",
                   "        return %s" % self.int_e(env, 2),
                   "    def scale(self, k):",
                   "        return self.a * k - self.b",
                   "    @property",
                   "    def prop(self):",
                   "        return %s" % self.int_e(env, 1),
                   "    def __eq__(self, other):",
                   "        return self.a == other.a",
                   "    def __hash__(self):",
                   "        return hash(self.a)",
                   "    def __lt__(self, other):",
                   "        return (self.a, self.b) < (other.a, other.b)",
                   "    def __repr__(self):",
                   "        return '%s(%%r, %%r)' %% (self.a, self.b)" % name]
            self.classes.append((name, self.r.randint(1, 2)))
        else:
            bname = base[0]
            src = ["class %s(%s):" % (name, bname),
                   "    def __init__(self, a, b=%s, c=%s):" % (self.small(), self.small()),
                   "        super().__init__(a, b)",
                   "        self.c = c",
                   "    def total(self):",
                   "        return super().total() %s self.c" % self.pick(["+", "*", "-", "^"]),
                   "    def __repr__(self):",
                   "        return %s" % self.pick(["'%s<%%d>' %% self.c" % name,
                                                    "super().__repr__() + '!'"])]
            self.classes.append((name, self.r.randint(1, 3)))
        self.top.append("\n".join(src))

    def make_gen(self):
        name = self.name("gen")
        env = {"int": ["i", "n"]}
        body = ["def %s(n):" % name,
                "    for i in range(n):",
                "        if %s:" % self.pick(["i % 3 == 1", "i > 4", "False", "i == n - 1"]),
                "            %s" % self.pick(["continue", "yield -i", "break"]),
                "        yield %s" % self.int_e(env, 1)]
        if self.chance(0.4):
            body.append("    yield from range(%d)" % self.r.randint(0, 4))
        self.gens.append(name)
        self.top.append("\n".join(body))

    def make_rec(self):
        name = self.name("rec")
        env = {"int": ["n"]}
        kind = self.r.randint(0, 2)
        if kind == 0:
            body = ["def %s(n):" % name,
                    "    if n <= %d:" % self.r.randint(0, 2),
                    "        return %s" % self.int_lit(),
                    "    return %s(n - 1) %s %s" % (name, self.pick(["+", "-", "*", "^", "|"]),
                                                   self.int_e(env, 1))]
        elif kind == 1:
            body = ["def %s(n):" % name,
                    "    if n < 2:",
                    "        return n",
                    "    return %s(n - 1) + %s(n - 2)" % (name, name)]
        else:
            body = ["def %s(n, acc=%s):" % (name, self.small()),
                    "    if n <= 0:",
                    "        return acc",
                    "    return %s(n - 1, %s)" % (name, self.pick(["acc * 3 + n", "acc - n * n",
                                                               "(acc << 5) ^ n", "acc // 2 + n"]))]
        self.recs.append(name)
        self.top.append("\n".join(body))

    def make_closure(self):
        name = self.name("mk")
        env = {"int": ["k", "x", "base"]}
        body = ["def %s(k):" % name,
                "    base = %s" % self.int_e({"int": ["k"]}, 1)]
        if self.chance(0.5):
            body += ["    def inner(x, y=%s):" % self.small(),
                     "        return %s + y" % self.int_e(env, 2),
                     "    return inner"]
        else:
            body += ["    return lambda x: %s" % self.int_e(env, 2)]
        self.closures.append(name)
        self.top.append("\n".join(body))

    # ------------------------------------------------------------ statements of a case
    def stmts(self, env, depth, n, ind):
        out = []
        for _ in range(n):
            out += self.stmt(env, depth, ind)
        return out

    def new(self, env, t, p="v"):
        return self.name(p)

    def bind(self, env, t, v):
        env.setdefault(t, []).append(v)

    def expr(self, env, t, d):
        return {"int": self.int_e, "float": self.float_e, "str": self.str_e,
                "bool": self.bool_e, "list": self.list_e, "dict": self.dict_e,
                "set": self.set_e}[t](env, d)

    def stmt(self, env, depth, ind):
        p = " " * ind
        t = self.pick(["int", "int", "int", "float", "str", "str", "bool", "list", "dict", "set"])
        k = self.r.randint(0, 11 if depth > 0 else 1)
        v = self.new(env, t)
        if k <= 1:
            out = ["%s%s = %s" % (p, v, self.expr(env, t, 3))]
        elif k == 2:   # if / elif / else
            out = ["%sif %s:" % (p, self.bool_e(env, 2)),
                   "%s    %s = %s" % (p, v, self.expr(env, t, 2))]
            for _ in range(self.r.randint(0, 2)):
                out += ["%selif %s:" % (p, self.bool_e(env, 2)),
                        "%s    %s = %s" % (p, v, self.expr(env, t, 2))]
            out += ["%selse:" % p, "%s    %s = %s" % (p, v, self.expr(env, t, 2))]
        elif k == 3:   # for loop with break / continue / else
            t = "int"
            x = self.name("x")
            inner = dict(env)
            inner["int"] = env.get("int", []) + [x]
            out = ["%s%s = %s" % (p, v, self.int_e(env, 1)),
                   "%sfor %s in %s:" % (p, x, self.iter_e(env, 1))]
            if self.chance(0.5):
                out += ["%s    if %s:" % (p, self.bool_e(inner, 1)),
                        "%s        %s" % (p, self.pick(["continue", "break"]))]
            inner["int"] = inner["int"] + [v]
            out += ["%s    %s = %s" % (p, v, self.loop_update(inner))]
            if self.chance(0.4):
                out += ["%selse:" % p, "%s    %s = %s + 1" % (p, v, v)]
        elif k == 4:   # while loop, bounded
            t = "int"
            c = self.name("c")
            inner = dict(env)
            inner["int"] = env.get("int", []) + [c, v]
            out = ["%s%s = %s" % (p, v, self.int_e(env, 1)),
                   "%s%s = %d" % (p, c, self.r.randint(-5, 3)),
                   "%swhile %s < %d:" % (p, c, self.r.randint(-2, 12)),
                   "%s    %s = %s + %d" % (p, c, c, self.r.randint(1, 3))]
            if self.chance(0.5):
                out += ["%s    if %s:" % (p, self.bool_e(inner, 1)),
                        "%s        %s" % (p, self.pick(["continue", "break"]))]
            out += ["%s    %s = %s" % (p, v, self.loop_update(inner))]
            if self.chance(0.4):
                out += ["%selse:" % p, "%s    %s = -%s" % (p, v, v)]
        elif k == 5:   # try / except / else / finally
            e = self.name("e")
            exc = self.pick(["ZeroDivisionError", "ValueError", "(IndexError, KeyError)",
                             "TypeError", "ArithmeticError", "LookupError", "Exception",
                             "OverflowError"])
            t = "str"
            out = ["%stry:" % p]
            if self.chance(0.3):
                out += ["%s    if %s:" % (p, self.bool_e(env, 1)),
                        "%s        raise %s(%s)" % (p, self.pick(["ValueError", "KeyError",
                                                                   "IndexError", "TypeError",
                                                                   "RuntimeError"]),
                                                    self.pick([self.str_e(env, 1),
                                                               self.int_e(env, 1)]))]
            out += ["%s    %s = str(%s)" % (p, v, self.expr(env, self.pick(["int", "float", "str",
                                                                          "list"]), 3))]
            out += ["%sexcept %s as %s:" % (p, exc, e),
                    "%s    %s = type(%s).__name__ + ': ' + str(%s)" % (p, v, e, e)]
            if self.chance(0.3):
                out += ["%selse:" % p, "%s    %s = %s + '.'" % (p, v, v)]
            if self.chance(0.3):
                out += ["%sfinally:" % p, "%s    %s = %s" % (p, self.name("f"), self.int_e(env, 1))]
        elif k == 11:  # a fold over a long source (split across cores remotely)
            t = "fold"
            out = ["%s%s = %s" % (p, v, self.fold_e())]
        elif k == 10:  # raise in a helper, re-raised from, finally, nested try
            t = "str"
            fn, e = self.name("chk"), self.name("e")
            exc = self.pick(["ValueError", "KeyError", "IndexError", "ZeroDivisionError",
                             "OverflowError", "TypeError", "ArithmeticError"])
            out = ["%sdef %s(z):" % (p, fn),
                   "%s    if %s:" % (p, self.pick(["z < 0", "z % 3 == 0", "z > 100", "not z"])),
                   "%s        raise %s(%s)" % (p, exc, self.pick(['"bad %d" % z', "z", '"x"',
                                                                 "(z, 1)", ""])),
                   "%s    return z * 2" % p,
                   "%stry:" % p,
                   "%s    try:" % p,
                   "%s        %s = str(%s(%s))" % (p, v, fn, self.int_e(env, 2)),
                   "%s    except %s as %s:" % (p, self.pick([exc, "LookupError", "Exception"]), e),
                   "%s        raise RuntimeError(%s) from %s" % (p, self.pick(['"wrapped"',
                                                                                "str(%s)" % e]), e),
                   "%s    finally:" % p,
                   "%s        %s = 1" % (p, self.name("fz")),
                   "%sexcept RuntimeError as %s:" % (p, e),
                   "%s    %s = repr(%s.__cause__) + str(%s) + repr(%s.args)" % (p, v, e, e, e)]
        elif k == 6:   # nested function / lambda closing over locals
            t = "int"
            fn = self.name("fn")
            inner = dict(env)
            inner["int"] = env.get("int", []) + ["z"]
            if self.chance(0.5):
                out = ["%sdef %s(z, *rest):" % (p, fn),
                       "%s    return %s + len(rest)" % (p, self.int_e(inner, 2))]
            else:
                out = ["%s%s = lambda z: %s" % (p, fn, self.int_e(inner, 2))]
            out += ["%s%s = %s(%s)" % (p, v, fn, self.int_e(env, 1))]
        elif k == 7:   # tuple unpacking, starred
            t = "int"
            w = self.name("v")
            out = ["%s%s, *%s = %s" % (p, v, w, self.pick([self.list_e(env, 2) + " + [0]",
                                                           self.tup_e(env, 1) + " + (1,)"]))]
        elif k == 8:   # comprehension family
            t = self.pick(["list", "dict", "set"])
            out = ["%s%s = %s" % (p, v, self.expr(env, t, 3))]
        else:          # nested block
            out = ["%sif %s:" % (p, self.bool_e(env, 1))]
            sub = {kk: list(vv) for kk, vv in env.items()}
            out += self.stmts(sub, depth - 1, self.r.randint(1, 2), ind + 4)
            out += ["%s    %s = %s" % (p, v, self.expr(env, t, 2)),
                    "%selse:" % p, "%s    %s = %s" % (p, v, self.expr(env, t, 2))]
        self.bind(env, t, v)
        return out

    # ------------------------------------------------------------ folds over long sources
    def fold_src(self):
        n = self.pick([50, 300, 2000, 5000, 20000])
        lo = self.r.randint(-n, n)
        st = self.pick([1, 1, 2, 3, 7, -1, -2, -5])
        hi = lo + n * (1 if st > 0 else -1) * self.r.randint(1, 2)
        src = "range(%d, %d, %d)" % (lo, hi, st)
        if self.chance(0.2):
            src = "list(%s)" % src
        return src, lo

    def fold_body(self, lo, n=2):
        """An int expression of w, for w from a fold's source; it may overflow 64 bits, and
        may raise at one chosen element."""
        parts = ["w * w", "w * %s" % self.pick(HUGE[:6]), "(w << %d)" % self.r.randint(1, 70),
                 "w ** 3", "w % 7 - 3", "(w * 2654435761) % 2 ** 32", "-w // 3",
                 "abs(w - %d)" % (lo + 17), "(w ^ (w >> 3))", "1 // (w - %d)" % (lo + 41),
                 "[1, 2, 3][w %% %d]" % self.r.randint(3, 40), "int(str(w)[::-1])",
                 "(w if w % 5 else -w)", "w"]
        out = self.pick(parts)
        for _ in range(self.r.randint(0, n - 1)):
            out = "(%s %s %s)" % (out, self.pick(["+", "*", "-", "^", "//"]), self.pick(parts))
        return out

    def fold_e(self):
        src, lo = self.fold_src()
        b = self.fold_body(lo)
        cond = self.pick(["w %% %d == 0" % self.r.randint(2, 9), "w > %d" % (lo + 100), "w"])
        return self.pick([
            "sum(%s for w in %s)" % (b, src),
            "sum(%s for w in %s if %s)" % (b, src, cond),
            "min(%s for w in %s)" % (b, src),
            "max(%s, key=lambda w: %s)" % (src, b),
            "min(%s, key=lambda w: %s, default=None)" % (src, b),
            "any(%s > %d for w in %s)" % (b, self.r.randint(-10, 10 ** 6), src),
            "all(%s != %d for w in %s)" % (b, self.r.randint(-10, 1000), src),
            "len([%s for w in %s if %s])" % (b, src, cond),
            "sum([%s for w in %s])" % (b, src),
            "tuple(%s for w in %s)[-3:]" % (b, src),
            "sorted(%s for w in %s)[%d]" % (b, src, self.r.randint(-3, 3)),
            '"".join(str(%s) for w in %s)[-40:]' % (b, src),
            "len({w %% 97: %s for w in %s})" % (b, src),
            "sum({%s for w in %s})" % (b, src),
            "list(map(lambda w: %s, %s))[-3:]" % (b, src),
            "list(filter(lambda w: %s, %s))[:5]" % (cond, src),
            "sum(w * x for w, x in zip(%s, %s))" % (src, self.fold_src()[0]),
            "sum(i * %s for i, w in enumerate(%s))" % (b, src),
            "[%s for w in %s][%d]" % (b, src, self.r.randint(-30, 30)),
            "max(%s for w in %s if %s)" % (b, src, cond),
        ])

    def loop_update(self, env):
        """The new value of a loop's accumulator, reduced modulo a constant: a loop that
        squares or shifts its accumulator must not grow it without bound."""
        return "(%s) %% %s" % (self.int_e(env, 2), self.pick(["(2 ** 89 - 1)", "1000003",
                                                             "(-(2 ** 61 - 1))", "(10 ** 40 + 7)",
                                                             "(-97)"]))

    def case(self):
        name = self.name("case")
        env = {}
        body = self.stmts(env, 2, self.r.randint(1, 5), 4)
        t = self.pick(["int", "float", "str", "bool", "list", "dict", "set"])
        ret = self.expr(env, t, 2)
        if env.get("fold"):   # the folds' results, whatever their types
            ret = "(%s, %s)" % (ret, ", ".join(env["fold"]))
        if self.chance(0.2):
            ret = "(%s, %s)" % (ret, self.expr(env, self.pick(["int", "str"]), 1))
        self.top.append("\n".join(["def %s():" % name] + body + ["    return %s" % ret]))
        return name

    def program(self):
        for _ in range(self.r.randint(0, 2)):
            self.make_class()
        for _ in range(self.r.randint(0, 2)):
            self.make_gen()
        for _ in range(self.r.randint(0, 2)):
            self.make_rec()
        for _ in range(self.r.randint(0, 2)):
            self.make_closure()
        cases = [self.case() for _ in range(self.r.randint(3, 8))]
        main = ["def main():", "    out = []"]
        for c in cases:
            main += ["    try:",
                     "        r = %s()" % c,
                     "    except Exception as e:",
                     "        r = ('exc', type(e).__name__, str(e))",
                     "    out = out + [r]"]
        main += ["    return out"]
        return ("import math\n\n\n" + "\n\n\n".join(self.top) + "\n\n\n" + "\n".join(main) + "\n")


def program(seed):
    """The source of the program of `seed` (a module defining main())."""
    return Gen(seed).program()


if __name__ == "__main__":
    sys.stdout.write(program(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
