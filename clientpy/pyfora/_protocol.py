"""Value encoding/decoding, definition ids and IR documents (docs/ir.md). No I/O."""

import builtins
import hashlib
import json
import math
from typing import Any, Callable, Dict, List, Optional

IR_VERSION = 1
PROTOCOL_VERSION = 1

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1


class EncodeError(Exception):
    """Raised by encode_value; the caller turns it into a public error."""

    def __init__(self, message: str, cyclic: bool = False):
        super().__init__(message)
        self.cyclic = cyclic


class DecodeError(Exception):
    """Raised by decode_value for malformed values."""


class Unconvertible(Exception):
    """A result value the daemon marked {"unconvertible": type}."""

    def __init__(self, typename: str):
        super().__init__(typename)
        self.typename = typename


class Ref:
    """Placeholder for a reference to a definition not yet given its final id."""

    __slots__ = ("key",)

    def __init__(self, key: Any):
        self.key = key

    def __repr__(self) -> str:
        return "Ref(%r)" % (self.key,)


# ---------------------------------------------------------------------------
# JSON


def canonical_json(obj: Any) -> str:
    """Canonical JSON text: sorted keys, compact separators, UTF-8, no NaN."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, allow_nan=False)


def dumps_document(doc: Any) -> bytes:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def _reject_constant(name: str) -> Any:
    raise DecodeError("JSON constant %s is not a valid value" % name)


def loads(data: bytes) -> Any:
    """Parse JSON from the daemon (NaN/Infinity literals are refused)."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return json.loads(data, parse_constant=_reject_constant)


# ---------------------------------------------------------------------------
# Values


def encode_int(x: int) -> Any:
    if INT64_MIN <= x <= INT64_MAX:
        return x
    return {"int": format(x, "x")}


def encode_float(x: float) -> Any:
    if math.isnan(x):
        return {"float": "nan"}
    if math.isinf(x):
        return {"float": "inf" if x > 0 else "-inf"}
    return float(x)  # json writes repr(x): always with a fraction or exponent


def encode_str(s: str) -> str:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise EncodeError("string %r contains a lone surrogate" % (s[:40],))
    return s


def encode_value(value: Any, ref: Optional[Callable[[Any], Any]] = None,
                 _active: Optional[set] = None) -> Any:
    """Encode 'value' per docs/ir.md. Non-plain objects go through 'ref' (returns
    a definition id or Ref, wrapped as {"ref": ...}); without 'ref' they are errors.
    Sets are emitted in a canonical order so that encodings are deterministic."""
    if value is None or value is True or value is False:
        return value
    t = type(value)
    if t is int:
        return encode_int(value)
    if t is float:
        return encode_float(value)
    if t is str:
        return encode_str(value)
    if t in (tuple, list, dict, set, frozenset):
        if _active is None:
            _active = set()
        if id(value) in _active:
            raise EncodeError("self-referencing %s cannot be converted" % t.__name__, cyclic=True)
        _active.add(id(value))
        try:
            if t is dict:
                return {"dict": [[encode_value(k, ref, _active), encode_value(v, ref, _active)]
                                 for k, v in value.items()]}
            items = [encode_value(v, ref, _active) for v in value]
            if t is set or t is frozenset:
                items.sort(key=canonical_json)
            return {t.__name__: items}
        finally:
            _active.discard(id(value))
    if t is range:
        return {"range": [encode_int(value.start), encode_int(value.stop), encode_int(value.step)]}
    if isinstance(value, bool):  # pragma: no cover - bool cannot be subclassed
        return bool(value)
    if ref is not None:
        r = ref(value)
        if r is not None:
            return {"ref": r}
    raise EncodeError("values of type %s cannot be converted" % t.__name__)


_PLAIN_TYPES = (type(None), bool, int, float, str, tuple, list, dict, set, frozenset, range)


def is_plain_value(value: Any) -> bool:
    """True when 'value' is of a type with a value encoding (elements not checked)."""
    return type(value) in _PLAIN_TYPES


def _decode_hashable(item: Any, what: str) -> Any:
    v = decode_value(item)
    try:
        hash(v)
    except TypeError:
        raise DecodeError("unhashable %s in %s" % (type(v).__name__, what))
    return v


def _decode_exception(body: Any) -> BaseException:
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        raise DecodeError("malformed exception value %r" % (body,))
    args = body.get("args", [])
    if not isinstance(args, list):
        raise DecodeError("malformed exception args %r" % (args,))
    args = [decode_value(a) for a in args]
    cls = getattr(builtins, body["type"], None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(*args)
        except TypeError:
            pass
    raise Unconvertible("exception " + body["type"])


def decode_value(j: Any) -> Any:
    """Decode one value of docs/ir.md; raises DecodeError or Unconvertible."""
    if j is None or j is True or j is False:
        return j
    t = type(j)
    if t is int:
        if not INT64_MIN <= j <= INT64_MAX:
            raise DecodeError("JSON integer %d is outside int64" % j)
        return j
    if t is float:
        return j
    if t is str:
        return j
    if t is dict and len(j) == 1:
        (tag, body), = j.items()
        if tag == "int" and isinstance(body, str):
            try:
                return int(body, 16)
            except ValueError:
                raise DecodeError("bad int encoding %r" % (body,))
        if tag == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag in ("tuple", "list", "set", "frozenset") and isinstance(body, list):
            if tag == "tuple":
                return tuple(decode_value(x) for x in body)
            if tag == "list":
                return [decode_value(x) for x in body]
            items = [_decode_hashable(x, tag) for x in body]
            return set(items) if tag == "set" else frozenset(items)
        if tag == "dict" and isinstance(body, list):
            out = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise DecodeError("bad dict entry %r" % (pair,))
                out[_decode_hashable(pair[0], "dict key")] = decode_value(pair[1])
            return out
        if tag == "range" and isinstance(body, list) and len(body) == 3:
            a, b, c = (decode_value(x) for x in body)
            if not all(type(x) is int for x in (a, b, c)) or c == 0:
                raise DecodeError("bad range %r" % (body,))
            return range(a, b, c)
        if tag == "exception":
            return _decode_exception(body)
        if tag == "unconvertible" and isinstance(body, str):
            raise Unconvertible(body)
    raise DecodeError("cannot decode value %s" % (json.dumps(j)[:200],))


# ---------------------------------------------------------------------------
# Definition ids


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _substitute(obj: Any, fn: Callable[[Any], str]) -> Any:
    if isinstance(obj, Ref):
        return fn(obj.key)
    if isinstance(obj, dict):
        return {k: _substitute(v, fn) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_substitute(v, fn) for v in obj]
    return obj


def _refs(obj: Any, out: List[Any]) -> None:
    if isinstance(obj, Ref):
        out.append(obj.key)
    elif isinstance(obj, dict):
        for k in sorted(obj):
            _refs(obj[k], out)
    elif isinstance(obj, list):
        for v in obj:
            _refs(v, out)


def _sccs(keys: List[Any], edges: Dict[Any, List[Any]]) -> List[List[Any]]:
    """Tarjan, iterative; SCCs come out in reverse topological order (sinks first)."""
    index: Dict[Any, int] = {}
    low: Dict[Any, int] = {}
    on_stack = set()
    stack: List[Any] = []
    out: List[List[Any]] = []
    counter = 0
    for root in keys:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            v, i = work.pop()
            if i == 0:
                index[v] = low[v] = counter
                counter += 1
                stack.append(v)
                on_stack.add(v)
            succ = edges[v]
            if i < len(succ):
                work.append((v, i + 1))
                w = succ[i]
                if w not in index:
                    work.append((w, 0))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                comp.reverse()
                out.append(comp)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
    return out


def assign_ids(defs: Dict[Any, dict], files: List[str]) -> Dict[Any, str]:
    """Content ids (BLAKE2b-128 hex) for definitions that reference each other via Ref.

    A definition is hashed in its canonical JSON with its "file" index replaced by the
    file name and every Ref replaced by the referenced id. A strongly connected component
    with a cycle is hashed as a whole: members sorted by their JSON with intra-component
    refs as "scc:?", then each member's JSON with those refs as "scc:<position>"; the
    component hash is that of the JSON array of members, and a member's id is the hash of
    "<component hash>:<position>"."""
    keys = list(defs)
    edges = {}
    for k in keys:
        r: List[Any] = []
        _refs(defs[k], r)
        edges[k] = r

    def hash_form(k: Any, sub: Callable[[Any], str]) -> str:
        d = defs[k]
        if "file" in d and isinstance(d["file"], int):
            d = dict(d)
            d["file"] = files[d["file"]]
        return canonical_json(_substitute(d, sub))

    ids: Dict[Any, str] = {}
    for comp in _sccs(keys, edges):
        members = set(comp)
        if len(comp) == 1 and comp[0] not in edges[comp[0]]:
            ids[comp[0]] = _digest(hash_form(comp[0], lambda x: ids[x]))
            continue
        order = sorted(comp, key=lambda k: hash_form(
            k, lambda x: "scc:?" if x in members else ids[x]))
        pos = {k: i for i, k in enumerate(order)}
        forms = [hash_form(k, lambda x: "scc:%d" % pos[x] if x in members else ids[x])
                 for k in order]
        scc_hash = _digest("[" + ",".join(forms) + "]")
        for k in order:
            ids[k] = _digest("%s:%d" % (scc_hash, pos[k]))
    return ids


def definition_canonical(d: dict, files: List[str]) -> str:
    """The canonical text of an id-substituted definition as assign_ids hashes it (its
    "file" index replaced by the file name)."""
    if "file" in d and isinstance(d["file"], int) and 0 <= d["file"] < len(files):
        d = dict(d)
        d["file"] = files[d["file"]]
    return canonical_json(d)


def cacheable_definitions(doc: dict) -> Dict[str, str]:
    """id -> canonical text for the definitions of 'doc' whose id is the BLAKE2b-128 of
    their own canonical text: every definition outside a cyclic group (members of a cycle
    are hashed by group: see cacheable_groups)."""
    files = doc.get("files") or []
    out: Dict[str, str] = {}
    for did, d in (doc.get("definitions") or {}).items():
        if not isinstance(d, dict):
            continue
        text = definition_canonical(d, files)
        if _digest(text) == did:
            out[did] = text
    return out


_REF_MAPS = ("globals", "freevars", "kwdefaults")
_REF_LISTS = ("defaults", "bases")


def _map_value_refs(v: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(v, list):
        return [_map_value_refs(x, fn) for x in v]
    if isinstance(v, dict):
        if len(v) == 1 and isinstance(v.get("ref"), str):
            return {"ref": fn(v["ref"])}
        return {k: _map_value_refs(x, fn) for k, x in v.items()}
    return v


def map_refs(d: dict, fn: Callable[[str], str]) -> dict:
    """A copy of definition 'd' with every definition id it refers to (the places a Ref
    can be: globals, freevars, kwdefaults, defaults, bases, {"ref": id} in a value)
    replaced by fn(id)."""
    out = dict(d)
    for k in _REF_MAPS:
        if isinstance(d.get(k), dict):
            out[k] = {n: fn(i) if isinstance(i, str) else i for n, i in d[k].items()}
    for k in _REF_LISTS:
        if isinstance(d.get(k), list):
            out[k] = [fn(i) if isinstance(i, str) else i for i in d[k]]
    if "value" in d:
        out["value"] = _map_value_refs(d["value"], fn)
    return out


def cacheable_groups(doc: dict) -> List[List[str]]:
    """The cyclic groups of 'doc' whose ids check: for each, the canonical forms of its
    members in position order (intra-group references as "scc:<position>"), from which
    the daemon recomputes the ids as assign_ids does. Member ids: group_ids(forms)."""
    files = doc.get("files") or []
    defs = {k: d for k, d in (doc.get("definitions") or {}).items() if isinstance(d, dict)}
    edges: Dict[Any, List[Any]] = {}
    for k, d in defs.items():
        r: List[str] = []
        map_refs(d, lambda i: (r.append(i), i)[1])
        edges[k] = [i for i in r if i in defs]
    out: List[List[str]] = []
    for comp in _sccs(sorted(defs), edges):
        if len(comp) == 1 and comp[0] not in edges[comp[0]]:
            continue
        members = set(comp)

        def form(k: str, sub: Callable[[str], str]) -> str:
            return definition_canonical(map_refs(defs[k], sub), files)

        order = sorted(comp, key=lambda k: form(k, lambda i: "scc:?" if i in members else i))
        pos = {k: n for n, k in enumerate(order)}
        forms = [form(k, lambda i: "scc:%d" % pos[i] if i in members else i) for k in order]
        if group_ids(forms) == order:
            out.append(forms)
    return out


def group_ids(forms: List[str]) -> List[str]:
    """The ids of the members of a cyclic group given their canonical forms in position
    order (assign_ids)."""
    scc_hash = _digest("[" + ",".join(forms) + "]")
    return [_digest("%s:%d" % (scc_hash, n)) for n in range(len(forms))]


def split_document(doc: dict, known: Any) -> dict:
    """A copy of 'doc' whose definitions with an id in 'known' are listed in
    "definition_ids" instead of being included in "definitions" (docs/ir.md)."""
    defs = doc.get("definitions") or {}
    by_id = sorted(k for k in defs if k in known)
    if not by_id:
        return doc
    out = dict(doc)
    out["definitions"] = {k: v for k, v in defs.items() if k not in known}
    out["definition_ids"] = by_id
    return out


def build_document(files: List[str], defs: Dict[Any, dict], block: dict) -> dict:
    """Assemble the IR document; 'block' and 'defs' may hold Ref placeholders."""
    ids = assign_ids(defs, files)
    definitions = {}
    for k, d in defs.items():
        definitions[ids[k]] = _substitute(d, lambda x: ids[x])
    return {
        "ir_version": IR_VERSION,
        "files": list(files),
        "definitions": dict(sorted(definitions.items())),
        "block": _substitute(block, lambda x: ids[x]),
    }
