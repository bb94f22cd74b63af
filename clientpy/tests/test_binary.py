"""The binary value encoding (docs/protocol.md): exact bytes for small values, round trips
compared with the originals, and malformed input."""
import math

import pytest

from pyfora import _binary


def body(v):
    b = _binary.encode(v)
    assert b[:4] == b"PFB1"
    return b[4:]


def test_exact_bytes():
    assert body(None) == b"\x00"
    assert body(False) == b"\x01" and body(True) == b"\x02"
    assert body(-1) == b"\x03\x01" and body(300) == b"\x03\xd8\x04"
    assert body(1.5) == b"\x05" + bytes([0, 0, 0, 0, 0, 0, 0xf8, 0x3f])
    assert body(-(2 ** 64)) == b"\x04\x01\x09" + b"\x00" * 8 + b"\x01"
    assert body("h\u00e9") == b"\x06\x03h\xc3\xa9"
    assert body([1, -2]) == (b"\x0d\x02" + (1).to_bytes(8, "little")
                             + (-2).to_bytes(8, "little", signed=True))
    assert body([0.5]) == b"\x0e\x01" + bytes([0, 0, 0, 0, 0, 0, 0xe0, 0x3f])
    assert body([True, 1]) == b"\x08\x02\x02\x03\x02"   # bools never go packed
    assert body([2 ** 63, 1])[:2] == b"\x08\x02"         # nor ints outside int64
    assert body(range(1, 10, 2)) == b"\x0c\x02\x14\x04"


VALUES = [None, True, False, 0, -1, 2 ** 63 - 1, -(2 ** 63), 2 ** 64, -(2 ** 200), 1.5,
          float("inf"), float("-inf"), -0.0, "", "h\u00e9\U0001f600", [], [1, 2, 3], [1.0, 2.5],
          [1, "a", None, [2, [3]]], (), (1, (2,)), {}, {1: "a", "b": [1], (1, 2): {3}},
          {1, 2, "x"}, frozenset([3, (4,)]), set(), range(0), range(-5, 100, 7),
          list(range(-50000, 50000))]


@pytest.mark.parametrize("v", VALUES, ids=lambda v: repr(v)[:30])
def test_round_trip(v):
    d = _binary.decode(_binary.encode(v))
    assert d == v and type(d) is type(v)
    if isinstance(v, list):
        assert [type(x) for x in d] == [type(x) for x in v]


def test_special_floats():
    d = _binary.decode(_binary.encode([math.nan, -0.0]))
    assert math.isnan(d[0]) and math.copysign(1, d[1]) == -1


@pytest.mark.parametrize("data,what", [
    (b"", "magic"), (b"XXXX\x00", "magic"), (b"PFB1", "truncated"), (b"PFB1\x0f", "unknown tag"),
    (b"PFB1\x06\x05ab", "truncated"), (b"PFB1\x00\x00", "trailing"),
    (b"PFB1\x08\x02\x00", "count"), (b"PFB1\x06\x01\xff", "byte"),
    (b"PFB1\x03" + b"\xff" * 11, "varint"), (b"PFB1\x0a\x01\x08\x00", "byte"),
])
def test_malformed(data, what):
    with pytest.raises(_binary.BinaryError) as e:
        _binary.decode(data)
    assert what in str(e.value)


def test_unencodable():
    with pytest.raises(_binary.BinaryError):
        _binary.encode([1, object()])
    assert not _binary.is_large(list(range(9999)))
    assert _binary.is_large(list(range(10000)))
