"""The Executor API against a real pyforad: policies, proxies, futures, submit/define, release,
cancel, the exception types from their real causes. Expected values come from running the same
code locally with CPython."""
import concurrent.futures
import gc
import http.client
import json
import operator
import os
import threading
import time
from functools import reduce
from math import sqrt

import pytest

import pyfora
from pyfora import _binary


def _get(daemon, path):
    conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=10)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def _stats(daemon):
    return _get(daemon, "/v1/stats")[1]


def _busy(daemon):
    return sum(m["busy"] for m in _get(daemon, "/v1/cluster")[1]["machines"])


def _wait_until(pred, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def square(x):
    return x * x


def add(a, b=0, *, c=0):
    return a + b + c


def squares(n):
    return [square(i) for i in range(n)]


def spin_forever():
    x = 0
    while True:
        x = x + 1
    return x


def explode(msg):
    raise ValueError(msg)


def gen(n):
    for i in range(n):
        yield i


# ---------------------------------------------------------------- policies


def test_remotely_is_remote_all_by_default(executor):
    with executor.remotely:
        xs = squares(20)
        total = sum(xs)
    assert isinstance(xs, pyfora.RemotePythonObject)
    assert isinstance(total, pyfora.RemotePythonObject)
    assert xs.typeName == "list" and total.typeName == "int"
    assert xs.toLocal().result(timeout=30) == squares(20)
    assert total.toLocal().result(timeout=30) == sum(squares(20))


def test_remote_all_and_download_all_chain(executor):
    with executor.remotely.downloadAll().remoteAll():
        xs = squares(5)
    assert isinstance(xs, pyfora.RemotePythonObject)
    with executor.remotely.remoteAll().downloadAll():
        ys = squares(5)
    assert ys == squares(5)


def test_download_small_on_both_sides_of_the_boundary(executor):
    # sizes are those of the binary encoding (docs/protocol.md): [0, 1, 4] is 4 (magic) +
    # 1 (tag) + 1 (count) + 3 * 8 bytes; [0..9] squared is longer
    small_len = len(_binary.encode([0, 1, 4]))
    assert small_len == 30
    with executor.remotely.downloadSmall(bytecount=small_len):
        small = squares(3)
        big = squares(10)
        fn = square
    assert small == [0, 1, 4]
    assert isinstance(big, pyfora.RemotePythonObject)
    assert big.size == len(_binary.encode(squares(10))) > small_len
    assert big.toLocal().result(timeout=30) == squares(10)
    assert isinstance(fn, pyfora.RemotePythonObject)   # a function has no download form
    assert fn.size is None and fn.typeName == "function"
    with executor.remotely.downloadSmall(bytecount=small_len - 1):
        small2 = squares(3)
    assert isinstance(small2, pyfora.RemotePythonObject)
    assert small2.size == small_len


def test_proxies_carry_type_and_binary_size_under_every_policy(executor):
    values = {"ints": squares(50), "text": "héllo" * 3, "big": 7 ** 90,
              "mixed": (1, 2.5, None, "x", [True, {"k": frozenset({3})}]), "rng": range(3, 99, 4),
              "floats": [0.5 * i for i in range(20)], "d": {"a": -1, "b": [1.5, "x", 2 ** 70]},
              "s": {1, 2, 3}, "neg": -(2 ** 63)}
    with executor.remotely.remoteAll():
        ints = squares(50)
        text = "héllo" * 3
        big = 7 ** 90
        mixed = (1, 2.5, None, "x", [True, {"k": frozenset({3})}])
        rng = range(3, 99, 4)
        floats = [0.5 * i for i in range(20)]
        d = {"a": -1, "b": [1.5, "x", 2 ** 70]}
        s = {1, 2, 3}
        neg = -(2 ** 63)
        fn = square
    with executor.remotely.downloadSmall(bytecount=0):
        ints2 = squares(50)
    got = {"ints": ints, "text": text, "big": big, "mixed": mixed, "rng": rng,
           "floats": floats, "d": d, "s": s, "neg": neg}
    for name, proxy in got.items():
        assert isinstance(proxy, pyfora.RemotePythonObject)
        assert proxy.typeName == type(values[name]).__name__
        # the size is the length of the bytes a binary download brings back
        assert proxy.size == len(_binary.encode(values[name])), name
        assert proxy.toLocal().result(timeout=30) == values[name]
    assert (ints2.typeName, ints2.size) == ("list", len(_binary.encode(squares(50))))
    assert (fn.typeName, fn.size) == ("function", None)


def test_with_status_callback(executor):
    seen = []
    with executor.remotely.downloadAll().withStatusCallback(seen.append):
        r = sum(squares(100))
    assert r == sum(squares(100))
    assert seen and seen[-1]["done"] is True
    assert all(s["cores_total"] >= 1 and 0 <= s["cores_busy"] <= s["cores_total"] for s in seen)


def _spin(n):
    t = 0
    for i in range(n):
        t = (t + i) % 1000003
    return t


def test_status_callback_work_increases(executor, daemon):
    seen = []

    def callback(status):
        seen.append(status)
        running = [s["work"] for s in seen if not s["done"]]
        if len(running) >= 3 and running[-1] > running[0]:
            raise KeyboardInterrupt   # the client cancels the computation
    with pytest.raises(KeyboardInterrupt):
        with executor.remotely.downloadAll().withStatusCallback(callback):
            r = _spin(10 ** 12)   # noqa: F841  (far longer than the test waits)
    works = [s["work"] for s in seen]
    assert all(isinstance(w, int) and w >= 0 for w in works)
    assert works == sorted(works) and works[-1] > works[0], works
    assert all({"computation", "cores_busy", "cores_total", "done", "work"} <= set(s)
               for s in seen)
    assert _wait_until(lambda: _busy(daemon) == 0)   # cancelled: the core is free again
    with executor.remotely.downloadAll().withStatusCallback(seen.append):
        r = _spin(1000)
    assert r == sum(range(1000)) % 1000003 and seen[-1]["done"] is True


def test_worker_count(executor):
    # one machine, plus the workers the suite was asked to join (PYFORA_E2E_WORKERS)
    assert executor.getWorkerCount() == 1 + int(os.environ.get("PYFORA_E2E_WORKERS", "0"))


# ---------------------------------------------------------------- proxies


def test_proxy_reused_across_blocks_closures_and_arguments(executor):
    with executor.remotely:
        xs = squares(50)
    def uses_proxy_in_closure(k):   # noqa: E306
        return xs[k] + 1
    with executor.remotely.downloadAll():
        n = len(xs)
        s = sum(xs)
        c = uses_proxy_in_closure(7)
    assert (n, s, c) == (50, sum(squares(50)), squares(50)[7] + 1)
    fut = executor.submit(len, xs)
    assert isinstance(fut, pyfora.Future)
    assert fut.result(timeout=30).toLocal().result(timeout=30) == 50
    with executor.remotely:
        ys = [x + 1 for x in xs]
    with executor.remotely.downloadAll():
        both = sum(ys) - sum(xs)
    assert both == 50


def test_proxy_inside_a_container(executor):
    with executor.remotely:
        xs = squares(4)
    pair = [xs, 1]
    with executor.remotely.downloadAll():
        r = len(pair[0]) + pair[1]
    assert r == 5


def test_remote_function_called_later(executor):
    with executor.remotely:
        def cube(x):
            return x * x * x
        offset = 10
        def shifted(x):
            return cube(x) + offset
    assert isinstance(shifted, pyfora.RemotePythonObject)
    r = shifted(3).result(timeout=30)
    assert isinstance(r, pyfora.RemotePythonObject)
    assert r.toLocal().result(timeout=30) == 37
    with executor.remotely.downloadAll():
        r2 = shifted(2)
    assert r2 == 18


def test_exception_from_a_remote_function_is_caught_in_a_later_block(executor):
    with executor.remotely:
        def fails(x):
            raise ValueError("v%d" % x)
        class Custom(KeyError):
            pass
        def fails_custom():
            raise Custom("c")
    with executor.remotely.downloadAll():
        try:
            fails(3)
            r = "not raised"
        except ValueError as e:
            r = "caught " + str(e)
        try:
            fails_custom()
            r2 = "not raised"
        except LookupError:
            r2 = "caught lookup"
    assert (r, r2) == ("caught v3", "caught lookup")


def test_dropping_the_last_reference_releases(executor, daemon):
    with executor.remotely:
        a = squares(10)
        b = squares(11)
    before = _stats(daemon)["objects"]
    assert before >= 2
    del a, b
    gc.collect()
    assert _wait_until(lambda: _stats(daemon)["objects"] <= before - 2)


def test_unknown_object_is_404(executor, daemon):
    status, doc = _get(daemon, "/v1/objects/o999999999")
    assert status == 404 and doc["error"]["type"] == "NotFound"
    assert "o999999999" in doc["error"]["message"]
    with executor.remotely:
        gone = squares(3)
    conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=10)
    conn.request("DELETE", "/v1/objects/" + gone.objectId)
    assert conn.getresponse().status == 200
    conn.close()
    with pytest.raises(pyfora.PyforaError) as e:
        with executor.remotely.downloadAll():
            n = len(gone)   # noqa: F841
    assert gone.objectId in str(e.value)


# ---------------------------------------------------------------- futures


def test_submit_and_define(executor):
    fut = executor.submit(add, 1, 2, c=3)
    assert isinstance(fut, concurrent.futures.Future)
    r = fut.result(timeout=30)
    assert isinstance(r, pyfora.RemotePythonObject)
    assert r.toLocal().result(timeout=30) == add(1, 2, c=3)
    assert fut.done() and fut.exception() is None
    called = threading.Event()
    fut.add_done_callback(lambda f: called.set())
    assert called.wait(5)
    d = executor.define([1, 2, 3]).result(timeout=30)
    assert d.typeName == "list"
    assert executor.submit(sum, d).result(timeout=30).toLocal().result(timeout=30) == 6
    f = executor.define(square).result(timeout=30)
    assert f(9).result(timeout=30).toLocal().result(timeout=30) == 81


def test_module_level_from_imports(executor):
    with executor.remotely.downloadAll():
        r = sqrt(16.0) + reduce(operator.add, [1, 2, 3])
    assert r == sqrt(16.0) + reduce(operator.add, [1, 2, 3])


def test_future_timeout(executor):
    fut = executor.submit(spin_forever)
    with pytest.raises(pyfora.TimeoutError):
        fut.result(timeout=0.2)
    assert fut.cancel()
    with pytest.raises(pyfora.CancelledError):
        fut.result()


def test_cancel_frees_the_worker(executor, daemon):
    assert _wait_until(lambda: _busy(daemon) == 0)
    fut = executor.submit(spin_forever)
    assert _wait_until(lambda: _busy(daemon) == 1, 30)
    assert fut.cancel()
    assert fut.cancelled()
    assert _wait_until(lambda: _busy(daemon) == 0, 60)
    assert executor.submit(square, 7).result(timeout=30).toLocal().result(timeout=30) == 49


# ---------------------------------------------------------------- exceptions


def test_computation_error_from_future(executor):
    fut = executor.submit(explode, "boom")
    with pytest.raises(pyfora.ComputationError) as e:
        fut.result(timeout=30)
    assert isinstance(e.value.remoteException, ValueError)
    assert str(e.value.remoteException) == "boom"
    assert any(t.get("function") == "explode" for t in e.value.trace)
    assert isinstance(fut.exception(), pyfora.ComputationError)


def test_with_block_reraises_own_type_and_binds_earlier_values(executor):
    with pytest.raises(ValueError) as e:
        with executor.remotely.downloadAll():
            before = 1
            explode("bad")
            after = 2   # noqa: F841
    assert str(e.value) == "bad"
    assert before == 1
    assert "after" not in dir()


def test_not_callable(executor):
    with executor.remotely:
        xs = squares(3)
    with pytest.raises(pyfora.NotCallableError):
        xs(1)
    with pytest.raises(pyfora.NotCallableError):
        executor.submit(5)


class _NoCall:
    def __init__(self, k):
        self.k = k


class _BadInside:
    def __call__(self, x):
        return self.k(x)      # a TypeError inside __call__, not at the proxy's call

    def __init__(self):
        self.k = 3


def test_not_callable_user_instance(executor):
    with executor.remotely:
        obj = _NoCall(1)
        bad = _BadInside()
    with pytest.raises(pyfora.NotCallableError):
        obj(1).result(timeout=30)
    with pytest.raises(pyfora.NotCallableError):
        executor.submit(obj).result(timeout=30)
    # a TypeError raised inside the called code stays a ComputationError
    with pytest.raises(pyfora.ComputationError) as e:
        bad(1).result(timeout=30)
    assert isinstance(e.value.remoteException, TypeError) or "TypeError" in repr(e.value)


def test_fora_to_python_conversion_error(executor):
    with executor.remotely:
        g = gen(3)
    assert g.typeName == "generator"
    with pytest.raises(pyfora.ForaToPythonConversionError):
        g.toLocal().result(timeout=30)
    with pytest.raises(pyfora.ForaToPythonConversionError):
        with executor.remotely.downloadAll():
            g2 = gen(3)   # noqa: F841


def test_unconvertible_value_error_only_if_that_code_runs(executor, tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("x")
    with open(str(path)) as fh:
        def reads():
            return fh.read()
        with executor.remotely.downloadAll():
            ok = 1
            if ok == 2:
                z = reads()
        assert ok == 1
        with pytest.raises(pyfora.UnconvertibleValueError) as e:
            with executor.remotely.downloadAll():
                z = reads()   # noqa: F841
        assert "fh" in str(e.value)


def test_result_exceeded_bytecount_threshold(executor):
    with executor.remotely:
        xs = squares(100)
    with pytest.raises(pyfora.ResultExceededBytecountThreshold):
        xs.toLocal(maxBytecount=10).result(timeout=30)
    assert xs.toLocal(maxBytecount=10 ** 6).result(timeout=30) == squares(100)


def test_python_to_fora_conversion_error(executor):
    cyc = [1]
    cyc.append(cyc)
    with pytest.raises(pyfora.PythonToForaConversionError):
        executor.define(cyc)


def test_invalid_pyfora_operation_is_not_a_pyfora_error():
    assert not issubclass(pyfora.InvalidPyforaOperation, pyfora.PyforaError)
    for name in ("ConnectionError", "ComputationError", "PythonToForaConversionError",
                 "ForaToPythonConversionError", "UnconvertibleValueError",
                 "ResultExceededBytecountThreshold", "BadWithBlockError", "NotCallableError"):
        assert issubclass(getattr(pyfora, name), pyfora.PyforaError)
    assert pyfora.CancelledError is concurrent.futures.CancelledError
    assert pyfora.TimeoutError is concurrent.futures.TimeoutError


def test_connection_error_when_nothing_listens():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(pyfora.ConnectionError):
        pyfora.connect("http://127.0.0.1:%d" % port, timeout=2)


# ---------------------------------------------------------------- many clients


def test_sixteen_concurrent_clients(daemon):
    results = {}
    errors = []

    def client(k):
        try:
            with pyfora.connect(daemon.url) as ex:
                with ex.remotely:
                    xs = squares(100 + k)
                with ex.remotely.downloadAll():
                    s = sum(xs) + k
                f = ex.submit(add, k, 1000).result(timeout=60)
                results[k] = (s, f.toLocal().result(timeout=60))
        except BaseException as e:  # reported below
            errors.append((k, e))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert results == {k: (sum(squares(100 + k)) + k, k + 1000) for k in range(16)}


def test_one_executor_shared_by_threads(executor):
    out = {}

    def work(k):
        f = executor.submit(add, k, b=k)
        out[k] = f.result(timeout=60).toLocal().result(timeout=60)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert out == {k: 2 * k for k in range(8)}


# ---------------------------------------------------------------- transfers


def test_large_values_round_trip_binary_and_json(executor, daemon):
    ints = [(i * 7919) % 100003 - 50000 for i in range(30000)]
    mixed = [2 ** 70, -(2 ** 65), float("inf"), float("-inf"), -0.0, 1.5, "h\u00e9", None, True,
             (1, 2), {"k": [1, 2.5]}, frozenset([3]), range(2, 9, 3)] * 1000
    floats = [i / 7 for i in range(20000)]
    made = _stats(daemon)["objects_made"]
    try:
        for binary in (True, False):
            executor._binary_transfers = binary
            for data in (ints, mixed, floats):
                p = executor.define(data).result(timeout=60)
                back = p.toLocal().result(timeout=60)
                assert back == data
                assert [type(x) for x in back[:13]] == [type(x) for x in data[:13]]
                assert str(back[4]) == str(data[4])   # -0.0 keeps its sign
            with executor.remotely.downloadAll():
                total = sum(ints) + len(floats)
            assert total == sum(ints) + len(floats)
    finally:
        executor._binary_transfers = True
    assert _stats(daemon)["objects_made"] >= made + 6


def test_binary_object_endpoints(daemon):
    from pyfora import _binary
    conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=30)
    try:
        body = _binary.encode([1, 2, 3])
        conn.request("POST", "/v1/objects", body, {"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        oid = json.loads(r.read())["id"]
        assert r.status == 201
        conn.request("GET", "/v1/objects/" + oid, headers={"Accept": "application/octet-stream"})
        r = conn.getresponse()
        assert r.status == 200 and r.getheader("Content-Type") == "application/octet-stream"
        assert r.read() == body
        conn.request("GET", "/v1/objects/%s?max_bytes=5" % oid,
                     headers={"Accept": "application/octet-stream"})
        r = conn.getresponse()
        err = json.loads(r.read())["error"]
        assert r.status == 413 and err["type"] == "ResultExceededBytecountThreshold"
        assert err["size"] == len(body)
        conn.request("POST", "/v1/objects", b"PFB1\x0f", {"Content-Type": "application/octet-stream"})
        r = conn.getresponse()
        err = json.loads(r.read())["error"]
        assert r.status == 400 and "unknown tag" in err["message"]
        conn.request("POST", "/v1/objects/release", json.dumps({"ids": [oid, "o0", 5]}))
        r = conn.getresponse()
        assert json.loads(r.read()) == {"released": 1, "unknown": ["o0", 5]}
    finally:
        conn.close()


# ---------------------------------------------------------------- leases


def test_vanished_client_loses_its_objects_after_the_lease(daemon):
    alive = pyfora.connect(daemon.url, lease=0.6)
    gone = pyfora.connect(daemon.url, lease=0.6)
    try:
        with alive.remotely:
            kept = squares(7)
        with gone.remotely:
            lost = squares(8)
        expired = _stats(daemon)["sessions_expired"]
        gone._stop_heartbeats = True      # the client stops beating, as if it had vanished
        assert _wait_until(lambda: _get(daemon, "/v1/objects/" + lost.objectId)[0] == 404, 30)
        assert _stats(daemon)["sessions_expired"] >= expired + 1
        time.sleep(1.5)                   # over two leases: heartbeats keep the other alive
        assert kept.toLocal().result(timeout=30) == squares(7)
        with pytest.raises(pyfora.PyforaError) as e:
            with gone.remotely.downloadAll():
                n = 1   # noqa: F841
        assert "session" in str(e.value)
    finally:
        alive.close()
        gone.close()
    # close() ends the session: its objects go at once
    assert _get(daemon, "/v1/objects/" + kept.objectId)[0] == 404
