"""scripts/bench/cluster: isPrime over range(N) on one pyforad, then on a coordinator and a
joined worker (one thread each), best of ROUNDS runs each, in one run of this script."""
import json
import os
import subprocess
import sys
import time
import urllib.request

from benchlib import ROOT, daemon, isPrime, timed

N = int(sys.argv[1])
ROUNDS = int(sys.argv[2])
EXTRA = os.environ.get("PYFORAD_ARGS", "").split()
EXE = os.path.join(ROOT, "build", "core", "pyforad")


def count(ex):
    with ex.remotely.downloadAll():
        r = sum(isPrime(x) for x in range(N))
    return r


def best(ex):
    times, result = [], None
    for _ in range(ROUNDS):
        result, t = timed(lambda: count(ex))
        times.append(t)
    return result, min(times)


def stats(url):
    with urllib.request.urlopen(url + "/v1/stats") as r:
        return json.load(r)


def main():
    with daemon(["--threads", "1"] + EXTRA, quiet=True) as (url, ex):
        r1, t1 = best(ex)
    with daemon(["--threads", "1"] + EXTRA, quiet=True) as (url, ex):
        worker = subprocess.Popen([EXE, "--join", url[len("http://"):], "--threads", "1"] + EXTRA,
                                  stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while stats(url).get("migration") is None or ex.getWorkerCount() < 2:
                if time.monotonic() > deadline:
                    raise SystemExit("the worker did not join")
                time.sleep(0.05)
            time.sleep(0.2)
            r2, t2 = best(ex)
            m = stats(url)["migration"]
        finally:
            worker.terminate()
            worker.wait(timeout=10)
    assert r1 == r2, (r1, r2)
    print("isPrime count over range(%d), %s, best of %d: %d primes" %
          (N, " ".join(["--threads 1"] + EXTRA), ROUNDS, r1))
    print("  one pyforad                      %8.3f s" % t1)
    print("  coordinator + 1 worker (tcp)     %8.3f s   speedup %.2fx" % (t2, t1 / t2))
    sent = max(m["subrange_messages"], 1)
    print("  parts sent %d (%d positions), done there %d positions, given back %d, resumed %d"
          % (m["parts_sent"], m["positions_sent"], m["positions_done"], m["positions_returned"],
             m["positions_resumed"]))
    print("  bytes per SUBRANGE message %.0f; pages published once per program and fold: %d bytes;"
          " results %d bytes in %d messages" % (m["subrange_bytes"] / sent,
                                                m["page_bytes_published"],
                                                m["result_bytes_received"],
                                                m["results_received"]))


if __name__ == "__main__":
    main()
