"""Walks the objects a with-block reaches and turns them into IR definitions."""

import ast
import builtins
import collections
import dis
import linecache
import sys
import types
from typing import Any, Callable, Deque, Dict, List, Optional, Set, Tuple

from . import _convert, _protocol
from .exceptions import (BadWithBlockError, CantGetSourceTextError,
                         PythonToForaConversionError, UnconvertibleValueError)

ALLOWED_MODULES = ("math", "functools", "operator", "itertools")

_TPFLAGS_HEAPTYPE = 1 << 9

_GLOBAL_OPS = {"LOAD_GLOBAL", "LOAD_NAME", "LOAD_FROM_DICT_OR_GLOBALS"}


def global_reads(code: types.CodeType) -> List[str]:
    """Names 'code' (and code nested in it) looks up as globals, sorted."""
    names: Set[str] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        for ins in dis.get_instructions(c):
            if ins.opname in _GLOBAL_OPS and isinstance(ins.argval, str):
                names.add(ins.argval)
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return sorted(names)


def _definition_reads(node: ast.AST, filename: str) -> List[str]:
    """Global reads of the body of a def/lambda node, compiled alone without optimisation
    (asserts kept even under -O); decorators and defaults are not part of it."""
    stmt = node if not isinstance(node, ast.Lambda) else ast.Expr(value=node)
    ast.copy_location(stmt, node)
    code = compile(ast.Module(body=[stmt], type_ignores=[]), filename, "exec", optimize=0)
    names: Set[str] = set()
    for k in code.co_consts:
        if isinstance(k, types.CodeType):
            names.update(global_reads(k))
    return sorted(names)


class SourceFile:
    """A parsed source file."""

    def __init__(self, name: str, lines: List[str], tree: ast.Module):
        self.name = name
        self.lines = [ln.rstrip("\r\n") for ln in lines]
        self.tree = tree
        self._parents: Optional[Dict[int, ast.AST]] = None

    def qualnames(self) -> List[Tuple[str, ast.AST]]:
        out: List[Tuple[str, ast.AST]] = []

        def visit(node: ast.AST, prefix: str) -> None:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    q = prefix + child.name
                    out.append((q, child))
                    inner = q + (".<locals>." if not isinstance(child, ast.ClassDef) else ".")
                    visit(child, inner)
                elif isinstance(child, ast.Lambda):
                    out.append((prefix + "<lambda>", child))
                    visit(child, prefix + "<lambda>.<locals>.")
                else:
                    visit(child, prefix)

        visit(self.tree, "")
        return out


_source_cache: Dict[str, Tuple[List[str], SourceFile]] = {}


def load_source(filename: str, module_globals: Optional[dict] = None,
                what: str = "code") -> SourceFile:
    """Parse 'filename' through linecache (so it works for anything linecache knows)."""
    if not filename or (filename.startswith("<") and filename.endswith(">")
                        and not linecache.getlines(filename, module_globals)):
        raise CantGetSourceTextError(
            "cannot get the source text of %s defined in %s: pyfora needs the source "
            "(code typed at an interactive prompt cannot be run remotely)" % (what, filename))
    lines = linecache.getlines(filename, module_globals)
    if not lines:
        linecache.checkcache(filename)
        lines = linecache.getlines(filename, module_globals)
    if not lines:
        raise CantGetSourceTextError("cannot read the source of %s: file %s not found"
                                     % (what, filename))
    cached = _source_cache.get(filename)
    if cached is not None and cached[0] == lines:
        return cached[1]
    try:
        tree = ast.parse("".join(lines), filename)
    except SyntaxError as e:
        raise CantGetSourceTextError("cannot parse %s: %s" % (filename, e))
    sf = SourceFile(filename, lines, tree)
    _source_cache[filename] = (list(lines), sf)
    return sf


def _code_in_node(code: types.CodeType, node: ast.AST) -> bool:
    """Whether the code object's first instruction position lies inside 'node' (3.11+)."""
    positions = getattr(code, "co_positions", None)
    if positions is None:
        return True
    start = (node.lineno, node.col_offset)
    end = (node.end_lineno, node.end_col_offset)
    for (l0, _l1, c0, c1) in positions():
        if l0 is None or c0 is None or (c0, c1) == (0, 0):   # RESUME and friends
            continue
        if not start <= (l0, c0) <= end:
            return False
    return True


def find_function_node(fn: types.FunctionType, sf: SourceFile) -> ast.AST:
    code = fn.__code__
    argnames = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    cands = []
    for q, node in sf.qualnames():
        if isinstance(node, ast.ClassDef):
            continue
        if code.co_name == "<lambda>":
            if not isinstance(node, ast.Lambda) or node.lineno != code.co_firstlineno:
                continue
        else:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            if node.name != code.co_name:
                continue
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if code.co_firstlineno not in (first, node.lineno):
                continue
        a = node.args
        names = [p.arg for p in a.posonlyargs + a.args + a.kwonlyargs]
        if names != argnames:
            continue
        cands.append((q, node))
    if len(cands) > 1:
        same_q = [c for c in cands if c[0] == fn.__qualname__]
        if same_q:
            cands = same_q
    if len(cands) > 1:
        cands = [c for c in cands if _code_in_node(code, c[1])] or cands
    if len(cands) != 1:
        raise CantGetSourceTextError(
            "cannot locate the source of function %s (%s, line %d)"
            % (fn.__qualname__, code.co_filename, code.co_firstlineno))
    return cands[0][1]


def find_class_node(cls: type, sf: SourceFile) -> ast.ClassDef:
    cands = [n for q, n in sf.qualnames()
             if isinstance(n, ast.ClassDef) and q == cls.__qualname__]
    first = getattr(cls, "__firstlineno__", None)
    if first is not None:
        cands = [n for n in cands if n.lineno == first] or cands
    if len(cands) > 1:
        lines = set()
        for v in vars(cls).values():
            f = getattr(v, "__func__", v)
            c = getattr(f, "__code__", None)
            if c is not None:
                lines.add(c.co_firstlineno)
        cands = [n for n in cands
                 if any(n.lineno <= ln <= n.end_lineno for ln in lines)] or cands[-1:]
    if not cands:
        raise CantGetSourceTextError("cannot locate the source of class %s in %s"
                                     % (cls.__qualname__, sf.name))
    return cands[0]


def _is_shadowed_in(namespace: Dict[str, Any]) -> Callable[[str], bool]:
    def shadowed(name: str) -> bool:
        return name in namespace and namespace[name] is not getattr(builtins, name, None)
    return shadowed


def _remote_class() -> type:
    from ._remote import RemotePythonObject
    return RemotePythonObject


def module_attr_of(obj: Any) -> Optional[Tuple[str, str]]:
    """(module, name) when 'obj' is a built-in function or class of an allowed module
    (math.sqrt, functools.reduce, operator.add ...), else None."""
    if not isinstance(obj, (types.BuiltinFunctionType, type)) or _convert.builtin_name_of(obj):
        return None
    if isinstance(obj, type) and obj.__flags__ & _TPFLAGS_HEAPTYPE:
        return None
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str):
        return None
    for m in ALLOWED_MODULES:
        mod = sys.modules.get(m)
        if mod is not None and getattr(mod, name, None) is obj:
            return m, name
    return None


def _class_namespace(cls: type) -> Tuple[Optional[Dict[str, Any]], Optional[str]]:
    """The globals and the source file of the module that defined 'cls': its entry in
    sys.modules, else (a module loaded by importlib without registering it, or run by runpy)
    the globals and file of a function defined in the class body."""
    module = sys.modules.get(cls.__module__)
    if module is not None and getattr(module, "__file__", None):
        return vars(module), module.__file__
    for v in vars(cls).values():
        for f in (getattr(v, "__func__", None), v, getattr(v, "fget", None)):
            if (isinstance(f, types.FunctionType)
                    and f.__qualname__.startswith(cls.__qualname__ + ".")
                    and f.__globals__.get("__name__") == cls.__module__):
                return f.__globals__, f.__code__.co_filename
    return None, None


class Walker:
    """Collects definitions (keyed by object identity) with Ref placeholders."""

    def __init__(self, uploader: Optional[Callable[[Any], Optional[str]]] = None) -> None:
        # uploader(value) -> object id or None: large plain values go to the daemon's
        # object store in the binary encoding and are referenced as {"kind": "object"}.
        self._uploader = uploader
        self.uploaded: List[str] = []
        self.files: List[str] = []
        self._file_index: Dict[str, int] = {}
        self.defs: Dict[Any, dict] = {}
        self._keys: Dict[int, Any] = {}
        self._keep: List[Any] = []
        self._queue: Deque[Tuple[Any, Any, str, Optional[str]]] = collections.deque()
        # binding name -> message, for values sent as {"kind": "unconvertible"}: the
        # daemon leaves such a name unbound, and a NameError on it becomes this error.
        self.unconvertible: Dict[str, str] = {}
        # (id of the namespace, name, where, file, line): every global name a function or
        # class reads, found or not (block() checks them against a module-level block)
        self.global_reads: List[Tuple[int, str, str, str, int]] = []

    def file_index(self, name: str) -> int:
        if name not in self._file_index:
            self._file_index[name] = len(self.files)
            self.files.append(name)
        return self._file_index[name]

    # -- references --------------------------------------------------------
    def ref(self, obj: Any, what: str, lazy_name: Optional[str] = None) -> _protocol.Ref:
        """A Ref to the definition of 'obj' ('what' names it in error messages). With
        'lazy_name' (the name the code reads it by), a value that cannot be shipped becomes
        an "unconvertible" definition: UnconvertibleValueError only if that code runs."""
        key = self._keys.get(id(obj))
        if key is None:
            key = ("obj", len(self._keys))
            self._keys[id(obj)] = key
            self._keep.append(obj)
            self._queue.append((key, obj, what, lazy_name))
        return _protocol.Ref(key)

    def run(self) -> None:
        while self._queue:
            key, obj, what, lazy_name = self._queue.popleft()
            try:
                self.defs[key] = self._definition(obj, what)
            except UnconvertibleValueError as e:
                if lazy_name is None:
                    raise
                self.unconvertible[lazy_name] = str(e)
                self.defs[key] = {"kind": "unconvertible", "type": type(obj).__name__,
                                  "name": lazy_name}

    # -- definitions -------------------------------------------------------
    def _definition(self, obj: Any, what: str) -> dict:
        name = _convert.builtin_name_of(obj)
        if name is not None:
            return {"kind": "builtin", "name": name}
        remote = _remote_class()
        if isinstance(obj, remote):
            return {"kind": "object", "id": obj._id}
        attr = module_attr_of(obj)
        if attr is not None:
            return {"kind": "module_attr", "module": attr[0], "name": attr[1]}
        if isinstance(obj, types.ModuleType):
            if obj.__name__ in ALLOWED_MODULES and sys.modules.get(obj.__name__) is obj:
                return {"kind": "module", "name": obj.__name__}
            raise PythonToForaConversionError(
                "module %s (%s) cannot be used in pyfora code; only %s are supported"
                % (obj.__name__, what, ", ".join(ALLOWED_MODULES)))
        if isinstance(obj, types.FunctionType):
            return self._function(obj, what)
        if isinstance(obj, type):
            return self._class(obj, what)
        if _protocol.is_plain_value(obj):
            if self._uploader is not None:
                oid = self._uploader(obj)
                if oid is not None:
                    self.uploaded.append(oid)
                    return {"kind": "object", "id": oid}
            try:
                value = _protocol.encode_value(
                    obj, ref=lambda v: self._value_ref(v, what))
            except _protocol.EncodeError as e:
                if e.cyclic:
                    raise PythonToForaConversionError("%s: %s" % (what, e))
                raise UnconvertibleValueError("%s cannot be sent to pyfora: %s" % (what, e))
            return {"kind": "value", "value": value}
        raise UnconvertibleValueError(
            "%s is a %s, which cannot be sent to pyfora" % (what, type(obj).__name__))

    def _value_ref(self, v: Any, what: str) -> Optional[_protocol.Ref]:
        if (isinstance(v, (types.FunctionType, type, types.ModuleType, _remote_class()))
                or _convert.builtin_name_of(v) is not None or module_attr_of(v) is not None):
            return self.ref(v, "an element of " + what)
        return None

    def _function(self, fn: types.FunctionType, what: str) -> dict:
        code = fn.__code__
        sf = load_source(code.co_filename, fn.__globals__, "function " + fn.__qualname__)
        node = find_function_node(fn, sf)
        conv = _convert.Converter(sf.name, sf.lines, _is_shadowed_in(fn.__globals__))
        qual = fn.__qualname__.split(".")
        is_method = len(qual) > 1 and qual[-2] != "<locals>"
        ir = conv.convert_definition(node, method_of_class=is_method)
        where = "%s (%s)" % (fn.__qualname__, code.co_filename)
        reads = [n for n in _definition_reads(node, sf.name) if n not in code.co_freevars]
        globs = self._globals_of(reads, fn.__globals__, node, sf, where)
        freevars = {}
        for name, cell in zip(code.co_freevars, fn.__closure__ or ()):
            try:
                val = cell.cell_contents
            except ValueError:
                continue
            freevars[name] = self.ref(val, "closure variable %r of %s" % (name, where), name)
        defaults = [self.ref(v, "a default of %s" % where) for v in (fn.__defaults__ or ())]
        kwdefaults = {k: self.ref(v, "default %r of %s" % (k, where))
                      for k, v in sorted((fn.__kwdefaults__ or {}).items())}
        return {"kind": "function", "file": self.file_index(sf.name), "node": ir,
                "globals": globs, "freevars": freevars, "defaults": defaults,
                "kwdefaults": kwdefaults}

    def _class(self, cls: type, what: str) -> dict:
        if not cls.__flags__ & _TPFLAGS_HEAPTYPE:
            raise UnconvertibleValueError("%s is the built-in class %s.%s, which cannot be "
                                          "sent to pyfora" % (what, cls.__module__,
                                                              cls.__qualname__))
        if type(cls) is not type:
            raise UnconvertibleValueError(
                "%s is the class %s, whose metaclass %s is not supported (only plain "
                "classes are)" % (what, cls.__qualname__, type(cls).__name__))
        namespace, filename = _class_namespace(cls)
        if namespace is None or not filename:
            raise UnconvertibleValueError(
                "%s is the class %s, whose source is not available" % (what, cls.__qualname__))
        sf = load_source(filename, namespace, "class " + cls.__qualname__)
        node = find_class_node(cls, sf)
        conv = _convert.Converter(sf.name, sf.lines, _is_shadowed_in(namespace))
        ir = conv.convert_definition(node)
        fields = dict(name=node.name, bases=[], keywords=node.keywords, body=node.body,
                      decorator_list=[])
        if "type_params" in ast.ClassDef._fields:
            fields["type_params"] = []
        bare = ast.ClassDef(**fields)
        ast.copy_location(bare, node)
        mod = ast.fix_missing_locations(ast.Module(body=[bare], type_ignores=[]))
        code = compile(mod, sf.name, "exec", optimize=0)
        where = "class %s (%s)" % (cls.__qualname__, sf.name)
        named = {n.id for n in ast.walk(bare) if isinstance(n, ast.Name)}
        reads = [n for n in global_reads(code) if n in named]  # not the implicit __name__
        globs = self._globals_of(reads, namespace, node, sf, where)
        freevars: Dict[str, Any] = {}
        for v in vars(cls).values():
            for f in (getattr(v, "__func__", None), v, getattr(v, "fget", None),
                      getattr(v, "fset", None), getattr(v, "fdel", None)):
                if not isinstance(f, types.FunctionType):
                    continue
                for name, cell in zip(f.__code__.co_freevars, f.__closure__ or ()):
                    if name == "__class__" or name in freevars:
                        continue
                    try:
                        val = cell.cell_contents
                    except ValueError:
                        continue
                    freevars[name] = self.ref(val, "closure variable %r of %s" % (name, where))
        freevars = dict(sorted(freevars.items()))
        bases = [self.ref(b, "a base of %s" % where) for b in cls.__bases__ if b is not object]
        return {"kind": "class", "file": self.file_index(sf.name), "node": ir,
                "globals": globs, "freevars": freevars, "bases": bases}

    def _globals_of(self, names: List[str], namespace: Dict[str, Any], node: ast.AST,
                    sf: SourceFile, where: str) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for name in names:
            self.global_reads.append((id(namespace), name, where, sf.name,
                                      _convert.first_load_line(node, name)))
            if name not in namespace:
                continue
            val = namespace[name]
            if isinstance(val, types.ModuleType) and val.__name__ not in ALLOWED_MODULES:
                line = _convert.first_load_line(node, name)
                msg = ("module %s (global %r) cannot be used in pyfora code; only %s are "
                       "supported" % (val.__name__, name, ", ".join(ALLOWED_MODULES)))
                raise PythonToForaConversionError(
                    msg + _convert.format_location(sf.name, line, sf.lines), sf.name, line)
            out[name] = self.ref(val, "global %r of %s" % (name, where), name)
        return out

    # -- the block ---------------------------------------------------------
    def block(self, sf: SourceFile, body: List[ast.stmt], frame: types.FrameType
              ) -> dict:
        """Convert the with-block body; free names are looked up in 'frame'."""
        f_locals = frame.f_locals
        f_globals = frame.f_globals

        def lookup(name: str) -> Tuple[bool, Any]:
            if name in f_locals:
                return True, f_locals[name]
            if name in f_globals:
                return True, f_globals[name]
            return False, None

        def shadowed(name: str) -> bool:
            found, val = lookup(name)
            return found and val is not getattr(builtins, name, None)

        conv = _convert.Converter(sf.name, sf.lines, shadowed)
        stmts = conv.convert_block(body)
        mod = ast.Module(body=body, type_ignores=[])
        try:
            code = compile(mod, sf.name, "exec", optimize=0)
        except SyntaxError as e:
            raise BadWithBlockError(
                "this with-block cannot run remotely: %s" % e.msg
                + _convert.format_location(sf.name, e.lineno or body[0].lineno, sf.lines))
        globs: Dict[str, Any] = {}
        where = "the with-block (%s, line %d)" % (sf.name, body[0].lineno)
        namespace = {}
        for name in global_reads(code):
            found, val = lookup(name)
            if found:
                namespace[name] = val
        holder = ast.Module(body=body, type_ignores=[])
        for name, val in sorted(namespace.items()):
            if isinstance(val, types.ModuleType) and val.__name__ not in ALLOWED_MODULES:
                line = _convert.first_load_line(holder, name)
                raise PythonToForaConversionError(
                    "module %s (variable %r) cannot be used in pyfora code; only %s are "
                    "supported" % (val.__name__, name, ", ".join(ALLOWED_MODULES))
                    + _convert.format_location(sf.name, line, sf.lines), sf.name, line)
            globs[name] = self.ref(val, "variable %r of %s" % (name, where), name)
        return {"file": self.file_index(sf.name), "line": body[0].lineno, "body": stmts,
                "globals": globs, "outputs": _convert.block_outputs(body)}


def _first_store_line(body: List[ast.stmt], name: str) -> int:
    """Line of the block's first top-level binding of 'name' (not inside nested scopes)."""
    best = body[0].lineno

    def visit(n: ast.AST) -> Optional[int]:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return n.lineno if n.name == name else None
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                          ast.GeneratorExp)):
            return None
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Store):
            return n.lineno
        found = [ln for ln in (visit(c) for c in ast.iter_child_nodes(n)) if ln is not None]
        return min(found) if found else None

    lines = [ln for ln in (visit(st) for st in body) if ln is not None]
    return min(lines) if lines else best


def check_rebound_globals(walker: Walker, sf: SourceFile, body: List[ast.stmt],
                          frame: types.FrameType) -> None:
    """A with-block that binds a module global (at module level, or declared global in its
    function) that a function of the same module reads: in CPython the function sees the
    block's value once the block has bound it; remotely every function keeps the module's
    values as the block found them. Rather than answer differently, refuse, naming both."""
    outputs = set(_convert.block_outputs(body))
    code = frame.f_code
    if code.co_flags & 0x0001:   # CO_OPTIMIZED, a function: only the names it declared global
        outputs -= set(code.co_varnames) | set(code.co_cellvars) | set(code.co_freevars)
    elif frame.f_locals is not frame.f_globals:
        return   # a class body (or exec with its own locals): the block binds no globals
    for ns_id, name, where, file, line in walker.global_reads:
        if ns_id == id(frame.f_globals) and name in outputs:
            at = _first_store_line(body, name)
            raise PythonToForaConversionError(
                "the with-block rebinds the module global %r, which %s reads at line %d of %s; "
                "remotely that function would still see the module's old value, so use "
                "another name in the block or pass the value as an argument"
                % (name, where, line, file)
                + _convert.format_location(sf.name, at, sf.lines), sf.name, at)
