"""Programs run remotely on a real pyforad, each compared with the same code run locally by
CPython. Expected values are never written by hand: the local run is the reference."""
import math
import os
import subprocess
import sys
import traceback

import pytest

from conftest import ROOT

# ---------------------------------------------------------------- module-level code the
# programs reach: constants, helper functions, the math module.

LIMIT = 1000
SCALE = 3
OFFSETS = (5, -3, 11)
BIG = 2 ** 100 + 7


def isPrime(p):
    x = 2
    while x*x <= p:
        if p%x == 0:
            return 0
        x = x + 1
    return 1


def gcd(a, b):
    if b == 0:
        return a
    return gcd(b, a % b)


def is_even(n):
    if n == 0:
        return True
    return is_odd(n - 1)


def is_odd(n):
    if n == 0:
        return False
    return is_even(n - 1)


def weighted(a, b=10, c=100):
    return a + 2 * b + 3 * c


def collatz_steps(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps = steps + 1
    return steps


def first_divisor(n):
    for d in range(2, n):
        if d * d > n:
            return n
        if n % d == 0:
            return d
    return n


# ---------------------------------------------------------------- the programs

def prog_floor_div_mod_signs():
    out = []
    for a in (-7, 7, -1, 0, 13, -13, 9223372036854775807, -9223372036854775808):
        for b in (3, -3, 1, -1, 5, -8):
            out = out + [(a // b, a % b)]
    return out


def prog_bigint_factorial():
    n = 1
    i = 1
    while i <= 40:
        n = n * i
        i = i + 1
    return (n, -n // 7, -n % 7, n // -(10 ** 20), n % -(10 ** 20), n - n + 5)


def prog_fib_tuple_unpacking():
    a, b = 0, 1
    for _ in range(150):
        a, b = b, a + b
    (x, y), z = (a % 1000, b % 1000), a > b
    return a, b, x, y, z


def prog_gcd_recursion():
    return sum(gcd(i, 360) for i in range(1, 300)), gcd(BIG, 2 ** 64 + 14)


def prog_float_ops():
    x = 0.1 + 0.2
    y = 1.0 / 3.0
    z = 2.5 * -4.0
    return (x, y, z, 7 / 2, -7 / 2, 7.5 // 2, -7.5 % 2, 2 ** 0.5, 10 ** -2, 1e308 * 10,
            -0.0 * 1, 3 - 2.5, 1e-320 / 3)


def prog_int_float_mixing():
    return ((2 ** 53 + 1) * 1.0, (2 ** 63 + 2 ** 10 + 1) * 1.0, 10 ** 30 / 10 ** 10, 7 / 7,
            (2 ** 53 + 1) > 9007199254740992.0, 2 ** 53 + 1 == 9007199254740992.0,
            1 == 1.0, -0.0 == 0, 3 < 3.5, BIG > 1e30, BIG * 0.5)


def prog_comparisons_chained():
    hits = 0
    for i in range(-5, 15):
        if 0 <= i < 10 and i != 3:
            hits = hits + 1
        elif i > 10 or i == -5:
            hits = hits + 100
    return hits, 1 < 2 < 3, 3 > 2 > 2, 1 <= 1 >= 0, (1, 2) < (1, 3), [1, 2] == [1, 2]


def prog_defaults_and_keywords():
    return (weighted(1), weighted(1, 2), weighted(1, c=5), weighted(a=3, b=4),
            weighted(1, 2, 3), weighted(c=0, b=0, a=0))


def prog_generator_filters():
    return (sum(x * x for x in range(100) if x % 3 == 0 if x % 2 == 1),
            sum(i * j for i in range(10) for j in range(i)),
            sum(isPrime(x) for x in range(2, 500)))


def prog_range_steps():
    out = []
    for i in range(20, -20, -7):
        out = out + [i]
    return (len(range(0, 100, 7)), sum(range(100, 0, -3)), sum(range(-5, 5, 2)), out,
            len(range(10, 0)), len(range(0, -10, -1)), sum(range(0, 10 ** 6, 999)))


def prog_len_index_slice():
    t = (1, 2, 3, 4, 5, 6)
    l = [10, 20, 30, 40, 50]
    return (len(t), t[0], t[-1], t[1:4], l[::2], l[::-1], l[-3:], l[1:-1], len(l[2:]),
            t[::-2], l[10:], t[-100:2], l[1:4:2])


def prog_nested_functions():
    def outer(n):
        def sq(x):
            return x * x

        def cube(x):
            return sq(x) * x
        return sum(cube(i) - sq(i) for i in range(n))
    return outer(50), outer(0)


def prog_mutual_recursion():
    return is_even(10), is_odd(7), is_even(7), is_odd(0)


def prog_module_constants():
    total = 0
    for k in OFFSETS:
        total = total + k * SCALE
    return total + LIMIT, BIG - 7, len(OFFSETS), OFFSETS[1]


def prog_math_module():
    return (math.sqrt(2.0), math.floor(-2.5), math.ceil(2.1), math.pi * 2, math.e,
            math.sqrt(16), math.floor(7), math.log(10.0), math.exp(1.0), math.fabs(-3.5))


def prog_collatz():
    best, arg = 0, 0
    for n in range(1, 3000):
        s = collatz_steps(n)
        if s > best:
            best, arg = s, n
    return best, arg


def prog_early_return():
    return (first_divisor(2), first_divisor(9), first_divisor(91), first_divisor(97),
            first_divisor(221), first_divisor(10007))


def prog_int64_boundaries():
    m = 9223372036854775807
    return (m + 1, -m - 2, -(-m - 1), 3037000500 * 3037000500, (-m - 1) // -1, (-m - 1) * -1,
            (m + 1) - 1, 2 ** 63 - 1 == m, 2 ** 64 // 2 ** 32, -(2 ** 64) % 7)


def prog_bigint_arith():
    a = 10 ** 30 + 1
    b = -(3 ** 70)
    return (a - 10 ** 30, a * b, b // 12345, b % 12345, a // b, a % b, b ** 2, 2 ** 200 - 1,
            (a + b) * (a - b) == a * a - b * b, a > b, -a < b)


def prog_tuple_unpacking_loop():
    total = 0
    pairs = [(1, 2), (3, 4), (5, 6)]
    for a, b in pairs:
        total = total + a * b
    x, y, z = OFFSETS
    first, second = pairs[0]
    return total, x + y + z, first - second


def prog_bool_arithmetic():
    return (True + True, sum(x > 5 for x in range(10)), (3 > 2) * 10, not 0, 1 and 2, 0 or 3,
            None or 4, -True, True * 2.5)


def prog_break_continue():
    found = 0
    i = 0
    while True:
        i = i + 1
        if i % 2 == 0:
            continue
        if i > 99:
            break
        found = found + i
    return found, i


def prog_lists_and_tuples():
    rows = []
    for i in range(4):
        row = []
        for j in range(4):
            row = row + [i * j]
        rows = rows + [row]
    t = (1, 2) + (3,)
    return rows, rows[2][3], len(rows), t, t * 2, [0] * 3, [1, 2] + [3], (len(t) - 1) * t[1]


def prog_if_else_chain():
    def classify(n):
        if n < 0:
            return -1
        elif n == 0:
            return 0
        elif n < 10:
            return 1
        else:
            return 2
    return sum(classify(n) for n in range(-20, 30)), classify(-5), classify(0), classify(100)


def prog_conditional_expr_and_lambda():
    f = lambda x, k=2: x * k if x > 0 else -x
    return f(3), f(-4), f(5, k=10), sum(f(x) for x in range(-10, 10))


PROGRAMS = [v for k, v in sorted(globals().items()) if k.startswith("prog_")]


def test_at_least_twenty_programs():
    assert len(PROGRAMS) >= 20


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda f: f.__name__)
def test_program(executor, program):
    with executor.remotely.downloadAll():
        result = program()
    expected = program()
    assert repr(result) == repr(expected)


# ---------------------------------------------------------------- the seed and the specials

def test_seed_primes(executor):
    with executor.remotely.downloadAll():
        result = sum(isPrime(x) for x in xrange(10**5))  # noqa: F821 (xrange is remote)
    assert result == sum(isPrime(x) for x in range(10**5))


def test_sum_of_cubes_exact(executor):
    with executor.remotely.downloadAll():
        result = sum(x*x*x for x in range(10**6))
    assert result == sum(x*x*x for x in range(10**6))
    assert result > 2 ** 63


def test_results_land_in_function_locals(executor):
    x = 41
    base = (1, 2)
    with executor.remotely.downloadAll():
        x = x + 1
        a, b = base
        c = [a, b, x]
    assert (x, a, b, c) == (42, 1, 2, [1, 2, 42])


def test_missing_name_not_run_is_fine(executor):
    with executor.remotely.downloadAll():
        result = 7
        if False:
            result = name_that_does_not_exist  # noqa: F821
    assert result == 7


def _line_of(marker):
    with open(__file__) as f:
        for n, line in enumerate(f, 1):
            if marker in line and "_line_of" not in line:
                return n
    raise AssertionError(marker)


def uses_missing_name(flag):
    if flag:
        return undefined_helper_xyz(1)  # noqa: F821  MARK-NAMEERROR-DEF
    return 0


def test_missing_name_raises_name_error(executor):
    with pytest.raises(NameError) as info:
        with executor.remotely.downloadAll():
            ok = uses_missing_name(False)
            bad = uses_missing_name(True)  # MARK-NAMEERROR-CALL
    text = "".join(traceback.format_exception(info.type, info.value, info.tb))
    assert "undefined_helper_xyz" in str(info.value)
    frames = [(os.path.abspath(fs.filename), fs.lineno)
              for fs in traceback.extract_tb(info.tb)]
    here = os.path.abspath(__file__)
    assert (here, _line_of("MARK-NAMEERROR-DEF")) in frames, text
    assert (here, _line_of("MARK-NAMEERROR-CALL")) in frames, text


def test_module_level_block(daemon, tmp_path):
    script = tmp_path / "module_block.py"
    script.write_text(
        "import sys\n"
        "import pyfora\n"
        "executor = pyfora.connect(sys.argv[1])\n"
        "K = 7\n"
        "def f(x):\n"
        "    return x * K\n"
        "with executor.remotely.downloadAll():\n"
        "    total = sum(f(i) for i in xrange(100))\n"
        "    pair = (K, total)\n"
        "print(repr((total, pair)))\n")
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "clientpy"))
    out = subprocess.run([sys.executable, str(script), daemon.url], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    K = 7
    total = sum(i * K for i in range(100))
    assert out.stdout.strip() == repr((total, (K, total)))


def test_concurrent_clients(url):
    import threading
    import pyfora
    results, errors = {}, []

    def client(i):
        try:
            ex = pyfora.connect(url)
            try:
                n = 2000 + 500 * i
                with ex.remotely.downloadAll():
                    r = sum(isPrime(x) for x in range(n))
                results[i] = (n, r)
            finally:
                ex.close()
        except Exception as e:  # reported below, with the thread's index
            errors.append((i, repr(e)))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert len(results) == 8
    for n, r in results.values():
        assert r == sum(isPrime(x) for x in range(n))
