"""Python ast -> IR nodes (docs/ir.md), with the Pure Python checks."""

import ast
import builtins
from typing import Any, Callable, Dict, List, Optional, Set

from . import _protocol
from .exceptions import BadWithBlockError, PythonToForaConversionError

STATEMENTS = {
    "FunctionDef", "ClassDef", "Return", "Assign", "AnnAssign", "For", "While", "If",
    "Raise", "Try", "Assert", "Import", "ImportFrom", "Expr", "Pass", "Break", "Continue",
}
EXPRESSIONS = {
    "BoolOp", "NamedExpr", "BinOp", "UnaryOp", "Lambda", "IfExp", "Dict", "Set", "ListComp",
    "SetComp", "DictComp", "GeneratorExp", "Yield", "YieldFrom", "Compare", "Call",
    "FormattedValue", "JoinedStr", "Constant", "Attribute", "Subscript", "Starred", "Name",
    "List", "Tuple", "Slice",
}
HELPERS = {"arguments", "arg", "keyword", "comprehension", "ExceptHandler", "alias"}
SUPPORTED = STATEMENTS | EXPRESSIONS | HELPERS

# Fields never sent (docs/ir.md): ctx, type comments, annotations; 'kind' of Constant
# ('u' prefix) and PEP 695 'type_params' (must be empty) carry no semantics here.
DROPPED_FIELDS = {"ctx", "type_comment", "returns", "annotation", "kind", "type_params"}

FORBIDDEN = {
    "Delete": "'del' statements are not allowed in pyfora code",
    "Global": "'global' statements are not allowed in pyfora code",
    "Nonlocal": "'nonlocal' statements are not allowed in pyfora code",
    "With": "'with' statements are not allowed inside pyfora code",
    "AsyncWith": "'async with' statements are not allowed in pyfora code",
    "AsyncFor": "'async for' loops are not allowed in pyfora code",
    "AsyncFunctionDef": "'async def' functions are not allowed in pyfora code",
    "Await": "'await' expressions are not allowed in pyfora code",
    "Match": "match statements are not supported in pyfora code",
    "TryStar": "'except*' is not supported in pyfora code",
    "TypeAlias": "'type' alias statements are not supported in pyfora code",
}
FORBIDDEN_CALLS = ("print", "eval", "exec", "locals", "globals")

_OP_SYMBOLS = {
    "Add": "+", "Sub": "-", "Mult": "*", "MatMult": "@", "Div": "/", "Mod": "%",
    "Pow": "**", "LShift": "<<", "RShift": ">>", "BitOr": "|", "BitXor": "^",
    "BitAnd": "&", "FloorDiv": "//",
}


def format_location(file: str, line: int, source_lines: List[str]) -> str:
    text = source_lines[line - 1].strip() if 0 < line <= len(source_lines) else ""
    out = '\n  File "%s", line %d' % (file, line)
    if text:
        out += "\n    " + text
    return out


def bound_names(node: ast.AST) -> Set[str]:
    """Names bound in the scope of 'node' (a function, lambda, class or module-like body),
    not looking into nested scopes' bodies."""
    names: Set[str] = set()
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
        a = node.args
        for p in a.posonlyargs + a.args + a.kwonlyargs + [a.vararg, a.kwarg]:
            if p is not None:
                names.add(p.arg)
        roots = node.body if isinstance(node.body, list) else [node.body]
    elif isinstance(node, (ast.ClassDef, ast.Module)):
        roots = node.body
    else:
        roots = list(node) if isinstance(node, list) else [node]
    stack = list(roots)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
            stack.extend(n.decorator_list)
            if not isinstance(n, ast.ClassDef):
                stack.extend(n.args.defaults)
                stack.extend(d for d in n.args.kw_defaults if d is not None)
            else:
                stack.extend(n.bases)
            continue
        elif isinstance(n, ast.Lambda):
            stack.extend(n.args.defaults)
            continue
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            for al in n.names:
                names.add((al.asname or al.name).split(".")[0])
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        stack.extend(ast.iter_child_nodes(n))
    return names


class _Scope:
    def __init__(self, kind: str, name: str, bound: Set[str], first_param: Optional[str]):
        self.kind = kind            # "block", "module", "function", "lambda", "class"
        self.name = name
        self.bound = bound
        self.first_param = first_param


class Converter:
    """Converts one file's nodes. 'is_shadowed(name)' says whether a name read at the
    top scope means something else than the builtin of that name."""

    def __init__(self, file: str, source_lines: List[str],
                 is_shadowed: Callable[[str], bool] = lambda name: False):
        self.file = file
        self.lines = source_lines
        self.is_shadowed = is_shadowed
        self.scopes: List[_Scope] = []

    # -- errors ------------------------------------------------------------
    def error(self, node: ast.AST, message: str, cls: type = PythonToForaConversionError):
        line = getattr(node, "lineno", 0) or 0
        text = message + format_location(self.file, line, self.lines)
        if cls is PythonToForaConversionError:
            raise PythonToForaConversionError(text, self.file, line)
        raise cls(text)

    # -- entry points ------------------------------------------------------
    def convert_definition(self, node: ast.AST, method_of_class: bool = False) -> Dict[str, Any]:
        """A FunctionDef, Lambda or ClassDef of a client object: decorator_list emptied."""
        outer = _Scope("class" if method_of_class else "module", "", set(), None)
        self.scopes = [outer]
        out = self.node(node)
        if "decorator_list" in out:
            out["decorator_list"] = []
        return out

    def convert_block(self, body: List[ast.stmt]) -> List[Dict[str, Any]]:
        self.scopes = [_Scope("block", "<block>", bound_names(body), None)]
        return [self.node(s) for s in body]

    # -- checks ------------------------------------------------------------
    def _check_target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for e in target.elts:
                self._check_target(e)
        elif isinstance(target, ast.Starred):
            self._check_target(target.value)
        elif isinstance(target, ast.Subscript):
            self.error(target, "subscript assignment (a[i] = ...) is not allowed in pyfora code")
        elif isinstance(target, ast.Attribute):
            s = self.scopes[-1]
            parent = self.scopes[-2] if len(self.scopes) > 1 else None
            ok = (s.kind == "function" and s.name == "__init__" and parent is not None
                  and parent.kind == "class" and isinstance(target.value, ast.Name)
                  and target.value.id == s.first_param)
            if not ok:
                self.error(target, "attribute assignment (obj.x = ...) is not allowed in "
                                   "pyfora code, except self.x = ... directly in __init__")

    def _name_is_builtin(self, name: str) -> bool:
        for s in reversed(self.scopes):
            if s.kind == "class" and s is not self.scopes[-1]:
                continue
            if name in s.bound:
                return False
        return not self.is_shadowed(name)

    def _check(self, node: ast.AST) -> None:
        t = type(node).__name__
        if t in FORBIDDEN:
            self.error(node, FORBIDDEN[t])
        if t == "AugAssign":
            sym = _OP_SYMBOLS.get(type(node.op).__name__, "?")
            self.error(node, "augmented assignment (x %s= ...) is not allowed in pyfora code" % sym)
        if t not in SUPPORTED:
            self.error(node, "%s is not supported in pyfora code" % t)
        in_block = self.scopes and self.scopes[-1].kind == "block"
        if in_block and t in ("Return", "Yield", "YieldFrom"):
            what = "return" if t == "Return" else "yield"
            self.error(node, "'%s' is not allowed directly in the body of a "
                             "'with executor.remotely' block" % what, BadWithBlockError)
        if t == "Constant":
            v = node.value
            if isinstance(v, bytes):
                self.error(node, "bytes literals are not supported in pyfora code")
            if isinstance(v, complex):
                self.error(node, "complex literals are not supported in pyfora code")
            if v is Ellipsis:
                self.error(node, "'...' (Ellipsis) is not supported in pyfora code")
        elif t == "Call":
            f = node.func
            if (isinstance(f, ast.Name) and f.id in FORBIDDEN_CALLS
                    and self._name_is_builtin(f.id)):
                self.error(node, "calling %s() is not allowed in pyfora code" % f.id)
        elif t == "Assign":
            for tg in node.targets:
                self._check_target(tg)
        elif t in ("AnnAssign", "For", "comprehension"):
            self._check_target(node.target)
        elif t in ("FunctionDef", "ClassDef") and getattr(node, "type_params", None):
            self.error(node, "type parameters are not supported in pyfora code")

    # -- conversion --------------------------------------------------------
    def node(self, node: ast.AST) -> Dict[str, Any]:
        self._check(node)
        t = type(node).__name__
        out: Dict[str, Any] = {"t": t}
        if hasattr(node, "lineno"):
            out["line"] = node.lineno
            out["col"] = node.col_offset
        pushed = False
        if isinstance(node, (ast.FunctionDef, ast.Lambda)):
            params = node.args.posonlyargs + node.args.args
            self.scopes.append(_Scope("function" if t == "FunctionDef" else "lambda",
                                      getattr(node, "name", "<lambda>"), bound_names(node),
                                      params[0].arg if params else None))
            pushed = True
        for field, value in ast.iter_fields(node):
            if field in DROPPED_FIELDS:
                continue
            out[field] = self._field(node, field, value)
        if pushed:
            self.scopes.pop()
        return out

    def _field(self, node: ast.AST, field: str, value: Any) -> Any:
        if t_is_class_body(node, field):
            self.scopes.append(_Scope("class", node.name, bound_names(node), None))
            try:
                return [self.node(v) for v in value]
            finally:
                self.scopes.pop()
        if isinstance(node, ast.Constant) and field == "value":
            try:
                return _protocol.encode_value(node.value)
            except _protocol.EncodeError as e:
                self.error(node, "constant cannot be converted: %s" % e)
        if isinstance(value, list):
            return [self._field(node, field, v) if not isinstance(v, ast.AST) else self._elem(v)
                    for v in value]
        if isinstance(value, ast.AST):
            return self._elem(value)
        return value

    def _elem(self, v: ast.AST) -> Any:
        if isinstance(v, (ast.operator, ast.unaryop, ast.boolop, ast.cmpop)):
            return type(v).__name__
        return self.node(v)


def t_is_class_body(node: ast.AST, field: str) -> bool:
    return isinstance(node, ast.ClassDef) and field == "body"


def block_outputs(body: List[ast.stmt]) -> List[str]:
    """Names bound at the top level of the block, in order of first appearance."""
    seen: Dict[str, None] = {}

    def targets(t: ast.AST) -> None:
        if isinstance(t, ast.Name):
            seen.setdefault(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                targets(e)
        elif isinstance(t, ast.Starred):
            targets(t.value)

    def visit(n: ast.AST) -> None:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for d in n.decorator_list:
                visit(d)
            seen.setdefault(n.name)
            return
        if isinstance(n, ast.Lambda):
            return
        if isinstance(n, ast.Assign):
            visit(n.value)
            for t in n.targets:
                targets(t)
            return
        if isinstance(n, ast.AnnAssign):
            if n.value is not None:
                visit(n.value)
                targets(n.target)
            return
        if isinstance(n, ast.For):
            visit(n.iter)
            targets(n.target)
            for s in n.body + n.orelse:
                visit(s)
            return
        if isinstance(n, ast.NamedExpr):
            visit(n.value)
            targets(n.target)
            return
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            for al in n.names:
                if al.name != "*":
                    seen.setdefault((al.asname or al.name).split(".")[0])
            return
        if isinstance(n, ast.ExceptHandler) and n.name:
            seen.setdefault(n.name)
        for c in ast.iter_child_nodes(n):
            visit(c)

    for s in body:
        visit(s)
    return list(seen)


def first_load_line(node: ast.AST, name: str) -> int:
    """Line of the first read of 'name' inside 'node' (or the node's own line)."""
    best = None
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id == name and isinstance(n.ctx, ast.Load):
            if best is None or n.lineno < best:
                best = n.lineno
    return best if best is not None else getattr(node, "lineno", 0)


def builtin_name_of(obj: Any) -> Optional[str]:
    """The builtins name 'obj' is bound to, if 'obj' is that builtin."""
    name = getattr(obj, "__name__", None)
    if isinstance(name, str) and getattr(builtins, name, None) is obj and obj is not None:
        return name
    return None
