"""pyfora.Future and the policy objects, without a daemon."""
import concurrent.futures
import threading

import pytest

import pyfora
from pyfora._remote import Future


def test_future_is_a_concurrent_future_and_cancel_calls_the_hook():
    calls = []
    f = Future(on_cancel=lambda: calls.append("stop"))
    assert isinstance(f, concurrent.futures.Future)
    done = threading.Event()
    f.add_done_callback(lambda _: done.set())
    assert f.cancel() and f.cancelled() and done.is_set()
    assert calls == ["stop"]
    assert f.cancel()          # cancelling twice is harmless; the hook runs once
    assert calls == ["stop"]
    with pytest.raises(pyfora.CancelledError):
        f.result()
    f._resolve(42)             # a late answer after a cancel is dropped
    assert f.cancelled()


def test_future_result_timeout_and_values():
    f = Future()
    with pytest.raises(pyfora.TimeoutError):
        f.result(timeout=0.01)
    threading.Timer(0.05, lambda: f._resolve("v")).start()
    assert f.result(timeout=5) == "v"
    assert not f.cancel()      # done: no longer cancellable
    g = Future()
    g._resolve(exc=ValueError("x"))
    assert isinstance(g.exception(), ValueError)


def test_ctrl_c_in_result_cancels():
    calls = []
    f = Future(on_cancel=lambda: calls.append("stop"))

    def interrupt(timeout=None):
        raise KeyboardInterrupt
    f._condition.wait = interrupt   # the wait inside result() gets Ctrl-C
    with pytest.raises(KeyboardInterrupt):
        f.result()
    assert calls == ["stop"] and f.cancelled()


def test_policies_chain(executor):
    r = executor.remotely
    assert r._download == "none"
    assert r.downloadAll()._download == "all"
    assert r.downloadAll().remoteAll()._download == "none"
    assert r.downloadSmall(bytecount=7)._download == {"max_bytes": 7}
    cb = print
    assert r.downloadSmall(5).withStatusCallback(cb)._callback is cb
    assert r.withStatusCallback(cb).downloadAll()._callback is cb
    with pytest.raises(ValueError):
        r.downloadSmall(-1)
    with pytest.raises(TypeError):
        r.withStatusCallback(3)
