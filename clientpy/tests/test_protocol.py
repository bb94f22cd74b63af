import json
import math

import pytest

from pyfora import _protocol
from pyfora._protocol import Ref, assign_ids, decode_value, encode_value


def roundtrip(v):
    text = _protocol.canonical_json(encode_value(v))
    return decode_value(_protocol.loads(text.encode()))


@pytest.mark.parametrize("v", [
    0, 1, -1, 2 ** 63 - 1, -2 ** 63, 2 ** 63, -2 ** 63 - 1, 2 ** 64, -2 ** 64,
    10 ** 5000, -10 ** 5000, 12345678901234567890123,
], ids=lambda v: "int%d" % v.bit_length())
def test_int_roundtrip(v):
    out = roundtrip(v)
    assert out == v and type(out) is int


def test_int_encoding_shapes():
    assert encode_value(2 ** 63 - 1) == 2 ** 63 - 1
    assert encode_value(2 ** 63) == {"int": "8000000000000000"}
    assert encode_value(-2 ** 63) == -2 ** 63
    assert encode_value(-2 ** 63 - 1) == {"int": "-8000000000000001"}
    assert encode_value(2 ** 64) == {"int": "1" + "0" * 16}
    big = encode_value(10 ** 5000)
    assert set(big) == {"int"} and int(big["int"], 16) == 10 ** 5000


def test_float_encoding():
    assert json.dumps(encode_value(1.0)) == "1.0"
    assert json.dumps(encode_value(1e16)) == "1e+16"
    assert json.dumps(encode_value(-0.0)) == "-0.0"
    assert encode_value(float("nan")) == {"float": "nan"}
    assert encode_value(float("inf")) == {"float": "inf"}
    assert encode_value(float("-inf")) == {"float": "-inf"}


def test_float_roundtrip():
    for v in [0.1, 1.0, -2.5e-300, 1e308, 5e-324, 1 / 3]:
        assert roundtrip(v) == v
    z = roundtrip(-0.0)
    assert z == 0.0 and math.copysign(1, z) == -1
    assert math.isnan(roundtrip(float("nan")))
    assert roundtrip(float("inf")) == float("inf")
    assert roundtrip(float("-inf")) == float("-inf")


def test_bool_none_are_not_ints():
    assert encode_value(True) is True
    assert encode_value(None) is None
    assert roundtrip(False) is False


def test_nested_containers_roundtrip():
    v = {"a": [1, (2, 3.5, None)], (1, 2): {"x": frozenset([1, 2])}, 3: {4, 5},
         "r": range(1, 10, 2), "big": [2 ** 100, -2 ** 100]}
    out = roundtrip(v)
    assert out == v
    assert type(out[(1, 2)]["x"]) is frozenset and type(out[3]) is set
    assert type(out["a"][1]) is tuple


def test_dict_order_preserved():
    d = {"z": 1, "a": 2, "m": 3}
    enc = encode_value(d)
    assert enc == {"dict": [["z", 1], ["a", 2], ["m", 3]]}
    assert list(roundtrip(d)) == ["z", "a", "m"]


def test_set_encoding_is_canonical():
    assert encode_value({"b", "a", "c"}) == {"set": ["a", "b", "c"]}
    assert encode_value(frozenset([3, 1, 2])) == {"frozenset": [1, 2, 3]}


def test_range_and_tuple_shapes():
    assert encode_value(range(3)) == {"range": [0, 3, 1]}
    assert encode_value((1, "a")) == {"tuple": [1, "a"]}
    assert encode_value([]) == {"list": []}


def test_unicode_and_lone_surrogate():
    assert roundtrip("héllo ☃ \U0001F600") == "héllo ☃ \U0001F600"
    with pytest.raises(_protocol.EncodeError):
        encode_value("\ud800")


def test_self_referencing_list_is_cyclic_error():
    a = [1]
    a.append(a)
    with pytest.raises(_protocol.EncodeError) as e:
        encode_value(a)
    assert e.value.cyclic


def test_shared_but_acyclic_is_fine():
    inner = [1]
    assert encode_value([inner, inner]) == {"list": [{"list": [1]}, {"list": [1]}]}


def test_unencodable_without_ref():
    with pytest.raises(_protocol.EncodeError):
        encode_value(object())
    assert encode_value([len], ref=lambda v: "dX") == {"list": [{"ref": "dX"}]}


@pytest.mark.parametrize("bad", [
    {"foo": 1}, {"int": 5}, {"float": "NaN"}, 2 ** 63, {"list": 1}, [1, 2], {"a": 1, "b": 2},
    {"range": [0, 1, 0]}, {"ref": "d1"},
])
def test_decode_rejects(bad):
    with pytest.raises(_protocol.DecodeError):
        decode_value(bad)


def test_decode_unconvertible_and_exception():
    with pytest.raises(_protocol.Unconvertible) as e:
        decode_value({"unconvertible": "generator"})
    assert e.value.typename == "generator"
    exc = decode_value({"exception": {"type": "ValueError", "args": ["bad", 3]}})
    assert isinstance(exc, ValueError) and exc.args == ("bad", 3)


def test_loads_rejects_nan_literal():
    with pytest.raises(_protocol.DecodeError):
        _protocol.loads(b"NaN")


def test_ids_deterministic_and_content_based():
    defs = {"a": {"kind": "value", "value": 1}, "b": {"kind": "value", "value": 1},
            "c": {"kind": "value", "value": {"list": [{"ref": Ref("a")}]}}}
    ids = assign_ids(defs, [])
    assert ids["a"] == ids["b"]
    assert len(ids["a"]) == 32 and int(ids["a"], 16) >= 0
    assert ids == assign_ids(dict(reversed(list(defs.items()))), [])
    assert ids["c"] != ids["a"]


def test_ids_of_cycles_are_stable():
    def make(order):
        f = {"kind": "function", "file": 0, "node": {"t": "FunctionDef", "name": "f"},
             "globals": {"g": Ref("G")}}
        g = {"kind": "function", "file": 0, "node": {"t": "FunctionDef", "name": "g"},
             "globals": {"f": Ref("F")}}
        d = {"F": f, "G": g} if order else {"G": g, "F": f}
        return assign_ids(d, ["/x.py"])
    a, b = make(True), make(False)
    assert a == b and a["F"] != a["G"]
    # the file name, not its index, goes into the hash
    f = {"kind": "function", "file": 1, "node": {"t": "FunctionDef", "name": "h"}}
    i1 = assign_ids({"h": f}, ["/a.py", "/x.py"])["h"]
    f2 = dict(f, file=0)
    assert assign_ids({"h": f2}, ["/x.py"])["h"] == i1


def test_self_recursive_definition():
    f = {"kind": "function", "file": 0, "node": {"t": "FunctionDef", "name": "f"},
         "globals": {"f": Ref("F")}}
    ids = assign_ids({"F": f}, ["/x.py"])
    doc = _protocol.build_document(["/x.py"], {"F": f},
                                   {"file": 0, "line": 1, "body": [],
                                    "globals": {"f": Ref("F")}, "outputs": []})
    assert doc["definitions"][ids["F"]]["globals"] == {"f": ids["F"]}
    assert doc["block"]["globals"] == {"f": ids["F"]}
    assert doc["ir_version"] == 1
