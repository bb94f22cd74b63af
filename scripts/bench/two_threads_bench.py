"""isPrime count over range(N) on two threads: pyforad --threads 2 --jit=auto against Numba
@njit(parallel=True) with prange and C + OpenMP schedule(dynamic). One run, ratios printed
(scripts/bench/two-threads). Set PYFORAD_BEFORE to another pyforad binary to time it too."""
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

OMP_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
static long isPrime(long p) { long x = 2; while (x * x <= p) { if (p % x == 0) return 0; x = x + 1; } return 1; }
int main(int argc, char **argv) {
  long n = atol(argv[1]), s = 0;
#pragma omp parallel for schedule(dynamic, 4096) reduction(+:s)
  for (long x = 0; x < n; x++) s += isPrime(x);
  printf("%ld\n", s);
  return 0;
}
"""

NUMBA_SOURCE = r"""
import sys, time
from numba import njit, prange
@njit
""" + ISPRIME_SOURCE + r"""@njit(parallel=True)
def count(n):
    s = 0
    for x in prange(n):
        s += isPrime(x)
    return s
count(10)  # compile outside the timing
N = int(sys.argv[1])
t0 = time.perf_counter()
r = count(N)
print(r, time.perf_counter() - t0)
"""


def pyfora_run(exe=None):
    with daemon(["--threads", "2", "--jit=auto"], exe=exe, quiet=True) as (url, ex):
        t0 = time.perf_counter()
        with ex.remotely.downloadAll():
            r = sum(isPrime(x) for x in range(N))
        t = time.perf_counter() - t0
        st = json.load(urllib.request.urlopen(url + "/v1/stats"))
        return r, t, st


def main():
    rows = []
    env = dict(os.environ, OMP_NUM_THREADS="2", NUMBA_NUM_THREADS="2")
    with tempfile.TemporaryDirectory() as d:
        src, exe = os.path.join(d, "p.c"), os.path.join(d, "p")
        with open(src, "w") as f:
            f.write(OMP_SOURCE)
        subprocess.check_call(["gcc", "-fopenmp", "-O2", "-o", exe, src])
        t0 = time.perf_counter()
        r = int(subprocess.check_output([exe, str(N)], env=env))
        rows.append(("C + OpenMP dynamic", r, time.perf_counter() - t0))
        if subprocess.call(["/usr/bin/python3", "-c", "import numba"], stderr=subprocess.DEVNULL) == 0:
            nb = os.path.join(d, "n.py")
            with open(nb, "w") as f:
                f.write(NUMBA_SOURCE)
            out = subprocess.check_output(["/usr/bin/python3", nb, str(N)], env=env).split()
            rows.append(("Numba prange", int(out[0]), float(out[1])))
    before = os.environ.get("PYFORAD_BEFORE")
    if before:
        r, t, _ = pyfora_run(before)
        rows.append(("pyfora (before)", r, t))
    r, t, st = pyfora_run()
    rows.append(("pyfora --threads 2", r, t))
    assert len({r for _, r, _ in rows}) == 1, rows
    print("isPrime count over range(%d), two threads: %d primes (load average %s)"
          % (N, rows[0][1], " ".join("%.2f" % x for x in os.getloadavg())))
    omp = rows[0][2]
    nb = [t for name, _, t in rows if name == "Numba prange"]
    for name, _, t in rows:
        extra = ("   %5.2fx Numba" % (t / nb[0])) if nb else ""
        print("  %-20s %8.3f s   %5.2fx C+OpenMP%s" % (name, t, t / omp, extra))
    j = st["jit"]
    print("  pyfora: splits %d, steals %d, fold_kernels %d, compile_ms_max %.1f, native_calls %d"
          % (st["splits"], st["steals"], j["fold_kernels"], j["compile_ms_max"], j["native_calls"]))


main()
