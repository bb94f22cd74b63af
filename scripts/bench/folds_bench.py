"""Wider fused folds (docs/jit.md, "Fused folds: wider elements", "zip and enumerate" and
"map, zip of three, nested min/max"): generator expressions and comprehensions whose element
reads the block's lists and variables, with a filter, over a list's items, over zip and
enumerate, map(F, ...) and zip of three, as native loops. N-element lists are built once in
the daemon; each form runs R times in one block (the fastest of 3 blocks), in pyforad
--jit=off and --jit=auto (2 worker threads) and in CPython (one thread); ms per fold.
Usage: /usr/bin/python3 scripts/bench/folds_bench.py [N] [R]   (defaults 1000000, 10)"""
import math
import sys
import time

from benchlib import daemon, timed

FORMS = ["dot", "idot", "filtered", "items", "listcomp", "nested", "zipdot", "enum", "zipcomp",
         "map", "maprange", "map2", "zip3", "nestmax"]


def run_local(xs, ys, zs, form, r, exact=True):
    k = 3
    acc = 0
    for _ in range(r):
        if form == "dot":  # pyfora's float sums are exact (math.fsum); CPython timed with sum
            acc = acc + (math.fsum if exact else sum)(xs[i] * ys[i] for i in range(len(xs)))
        elif form == "idot":
            acc = acc + sum(zs[i] * zs[i] * k for i in range(len(zs)))
        elif form == "filtered":
            acc = acc + sum(z * z * k for z in range(len(zs)) if z % 3 == 1)
        elif form == "items":
            acc = acc + sum(z * k - 1 for z in zs)
        elif form == "listcomp":
            acc = acc + len([z * k for z in zs if z % 2])
        elif form == "nested":
            acc = acc + sum(x * y - k for x in range(len(zs) // 1000) for y in range(1000))
        elif form == "zipdot":
            acc = acc + (math.fsum if exact else sum)(x * y for x, y in zip(xs, ys))
        elif form == "enum":
            acc = acc + sum(i * z for i, z in enumerate(zs, 1))
        elif form == "map":
            acc = acc + sum(map(lambda z: z * z - 1, zs))
        elif form == "maprange":
            acc = acc + sum(map(lambda z: z * z - 1, range(len(zs))))
        elif form == "map2":
            acc = acc + sum(map(lambda a, b: a * b, zs, zs))
        elif form == "zip3":
            acc = acc + sum(a * b + c for a, b, c in zip(zs, zs, zs))
        elif form == "nestmax":
            acc = acc + max(x * y - k for x in range(len(zs) // 1000) for y in range(1000))
        else:
            acc = acc + len([x - y for x, y in zip(xs, ys)])
    return acc


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    r = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    xs = [i * 0.5 for i in range(n)]
    ys = [1.0 / (i + 1) for i in range(n)]
    zs = list(range(n))
    ref = {}
    cpy = {}
    for form in FORMS:
        cpy[form] = min(timed(lambda: run_local(xs, ys, zs, form, 1, False))[1]
                        for _ in range(3)) * 1e3
        ref[form] = run_local(xs, ys, zs, form, r)
    out = {}
    for mode in ["off", "auto"]:
        with daemon(["--threads", "2", "--jit=" + mode], quiet=True) as (url, ex):
            with ex.remotely.remoteAll():
                bx = [i * 0.5 for i in range(n)]
                by = [1.0 / (i + 1) for i in range(n)]
                bz = list(range(n))
            for form in FORMS:
                best = None
                for rep in range(4):  # the first one warms up: kernels compile
                    t0 = time.perf_counter()
                    with ex.remotely.downloadAll():
                        k = 3
                        acc = 0
                        for _ in range(r):
                            if form == "dot":
                                acc = acc + sum(bx[i] * by[i] for i in range(len(bx)))
                            elif form == "idot":
                                acc = acc + sum(bz[i] * bz[i] * k for i in range(len(bz)))
                            elif form == "filtered":
                                acc = acc + sum(z * z * k for z in range(len(bz)) if z % 3 == 1)
                            elif form == "items":
                                acc = acc + sum(z * k - 1 for z in bz)
                            elif form == "listcomp":
                                acc = acc + len([z * k for z in bz if z % 2])
                            elif form == "nested":
                                acc = acc + sum(x * y - k for x in range(len(bz) // 1000)
                                                for y in range(1000))
                            elif form == "zipdot":
                                acc = acc + sum(x * y for x, y in zip(bx, by))
                            elif form == "enum":
                                acc = acc + sum(i * z for i, z in enumerate(bz, 1))
                            elif form == "map":
                                acc = acc + sum(map(lambda z: z * z - 1, bz))
                            elif form == "maprange":
                                acc = acc + sum(map(lambda z: z * z - 1, range(len(bz))))
                            elif form == "map2":
                                acc = acc + sum(map(lambda a, b: a * b, bz, bz))
                            elif form == "zip3":
                                acc = acc + sum(a * b + c for a, b, c in zip(bz, bz, bz))
                            elif form == "nestmax":
                                acc = acc + max(x * y - k for x in range(len(bz) // 1000)
                                                for y in range(1000))
                            else:
                                acc = acc + len([x - y for x, y in zip(bx, by)])
                    t = time.perf_counter() - t0
                    assert acc == ref[form], (mode, form, acc, ref[form])
                    if rep:
                        best = t if best is None else min(best, t)
                out[(mode, form)] = best / r * 1e3
    print("N = %d, ms per fold (%d folds per block, fastest of 3 blocks)" % (n, r))
    print("  %-66s %8s %8s %8s %8s %8s" % ("form", "CPython", "off", "auto", "off/auto",
                                         "CPy/auto"))
    text = {"dot": "sum(xs[i] * ys[i] for i in range(len(xs)))",
            "idot": "sum(zs[i] * zs[i] * k for i in range(len(zs)))",
            "filtered": "sum(z * z * k for z in range(N) if z % 3 == 1)",
            "items": "sum(z * k - 1 for z in zs)",
            "listcomp": "[z * k for z in zs if z % 2]",
            "nested": "sum(x * y - k for x in range(N // 1000) for y in range(1000))",
            "zipdot": "sum(x * y for x, y in zip(xs, ys))",
            "enum": "sum(i * z for i, z in enumerate(zs, 1))",
            "zipcomp": "[x - y for x, y in zip(xs, ys)]",
            "map": "sum(map(lambda z: z * z - 1, zs))",
            "maprange": "sum(map(lambda z: z * z - 1, range(N)))",
            "map2": "sum(map(lambda a, b: a * b, zs, zs))",
            "zip3": "sum(a * b + c for a, b, c in zip(zs, zs, zs))",
            "nestmax": "max(x * y - k for x in range(N // 1000) for y in range(1000))"}
    for form in FORMS:
        off, auto = out[("off", form)], out[("auto", form)]
        print("  %-66s %8.2f %8.2f %8.2f %7.1fx %7.1fx" % (text[form], cpy[form], off, auto,
                                                          off / auto, cpy[form] / auto))


if __name__ == "__main__":
    main()
