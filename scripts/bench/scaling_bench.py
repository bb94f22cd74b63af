"""Scaling over worker threads, one run, ratios printed (scripts/bench/scaling)."""
import json
import os
import shlex
import sys
import time
import urllib.request

from benchlib import daemon, isPrime

N = int(sys.argv[1])
MAX_T = int(sys.argv[2])
EXTRA = shlex.split(os.environ.get("PYFORAD_ARGS", ""))  # e.g. --jit=off


def work(x):
    # cost grows linearly with x: the last elements are the most expensive
    s = 0
    i = 0
    while i < x // 4000:
        s = s + i % 7
        i = i + 1
    return s


def stats(url):
    with urllib.request.urlopen(url + "/v1/stats", timeout=10) as r:
        return json.loads(r.read())


def run(threads):
    out = {}
    with daemon(["--threads", str(threads)] + EXTRA) as (url, ex):
        for name in ("isPrime", "uneven"):
            s0 = stats(url)
            t0 = time.perf_counter()
            with ex.remotely.downloadAll():
                if name == "isPrime":
                    r = sum(isPrime(x) for x in range(N))
                else:
                    r = sum(work(x) for x in range(N // 2))
            t = time.perf_counter() - t0
            s1 = stats(url)
            out[name] = (r, t, s1["splits"] - s0["splits"], s1["steals"] - s0["steals"])
    return out


def main():
    counts = [1]
    t = 2
    while t <= MAX_T:
        counts.append(t)
        t *= 2
    if counts[-1] != MAX_T and MAX_T > 1:
        counts.append(MAX_T)
    results = {t: run(t) for t in counts}
    print("scaling over worker threads (pyforad --threads T %s), N=%d, %d CPUs here"
          % (" ".join(EXTRA), N, os.cpu_count()))
    for name in ("isPrime", "uneven"):
        r1, t1 = results[1][name][0], results[1][name][1]
        print("  %s:" % name)
        for t in counts:
            r, tt, sp, st = results[t][name]
            assert r == r1, (name, t, r, r1)
            print("    threads %3d  %8.3f s  speedup %5.2fx  efficiency %4.0f%%  splits %5d  steals %5d"
                  % (t, tt, t1 / tt, 100 * t1 / tt / t, sp, st))


main()
