"""Content-addressed definitions (docs/protocol.md): the client asks the daemon which ids
it lacks, uploads only those, and sends computations with the rest by id."""

import pytest

import pyfora
from pyfora import _protocol

SCALE = 3


def scaled(v):
    return v * SCALE


def is_even(n):
    return True if n == 0 else is_odd(n - 1)


def is_odd(n):
    return False if n == 0 else is_even(n - 1)


@pytest.fixture
def cad_executor(daemon):
    daemon.enable_definitions()
    ex = pyfora.connect(daemon.url, timeout=5)
    yield ex
    ex.close()


def _posts(daemon, path):
    return [p for m, p in daemon.requests if m == "POST" and p == path]


def test_second_block_sends_no_definition_bodies(cad_executor, daemon):
    daemon.result = {"values": {"r": 6}}
    with cad_executor.remotely.downloadAll():
        r = scaled(2)
    assert r == 6
    doc = daemon.documents[-1]
    fid = doc["block"]["globals"]["scaled"]
    assert fid in doc["definition_ids"] and fid not in doc["definitions"]
    (upload,) = daemon.definition_uploads
    assert fid in upload["definitions"]
    assert _protocol._digest(upload["canonical"][fid]) == fid
    assert set(upload["canonical"]) == set(upload["definitions"])
    asked = set(daemon.missing_queries[0])
    assert fid in asked

    # the same function again: nothing asked, nothing uploaded, sent by id
    with cad_executor.remotely.downloadAll():
        r = scaled(2)
    assert len(daemon.definition_uploads) == 1
    assert len(_posts(daemon, "/v1/definitions/missing")) == 1
    doc2 = daemon.documents[-1]
    assert fid in doc2["definition_ids"]
    assert fid not in doc2["definitions"]


def test_only_missing_ids_are_uploaded(daemon):
    daemon.enable_definitions()
    daemon.result = {"values": {"r": 6}}
    with pyfora.connect(daemon.url, timeout=5) as ex:
        with ex.remotely.downloadAll():
            r = scaled(2)
    assert len(daemon.definition_uploads) == 1
    # a new executor knows nothing yet: it asks, the daemon has everything, no upload
    with pyfora.connect(daemon.url, timeout=5) as ex:
        with ex.remotely.downloadAll():
            r = scaled(2)
    assert r == 6
    assert len(daemon.missing_queries) == 2
    assert len(daemon.definition_uploads) == 1
    assert daemon.documents[-1]["definition_ids"]


def test_cyclic_group_goes_by_id(cad_executor, daemon):
    daemon.result = {"values": {"r": True}}
    with cad_executor.remotely.downloadAll():
        r = is_even(4)
    doc = daemon.documents[-1]
    eid = doc["block"]["globals"]["is_even"]
    assert eid not in doc["definitions"]        # hashed by group, uploaded with its forms
    assert eid in doc["definition_ids"]
    (body,) = [b for b in daemon.definition_uploads if eid in b["definitions"]]
    (forms,) = body["groups"]
    assert eid in _protocol.group_ids(forms) and len(forms) == 2
    assert eid not in body["canonical"]


def test_feature_off_sends_everything_inline(executor, daemon):
    daemon.result = {"values": {"r": 6}}
    with executor.remotely.downloadAll():
        r = scaled(2)
    doc = daemon.documents[-1]
    assert "definition_ids" not in doc
    assert doc["block"]["globals"]["scaled"] in doc["definitions"]
    assert not _posts(daemon, "/v1/definitions/missing")


def test_cacheable_definitions_match_assign_ids():
    f = {"kind": "function", "file": 0, "node": {"t": "FunctionDef", "name": "f"},
         "globals": {"K": _protocol.Ref("K")}}
    doc = _protocol.build_document(["/x.py"], {"F": f, "K": {"kind": "value", "value": 3}},
                                   {"file": 0, "line": 1, "body": [], "globals": {},
                                    "outputs": []})
    c = _protocol.cacheable_definitions(doc)
    assert set(c) == set(doc["definitions"])
    split = _protocol.split_document(doc, set(c))
    assert split["definitions"] == {} and sorted(split["definition_ids"]) == sorted(c)
    assert doc["definitions"]      # the original is untouched


def test_cacheable_groups_recompute_assign_ids():
    R = _protocol.Ref
    even = {"kind": "function", "file": 0, "node": {"t": "FunctionDef", "name": "even"},
            "globals": {"odd": R("O"), "K": R("K")}}
    odd = {"kind": "function", "file": 0, "node": {"t": "FunctionDef", "name": "odd"},
           "globals": {"even": R("E")}}
    selfref = {"kind": "function", "file": 0, "node": {"t": "FunctionDef", "name": "s"},
               "globals": {"s": R("S")}}
    doc = _protocol.build_document(
        ["/x.py"], {"E": even, "O": odd, "S": selfref, "K": {"kind": "value", "value": 3}},
        {"file": 0, "line": 1, "body": [], "globals": {}, "outputs": []})
    singles = _protocol.cacheable_definitions(doc)
    groups = _protocol.cacheable_groups(doc)
    assert len(singles) == 1 and sorted(len(g) for g in groups) == [1, 2]
    members = [i for g in groups for i in _protocol.group_ids(g)]
    assert sorted(members + list(singles)) == sorted(doc["definitions"])
    # intra-group references appear as positions in the forms, others as ids
    pair = next(g for g in groups if len(g) == 2)
    assert all("scc:" in f for f in pair)
    assert any(next(iter(singles)) in f for f in pair)
