"""Upload/download throughput of a list of N ints, binary against JSON (scripts/bench/transfer).

Upload: executor.define(list) -> RemotePythonObject (the list goes with POST /v1/objects in the
binary encoding, or inline in the IR document as JSON). Download: proxy.toLocal().result()
(GET /v1/objects/ID with Accept: application/octet-stream, or JSON). Every transfer is checked
against the original list."""
import os
import sys
import time

from benchlib import ROOT, daemon

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10 ** 7


def find_daemon():
    exe = os.environ.get("PYFORAD")
    for cand in ([exe] if exe else []) + [os.path.join(ROOT, d, "core", "pyforad")
                                          for d in ("build", "build-exe")]:
        if cand and os.path.exists(cand):
            return cand
    sys.exit("pyforad not found: build first or set PYFORAD")


def measure(ex, data, binary):
    ex._binary_transfers = binary
    t0 = time.perf_counter()
    proxy = ex.define(data).result(timeout=600)
    t1 = time.perf_counter()
    back = proxy.toLocal().result(timeout=600)
    t2 = time.perf_counter()
    if back != data:
        sys.exit("MISMATCH: the downloaded list differs from the uploaded one")
    del proxy
    return t1 - t0, t2 - t1


def main():
    exe = find_daemon()
    with daemon(["--threads", "2", "--max-body", str(1 << 30)], exe=exe, quiet=True) as (url, ex):
        data = [(i * 2654435761) % (1 << 40) - (1 << 39) for i in range(N)]
        print("pyforad %s, list of %d ints (|x| < 2**39)" % (exe, N))
        bu, bd = measure(ex, data, True)
        ju, jd = measure(ex, data, False)
        for name, up, down in (("binary", bu, bd), ("json", ju, jd)):
            print("%-6s upload %8.3f s  %6.2f M values/s   download %8.3f s  %6.2f M values/s"
                  % (name, up, N / up / 1e6, down, N / down / 1e6))
        print("binary/json speed-up: upload x%.1f, download x%.1f" % (ju / bu, jd / bd))


main()
