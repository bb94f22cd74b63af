"""Divide and conquer: fib(N) (two independent recursive calls per call, fork sites) on
pyforad --threads 1 and --threads T, --jit=auto (native below the forked top levels) and
--jit=off, against C (clang -O2, one thread). One run, ratios printed (scripts/bench/forks).
Set PYFORAD_BEFORE to another pyforad binary to time it too."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request

from benchlib import daemon, timed

N = int(sys.argv[1])
T = int(sys.argv[2])
ROUNDS = 3

C_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static long fib(long n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
int main(int argc, char **argv) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  long r = fib(atol(argv[1]));
  clock_gettime(CLOCK_MONOTONIC, &b);
  printf("%ld %.6f\n", r, (double)(b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
  return 0;
}
"""


def fib(n):
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def run(args, exe=None):
    """Best of ROUNDS blocks after one warm-up (which compiles fib in auto): (seconds, steals)."""
    with daemon(args, exe=exe, quiet=True) as (url, ex):
        with ex.remotely.downloadAll():
            r = fib(N)
        assert r == expected, (r, expected)
        with urllib.request.urlopen(url + "/v1/stats") as resp:
            s0 = json.load(resp)["steals"]
        best = None
        for _ in range(ROUNDS):
            def block():
                with ex.remotely.downloadAll():
                    v = fib(N)
                return v
            v, t = timed(block)
            assert v == expected
            best = t if best is None else min(best, t)
        with urllib.request.urlopen(url + "/v1/stats") as resp:
            steals = json.load(resp)["steals"] - s0
    return best, steals


def c_time():
    cc = shutil.which("clang") or shutil.which("cc")
    with tempfile.TemporaryDirectory() as d:
        src, exe = os.path.join(d, "fib.c"), os.path.join(d, "fib")
        with open(src, "w") as f:
            f.write(C_SOURCE)
        subprocess.run([cc, "-O2", "-o", exe, src], check=True)
        out = subprocess.run([exe, str(N)], check=True, capture_output=True, text=True).stdout
    r, t = out.split()
    assert int(r) == expected
    return float(t)


a, b = 0, 1
for _ in range(N):
    a, b = b, a + b
expected = a
print("fib(%d) = %d, best of %d blocks (load average %s)"
      % (N, expected, ROUNDS, " ".join("%.2f" % x for x in os.getloadavg())))
ct = c_time()
print("  C (clang -O2), one thread          %7.3f s" % ct)
rows = [("--jit=auto --threads 1", ["--threads", "1"], None),
        ("--jit=auto --threads %d" % T, ["--threads", str(T)], None)]
before = os.environ.get("PYFORAD_BEFORE")
if before:
    rows.append(("PYFORAD_BEFORE --threads 1", ["--threads", "1"], before))
    rows.append(("PYFORAD_BEFORE --threads %d" % T, ["--threads", str(T)], before))
rows.append(("--jit=off --threads %d" % T, ["--threads", str(T), "--jit=off"], None))
base = None
for name, args, exe in rows:
    t, steals = run(args, exe)
    base = base or t
    print("  pyfora %-28s %7.3f s   %5.2fx --threads 1   %5.2fx C   steals %d"
          % (name, t, base / t, t / ct, steals))
