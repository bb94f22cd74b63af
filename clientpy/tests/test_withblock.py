import os
import runpy
import socket
import sys
import textwrap
import traceback

import pytest

import pyfora
from pyfora import executor as executor_mod

HERE = os.path.abspath(__file__)
GLOBAL_K = 41


def helper(v):
    return v * GLOBAL_K


def line_of(marker):
    with open(HERE) as f:
        for i, text in enumerate(f, 1):
            if marker in text and "line_of(" not in text:
                return i
    raise AssertionError(marker)


def explode():
    raise AssertionError("the with-block body ran locally")


def test_body_not_executed_and_ir_posted(executor, daemon):
    daemon.result = {"values": {"result": 82, "unused": {"list": [1, 2]}}}
    local_n = 2
    with executor.remotely.downloadAll():
        explode()
        result = helper(local_n)  # MARK-body2
    assert result == 82
    doc = daemon.documents[0]
    assert doc["ir_version"] == 1
    block = doc["block"]
    assert doc["files"][block["file"]] == HERE
    assert block["line"] == line_of("MARK-body2") - 1
    assert [s["t"] for s in block["body"]] == ["Expr", "Assign"]
    assert block["body"][1]["line"] == line_of("MARK-body2")
    assert sorted(block["globals"]) == ["explode", "helper", "local_n"]
    assert block["outputs"] == ["result"]
    defs = doc["definitions"]
    assert defs[block["globals"]["local_n"]] == {"kind": "value", "value": 2}
    h = defs[block["globals"]["helper"]]
    assert h["node"]["name"] == "helper"
    assert defs[h["globals"]["GLOBAL_K"]] == {"kind": "value", "value": 41}
    assert ("DELETE", "/v1/computations/c1") in daemon.requests


def test_one_line_body_not_executed(executor, daemon):
    daemon.result = {"values": {"r": 5}}
    r = 0
    with executor.remotely.downloadAll(): r = explode()
    assert r == 5


def test_locals_assigned_inside_function(executor, daemon):
    daemon.result = {"values": {"a": 1, "b": {"tuple": [2, {"float": "nan"}]},
                                "c": {"dict": [["k", {"set": [1]}]]}}}
    a = "old"

    def keep_c_as_cell():
        return c
    with executor.remotely.downloadAll():
        a = explode()
        b = 1
        c = 2
    assert a == 1 and b[0] == 2 and b[1] != b[1]
    assert c == {"k": {1}} and keep_c_as_cell() == c


def test_results_assigned_at_module_level(daemon, tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent('''\
        import pyfora
        executor = pyfora.connect(URL)
        base = 3
        def crash():
            raise AssertionError("ran locally")
        with executor.remotely.downloadAll():
            crash()
            total = base * 2
            other = [total]
        executor.close()
        '''))
    daemon.result = {"values": {"total": 6, "other": {"list": [6]}}}
    g = runpy.run_path(str(script), init_globals={"URL": daemon.url})
    assert g["total"] == 6 and g["other"] == [6]
    block = daemon.documents[0]["block"]
    assert block["line"] == 7 and block["outputs"] == ["total", "other"]
    assert sorted(block["globals"]) == ["base", "crash"]


def test_free_variables_of_block(executor, daemon):
    outer = 10
    unused_local = object()  # not read by the block: must not be shipped

    def f(y):
        return y + outer
    with executor.remotely.downloadAll():
        z = 1
        w = z + f(2) + (lambda q: q + GLOBAL_K)(1)
        v = sum(x for x in xrange(3)) + not_defined_anywhere
        def g():
            return helper(outer)
    g_names = sorted(daemon.documents[0]["block"]["globals"])
    assert g_names == ["GLOBAL_K", "f", "helper", "outer"]
    assert daemon.documents[0]["block"]["outputs"] == ["z", "w", "v", "g"]
    assert unused_local is not None


def test_nested_in_if_and_for(executor, daemon):
    daemon.result = {"values": {"s": 3}}
    total = 0
    for i in range(2):
        if i >= 0:
            with executor.remotely.downloadAll():
                s = explode() + i
            total += s
    assert total == 6 and len(daemon.documents) == 2


def test_remote_exception_traceback_points_to_user_lines(executor, daemon):
    block_line = line_of("MARK-zero")
    helper_line = helper.__code__.co_firstlineno + 1
    daemon.result = {"values": {"x": 1}, "exception": {
        "type": "ZeroDivisionError", "message": "division by zero",
        "traceback": [{"file": HERE, "line": block_line, "function": "<block>"},
                      {"file": HERE, "line": helper_line, "function": "helper"}]}}
    x = 0
    with pytest.raises(ZeroDivisionError) as e:
        with executor.remotely.downloadAll():
            x = 1
            y = helper(0) / 0  # MARK-zero
    assert str(e.value) == "division by zero"
    assert x == 1
    frames = [(f.filename, f.lineno, f.name) for f in traceback.extract_tb(e.value.__traceback__)]
    assert frames[-2:] == [(HERE, block_line, "<block>"), (HERE, helper_line, "helper")]
    text = "".join(traceback.format_exception(e.type, e.value, e.value.__traceback__))
    assert "MARK-zero" in text and "return v * GLOBAL_K" in text
    assert "_SkipBody" not in text
    assert any("remote traceback" in n for n in e.value.__notes__)


def test_invalid_pyfora_operation(executor, daemon):
    daemon.result = {"exception": {"type": "InvalidPyforaOperation",
                                   "message": "list.append is not supported",
                                   "traceback": []}}
    assert not issubclass(pyfora.InvalidPyforaOperation, pyfora.PyforaError)
    with pytest.raises(pyfora.InvalidPyforaOperation) as e:
        with executor.remotely.downloadAll():
            r = [].append(1)
    assert "list.append" in str(e.value)


def test_unknown_exception_type_is_computation_error(executor, daemon):
    exc = {"type": "MyError", "message": "boom",
           "traceback": [{"file": HERE, "line": 1, "function": "<block>"}]}
    daemon.result = {"exception": exc}
    with pytest.raises(pyfora.ComputationError) as e:
        with executor.remotely.downloadAll():
            r = 1
    assert e.value.remoteException == exc
    assert e.value.trace == exc["traceback"]
    assert "MyError: boom" in str(e.value)


def test_unconvertible_result(executor, daemon):
    daemon.result = {"values": {"gen": {"unconvertible": "generator"}, "ok": 1}}
    ok = 0
    with pytest.raises(pyfora.ForaToPythonConversionError) as e:
        with executor.remotely.downloadAll():
            gen = (i for i in range(3))
            ok = 1
    assert "'gen'" in str(e.value) and "generator" in str(e.value)
    assert ok == 1


def test_daemon_conversion_error_400(executor, daemon):
    daemon.post_error = (400, {"error": {"type": "PythonToForaConversionError",
                                         "message": "x is not supported",
                                         "file": 0, "line": line_of("MARK-400")}})
    with pytest.raises(pyfora.PythonToForaConversionError) as e:
        with executor.remotely.downloadAll():
            q = 1  # MARK-400
    assert e.value.file == HERE and e.value.line == line_of("MARK-400")
    assert "MARK-400" in str(e.value)


def test_daemon_other_error(executor, daemon):
    daemon.post_error = (400, {"error": {"type": "InvalidRequest", "message": "nope"}})
    with pytest.raises(pyfora.PyforaError) as e:
        with executor.remotely.downloadAll():
            q = 1
    assert "InvalidRequest" in str(e.value) and "nope" in str(e.value)


def test_conversion_error_in_block_raised_before_running(executor, daemon):
    ran = []
    with pytest.raises(pyfora.PythonToForaConversionError) as e:
        with executor.remotely.downloadAll():
            ran.append(1)
            x = 1
            x += 1  # MARK-aug
    assert ran == [] and daemon.documents == []
    assert e.value.line == line_of("MARK-aug")
    assert "augmented assignment" in str(e.value)


def test_return_in_block_is_bad(executor):
    def f():
        with executor.remotely.downloadAll():
            return 1
    with pytest.raises(pyfora.BadWithBlockError):
        f()


def test_break_in_block_is_bad(executor):
    with pytest.raises(pyfora.BadWithBlockError) as e:
        for _ in range(1):
            with executor.remotely.downloadAll():
                break
    assert "'break' outside loop" in str(e.value)


def test_global_declared_name_assigned_to_globals(executor, daemon):
    daemon.result = {"values": {"PF_GLOBAL_OUT": 5, "loc": 6}}

    def f():
        global PF_GLOBAL_OUT
        loc = 0
        with executor.remotely.downloadAll():
            PF_GLOBAL_OUT = 1
            loc = 2
        return loc
    try:
        assert f() == 6
        assert globals()["PF_GLOBAL_OUT"] == 5
    finally:
        globals().pop("PF_GLOBAL_OUT", None)


def test_cant_get_source(executor):
    code = compile("with executor.remotely.downloadAll():\n    x = 1\n", "<stdin>", "exec")
    with pytest.raises(pyfora.CantGetSourceTextError) as e:
        exec(code, {"executor": executor})
    assert "<stdin>" in str(e.value)


def test_previous_tracer_restored(executor, daemon):
    events = []

    def tracer(frame, event, arg):
        events.append(event)
        return None
    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        with executor.remotely.downloadAll():
            r = explode()
        assert sys.gettrace() is tracer
        helper(1)
    finally:
        sys.settrace(old)
    assert "call" in events


def test_long_poll_and_release(executor, daemon):
    daemon.running_polls = 2
    daemon.result = {"values": {"r": 7}}
    with executor.remotely.downloadAll():
        r = 0
    assert r == 7
    gets = [p for m, p in daemon.requests if m == "GET" and "computations" in p]
    assert gets == ["/v1/computations/c1?wait=30"] * 3
    assert daemon.deleted == ["/v1/computations/c1"]


def test_ctrl_c_cancels(executor, daemon, monkeypatch):
    def interrupted(self, cid, callback=None):
        raise KeyboardInterrupt
    monkeypatch.setattr(executor_mod.Executor, "_wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with executor.remotely.downloadAll():
            r = 1
    assert daemon.deleted == ["/v1/computations/c1"]


def test_connect_nothing_listening():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    url = "http://127.0.0.1:%d" % port
    with pytest.raises(pyfora.ConnectionError) as e:
        pyfora.connect(url, timeout=2)
    assert url in str(e.value)


def test_connect_wrong_protocol(daemon):
    daemon.hello = {"protocol": 2}
    with pytest.raises(pyfora.ConnectionError) as e:
        pyfora.connect(daemon.url)
    assert "protocol 2" in str(e.value)


def test_executor_lifecycle(daemon):
    with pyfora.connect(daemon.url) as ex:
        assert isinstance(ex, pyfora.Executor) and not ex.isClosed()
        assert ex.serverInfo["server"] == "fake 0"
    assert ex.isClosed()
    with pytest.raises(pyfora.PyforaError):
        ex.remotely.downloadAll()


def test_keepalive_reuses_connection(executor, daemon):
    daemon.result = {"values": {"r": 1}}
    for _ in range(3):
        with executor.remotely.downloadAll():
            r = 0
    assert r == 1 and len(daemon.documents) == 3
    assert daemon.connections == 1


def test_server_closing_connections(executor, daemon):
    daemon.close_connections = True
    daemon.result = {"values": {"r": 2}}
    with executor.remotely.downloadAll():
        r = 0
    assert r == 2 and daemon.connections == 3   # hello+POST, GET, DELETE


def test_bad_urls():
    with pytest.raises(pyfora.ConnectionError) as e:
        pyfora.connect("https://example.invalid:1")
    assert "https://example.invalid:1" in str(e.value)


def test_public_exceptions():
    for name in ["PyforaError", "ConnectionError", "ComputationError",
                 "PythonToForaConversionError", "ForaToPythonConversionError",
                 "CantGetSourceTextError", "BadWithBlockError", "NotCallableError",
                 "UnconvertibleValueError", "ResultExceededBytecountThreshold"]:
        assert issubclass(getattr(pyfora, name), pyfora.PyforaError)
    assert issubclass(pyfora.InvalidPyforaOperation, Exception)


def test_reconnects_when_idle_connection_was_dropped():
    """A server that silently closes every connection after one answer."""
    import threading
    from pyfora._connection import Connection
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    served = []

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = c.recv(4096)
                if not chunk:
                    break
                data += chunk
            served.append(data.split(b"\r\n")[0])
            body = b'{"protocol": 1}'
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            c.close()
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        conn = Connection("http://127.0.0.1:%d" % srv.getsockname()[1], timeout=5)
        assert conn.request("GET", "/v1/hello") == (200, {"protocol": 1})
        assert conn.request("GET", "/v1/hello") == (200, {"protocol": 1})
        conn.close()
    finally:
        srv.close()
    assert served == [b"GET /v1/hello HTTP/1.1"] * 2


REBIND_SCRIPT = '''\
import pyfora
executor = pyfora.connect(URL)
scale = 3
def times(v):
    return v * scale
with executor.remotely.downloadAll():
    before = times(2)
    scale = 10
    after = times(2)
executor.close()
'''


def _in_main(script, declarations):
    """'script' with its with-block moved into a function main() (opening with
    'declarations'), which the script then calls."""
    head, rest = script.split("with executor", 1)
    block, tail = rest.split("executor.close()", 1)
    body = textwrap.indent("with executor" + block, "    ")
    return head + "def main():\n" + declarations + body + "main()\nexecutor.close()" + tail


def test_block_rebinding_a_global_a_function_reads_is_refused(daemon, tmp_path):
    # CPython gives (6, 20): times() reads the module's scale after the block rebinds it.
    # Remotely times() keeps scale = 3, so the block is refused before anything is sent.
    script = tmp_path / "rebind.py"
    script.write_text(REBIND_SCRIPT)
    with pytest.raises(pyfora.PythonToForaConversionError) as info:
        runpy.run_path(str(script), init_globals={"URL": daemon.url})
    e = info.value
    assert e.file == str(script) and e.line == 8
    assert "'scale'" in str(e) and "times" in str(e) and "line 5" in str(e), str(e)
    assert daemon.documents == []


def test_block_in_a_function_declaring_the_global_is_refused(daemon, tmp_path):
    script = tmp_path / "rebind2.py"
    script.write_text(_in_main(REBIND_SCRIPT, "    global scale\n"))
    with pytest.raises(pyfora.PythonToForaConversionError) as info:
        runpy.run_path(str(script), init_globals={"URL": daemon.url})
    assert "'scale'" in str(info.value) and info.value.line == 10
    assert daemon.documents == []


def test_block_binding_a_local_of_the_same_name_is_sent(daemon, tmp_path):
    # in a function the block's scale is a local: times() reads the module's in CPython too
    script = tmp_path / "local.py"
    script.write_text(_in_main(REBIND_SCRIPT, ""))
    daemon.result = {"values": {"before": 6, "scale": 10, "after": 6}}
    runpy.run_path(str(script), init_globals={"URL": daemon.url})
    assert len(daemon.documents) == 1
