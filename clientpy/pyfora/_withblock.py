"""`with executor.remotely.downloadAll():` — capture, skip locally, run remotely."""

import ast
import builtins
import sys
import types
from typing import Any, Dict, List, Optional, Tuple

from . import _protocol, _walker
from .exceptions import (BadWithBlockError, ComputationError, ForaToPythonConversionError,
                         InvalidPyforaOperation, PyforaError)

CO_OPTIMIZED = 0x0001


class _SkipBody(Exception):
    """Raised by the tracer at the first event in the with-block body."""


def _noop_trace(frame: types.FrameType, event: str, arg: Any) -> None:
    return None


class Remotely:
    """Chainable policy for remote with-blocks (executor.remotely)."""

    def __init__(self, executor: Any, download: str = "all"):
        self._executor = executor
        self._download = download

    def downloadAll(self) -> "WithBlock":
        """A context manager: run the block remotely and download every result."""
        return WithBlock(self._executor, Remotely(self._executor, "all"))


def find_with_node(tree: ast.AST, line: int) -> ast.With:
    """The innermost `with` statement whose header contains 'line'."""
    best = None
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            body_line = node.body[0].lineno
            if node.lineno <= line < body_line or (line == node.lineno == body_line):
                if best is None or node.lineno >= best.lineno:
                    best = node
    if best is None:
        raise BadWithBlockError("cannot find the 'with' statement at line %d" % line)
    if isinstance(best, ast.AsyncWith):
        raise BadWithBlockError("'async with' cannot be used to run code remotely")
    return best


def build_document(frame: types.FrameType) -> Dict[str, Any]:
    """The IR document for the with-block executing at 'frame'."""
    code = frame.f_code
    sf = _walker.load_source(code.co_filename, frame.f_globals, "the with-block")
    node = find_with_node(sf.tree, frame.f_lineno)
    if len(node.items) != 1:
        raise BadWithBlockError(
            "a 'with executor.remotely...' statement must have exactly one context manager"
            "\n  File \"%s\", line %d" % (sf.name, node.lineno))
    walker = _walker.Walker()
    block = walker.block(sf, node.body, frame)
    walker.run()
    return _protocol.build_document(walker.files, walker.defs, block)


def assign_into_frame(frame: types.FrameType, values: Dict[str, Any]) -> None:
    """Bind 'values' in the scope 'frame' runs in (module globals or function locals)."""
    if not values:
        return
    code = frame.f_code
    if not code.co_flags & CO_OPTIMIZED:
        frame.f_locals.update(values)  # module (== f_globals) or class body namespace
        return
    local_names = set(code.co_varnames) | set(code.co_cellvars) | set(code.co_freevars)
    locals_part = {k: v for k, v in values.items() if k in local_names}
    for k, v in values.items():
        if k not in local_names:   # names the function declared global
            frame.f_globals[k] = v
    if not locals_part:
        return
    if sys.version_info >= (3, 13):
        proxy = frame.f_locals     # PEP 667: a write-through proxy of the fast locals
        for k, v in locals_part.items():
            proxy[k] = v
    else:
        import ctypes
        frame.f_locals.update(locals_part)
        ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))


def _frame_at(filename: str, line: int, function: str) -> Any:
    """A traceback entry whose frame shows 'filename':'line' in 'function'."""
    src = "\n" * (max(line, 1) - 1) + "raise __pyfora_exc__\n"
    code = compile(src, filename, "exec")
    if function and function.isidentifier():
        code = code.replace(co_name=function)
    elif function:
        try:
            code = code.replace(co_name=function)
        except (TypeError, ValueError):  # pragma: no cover
            pass
    marker = _SkipBody()
    try:
        exec(code, {"__pyfora_exc__": marker, "__name__": "pyfora.remote"})
    except _SkipBody as e:
        tb = e.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        return tb
    raise AssertionError("unreachable")  # pragma: no cover


def _remote_traceback(entries: List[Dict[str, Any]]) -> Optional[types.TracebackType]:
    tb = None
    for entry in reversed(entries):
        try:
            t = _frame_at(str(entry.get("file")), int(entry.get("line") or 1),
                          str(entry.get("function") or "<block>"))
            tb = types.TracebackType(tb, t.tb_frame, t.tb_lasti, t.tb_lineno)
        except (SyntaxError, ValueError, TypeError, MemoryError):
            continue
    return tb


def format_remote_traceback(entries: List[Dict[str, Any]]) -> str:
    lines = ["pyfora remote traceback (most recent call last):"]
    for e in entries:
        lines.append('  File "%s", line %s, in %s' % (e.get("file"), e.get("line"),
                                                    e.get("function")))
    return "\n".join(lines)


def make_remote_exception(exc: Dict[str, Any]) -> BaseException:
    """The local exception for a remote one, with a traceback at the user's lines."""
    etype = exc.get("type")
    message = exc.get("message", "")
    entries = exc.get("traceback") or []
    if not isinstance(entries, list):
        entries = []
    result: BaseException
    if etype == "InvalidPyforaOperation":
        result = InvalidPyforaOperation(message)
    else:
        cls = getattr(builtins, str(etype), None)
        result = None  # type: ignore[assignment]
        if isinstance(cls, type) and issubclass(cls, Exception):
            try:
                result = cls(message)
            except Exception:
                result = None  # type: ignore[assignment]
        if result is None:
            result = ComputationError(exc, entries)
    note = format_remote_traceback(entries)
    if hasattr(result, "add_note"):
        result.add_note(note)
    else:
        result.__notes__ = [note]  # type: ignore[attr-defined]
    result.pyforaTraceback = entries  # type: ignore[attr-defined]
    tb = _remote_traceback(entries)
    if tb is not None:
        result = result.with_traceback(tb)
    return result


def decode_results(values: Any) -> Tuple[Dict[str, Any], List[str]]:
    """Decode the result 'values'; unconvertible ones raise after the rest are decoded."""
    if not isinstance(values, dict):
        raise PyforaError("malformed result values %r" % (values,))
    out: Dict[str, Any] = {}
    problems = []
    for name, j in values.items():
        try:
            out[name] = _protocol.decode_value(j)
        except _protocol.Unconvertible as e:
            problems.append("variable %r holds a remote %s, which cannot be downloaded"
                            % (name, e.typename))
        except _protocol.DecodeError as e:
            problems.append("variable %r: %s" % (name, e))
    return out, problems


class WithBlock:
    """Context manager returned by executor.remotely.downloadAll()."""

    def __init__(self, executor: Any, policy: Remotely):
        self._executor = executor
        self._policy = policy
        self._frame: Optional[types.FrameType] = None
        self._document: Optional[Dict[str, Any]] = None

    def __enter__(self) -> None:
        self._executor._check_open()
        frame = sys._getframe(1)
        try:
            self._document = build_document(frame)
        except PyforaError as e:   # the message names the user's file:line already
            raise e.with_traceback(None) from None
        self._frame = frame
        self._prev_trace = sys.gettrace()
        self._prev_ftrace = frame.f_trace
        self._prev_opcodes = getattr(frame, "f_trace_opcodes", False)
        sys.settrace(_noop_trace)
        frame.f_trace = self._skip
        try:
            frame.f_trace_opcodes = True   # catches a body on the with statement's own line
        except (AttributeError, ValueError):  # pragma: no cover
            pass

    def _skip(self, frame: types.FrameType, event: str, arg: Any) -> None:
        if frame is self._frame:
            raise _SkipBody()
        return None

    def _restore(self) -> None:
        frame = self._frame
        sys.settrace(self._prev_trace)
        if frame is not None:
            frame.f_trace = self._prev_ftrace
            try:
                frame.f_trace_opcodes = self._prev_opcodes
            except (AttributeError, ValueError):  # pragma: no cover
                pass

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        self._restore()
        frame, self._frame = self._frame, None
        if exc_type is not _SkipBody:
            if exc_type is None:
                raise PyforaError("the with-block body ran locally (a debugger or another "
                                  "trace function interfered); its effects were not undone")
            return False
        try:
            return self._finish(frame)
        except BaseException as e:
            if isinstance(e.__context__, _SkipBody):
                e.__context__ = None   # do not show "during handling of _SkipBody"
            raise

    def _finish(self, frame: types.FrameType) -> bool:
        result = self._executor._run(self._document)
        values, problems = decode_results(result.get("values") or {})
        assign_into_frame(frame, values)
        del frame
        remote_exc = result.get("exception")
        if remote_exc:
            raise make_remote_exception(remote_exc)
        if problems:
            raise ForaToPythonConversionError("; ".join(problems))
        return True
