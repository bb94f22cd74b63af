"""A differential fuzzer of whole programs: every seed's program (tests/e2e/gen_programs.py)
runs remotely on a real pyforad and locally under CPython, and the answers must agree
(test_pure_python.same: equal values of equal types, floats through repr). Each program's
main() returns one item per generated case, either its value or ("exc", type name, message),
so a mismatch names the case that differs.

ctest runs a fixed set of seeds in each --jit mode (the suite runs under auto, always and
off). By hand, run more:

    PYFORA_FUZZ_SEEDS=2000 PYFORA_FUZZ_START=1000 PYFORAD_ARGS=--jit=off \\
        python3 -m pytest -q tests/e2e/test_fuzz.py

Each failing seed is appended to /tmp/fuzz_failures.txt (PYFORA_FUZZ_FAILURES) with the
program's file, the differing cases, the remote and the local answers; the programs are
written under a temporary folder (kept by pytest) so they can be run again.

The reference runs with no limit on int-to-str digits (sys.set_int_max_str_digits(0)): the
4300-digit limit of CPython 3.11 is a guard of CPython's, not of the language, and pyfora's
ints are exact without limits (docs/pure-python.md, "ints are exact").
"""
import importlib.util
import os
import sys

import pytest

import gen_programs
from test_pure_python import same

FAILURES = os.environ.get("PYFORA_FUZZ_FAILURES", "/tmp/fuzz_failures.txt")
START = int(os.environ.get("PYFORA_FUZZ_START", "0"))
COUNT = int(os.environ.get("PYFORA_FUZZ_SEEDS", "200"))
SEEDS = list(range(START, START + COUNT))


@pytest.fixture(scope="module")
def progdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


def load(progdir, seed):
    path = os.path.join(str(progdir), "fuzz_%d.py" % seed)
    with open(path, "w") as f:
        f.write(gen_programs.program(seed))
    spec = importlib.util.spec_from_file_location("fuzz_%d" % seed, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return path, mod


def run_local(main):
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return ("returned", main())
    except Exception as e:
        return ("raised", "%s: %s" % (type(e).__name__, e))
    finally:
        sys.set_int_max_str_digits(old)


def run_remote(executor, main):
    try:
        with executor.remotely.downloadAll():
            r = main()
        return ("returned", r)
    except Exception as e:
        return ("raised", "%s: %s" % (type(e).__name__, e))


def differences(remote, local):
    """The indices of the cases whose items differ (None: the whole runs differ)."""
    if remote[0] != local[0] or remote[0] == "raised":
        return None if remote != local else []
    rv, lv = remote[1], local[1]
    if type(rv) is not list or len(rv) != len(lv):
        return None
    return [i for i, (a, b) in enumerate(zip(rv, lv)) if not same(a, b)]


def record(seed, path, remote, local, diff):
    mode = os.environ.get("PYFORAD_ARGS", "") or "--jit=auto"
    with open(FAILURES, "a") as f:
        f.write("=" * 78 + "\nseed %d (%s) %s\n" % (seed, mode, path))
        if diff is None:
            f.write("remote: %r\nlocal:  %r\n" % (remote, local))
            return
        for i in diff:
            f.write("  case #%d\n    remote: %r\n    local:  %r\n"
                    % (i, remote[1][i], local[1][i]))


@pytest.mark.parametrize("seed", SEEDS)
def test_fuzz(executor, progdir, seed):
    path, mod = load(progdir, seed)
    main = mod.main
    local = run_local(main)
    remote = run_remote(executor, main)
    diff = differences(remote, local)
    if diff is None or diff:
        record(seed, path, remote, local, diff)
        pytest.fail("seed %d (%s) differs in cases %s; see %s"
                    % (seed, path, "all" if diff is None else diff, FAILURES), pytrace=False)


def test_generator_is_deterministic():
    assert gen_programs.program(7) == gen_programs.program(7)
    assert gen_programs.program(7) != gen_programs.program(8)
