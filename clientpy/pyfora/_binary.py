"""The binary value encoding of docs/protocol.md ("Binary values"). Lists of ints that fit
int64, and lists of floats, travel as packed runs converted with `array` in one call."""

import math
import struct
import sys
from array import array
from typing import Any, List, Tuple

MAGIC = b"PFB1"
T_NONE, T_FALSE, T_TRUE, T_INT, T_BIGINT, T_FLOAT, T_STR = range(7)
T_TUPLE, T_LIST, T_DICT, T_SET, T_FROZENSET, T_RANGE, T_INTS, T_FLOATS = range(7, 15)
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
_LE = sys.byteorder == "little"
_DOUBLE = struct.Struct("<d")


class BinaryError(Exception):
    """Malformed binary value, or a value with no binary encoding."""


def _uvarint(x: int, out: bytearray) -> None:
    while x >= 0x80:
        out.append((x & 0x7F) | 0x80)
        x >>= 7
    out.append(x)


def _zigzag(i: int) -> int:
    return (i << 1) if i >= 0 else ((-i) << 1) - 1


def _packed(items: list, code: str) -> bytes:
    a = array(code, items)
    if not _LE:  # pragma: no cover - big-endian hosts
        a.byteswap()
    return a.tobytes()


def _enc(v: Any, out: bytearray) -> None:
    t = type(v)
    if v is None:
        out.append(T_NONE)
    elif t is bool:
        out.append(T_TRUE if v else T_FALSE)
    elif t is int:
        if INT64_MIN <= v <= INT64_MAX:
            out.append(T_INT)
            _uvarint(_zigzag(v), out)
        else:
            mag = abs(v)
            nb = (mag.bit_length() + 7) // 8
            out.append(T_BIGINT)
            out.append(1 if v < 0 else 0)
            _uvarint(nb, out)
            out += mag.to_bytes(nb, "little")
    elif t is float:
        out.append(T_FLOAT)
        out += _DOUBLE.pack(v)
    elif t is str:
        b = v.encode("utf-8")
        out.append(T_STR)
        _uvarint(len(b), out)
        out += b
    elif t is list:
        kinds = set(map(type, v))
        if kinds == {int}:
            try:
                body = _packed(v, "q")
            except OverflowError:
                body = None
            if body is not None:
                out.append(T_INTS)
                _uvarint(len(v), out)
                out += body
                return
        elif kinds == {float}:
            out.append(T_FLOATS)
            _uvarint(len(v), out)
            out += _packed(v, "d")
            return
        out.append(T_LIST)
        _uvarint(len(v), out)
        for x in v:
            _enc(x, out)
    elif t in (tuple, set, frozenset):
        out.append(T_TUPLE if t is tuple else T_SET if t is set else T_FROZENSET)
        _uvarint(len(v), out)
        for x in v:
            _enc(x, out)
    elif t is dict:
        out.append(T_DICT)
        _uvarint(len(v), out)
        for k, x in v.items():
            _enc(k, out)
            _enc(x, out)
    elif t is range:
        out.append(T_RANGE)
        for x in (v.start, v.stop, v.step):
            if not INT64_MIN <= x <= INT64_MAX:
                raise BinaryError("range bounds must fit in 64 bits")
            _uvarint(_zigzag(x), out)
    else:
        raise BinaryError("a %s has no binary value encoding" % t.__name__)


def encode(value: Any) -> bytes:
    """The binary encoding of 'value' (plain data only: None, bool, int, float, str, tuple,
    list, dict, set, frozenset, range); BinaryError otherwise."""
    out = bytearray(MAGIC)
    try:
        _enc(value, out)
    except RecursionError:
        raise BinaryError("value nested too deeply")
    return bytes(out)


class _Reader:
    __slots__ = ("buf", "off")

    def __init__(self, buf: memoryview, off: int):
        self.buf = buf
        self.off = off

    def fail(self, what: str) -> BinaryError:
        return BinaryError("binary value: %s at byte %d" % (what, self.off))

    def uvarint(self) -> int:
        buf, off, shift, x = self.buf, self.off, 0, 0
        while True:
            if off >= len(buf) or shift > 63:
                self.off = off
                raise self.fail("bad varint")
            c = buf[off]
            off += 1
            x |= (c & 0x7F) << shift
            if c < 0x80:
                self.off = off
                return x
            shift += 7

    def svarint(self) -> int:
        u = self.uvarint()
        return (u >> 1) ^ -(u & 1)

    def take(self, n: int) -> memoryview:
        if n > len(self.buf) - self.off:
            raise self.fail("truncated input")
        b = self.buf[self.off:self.off + n]
        self.off += n
        return b

    def value(self) -> Any:
        tag = self.take(1)[0]
        if tag == T_NONE:
            return None
        if tag in (T_FALSE, T_TRUE):
            return tag == T_TRUE
        if tag == T_INT:
            return self.svarint()
        if tag == T_BIGINT:
            neg = self.take(1)[0]
            n = self.uvarint()
            mag = int.from_bytes(self.take(n), "little")
            return -mag if neg else mag
        if tag == T_FLOAT:
            return _DOUBLE.unpack(self.take(8))[0]
        if tag == T_STR:
            return str(self.take(self.uvarint()), "utf-8")
        if tag in (T_INTS, T_FLOATS):
            n = self.uvarint()
            if n > (len(self.buf) - self.off) // 8:
                raise self.fail("truncated input")
            code = "q" if tag == T_INTS else "d"
            if _LE:
                # native order already: unpack in place, no copy (memoryview.tolist
                # handles any alignment)
                return self.take(8 * n).cast(code).tolist()
            a = array(code)  # pragma: no cover
            a.frombytes(self.take(8 * n))  # pragma: no cover
            a.byteswap()  # pragma: no cover
            return a.tolist()  # pragma: no cover
        if tag in (T_TUPLE, T_LIST, T_SET, T_FROZENSET):
            n = self.uvarint()
            if n > len(self.buf) - self.off:
                raise self.fail("bad item count")
            items: List[Any] = [self.value() for _ in range(n)]
            if tag == T_LIST:
                return items
            return tuple(items) if tag == T_TUPLE else set(items) if tag == T_SET \
                else frozenset(items)
        if tag == T_DICT:
            n = self.uvarint()
            d = {}
            for _ in range(n):
                k = self.value()
                d[k] = self.value()
            return d
        if tag == T_RANGE:
            a, b, c = self.svarint(), self.svarint(), self.svarint()
            return range(a, b, c)
        self.off -= 1
        raise self.fail("unknown tag %d" % tag)


def decode(data: bytes) -> Any:
    """The value of a binary encoding; BinaryError when malformed."""
    buf = memoryview(data)
    if bytes(buf[:4]) != MAGIC:
        raise BinaryError("binary value: missing the PFB1 magic")
    r = _Reader(buf, 4)
    try:
        v = r.value()
    except (ValueError, TypeError, UnicodeDecodeError) as e:
        raise r.fail(str(e))
    if r.off != len(buf):
        raise r.fail("trailing bytes")
    return v


def is_large(value: Any, threshold: int = 10000) -> bool:
    """True for values worth a separate binary upload (containers of many items)."""
    return type(value) in (list, tuple, dict, set, frozenset) and len(value) >= threshold


__all__: Tuple[str, ...] = ("encode", "decode", "BinaryError", "is_large")
_ = math  # kept for symmetry with _protocol's float handling
