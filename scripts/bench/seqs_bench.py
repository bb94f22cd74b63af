"""Lists as native arguments (docs/jit.md, "sequence arguments"): dot(xs, ys) of two lists
of N floats, and total(xs) of a list of N ints, in pyforad --jit=off / auto / always (one
thread) and in CPython. The lists are built in the same remote block; the block is timed
with R calls (10 R in the native modes) and with none (the fastest of 3 runs each), and the
difference divided by the calls is the time of one call.
Usage: /usr/bin/python3 scripts/bench/seqs_bench.py [N] [R]   (defaults 1000000, 10)"""
import sys

from benchlib import daemon, timed


def dot(xs, ys):
    s = 0.0
    for i in range(len(xs)):
        s = s + xs[i] * ys[i]
    return s


def total(t):
    s = 0
    for v in t:
        s = s + v
    return s


def work(n, rd, rt):
    xs = [i * 0.5 for i in range(n)]
    ys = [1.0 / (i + 1) for i in range(n)]
    zs = list(range(n))
    d = 0.0
    t = 0
    for _ in range(rd):
        d = d + dot(xs, ys)
    for _ in range(rt):
        t = t + total(zs)
    return d, t


def remote(ex, n, rd, rt):
    def go():
        with ex.remotely.downloadAll():
            res = work(n, rd, rt)
        return res
    return timed(go)


def per_call(run, r):
    """(ms per dot call, ms per total call, results) from runs with r, r and no calls (the
    fastest of 3 each)."""
    t0 = min(run(0, 0)[1] for _ in range(3))
    rd, td = min((run(r, 0) for _ in range(3)), key=lambda x: x[1])
    rt, tt = min((run(0, r) for _ in range(3)), key=lambda x: x[1])
    return (td - t0) / r * 1e3, (tt - t0) / r * 1e3, (rd[0], rt[1])


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    r = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    pd, pt, _ = per_call(lambda a, b: timed(lambda: work(n, a, b)), r)
    print("lists of %d items, ms per call (%d calls timed):   dot(xs, ys)   total(zs)" % (n, r))
    print("  %-22s %10.1f %11.1f" % ("CPython", pd, pt))
    for mode in ["off", "auto", "always"]:
        with daemon(["--threads", "1", "--jit=" + mode], quiet=True) as (url, ex):
            remote(ex, n, 2, 2)          # warm: auto compiles what its loops made hot
            rn = r if mode == "off" else 10 * r   # native calls: more of them, less noise
            d, t, res = per_call(lambda a, b: remote(ex, n, a, b), rn)
        assert res == work(n, rn, rn), (mode, res)     # as CPython, every call
        print("  %-22s %10.1f %11.1f    (%.1fx, %.1fx CPython)"
              % ("pyfora --jit=" + mode, d, t, pd / d, pt / t))


if __name__ == "__main__":
    main()
