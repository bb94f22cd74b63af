"""Raw HTTP against a real pyforad: every error status, and the daemon stays up."""
import http.client
import json
import os
import time

import pytest

from conftest import MAX_BODY


def _node(t, **fields):
    node = {"t": t, "line": 1, "col": 0}
    node.update(fields)
    return node


def _doc(body, outputs=(), ir_version=1):
    return {"ir_version": ir_version, "files": ["<test>"], "definitions": {},
            "block": {"file": 0, "line": 1, "body": body, "globals": {},
                      "outputs": list(outputs)}}


ASSIGN_42 = [_node("Assign", targets=[_node("Name", id="result")],
                   value=_node("BinOp", left=_node("Constant", value=6), op="Mult",
                               right=_node("Constant", value=7)))]
FOREVER = [_node("While", test=_node("Constant", value=True), body=[_node("Pass")], orelse=[])]


def request(daemon, method, path, body=None, headers=None, timeout=70):
    conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=timeout)
    try:
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        raw = resp.read()
        try:
            doc = json.loads(raw)
        except ValueError:
            doc = None
        return resp.status, doc, resp
    finally:
        conn.close()


def assert_error(status, doc, want_status, want_type):
    assert status == want_status, doc
    assert isinstance(doc, dict) and isinstance(doc.get("error"), dict), doc
    assert doc["error"]["type"] == want_type
    assert isinstance(doc["error"]["message"], str) and doc["error"]["message"]


def test_hello(daemon):
    status, doc, _ = request(daemon, "GET", "/v1/hello")
    assert status == 200
    assert doc["protocol"] == 1 and doc["ir_version"] == 1
    assert doc["threads"] == 2 and doc["server"].startswith("pyforad")


def test_cluster_and_stats(daemon):
    status, doc, _ = request(daemon, "GET", "/v1/cluster")
    assert status == 200
    # this machine first, then the workers the suite was asked to join (PYFORA_E2E_WORKERS)
    assert len(doc["machines"]) == 1 + int(os.environ.get("PYFORA_E2E_WORKERS", "0"))
    machine = doc["machines"][0]
    assert machine["address"] == "%s:%d" % (daemon.host, daemon.port)
    assert machine["threads"] == 2 and 0 <= machine["busy"] <= 2
    topo = machine["topology"]
    assert topo["pus"] >= topo["cores"] >= 1 and topo["packages"] >= 1
    status, doc, _ = request(daemon, "GET", "/v1/stats")
    assert status == 200
    for key in ("computations_started", "computations_done", "requests"):
        assert isinstance(doc[key], int)


def test_malformed_json(daemon):
    status, doc, _ = request(daemon, "POST", "/v1/computations", b'{"ir_version": 1,')
    assert_error(status, doc, 400, "InvalidRequest")
    assert "line 1" in doc["error"]["message"]


@pytest.mark.parametrize("body", [b"", b"null", b"[1, 2]", b"\xff\xfe{}", b"{" * 100000,
                                  b'{"ir_version": 1e999999}', b'{"a": 1, "a": 2}',
                                  b'{"ir_version": 123456789012345678901234567890}'])
def test_garbage_bodies(daemon, body):
    status, doc, _ = request(daemon, "POST", "/v1/computations", body)
    assert status == 400, doc
    assert doc["error"]["message"]


def test_wrong_ir_version(daemon):
    status, doc, _ = request(daemon, "POST", "/v1/computations", _doc(ASSIGN_42, ir_version=2))
    assert_error(status, doc, 400, "InvalidRequest")
    assert "2" in doc["error"]["message"]


def test_unknown_node_type(daemon):
    status, doc, _ = request(daemon, "POST", "/v1/computations",
                             _doc([_node("Frobnicate", value=1)]))
    assert status == 400, doc
    assert doc["error"]["type"] in ("InvalidRequest", "PythonToForaConversionError")
    assert "Frobnicate" in doc["error"]["message"]


def test_unknown_computation(daemon):
    for method in ("GET", "DELETE"):
        for cid in ("c999999", "nonsense", "c0"):
            status, doc, _ = request(daemon, method, "/v1/computations/" + cid)
            assert_error(status, doc, 404, "NotFound")


def test_unknown_path(daemon):
    status, doc, _ = request(daemon, "GET", "/v2/hello")
    assert_error(status, doc, 404, "NotFound")


def test_wrong_method(daemon):
    status, doc, resp = request(daemon, "PUT", "/v1/hello", b"{}")
    assert_error(status, doc, 405, "MethodNotAllowed")
    assert "GET" in resp.getheader("Allow")
    status, doc, _ = request(daemon, "GET", "/v1/computations")
    assert_error(status, doc, 405, "MethodNotAllowed")
    status, doc, _ = request(daemon, "POST", "/v1/computations/c1", b"{}")
    assert_error(status, doc, 405, "MethodNotAllowed")


def test_oversize_body_announced(daemon):
    # Only the headers: the daemon refuses from Content-Length, before reading any body.
    conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=30)
    try:
        conn.putrequest("POST", "/v1/computations")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(MAX_BODY + 1))
        conn.endheaders()
        resp = conn.getresponse()
        doc = json.loads(resp.read())
    finally:
        conn.close()
    assert_error(resp.status, doc, 413, "PayloadTooLarge")


def test_oversize_body_chunked(daemon):
    # No length announced: refused once the accumulated body passes the limit.
    chunk = b" " * 65536
    chunks = [chunk] * (MAX_BODY // len(chunk) + 2)
    conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=60)
    try:
        conn.request("POST", "/v1/computations", body=iter(chunks),
                     headers={"Content-Type": "application/json"}, encode_chunked=True)
        resp = conn.getresponse()
        doc = json.loads(resp.read())
    finally:
        conn.close()
    assert_error(resp.status, doc, 413, "PayloadTooLarge")


def test_submit_poll_release(daemon):
    status, doc, _ = request(daemon, "POST", "/v1/computations", _doc(ASSIGN_42, ["result"]))
    assert status == 201, doc
    cid = doc["id"]
    status, doc, _ = request(daemon, "GET", "/v1/computations/%s?wait=30" % cid)
    assert status == 200
    assert doc["state"] == "done" and doc["values"] == {"result": 42}
    assert doc["exception"] is None
    status, doc, _ = request(daemon, "DELETE", "/v1/computations/" + cid)
    assert status == 200 and doc == {"id": cid, "state": "released"}
    status, doc, _ = request(daemon, "GET", "/v1/computations/" + cid)
    assert status == 404


def test_long_poll_and_cancel(daemon):
    status, doc, _ = request(daemon, "POST", "/v1/computations", _doc(FOREVER))
    assert status == 201, doc
    cid = doc["id"]
    t0 = time.monotonic()
    status, doc, _ = request(daemon, "GET", "/v1/computations/%s?wait=1" % cid)
    assert status == 200 and doc == {"id": cid, "state": "running", "work": doc.get("work")}
    assert isinstance(doc["work"], int) and doc["work"] > 0   # a second of loop back-edges
    assert 0.9 <= time.monotonic() - t0 < 10
    status, doc, _ = request(daemon, "GET", "/v1/computations/%s?wait=abc" % cid)
    assert status == 400
    status, doc, _ = request(daemon, "DELETE", "/v1/computations/" + cid)
    assert status == 200 and doc == {"id": cid, "state": "cancelled"}
    # The cancelled loop gives its thread back.
    deadline = time.monotonic() + 10
    while True:
        _, cl, _ = request(daemon, "GET", "/v1/cluster")
        if cl["machines"][0]["busy"] == 0:
            break
        assert time.monotonic() < deadline, cl
        time.sleep(0.05)


def test_daemon_still_up(daemon):
    # Runs last in this file: after every bad request above, the daemon answers.
    assert daemon.proc.poll() is None
    status, doc, _ = request(daemon, "GET", "/v1/hello")
    assert status == 200 and doc["protocol"] == 1
