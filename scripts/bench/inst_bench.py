"""Instances as native arguments (docs/jit.md, "Instances as arguments"): energy(p, N), a
loop of N calls p.norm2() (which calls self.dot(self)), and a loop of M calls p.dot(q) made
by interpreted code, in pyforad --jit=off / auto / always (one thread) and in CPython. Each
block is timed with the work and without it (the fastest of 3 runs each); the difference is
the work's time. A warm-up block first, so that auto has compiled what became hot.
Usage: /usr/bin/python3 scripts/bench/inst_bench.py [N] [M]   (defaults 1000000, 200000)"""
import sys

from benchlib import daemon, timed


class Vec:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def dot(self, o):
        return self.x * o.x + self.y * o.y

    def norm2(self):
        return self.dot(self)


def energy(p, n):
    e = 0.0
    for i in range(n):
        e = e + p.norm2() * i
    return e


def work(n, m):
    p = Vec(0.5, 1.5)
    q = Vec(2.0, -1.0)
    e = energy(p, n) if n else 0.0
    s = 0.0
    for _ in range(m):
        s = s + p.dot(q)
    return e, s


def remote(ex, n, m):
    def go():
        with ex.remotely.downloadAll():
            res = work(n, m)
        return res
    return timed(go)


def measure(run, n, m):
    """(s for energy(p, n), s for m calls of p.dot(q), results)."""
    t0 = min(run(0, 0)[1] for _ in range(3))
    re, te = min((run(n, 0) for _ in range(3)), key=lambda x: x[1])
    rm, tm = min((run(0, m) for _ in range(3)), key=lambda x: x[1])
    return te - t0, tm - t0, (re[0], rm[1])


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 200000
    ce, cm, _ = measure(lambda a, b: timed(lambda: work(a, b)), n, m)
    print("seconds:                  energy(p, %d)   %d calls p.dot(q)" % (n, m))
    print("  %-22s %12.3f %18.3f" % ("CPython", ce, cm))
    for mode in ["off", "auto", "always"]:
        with daemon(["--threads", "1", "--jit=" + mode], quiet=True) as (url, ex):
            remote(ex, n // 10, m // 10)   # warm: auto compiles what became hot
            remote(ex, n // 10, m // 10)
            e, c, res = measure(lambda a, b: remote(ex, a, b), n, m)
        assert res == work(n, m), (mode, res)     # as CPython
        print("  %-22s %12.3f %18.3f    (%.1fx, %.1fx CPython)"
              % ("pyfora --jit=" + mode, e, c, ce / e, cm / c))


if __name__ == "__main__":
    main()
