"""pyfora's rules (issue 3): forbidden constructs rejected at parse time by the client (before
anything is sent) and again by the daemon (raw IR); mutating methods rejected at run time,
uncatchably; uncaught remote exceptions keep type, message and the user's file:line; limits;
code without source.

The helpers below contain the forbidden constructs on lines marked "# MARK-..."; the tests
find those lines by their marker, so the expected lines are never hard-coded numbers."""
import http.client
import json
import os
import subprocess
import sys
import traceback

import pytest

import pyfora
from conftest import ROOT, start_pyforad, stop_processes

HERE = os.path.abspath(__file__)
G = 0


def line_of(marker):
    with open(HERE) as f:
        for n, text in enumerate(f, 1):
            if text.rstrip().endswith("# " + marker):
                return n
    raise AssertionError("no line ends with # " + marker)


# ---------------------------------------------------------------- helpers with forbidden code
# (never run locally; each is reached from a with-block through a via_* function)

def h_print(x):
    y = x * 2
    print(y)  # MARK-print
    return y


def h_del(x):
    y = [x]
    del y  # MARK-del
    return x


def h_augassign(x):
    total = 0
    for i in range(x):
        total += i  # MARK-augassign
    return total


def h_global(x):
    global G  # MARK-global
    return G + x


def h_nonlocal(x):
    def bump():
        nonlocal x  # MARK-nonlocal
        return x
    return bump()


def h_eval(x):
    return eval("x + 1")  # MARK-eval


def h_exec(x):
    exec("y = 1")  # MARK-exec
    return x


def h_locals(x):
    return len(locals())  # MARK-locals


def h_globals(x):
    return globals()["G"] + x  # MARK-globals


def h_attr_in_function(x):
    box = Box(x)
    box.value = x + 1  # MARK-attr-function
    return box


class Box:
    def __init__(self, value):
        self.value = value

    def plus(self, n):
        return Box(self.value + n)


class MutableBox:
    def __init__(self, value):
        self.value = value

    def bump(self):
        self.value = self.value + 1  # MARK-attr-method
        return self


class Wrapper:
    def __init__(self, inner):
        inner.value = 0  # MARK-attr-other
        self.inner = inner


def h_attr_method(x):
    return MutableBox(x).bump()


def h_attr_other(x):
    return Wrapper(Box(x))


def h_item(x):
    xs = [0] * 3
    xs[0] = x  # MARK-item
    return xs


def h_match(x):
    match x:  # MARK-match
        case 1:
            return "one"
        case _:
            return "other"


def h_with(x):
    with open("/dev/null") as f:  # MARK-with
        return f.read() + str(x)


def h_async(x):
    async def later():  # MARK-async
        return x
    return later


# indirect routes: the block calls via_*, which calls the helper
def via_print(x): return h_print(x) + 1
def via_del(x): return h_del(x) + 1
def via_augassign(x): return h_augassign(x) + 1
def via_global(x): return h_global(x) + 1
def via_nonlocal(x): return h_nonlocal(x) + 1
def via_eval(x): return h_eval(x) + 1
def via_exec(x): return h_exec(x) + 1
def via_locals(x): return h_locals(x) + 1
def via_globals(x): return h_globals(x) + 1
def via_attr_function(x): return h_attr_in_function(x)
def via_attr_method(x): return h_attr_method(x)
def via_attr_other(x): return h_attr_other(x)
def via_item(x): return h_item(x)
def via_match(x): return h_match(x)
def via_with(x): return h_with(x)
def via_async(x): return h_async(x)


# (id, entry function, marker, words the message must contain)
FORBIDDEN = [
    ("print", via_print, "MARK-print", ["print()"]),
    ("del", via_del, "MARK-del", ["'del'"]),
    ("augmented-assignment", via_augassign, "MARK-augassign", ["augmented assignment", "+="]),
    ("global", via_global, "MARK-global", ["'global'"]),
    ("nonlocal", via_nonlocal, "MARK-nonlocal", ["'nonlocal'"]),
    ("eval", via_eval, "MARK-eval", ["eval()"]),
    ("exec", via_exec, "MARK-exec", ["exec()"]),
    ("locals", via_locals, "MARK-locals", ["locals()"]),
    ("globals", via_globals, "MARK-globals", ["globals()"]),
    ("attribute-assignment-in-function", via_attr_function, "MARK-attr-function",
     ["attribute assignment"]),
    ("attribute-assignment-self-in-method", via_attr_method, "MARK-attr-method",
     ["attribute assignment"]),
    ("attribute-assignment-other-in-init", via_attr_other, "MARK-attr-other",
     ["attribute assignment"]),
    ("item-assignment", via_item, "MARK-item", ["subscript assignment"]),
    ("match", via_match, "MARK-match", ["match statement"]),
    ("with", via_with, "MARK-with", ["'with' statement"]),
    ("async", via_async, "MARK-async", ["'async def'"]),
]


# ---------------------------------------------------------------- daemon helpers

def http_json(daemon, method, path, body=None):
    conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=60)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def stats(daemon):
    status, doc = http_json(daemon, "GET", "/v1/stats")
    assert status == 200
    for key in ("computations_submitted", "computations_rejected", "computations_started",
                "requests"):
        assert isinstance(doc[key], int), doc
    return doc


# The "nothing sent" tests count the requests a daemon received: they use a daemon of their
# own, whose one client sends no heartbeats (the session daemon also gets the heartbeats and
# releases of every other executor, at any moment).
@pytest.fixture(scope="module")
def quiet_daemon():
    d = start_pyforad(["--threads", "1"])
    yield d
    stop_processes([d.proc])


@pytest.fixture(scope="module")
def quiet_executor(quiet_daemon):
    ex = pyfora.connect(quiet_daemon.url)
    ex._stop_heartbeats = True
    yield ex
    ex.close()


def assert_nothing_sent(before, after):
    for key in ("computations_submitted", "computations_rejected", "computations_started"):
        assert after[key] == before[key], (key, before, after)
    assert after["requests"] == before["requests"] + 1   # only the second GET /v1/stats


def assert_conversion_error(err, marker, words):
    line = line_of(marker)
    msg = str(err)
    for w in words:
        assert w.lower() in msg.lower(), (w, msg)
    assert os.path.abspath(err.file) == HERE, err.file
    assert err.line == line, (err.line, line, msg)
    assert 'File "%s", line %d' % (err.file, line) in msg, msg
    # the message shows the offending source line itself
    with open(HERE) as f:
        text = f.read().splitlines()[line - 1].strip()
    assert text in msg, msg


# ---------------------------------------------------------------- parse time, in the client

@pytest.mark.parametrize("entry, marker, words",
                         [pytest.param(e, m, w, id=i) for i, e, m, w in FORBIDDEN])
def test_forbidden_construct_in_helper(quiet_executor, quiet_daemon, entry, marker, words):
    before = stats(quiet_daemon)
    with pytest.raises(pyfora.PythonToForaConversionError) as info:
        with quiet_executor.remotely.downloadAll():
            r = entry(3)
    after = stats(quiet_daemon)
    assert_conversion_error(info.value, marker, words)
    assert_nothing_sent(before, after)


def test_print_in_block(quiet_executor, quiet_daemon):
    before = stats(quiet_daemon)
    with pytest.raises(pyfora.PythonToForaConversionError) as info:
        with quiet_executor.remotely.downloadAll():
            x = 6 * 7
            print(x)  # MARK-block-print
    assert_conversion_error(info.value, "MARK-block-print", ["print()"])
    assert_nothing_sent(before, stats(quiet_daemon))


def test_augmented_assignment_in_block(quiet_executor, quiet_daemon):
    x = 1
    before = stats(quiet_daemon)
    with pytest.raises(pyfora.PythonToForaConversionError) as info:
        with quiet_executor.remotely.downloadAll():
            y = x
            x *= 3  # MARK-block-augassign
    assert_conversion_error(info.value, "MARK-block-augassign", ["augmented assignment", "*="])
    assert_nothing_sent(before, stats(quiet_daemon))
    assert x == 1   # the block did not run locally either


def test_item_assignment_in_block(quiet_executor, quiet_daemon):
    before = stats(quiet_daemon)
    with pytest.raises(pyfora.PythonToForaConversionError) as info:
        with quiet_executor.remotely.downloadAll():
            xs = [1, 2, 3]
            xs[1] = 5  # MARK-block-item
    assert_conversion_error(info.value, "MARK-block-item", ["subscript assignment"])
    assert_nothing_sent(before, stats(quiet_daemon))


def test_del_in_block(quiet_executor, quiet_daemon):
    before = stats(quiet_daemon)
    with pytest.raises(pyfora.PythonToForaConversionError) as info:
        with quiet_executor.remotely.downloadAll():
            xs = [1, 2, 3]
            del xs  # MARK-block-del
    assert_conversion_error(info.value, "MARK-block-del", ["'del'"])
    assert_nothing_sent(before, stats(quiet_daemon))


def test_with_inside_block(quiet_executor, quiet_daemon):
    before = stats(quiet_daemon)
    with pytest.raises(pyfora.PythonToForaConversionError) as info:
        with quiet_executor.remotely.downloadAll():
            with open("/dev/null") as f:  # MARK-block-with
                r = 1
    assert_conversion_error(info.value, "MARK-block-with", ["'with' statement"])
    assert_nothing_sent(before, stats(quiet_daemon))


def test_attribute_assignment_in_block(quiet_executor, quiet_daemon):
    before = stats(quiet_daemon)
    with pytest.raises(pyfora.PythonToForaConversionError) as info:
        with quiet_executor.remotely.downloadAll():
            b = Box(1)
            b.value = 2  # MARK-block-attr
    assert_conversion_error(info.value, "MARK-block-attr", ["attribute assignment"])
    assert_nothing_sent(before, stats(quiet_daemon))


def test_self_assignment_in_init_is_allowed(executor):
    with executor.remotely.downloadAll():
        v = Box(40).plus(1).value + 1
    assert v == 42


def test_print_shadowed_by_user_function_is_allowed(executor):
    def print(x):          # a user's own 'print' is an ordinary function
        return x * 2
    with executor.remotely.downloadAll():
        r = print(21)
    assert r == 42


# ---------------------------------------------------------------- parse time, in the daemon

def _node(t, line, **fields):
    node = {"t": t, "line": line, "col": 4}
    node.update(fields)
    return node


def _name(i, line):
    return _node("Name", line, id=i)


def _const(v, line):
    return _node("Constant", line, value=v)


DAEMON_CASES = {
    "AugAssign": (_node("AugAssign", 7, target=_name("x", 7), op="Add", value=_const(1, 7)),
                  "augmented assignment"),
    "Delete": (_node("Delete", 7, targets=[_name("x", 7)]), "del"),
    "Global": (_node("Global", 7, names=["x"]), "global"),
    "Nonlocal": (_node("Nonlocal", 7, names=["x"]), "nonlocal"),
    "print-call": (_node("Expr", 7, value=_node("Call", 7, func=_name("print", 7),
                                                args=[_name("x", 7)], keywords=[])), "print"),
    "eval-call": (_node("Expr", 7, value=_node("Call", 7, func=_name("eval", 7),
                                               args=[_const("1", 7)], keywords=[])), "eval"),
    "subscript-assignment": (_node("Assign", 7, targets=[_node("Subscript", 7,
                                                                value=_name("x", 7),
                                                                slice=_const(0, 7))],
                                   value=_const(1, 7)), "subscript"),
    "attribute-assignment": (_node("Assign", 7, targets=[_node("Attribute", 7,
                                                                value=_name("x", 7),
                                                                attr="y")],
                                   value=_const(1, 7)), "attribute"),
    "With": (_node("With", 7, items=[], body=[_node("Pass", 8)]), "with"),
    "Match": (_node("Match", 7, subject=_name("x", 7), cases=[]), "match"),
}


def _doc_with_block_statement(stmt):
    first = _node("Assign", 6, targets=[_name("x", 6)], value=_const(1, 6))
    return {"ir_version": 1, "files": ["/home/ada/rules.py"], "definitions": {},
            "block": {"file": 0, "line": 5, "body": [first, stmt], "globals": {},
                      "outputs": ["x"]}}


@pytest.mark.parametrize("case", sorted(DAEMON_CASES))
def test_daemon_rejects_forbidden_ir(daemon, case):
    stmt, word = DAEMON_CASES[case]
    before = stats(daemon)
    status, doc = http_json(daemon, "POST", "/v1/computations", _doc_with_block_statement(stmt))
    assert status == 400, doc
    err = doc["error"]
    assert err["type"] == "PythonToForaConversionError", err
    assert word in err["message"].lower(), err
    assert err["line"] == 7 and err["file"] == "/home/ada/rules.py", err
    after = stats(daemon)
    assert after["computations_started"] == before["computations_started"]


def test_daemon_rejects_forbidden_ir_inside_function_definition(daemon):
    # def f(x):          (line 20 of lib.py)
    #     x += 1         (line 21)
    #     return x
    fdef = _node("FunctionDef", 20, name="f",
                 args={"t": "arguments", "posonlyargs": [], "args": [{"t": "arg", "arg": "x"}],
                       "vararg": None, "kwonlyargs": [], "kw_defaults": [], "kwarg": None,
                       "defaults": []},
                 body=[_node("AugAssign", 21, target=_name("x", 21), op="Add",
                             value=_const(1, 21)),
                       _node("Return", 22, value=_name("x", 22))],
                 decorator_list=[])
    doc = {"ir_version": 1, "files": ["/home/ada/main.py", "/home/ada/lib.py"],
           "definitions": {"d1": {"kind": "function", "file": 1, "node": fdef, "globals": {},
                                  "freevars": {}, "defaults": [], "kwdefaults": {}}},
           "block": {"file": 0, "line": 3,
                     "body": [_node("Assign", 4, targets=[_name("r", 4)],
                                    value=_node("Call", 4, func=_name("f", 4),
                                                args=[_const(1, 4)], keywords=[]))],
                     "globals": {"f": "d1"}, "outputs": ["r"]}}
    status, body = http_json(daemon, "POST", "/v1/computations", doc)
    assert status == 400, body
    err = body["error"]
    assert err["type"] == "PythonToForaConversionError", err
    assert "augmented assignment" in err["message"], err
    assert (err["file"], err["line"]) == ("/home/ada/lib.py", 21), err


# ---------------------------------------------------------------- run time: mutation

def m_list_append():
    xs = [1, 2]
    xs.append(3)
    return xs


def m_list_extend():
    xs = [1]
    xs.extend([2, 3])
    return xs


def m_list_pop():
    xs = [1, 2]
    return xs.pop()


def m_list_insert():
    xs = [1, 2]
    xs.insert(0, 5)
    return xs


def m_list_remove():
    xs = [1, 2]
    xs.remove(1)
    return xs


def m_list_sort():
    xs = [3, 1, 2]
    xs.sort()
    return xs


def m_dict_update():
    d = {"a": 1}
    d.update({"b": 2})
    return d


def m_dict_pop():
    d = {"a": 1}
    return d.pop("a")


def m_dict_setdefault():
    d = {"a": 1}
    return d.setdefault("b", 2)


def m_set_add():
    s = {1}
    s.add(2)
    return s


def m_set_discard():
    s = {1, 2}
    s.discard(1)
    return s


MUTATORS = [("list.append", m_list_append), ("list.extend", m_list_extend),
            ("list.pop", m_list_pop), ("list.insert", m_list_insert),
            ("list.remove", m_list_remove), ("list.sort", m_list_sort),
            ("dict.update", m_dict_update), ("dict.pop", m_dict_pop),
            ("dict.setdefault", m_dict_setdefault), ("set.add", m_set_add),
            ("set.discard", m_set_discard)]


def catching_everything(fn):
    try:
        return fn()
    except Exception:
        return "caught"


@pytest.mark.parametrize("name, fn", MUTATORS, ids=[m[0] for m in MUTATORS])
def test_mutating_method_raises_invalid_operation(executor, name, fn):
    with pytest.raises(pyfora.InvalidPyforaOperation) as info:
        with executor.remotely.downloadAll():
            r = fn()
    assert name.split(".")[1] in str(info.value)


@pytest.mark.parametrize("name, fn", MUTATORS, ids=[m[0] for m in MUTATORS])
def test_mutating_method_cannot_be_caught_remotely(executor, name, fn):
    assert catching_everything(fn) != "caught"          # locally it mutates fine
    with pytest.raises(pyfora.InvalidPyforaOperation):
        with executor.remotely.downloadAll():
            r = catching_everything(fn)


def test_invalid_operation_not_caught_by_bare_except_or_finally_block(executor):
    def stubborn():
        try:
            try:
                return m_list_append()
            finally:
                r = "finally ran"
        except BaseException:
            return "caught"
    with pytest.raises(pyfora.InvalidPyforaOperation):
        with executor.remotely.downloadAll():
            r = stubborn()


# ---------------------------------------------------------------- run time: other imports

def imports_os():
    import os as operating_system  # MARK-import-os
    return operating_system.getcwd()


def test_import_of_other_module_is_a_clear_error(executor):
    with pytest.raises((pyfora.InvalidPyforaOperation, pyfora.PythonToForaConversionError)) \
            as info:
        with executor.remotely.downloadAll():
            r = imports_os()
    msg = str(info.value)
    assert "'os'" in msg and "not allowed" in msg, msg
    frames = [(os.path.abspath(f.filename), f.lineno)
              for f in traceback.extract_tb(info.tb)]
    if isinstance(info.value, pyfora.InvalidPyforaOperation):
        assert (HERE, line_of("MARK-import-os")) in frames, frames


def uses_subprocess_module():
    return subprocess.run(["true"]).returncode  # MARK-module-subprocess


def test_other_module_reached_at_module_level_is_rejected_before_sending(quiet_executor, quiet_daemon):
    before = stats(quiet_daemon)
    with pytest.raises(pyfora.PythonToForaConversionError) as info:
        with quiet_executor.remotely.downloadAll():
            r = uses_subprocess_module()
    assert_conversion_error(info.value, "MARK-module-subprocess", ["subprocess"])
    assert "math, functools, operator, itertools" in str(info.value)
    assert_nothing_sent(before, stats(quiet_daemon))


# ---------------------------------------------------------------- uncaught exceptions

class TooBig(Exception):
    pass


def check_positive(x):
    if x <= 0:
        raise ValueError("not positive: %r" % x)  # MARK-raise-value
    return x


def sum_checked(xs):
    return sum(check_positive(x) for x in xs)  # MARK-call-check


def raise_user_error(n):
    raise TooBig("too big: %d" % n)  # MARK-raise-user


def test_uncaught_exception_type_message_and_traceback(executor):
    with pytest.raises(ValueError) as info:
        with executor.remotely.downloadAll():
            total = sum_checked([3, 2, -1, 5])  # MARK-block-call
    assert str(info.value) == "not positive: -1"
    frames = [(os.path.abspath(f.filename), f.lineno, f.name)
              for f in traceback.extract_tb(info.tb)]
    pairs = [(f, n) for f, n, _ in frames]
    text = "".join(traceback.format_exception(info.type, info.value, info.tb))
    assert (HERE, line_of("MARK-raise-value")) in pairs, text
    assert (HERE, line_of("MARK-call-check")) in pairs, text
    assert (HERE, line_of("MARK-block-call")) in pairs, text
    names = [n for _, _, n in frames]
    assert "check_positive" in names and "sum_checked" in names, text
    # outermost first: the block's frame comes before the helper that raised
    assert pairs.index((HERE, line_of("MARK-block-call"))) < \
        pairs.index((HERE, line_of("MARK-raise-value")))


def test_uncaught_zero_division_keeps_type_and_message(executor):
    def divide(a, b):
        return a // b
    with pytest.raises(ZeroDivisionError) as info:
        with executor.remotely.downloadAll():
            r = divide(1, 0)
    try:
        divide(1, 0)
    except ZeroDivisionError as local:
        assert str(info.value) == str(local)


def test_uncaught_user_exception_names_its_class(executor):
    with pytest.raises(pyfora.ComputationError) as info:
        with executor.remotely.downloadAll():
            r = raise_user_error(7)
    exc = info.value.remoteException
    assert exc["type"] == "TooBig" and exc["message"] == "too big: 7", exc
    lines = [(os.path.abspath(e["file"]), e["line"]) for e in info.value.trace]
    assert (HERE, line_of("MARK-raise-user")) in lines


def test_values_bound_before_the_exception_are_downloaded(executor):
    first = None
    with pytest.raises(ValueError):
        with executor.remotely.downloadAll():
            first = check_positive(5)
            second = check_positive(-5)
    assert first == 5


# ---------------------------------------------------------------- limits

def deep(n):
    return 0 if n == 0 else 1 + deep(n - 1)


def huge():
    return 2 ** (10 ** 12)


def test_deep_recursion_is_recursion_error_and_daemon_survives(executor, daemon):
    with pytest.raises(RecursionError):
        with executor.remotely.downloadAll():
            r = deep(10 ** 6)
    assert daemon.proc.poll() is None
    with executor.remotely.downloadAll():
        r = deep(200)
    assert r == 200


def test_recursion_error_can_be_caught_remotely_like_python(executor):
    def guarded(n):
        try:
            return deep(n)
        except RecursionError:
            return -1
    with executor.remotely.downloadAll():
        r = guarded(10 ** 6)
    assert r == guarded(10 ** 6)


def test_huge_allocation_is_memory_error_and_daemon_survives(executor, daemon):
    with pytest.raises(MemoryError):
        with executor.remotely.downloadAll():
            r = huge()
    assert daemon.proc.poll() is None
    with executor.remotely.downloadAll():
        r = 2 ** 100 + deep(10)
    assert r == 2 ** 100 + 10


# ---------------------------------------------------------------- no source

def test_block_from_exec_string_cant_get_source(executor):
    src = "with executor.remotely.downloadAll():\n    r = 1 + 1\n"
    with pytest.raises(pyfora.CantGetSourceTextError) as info:
        exec(compile(src, "<string>", "exec"), {"executor": executor})
    assert "source" in str(info.value)


def test_function_from_exec_string_cant_get_source(executor):
    ns = {}
    exec("def made_up(x):\n    return x + 1\n", ns)
    made_up = ns["made_up"]
    with pytest.raises(pyfora.CantGetSourceTextError) as info:
        with executor.remotely.downloadAll():
            r = made_up(1)
    assert "source" in str(info.value) and "made_up" in str(info.value)


def test_block_in_python_dash_c_cant_get_source(daemon):
    code = ("import pyfora\n"
            "ex = pyfora.connect(%r)\n"
            "try:\n"
            "    with ex.remotely.downloadAll():\n"
            "        r = 2 + 2\n"
            "except pyfora.CantGetSourceTextError as e:\n"
            "    print('CANT', e)\n" % daemon.url)
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "clientpy"))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("CANT ") and "source" in out.stdout, out.stdout


# ---------------------------------------------------------------- iterators stay remote

def test_generator_result_cannot_be_downloaded(executor):
    with pytest.raises(pyfora.ForaToPythonConversionError) as info:
        with executor.remotely.downloadAll():
            n = 3
            g = (x * x for x in range(n))
    assert "'g'" in str(info.value) and "generator" in str(info.value)
    assert n == 3        # the values that could be downloaded were assigned


# ---------------------------------------------------------------- semantics we chose
# (docs/pure-python.md, "Semantics we chose")

def float_total(xs):
    return sum(xs)


def test_float_sum_is_correctly_rounded(executor):
    import math
    cases = [[0.1] * 10, [1e100, 1.0, -1e100], [x / 7 for x in range(100)], [1e16, 1.0, 1.0]]
    with executor.remotely.downloadAll():
        totals = [float_total(xs) for xs in cases]
    assert totals == [math.fsum(xs) for xs in cases]
    assert totals[0] == 1.0 and totals[1] == 1.0


def str_hashes():
    return [hash(s) for s in ("", "a", "pyfora", "héllo ✓")]


def test_str_hash_is_deterministic(executor):
    with executor.remotely.downloadAll():
        first = str_hashes()
    with executor.remotely.downloadAll():
        second = str_hashes()
    assert first == second and all(isinstance(h, int) for h in first)
    assert len(set(first)) == len(first)


def test_recursion_limit_is_deeper_than_cpythons(executor):
    with pytest.raises(RecursionError):
        deep(5000)                      # CPython's default limit is 1000 frames
    with executor.remotely.downloadAll():
        r = deep(5000)
    assert r == 5000
