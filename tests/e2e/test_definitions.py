"""Content-addressed definitions against a real pyforad (docs/protocol.md "Definitions"):
uploaded once, checked against their ids, sent by id afterwards, results unchanged."""
import http.client
import json

import pyfora
from pyfora import _protocol

OFFSET = 1000


def cad_poly(x):
    return x * x + OFFSET


def cad_apply(f, xs):
    return [f(x) for x in xs]


def _req(daemon, method, path, body=None):
    conn = http.client.HTTPConnection(daemon.host, daemon.port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data,
                     headers={"Content-Type": "application/json"} if data else {})
        r = conn.getresponse()
        raw = r.read()
        return r.status, json.loads(raw) if raw else None
    finally:
        conn.close()


def _stats(daemon):
    return _req(daemon, "GET", "/v1/stats")[1]


def _value_doc(value):
    """A document whose block reads one value definition: r = v."""
    defs = {"V": {"kind": "value", "value": value}}
    block = {"file": 0, "line": 1, "globals": {"v": _protocol.Ref("V")}, "outputs": ["r"],
             "body": [{"t": "Assign", "line": 1, "col": 0,
                       "targets": [{"t": "Name", "id": "r", "ctx": "Store", "line": 1, "col": 0}],
                       "value": {"t": "Name", "id": "v", "ctx": "Load", "line": 1,
                                 "col": 4}}]}
    return _protocol.build_document(["<cad>"], defs, block)


def test_hello_lists_the_feature(daemon):
    status, doc = _req(daemon, "GET", "/v1/hello")
    assert status == 200 and "definitions" in doc["features"]


def test_second_computation_sends_no_definition_bodies(daemon):
    with pyfora.connect(daemon.url) as ex:
        s0 = _stats(daemon)
        with ex.remotely.downloadAll():
            a = cad_apply(cad_poly, [1, 2, 3])
        s1 = _stats(daemon)
        with ex.remotely.downloadAll():
            b = cad_apply(cad_poly, [1, 2, 3])
        s2 = _stats(daemon)
    expected = cad_apply(cad_poly, [1, 2, 3])
    assert a == expected and b == expected
    # first run: the functions and OFFSET were uploaded once, then used by id
    assert s1["definitions_received"] > s0["definitions_received"]
    assert s1["definitions_cached_hits"] > s0["definitions_cached_hits"]
    # second run: no definition body at all, every definition taken from the cache
    assert s2["definitions_received"] == s1["definitions_received"]
    assert (s2["definitions_cached_hits"] - s1["definitions_cached_hits"]
            == s1["definitions_cached_hits"] - s0["definitions_cached_hits"])
    assert s2["definitions_cached"] >= s1["definitions_cached"] > 0


def test_upload_query_and_compute_by_id(daemon):
    doc = _value_doc(424242)
    (vid,) = doc["definitions"]
    canon = _protocol.cacheable_definitions(doc)
    assert set(canon) == {vid}
    status, ans = _req(daemon, "GET", "/v1/definitions?ids=%s,%s" % (vid, "0" * 32))
    assert status == 200 and sorted(ans["missing"]) == sorted([vid, "0" * 32])
    body = {"ir_version": 1, "files": doc["files"], "definitions": doc["definitions"],
            "canonical": canon}
    status, ans = _req(daemon, "POST", "/v1/definitions", body)
    assert status == 200 and ans["stored"] == 1
    status, ans = _req(daemon, "POST", "/v1/definitions/missing", {"ids": [vid, "0" * 32]})
    assert status == 200 and ans["missing"] == ["0" * 32]
    by_id = _protocol.split_document(doc, {vid})
    assert by_id["definitions"] == {} and by_id["definition_ids"] == [vid]
    by_id["definition_ids"] = [vid, vid]   # listed twice: loaded once
    status, ans = _req(daemon, "POST", "/v1/computations", by_id)
    assert status == 201, ans
    cid = ans["id"]
    status, res = _req(daemon, "GET", "/v1/computations/%s?wait=30" % cid)
    assert status == 200 and res["state"] == "done"
    assert res["values"]["r"] == 424242 and res["exception"] is None
    _req(daemon, "DELETE", "/v1/computations/%s" % cid)


def test_tampered_id_is_refused(daemon):
    doc = _value_doc(7)
    (vid,) = doc["definitions"]
    canon = _protocol.cacheable_definitions(doc)
    bad_id = ("1" if vid[0] != "1" else "2") + vid[1:]
    body = {"ir_version": 1, "files": doc["files"], "definitions": {bad_id: doc["definitions"][vid]},
            "canonical": {bad_id: canon[vid]}}
    status, ans = _req(daemon, "POST", "/v1/definitions", body)
    assert status == 400 and ans["error"]["type"] == "InvalidRequest"
    assert "BLAKE2b" in ans["error"]["message"]
    # the right id, but a body that is not the hashed text
    body = {"ir_version": 1, "files": doc["files"],
            "definitions": {vid: {"kind": "value", "value": 8}}, "canonical": canon}
    status, ans = _req(daemon, "POST", "/v1/definitions", body)
    assert status == 400 and "canonical text" in ans["error"]["message"]
    status, ans = _req(daemon, "POST", "/v1/definitions/missing", {"ids": [bad_id]})
    assert ans["missing"] == [bad_id]


def test_unknown_definition_id_is_not_found(daemon):
    doc = _protocol.split_document(_value_doc(99), set())
    (vid,) = doc["definitions"]
    doc = dict(doc, definitions={}, definition_ids=["f" * 32])
    doc["block"] = dict(doc["block"], globals={"v": "f" * 32})
    status, ans = _req(daemon, "POST", "/v1/computations", doc)
    assert status == 404 and ans["error"]["type"] == "NotFound"
    assert "definition_ids" in ans["error"]["message"]


def cad_once(x):
    return x * x + 7


class CadPoint:
    def __init__(self, x):
        self.x = x

    def norm1(self):
        return abs(self.x)


def test_a_definition_is_compiled_once(daemon):
    """The same function in three computations, from two clients: compiled once."""
    with pyfora.connect(daemon.url) as ex:
        with ex.remotely.downloadAll():
            a = cad_once(5)
        s0 = _stats(daemon)
        assert a == 32
    # the first run compiled it; two more runs (one from another client) compile nothing
    with pyfora.connect(daemon.url) as ex1, pyfora.connect(daemon.url) as ex2:
        with ex1.remotely.downloadAll():
            b = cad_once(6)
        with ex2.remotely.downloadAll():
            c = [cad_once(i) for i in range(4)]
    s1 = _stats(daemon)
    assert b == cad_once(6) and c == [cad_once(i) for i in range(4)]
    assert s1["definitions_compiled"] == s0["definitions_compiled"]
    assert s1["definitions_shared"] >= 1


def test_compiled_counter_counts_each_new_definition_once(daemon):
    def fresh(x):
        return x - 12345

    s0 = _stats(daemon)
    outs = []
    for _ in range(3):
        with pyfora.connect(daemon.url) as ex:
            with ex.remotely.downloadAll():
                r = fresh(100)
            outs.append(r)
    s1 = _stats(daemon)
    assert outs == [100 - 12345] * 3
    assert s1["definitions_compiled"] - s0["definitions_compiled"] == 1


def test_shared_class_and_instances_stay_correct(daemon):
    """A class compiled once (its body run once) is used by later computations; a proxy
    to an instance made by one computation works in the next."""
    with pyfora.connect(daemon.url) as ex:
        with ex.remotely.downloadAll():
            n1 = CadPoint(-3).norm1()
        s0 = _stats(daemon)
        with ex.remotely:
            p = CadPoint(-4)
        with ex.remotely.downloadAll():
            n2 = p.norm1() + CadPoint(2).norm1()
            same = isinstance(p, CadPoint)
        s1 = _stats(daemon)
    assert (n1, n2, same) == (3, 6, True)
    assert s1["definitions_compiled"] == s0["definitions_compiled"]


def cad_is_even(n):
    return True if n == 0 else cad_is_odd(n - 1)


def cad_is_odd(n):
    return False if n == 0 else cad_is_even(n - 1)


class CadNode:
    def __init__(self, depth):
        self.depth = depth

    def child(self):
        return cad_make_node(self.depth + 1)


def cad_make_node(depth):
    return CadNode(depth)


def _posted_definitions(monkeypatch, ex):
    """Records the bodies the executor POSTs to /v1/definitions."""
    sent = []
    real = ex._request

    def spy(method, path, body=None, *a, **k):
        if method == "POST" and path == "/v1/definitions":
            sent.append(json.loads(body))
        return real(method, path, body, *a, **k)

    monkeypatch.setattr(ex, "_request", spy)
    return sent


def test_mutually_recursive_functions_go_by_id(daemon, monkeypatch):
    with pyfora.connect(daemon.url) as ex:
        sent = _posted_definitions(monkeypatch, ex)
        s0 = _stats(daemon)
        with ex.remotely.downloadAll():
            r1 = [cad_is_even(i) for i in range(7)]
        s1 = _stats(daemon)
        with ex.remotely.downloadAll():
            r2 = cad_is_odd(11)
        s2 = _stats(daemon)
    assert r1 == [cad_is_even(i) for i in range(7)] and r2 is True
    # the group was uploaded once, with its forms, and both members went by id
    groups = [g for body in sent for g in body.get("groups", [])]
    assert len(groups) == 1 and len(groups[0]) == 2
    assert s1["definitions_received"] - s0["definitions_received"] == 2
    assert s2["definitions_received"] == s1["definitions_received"]
    # compiled once (both functions), reused by the second computation
    assert s1["definitions_compiled"] - s0["definitions_compiled"] == 2
    assert s2["definitions_compiled"] == s1["definitions_compiled"]


def test_class_and_function_that_build_each_other_go_by_id(daemon, monkeypatch):
    with pyfora.connect(daemon.url) as ex:
        sent = _posted_definitions(monkeypatch, ex)
        with ex.remotely.downloadAll():
            d = cad_make_node(1).child().child().depth
        with ex.remotely.downloadAll():
            e = CadNode(5).child().depth
    assert (d, e) == (3, 6)
    groups = [g for body in sent for g in body.get("groups", [])]
    assert len(groups) == 1 and len(groups[0]) == 2
    assert not any(set(b["definitions"]) - set(b["canonical"]) - set(_protocol.group_ids(groups[0]))
                   for b in sent)


def _group_doc():
    """A document with two mutually recursive value definitions (a list holding the other)."""
    defs = {"A": {"kind": "function", "file": 0, "globals": {"g": _protocol.Ref("B")},
                  "node": {"t": "Lambda", "line": 1, "col": 0,
                           "args": {"t": "arguments", "args": [], "posonlyargs": [],
                                    "kwonlyargs": [], "kw_defaults": [], "defaults": []},
                           "body": {"t": "Constant", "value": 1, "line": 1, "col": 0}}},
            "B": {"kind": "function", "file": 0, "globals": {"f": _protocol.Ref("A")},
                  "node": {"t": "Lambda", "line": 2, "col": 0,
                           "args": {"t": "arguments", "args": [], "posonlyargs": [],
                                    "kwonlyargs": [], "kw_defaults": [], "defaults": []},
                           "body": {"t": "Constant", "value": 2, "line": 2, "col": 0}}}}
    block = {"file": 0, "line": 1, "globals": {"a": _protocol.Ref("A")}, "outputs": [],
             "body": []}
    return _protocol.build_document(["<grp>"], defs, block)


def test_group_ids_are_checked(daemon):
    doc = _group_doc()
    (forms,) = _protocol.cacheable_groups(doc)
    ids = _protocol.group_ids(forms)
    assert sorted(ids) == sorted(doc["definitions"])
    body = {"ir_version": 1, "files": doc["files"], "definitions": doc["definitions"],
            "canonical": {}, "groups": [forms]}
    # a form changed: the ids it gives are not the ones listed
    bad = dict(body, groups=[[forms[0].replace('"value":1', '"value":3').replace(
        '"value":2', '"value":3'), forms[1]]])
    status, ans = _req(daemon, "POST", "/v1/definitions", bad)
    assert status == 400 and "BLAKE2b" in ans["error"]["message"]
    # the right forms, but a member that is not its form
    tampered = json.loads(json.dumps(doc["definitions"]))
    tampered[ids[0]]["node"]["line"] = 99
    status, ans = _req(daemon, "POST", "/v1/definitions", dict(body, definitions=tampered))
    assert status == 400 and "canonical text is not this definition" in ans["error"]["message"]
    status, ans = _req(daemon, "POST", "/v1/definitions/missing", {"ids": ids})
    assert sorted(ans["missing"]) == sorted(ids)
    status, ans = _req(daemon, "POST", "/v1/definitions", body)
    assert status == 200 and ans["stored"] == 2, ans


def cad_conc_a(x):
    return cad_conc_b(x) + 1


def cad_conc_b(x):
    return x * 3


def test_concurrent_first_uses_compile_once(daemon):
    """Eight clients submit the same new functions at once: each gets its own right answer
    and the functions are compiled once."""
    import threading
    s0 = _stats(daemon)
    out = {}
    errors = []

    def work(i):
        try:
            with pyfora.connect(daemon.url) as ex:
                with ex.remotely.downloadAll():
                    r = cad_conc_a(i)
                out[i] = r
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    s1 = _stats(daemon)
    assert not errors
    assert out == {i: cad_conc_a(i) for i in range(8)}
    assert s1["definitions_compiled"] - s0["definitions_compiled"] == 2


class CadTable:
    squares = [i * i for i in range(10)]   # a comprehension: the body runs in the program

    @staticmethod
    def get(i):
        return CadTable.squares[i]


class CadQuick:
    base = 10

    @staticmethod
    def add(x):
        return CadQuick.base + x

    @property
    def ten(self):
        return self.base


def test_class_bodies_that_loop_run_in_each_program(daemon):
    """Only classes whose bodies are quick (no loops, comprehensions or calls but builtin
    decorators) are built once at load time; the others stay per program, as before."""
    outs = []
    s0 = _stats(daemon)
    for i in range(2):
        with pyfora.connect(daemon.url) as ex:
            with ex.remotely.downloadAll():
                r = (CadTable.get(i + 3), CadQuick.add(i), CadQuick().ten)
            outs.append(r)
    s1 = _stats(daemon)
    assert outs == [(9, 10, 10), (16, 11, 10)]
    # CadTable (class + its body's methods' code) compiled twice, CadQuick once
    assert s1["definitions_compiled"] - s0["definitions_compiled"] == 3


def _n(t, **kw):
    return dict(t=t, line=1, col=0, **kw)


def _broken_class_doc():
    """class B: ratio = nope (a NameError when the body runs); block: r = B.ratio"""
    cls = {"kind": "class", "file": 0, "globals": {},
           "node": _n("ClassDef", name="B", bases=[], keywords=[], decorator_list=[],
                      body=[_n("Assign", targets=[_n("Name", id="ratio", ctx="Store")],
                               value=_n("Name", id="nope", ctx="Load"))])}
    block = {"file": 0, "line": 1, "globals": {"B": _protocol.Ref("B")}, "outputs": ["r"],
             "body": [_n("Assign", targets=[_n("Name", id="r", ctx="Store")],
                         value=_n("Attribute", value=_n("Name", id="B", ctx="Load"),
                                  attr="ratio", ctx="Load"))]}
    return _protocol.build_document(["<broken>"], {"B": cls}, block)


def test_a_class_body_that_raises_still_raises_in_each_computation(daemon):
    doc = _broken_class_doc()
    canon = _protocol.cacheable_definitions(doc)
    (cid,) = canon
    status, ans = _req(daemon, "POST", "/v1/definitions",
                       {"ir_version": 1, "files": doc["files"],
                        "definitions": doc["definitions"], "canonical": canon})
    assert status == 200
    by_id = _protocol.split_document(doc, set(canon))
    for _ in range(2):
        status, ans = _req(daemon, "POST", "/v1/computations", by_id)
        assert status == 201, ans
        status, res = _req(daemon, "GET", "/v1/computations/%s?wait=30" % ans["id"])
        assert res["state"] == "done" and res["exception"]["type"] == "NameError"
        assert "nope" in res["exception"]["message"]
        _req(daemon, "DELETE", "/v1/computations/%s" % ans["id"])
    status, ans = _req(daemon, "POST", "/v1/definitions/missing", {"ids": [cid]})
    assert ans["missing"] == []
