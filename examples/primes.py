"""The seed's first pyfora example: count the primes below N on the cluster.

Usage: python3 examples/primes.py [N]      (N = 10**6 by default; PYFORA_URL picks the daemon)
"""
import os
import sys
import time

import pyfora


def isPrime(p):
    x = 2
    while x*x <= p:
        if p%x == 0:
            return 0
        x = x + 1
    return 1


N = int(sys.argv[1]) if len(sys.argv) > 1 else 10**6
executor = pyfora.connect(os.environ.get("PYFORA_URL", "http://localhost:30000"))

start = time.perf_counter()
with executor.remotely.downloadAll():
    result = sum(isPrime(x) for x in xrange(N))  # noqa: F821 (xrange: resolved remotely)
elapsed = time.perf_counter() - start

print("%d  (%.2f s)" % (result, elapsed))
