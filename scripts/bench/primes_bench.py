"""isPrime count: pyforad against CPython and C, one run, ratios printed (scripts/bench/primes)."""
import os
import subprocess
import sys
import tempfile

from benchlib import daemon, isPrime, timed

N = int(sys.argv[1])
THREADS = int(sys.argv[2])

C_SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
static long isPrime(long p) { long x = 2; while (x * x <= p) { if (p % x == 0) return 0; x = x + 1; } return 1; }
int main(int argc, char **argv) { long n = atol(argv[1]), s = 0; for (long x = 0; x < n; x++) s += isPrime(x); printf("%ld\n", s); return 0; }
"""


def main():
    with daemon(["--threads", str(THREADS)]) as (url, ex):

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


main()
