"""On-stack replacement, one thread (scripts/bench/osr): count(N), a function called once
whose loop counts primes with isPrime, in --jit=off, auto and always; the fused fold
sum(isPrime(x) for x in range(N)) in auto; squares(M), a called-once loop with no callee,
and the same loop directly in the with-block (M = 30N). Set PYFORAD_BEFORE to another pyforad
binary (one without OSR) to time the three in its --jit=auto too, in the same run.
One run, one fresh daemon per mode; ratios within the run."""
import json
import os
import sys
import urllib.request

from benchlib import daemon, isPrime, timed

N = int(sys.argv[1])
M = 30 * N


def count(n):
    c = 0
    for x in range(n):
        if isPrime(x):
            c = c + 1
    return c


def squares(n):
    t = 0
    for i in range(n):
        t = (t + i * i) % 1000000007
    return t


def jit_stats(url):
    with urllib.request.urlopen(url + "/v1/stats") as r:
        return json.load(r)["jit"]


def main():
    load0 = os.getloadavg()
    rows, stats = [], {}
    expect_count = None
    runs = [("off", None, ""), ("auto", None, "")]
    if os.environ.get("PYFORAD_BEFORE"):   # another pyforad (one without OSR), next to auto
        runs.append(("auto", os.environ["PYFORAD_BEFORE"], ", PYFORAD_BEFORE"))
    runs.append(("always", None, ""))
    for mode, exe, tag in runs:
        with daemon(["--threads", "1", "--jit=" + mode], exe=exe, quiet=True) as (url, ex):
            def run_count():
                with ex.remotely.downloadAll():
                    r = count(N)
                return r

            def run_squares():
                with ex.remotely.downloadAll():
                    r = squares(M)
                return r

            r, t = timed(run_count)
            expect_count = expect_count or r
            assert r == expect_count, (mode, r, expect_count)
            rows.append(("count(%d), --jit=%s%s" % (N, mode, tag), t))
            s, t2 = timed(run_squares)
            rows.append(("squares(%d), --jit=%s%s" % (M, mode, tag), t2))

            def run_block():   # the same loop directly in the block (its names: globals)
                with ex.remotely.downloadAll():
                    t = 0
                    for i in range(M):
                        t = (t + i * i) % 1000000007
                return t
            b, t4 = timed(run_block)
            assert b == s, (b, s)
            rows.append(("block loop of %d, --jit=%s%s" % (M, mode, tag), t4))
            if mode == "auto" and not exe:
                def run_fold():
                    with ex.remotely.downloadAll():
                        r = sum(isPrime(x) for x in range(N))
                    return r
                f, t3 = timed(run_fold)
                assert f == expect_count, (f, expect_count)
                rows.append(("sum(isPrime(x) ...) fold, --jit=auto", t3))
            if not exe:
                stats[mode] = jit_stats(url)
    load = os.getloadavg()
    print("on-stack replacement, one thread: %d primes below %d (load average %.2f at the "
          "start, %.2f at the end)" % (expect_count, N, load0[0], load[0]))
    base = {}
    for name, t in rows:
        kind = "count" if "isPrime" in name else name.split("(")[0].split(" of")[0]
        base.setdefault(kind, t)
        print("  %-52s %8.3f s   %6.2fx faster than --jit=off" % (name, t, base[kind] / t))
    fold_t = [t for name, t in rows if "fold" in name][0]
    auto_t = [t for name, t in rows if name.startswith("count") and name.endswith("auto")][0]
    print("  count(N) through OSR / the fused fold: %.2fx" % (auto_t / fold_t))
    for mode in ["auto", "always"]:
        s = stats[mode]
        print("  jit (%s): compiles %d, osr_compiles %d, osr_entries %d, deopts %d, "
              "compile_ms_max %.1f" % (mode, s["compiles"], s["osr_compiles"], s["osr_entries"],
                                       s["deopts"], s["compile_ms_max"]))


main()
