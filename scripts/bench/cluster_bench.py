"""scripts/bench/cluster: isPrime over range(N) on one pyforad, then on a coordinator and a
joined worker (one thread each), best of ROUNDS runs each, in one run of this script. Each
process is started on a CPU of its own (taskset), as Slurm or a hostfile launch would place
one pyforad per machine; pyforad keeps to the CPUs it was started on."""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

from benchlib import ROOT, free_port, isPrime, timed
import pyfora  # noqa: E402 (benchlib puts clientpy on the path)

N = int(sys.argv[1])
ROUNDS = int(sys.argv[2])
EXTRA = os.environ.get("PYFORAD_ARGS", "").split()
EXE = os.path.join(ROOT, "build", "core", "pyforad")


TREE = 29  # independent calls: tree(n) forks tree(n - 1) and computes tree(n - 2)


def tree(n):
    if n < 2:
        return (n, 1)
    a, b = combine(tree(n - 1), tree(n - 2))
    return (a + 1, b * 2 % 1000003)


def combine(x, y):
    return (x[0] + y[0], x[1] * y[1] % 1000003)


def count(ex):
    with ex.remotely.downloadAll():
        r = sum(isPrime(x) for x in range(N))
    return r


def calls(ex):
    with ex.remotely.downloadAll():
        r = tree(TREE)
    return r


def best(ex, fn=count):
    times, result = [], None
    for _ in range(ROUNDS):
        result, t = timed(lambda: fn(ex))
        times.append(t)
    return result, min(times)


def stats(url):
    with urllib.request.urlopen(url + "/v1/stats") as r:
        return json.load(r)


def on_cpu(cpu):
    ncpu = os.cpu_count() or 1
    return ["taskset", "-c", str(cpu % ncpu)] if shutil.which("taskset") else []


def start(args, cpu):
    return subprocess.Popen(on_cpu(cpu) + [EXE] + args + ["--threads", "1"] + EXTRA,
                            stderr=subprocess.DEVNULL)


def connect(url, proc):
    deadline = time.monotonic() + 30
    while True:
        try:
            return pyfora.connect(url, timeout=600)
        except pyfora.ConnectionError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit("pyforad did not start")
            time.sleep(0.05)


def stop(*procs):
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=10)


def main():
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    coord = start(["--listen", "127.0.0.1:%d" % port], 0)
    ex = connect(url, coord)
    try:
        r1, t1 = best(ex)
        c1, u1 = best(ex, calls)
    finally:
        ex.close()
        stop(coord)
    port = free_port()
    url = "http://127.0.0.1:%d" % port
    coord = start(["--listen", "127.0.0.1:%d" % port], 0)
    ex = connect(url, coord)
    worker = start(["--join", "127.0.0.1:%d" % port], 1)
    try:
        deadline = time.monotonic() + 30
        while stats(url).get("migration") is None or ex.getWorkerCount() < 2:
            if time.monotonic() > deadline:
                raise SystemExit("the worker did not join")
            time.sleep(0.05)
        time.sleep(0.2)
        r2, t2 = best(ex)
        m = stats(url)["migration"]
        c2, u2 = best(ex, calls)
        mc = stats(url)["migration"]
    finally:
        ex.close()
        stop(worker, coord)
    assert r1 == r2, (r1, r2)
    assert c1 == c2 == tree(TREE), (c1, c2)
    print("isPrime count over range(%d), %s, best of %d: %d primes%s" %
          (N, " ".join(["--threads 1"] + EXTRA), ROUNDS, r1,
           "" if on_cpu(0) else " (no taskset: processes not kept apart)"))
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
    print("tree(%d) (independent calls forked), best of %d:" % (TREE, ROUNDS))
    print("  one pyforad                      %8.3f s" % u1)
    print("  coordinator + 1 worker (tcp)     %8.3f s   speedup %.2fx" % (u2, u1 / u2))
    print("  calls sent %d, done there %d" % (mc["calls_sent"] - m["calls_sent"],
                                             mc["calls_done"] - m["calls_done"]))


if __name__ == "__main__":
    main()
