"""isPrime count over range(N) on one core: pyforad --jit=off and --jit=auto against C
(clang -O2 and gcc -O2), CPython, and PyPy / Numba when their Debian packages are installed;
exact ints (a sum that outgrows int64 against one that does not); numeric integration; the
compile latency of a 20-line function. One run, ratios printed (scripts/bench/single-core).
Set PYFORAD_BEFORE to another pyforad binary to time it too, in the same run."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

from benchlib import ISPRIME_SOURCE, daemon, isPrime

N = int(sys.argv[1])

C_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
static long isPrime(long p) { long x = 2; while (x * x <= p) { if (p % x == 0) return 0; x = x + 1; } return 1; }
int main(int argc, char **argv) { long n = atol(argv[1]), s = 0; for (long x = 0; x < n; x++) s += isPrime(x); printf("%ld\n", s); return 0; }
"""

PY_SOURCE = r"""
import sys, time
""" + ISPRIME_SOURCE + r"""N = int(sys.argv[1])
t0 = time.perf_counter()
r = sum(isPrime(x) for x in range(N))
print(r, time.perf_counter() - t0)
"""

NUMBA_SOURCE = r"""
import sys, time
from numba import njit
@njit
""" + ISPRIME_SOURCE + r"""@njit
def count(n):
    s = 0
    for x in range(n):
        s += isPrime(x)
    return s
count(10)  # compile outside the timing
N = int(sys.argv[1])
t0 = time.perf_counter()
r = count(N)
print(r, time.perf_counter() - t0)
"""

INTEG_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
static double chunk(long a, long b, double h) { double s = 0.0; for (long i = a; i < b; i++) { double x = (i + 0.5) * h; s += 4.0 / (1.0 + x * x) + sin(x) * 0.0; } return s; }
int main(int argc, char **argv) { long n = atol(argv[1]), m = n / 100; double h = 1.0 / n, s = 0.0; for (long k = 0; k < 100; k++) s += chunk(k * m, (k + 1) * m, h); printf("%.12f\n", s * h); return 0; }
"""


def chunk(a, b, h):
    s = 0.0
    for i in range(a, b):
        x = (i + 0.5) * h
        s = s + 4.0 / (1.0 + x * x)
    return s


def integrate(n):
    m = n // 100
    h = 1.0 / n
    return sum(chunk(k * m, (k + 1) * m, h) for k in range(100)) * h


def twenty_lines(n, scale):
    """A 20-line numeric function: its compile time is read back from /v1/stats."""
    total = 0
    acc = 0.0
    k = 1
    for i in range(n):
        if i % 3 == 0:
            total = total + i * k
        elif i % 3 == 1:
            total = total - (i // 2)
        else:
            acc = acc + i / scale
        j = 0
        while j < 4:
            k = (k * 7 + j) % 1000003
            j = j + 1
        if total > 10 ** 12:
            total = total % 1000000007
    if acc > 1e9:
        return -1
    return total + k


def cube(x):
    return x ** 3


def square(x):
    return x * x


EXACT = {
    "sum(x**3 for x in range(N))": lambda: sum(x ** 3 for x in range(N)),
    "sum(x*x for x in range(N))": lambda: sum(x * x for x in range(N)),
    "sum(cube(x) for x in range(N))": lambda: sum(cube(x) for x in range(N)),
    "sum(square(x) for x in range(N))": lambda: sum(square(x) for x in range(N)),
}


def pyfora_run(mode, work="primes", exe=None):
    with daemon(["--threads", "1", "--jit=" + mode], exe=exe, quiet=True) as (url, ex):
        t0 = time.perf_counter()
        if work == "primes":
            with ex.remotely.downloadAll():
                r = sum(isPrime(x) for x in range(N))
        elif work in EXACT:
            fn = EXACT[work]
            with ex.remotely.downloadAll():
                r = fn()
            t = time.perf_counter() - t0
            t0 = time.perf_counter()  # again, compiled: the second figure
            with ex.remotely.downloadAll():
                r = fn()
            return r, (t, time.perf_counter() - t0), None
        elif work == "integrate":
            n = 5 * N
            with ex.remotely.downloadAll():
                r = integrate(n)
        else:
            with ex.remotely.downloadAll():
                r = twenty_lines(1000, 3.0)
            assert r == twenty_lines(1000, 3.0)
        t = time.perf_counter() - t0
        stats = json.load(urllib.request.urlopen(url + "/v1/stats"))["jit"]
        return r, t, stats


def timed_exe(cmd):
    t0 = time.perf_counter()
    out = subprocess.check_output(cmd)
    return int(out.split()[0]), time.perf_counter() - t0


def self_timed(cmd):
    out = subprocess.check_output(cmd).split()
    return int(out[0]), float(out[1])


def main():
    rows = []
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "p.c")
        with open(src, "w") as f:
            f.write(C_SOURCE)
        for cc in ("clang", "gcc"):
            if shutil.which(cc):
                exe = os.path.join(d, "p_" + cc)
                subprocess.check_call([cc, "-O2", "-o", exe, src])
                rows.append(("C (%s -O2)" % cc,) + timed_exe([exe, str(N)]))
        py = os.path.join(d, "p.py")
        with open(py, "w") as f:
            f.write(PY_SOURCE)
        rows.append(("CPython",) + self_timed([sys.executable, py, str(N)]))
        if shutil.which("pypy3"):
            rows.append(("PyPy",) + self_timed(["pypy3", py, str(N)]))
        nb = os.path.join(d, "n.py")
        with open(nb, "w") as f:
            f.write(NUMBA_SOURCE)
        if subprocess.call(["/usr/bin/python3", "-c", "import numba"], stderr=subprocess.DEVNULL) == 0:
            rows.append(("Numba @njit",) + self_timed(["/usr/bin/python3", nb, str(N)]))
    stats = {}
    before = os.environ.get("PYFORAD_BEFORE")
    if before:
        for mode in ("off", "auto"):
            r, t, st = pyfora_run(mode, exe=before)
            rows.append(("before: --jit=%s" % mode, r, t))
    for mode in ("off", "auto"):
        r, t, st = pyfora_run(mode)
        stats[mode] = st
        rows.append(("pyfora --jit=%s" % mode, r, t))
    results = {r for _, r, _ in rows}
    assert len(results) == 1, rows
    best_c = min(t for name, _, t in rows if name.startswith("C ("))
    print("isPrime count over range(%d), one thread: %d primes (load average %s)"
          % (N, results.pop(), " ".join("%.2f" % x for x in os.getloadavg())))
    for name, _, t in rows:
        print("  %-20s %8.3f s   %7.2fx the faster C" % (name, t, t / best_c))
    a = stats["auto"]
    print("  jit (auto): compiles %d, fold_kernels %d, compile_ms_max %.1f, native_calls %d, "
          "deopts %d" % (a["compiles"], a.get("fold_kernels", 0), a["compile_ms_max"],
                         a["native_calls"], a["deopts"]))
    # exact ints: a total that outgrows int64 against one that does not (fresh daemons)
    print("exact ints, one thread, --jit=auto (the x**3 total outgrows int64), a fresh daemon"
          " each: first run (compile included) / second run")
    for label, exe in ([("before", before)] if before else []) + [("", None)]:
        times = {}
        for work, ref in EXACT.items():
            r, t, _ = pyfora_run("auto", work=work, exe=exe)
            assert r == ref(), work
            times[work] = t
        names = list(EXACT)
        for i in (0, 2):
            a, b = times[names[i]], times[names[i + 1]]
            print("  %-6s %-31s %6.3f/%6.3f s  %-31s %6.3f/%6.3f s  ratio %.2f/%.2f"
                  % (label, names[i], a[0], a[1], names[i + 1], b[0], b[1], a[0] / b[0],
                     a[1] / b[1]))
    # float-heavy: midpoint rule for pi over 5N points, in 100 calls of a loop
    with tempfile.TemporaryDirectory() as d:
        src, exe = os.path.join(d, "i.c"), os.path.join(d, "i")
        with open(src, "w") as f:
            f.write(INTEG_C.replace(" + sin(x) * 0.0", ""))
        subprocess.check_call(["clang" if shutil.which("clang") else "cc", "-O2", "-o", exe, src, "-lm"])
        t0 = time.perf_counter()
        c_val = float(subprocess.check_output([exe, str(5 * N)]))
        t_c = time.perf_counter() - t0
    print("numeric integration (pi by the midpoint rule over %d points, 100 calls):" % (5 * N))
    print("  %-20s %8.3f s" % ("C (clang -O2)", t_c))
    for mode in ("off", "auto", "always"):
        r, t, st = pyfora_run(mode, work="integrate")
        assert abs(r - c_val) < 1e-9, (r, c_val)
        print("  %-20s %8.3f s   %7.2fx C   (native calls %d, deopts %d)"
              % ("pyfora --jit=" + mode, t, t / t_c, st["native_calls"], st["deopts"]))
    _, _, st = pyfora_run("always", work="twenty")
    if st["not_compilable"]:
        print("  not compilable:", st["not_compilable"])
    print("  compile latency of a 20-line function (--jit=always, /v1/stats): %.1f ms "
          "(compiles %d, native_calls %d)" % (st["compile_ms_max"], st["compiles"], st["native_calls"]))


main()
