"""Persistent-list benchmark: repeated `a + [x]`, and slicing/concatenating a big list,
remotely on pyforad against CPython, one run, ratios printed (scripts/bench/lists)."""
import os
import platform
import sys

from benchlib import daemon, timed

DAEMON = sys.argv[1]
N1, N2, M, K = (int(x) for x in sys.argv[2:6])


def build(n):
    a = []
    for x in range(n):
        a = a + [x]
    return len(a) + a[n // 2]


def slices(m, k):
    big = list(range(m))
    return sum(len(big[i:] + big[:i]) for i in range(k))


def main():
    with daemon(["--threads", "1"], exe=DAEMON, timeout=3600) as (url, ex):

        def remote_build(n):
            with ex.remotely.downloadAll():
                r = build(n)
            return r

        def remote_slices():
            with ex.remotely.downloadAll():
                r = slices(M, K)
            return r

        print("pyforad %s --threads 1; %s, %s, %d cores; CPython %s"
              % (DAEMON, platform.node(), platform.machine(), os.cpu_count(),
                 sys.version.split()[0]))
        # build(n) is n + n // 2 (CPython itself would take quadratic time to say so)
        r1, t1 = timed(lambda: remote_build(N1))
        assert r1 == N1 + N1 // 2, r1
        r2, t2 = timed(lambda: remote_build(N2))
        assert r2 == N2 + N2 // 2, r2
        print("(a) a = a + [x], n = %d: %8.3f s" % (N1, t1))
        print("    a = a + [x], n = %d: %8.3f s   ratio t(%d)/t(%d) = %.1f"
              % (N2, t2, N2, N1, t2 / t1))
        rs, ts = timed(remote_slices)
        rl, tl = timed(lambda: slices(M, K))
        assert rs == rl, (rs, rl)
        print("(b) sum(len(big[i:] + big[:i]) for i in range(%d)), len(big) = %d:" % (K, M))
        print("    pyfora  %8.3f s" % ts)
        print("    CPython %8.3f s   (pyfora/CPython = %.3g; pyfora is %.3gx faster)"
              % (tl, ts / tl, tl / ts))


main()
