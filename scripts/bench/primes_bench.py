"""isPrime count: pyforad against CPython and C, one run, ratios printed (scripts/bench/primes)."""
import os
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clientpy"))
import pyfora  # noqa: E402

N = int(sys.argv[1])
THREADS = int(sys.argv[2])

C_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
static long isPrime(long p) { long x = 2; while (x * x <= p) { if (p % x == 0) return 0; x = x + 1; } return 1; }
int main(int argc, char **argv) { long n = atol(argv[1]), s = 0; for (long x = 0; x < n; x++) s += isPrime(x); printf("%ld\n", s); return 0; }
"""


def isPrime(p):
    x = 2
    while x * x <= p:
        if p % x == 0:
            return 0
        x = x + 1
    return 1


def timed(fn):
    t0 = time.perf_counter()
    r = fn()
    return r, time.perf_counter() - t0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    daemon = subprocess.Popen(["build/core/pyforad", "--listen", "127.0.0.1:%d" % port,
                               "--threads", str(THREADS)])
    try:
        url = "http://127.0.0.1:%d" % port
        for _ in range(100):
            try:
                ex = pyfora.connect(url)
                break
            except pyfora.ConnectionError:
                time.sleep(0.05)
        else:
            raise SystemExit("pyforad did not start")

        def remote():
            with ex.remotely.downloadAll():
                r = sum(isPrime(x) for x in range(N))
            return r

        r_remote, t_remote = timed(remote)
        r_local, t_local = timed(lambda: sum(isPrime(x) for x in range(N)))
        with tempfile.TemporaryDirectory() as d:
            src, exe = os.path.join(d, "p.c"), os.path.join(d, "p")
            with open(src, "w") as f:
                f.write(C_SOURCE)
            subprocess.check_call(["cc", "-O2", "-o", exe, src])
            out, t_c = timed(lambda: subprocess.check_output([exe, str(N)]))
            r_c = int(out)
        assert r_remote == r_local == r_c, (r_remote, r_local, r_c)
        print("isPrime count over range(%d), pyforad --threads %d: result %d" % (N, THREADS, r_remote))
        print("  %-22s %8.3f s" % ("C (cc -O2)", t_c))
        print("  %-22s %8.3f s   %6.2fx C" % ("pyfora", t_remote, t_remote / t_c))
        print("  %-22s %8.3f s   %6.2fx C   (pyfora is %.2fx faster than CPython)"
              % ("CPython " + sys.version.split()[0], t_local, t_local / t_c, t_local / t_remote))
    finally:
        daemon.terminate()
        daemon.wait()


main()
