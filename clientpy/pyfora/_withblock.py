"""`with executor.remotely.downloadAll():` — capture, skip locally, run remotely."""

import ast
import builtins
import re
import sys
import types
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import _protocol, _walker
from .exceptions import (BadWithBlockError, ComputationError, ForaToPythonConversionError,
                         InvalidPyforaOperation, PyforaError, UnconvertibleValueError)

CO_OPTIMIZED = 0x0001


class _SkipBody(Exception):
    """Raised by the tracer at the first event in the with-block body."""


def _noop_trace(frame: types.FrameType, event: str, arg: Any) -> None:
    return None


class Remotely:
    """Chainable policy for remote with-blocks (executor.remotely).

    `with executor.remotely:` means remoteAll(): every value the block assigns stays on the
    daemon and the variable gets a RemotePythonObject. downloadAll() brings every value back;
    downloadSmall(bytecount=N) brings back values whose encoding is at most N bytes.
    withStatusCallback(fn) calls fn(status_dict) while the block runs."""

    def __init__(self, executor: Any, download: Any = "none",
                 callback: Optional[Callable[[Dict[str, Any]], None]] = None):
        self._executor = executor
        self._download = download
        self._callback = callback
        self._blocks: List["WithBlock"] = []

    def _with(self, **changes: Any) -> "Remotely":
        fields = {"download": self._download, "callback": self._callback}
        fields.update(changes)
        return Remotely(self._executor, **fields)

    def downloadAll(self) -> "Remotely":
        """Download every value the block assigns."""
        return self._with(download="all")

    def remoteAll(self) -> "Remotely":
        """Keep every value the block assigns remote (RemotePythonObject); the default."""
        return self._with(download="none")

    def downloadSmall(self, bytecount: int = 10000) -> "Remotely":
        """Download values whose encoding is at most 'bytecount' bytes; proxies for the rest."""
        if not isinstance(bytecount, int) or bytecount < 0:
            raise ValueError("bytecount must be a non-negative int")
        return self._with(download={"max_bytes": bytecount})

    def withStatusCallback(self, callback: Callable[[Dict[str, Any]], None]) -> "Remotely":
        """Call 'callback' with {"computation", "cores_busy", "cores_total", "done"} about
        once a second while the block runs, and once when it is done."""
        if not callable(callback):
            raise TypeError("the status callback must be callable")
        return self._with(callback=callback)

    def __enter__(self) -> None:
        wb = WithBlock(self._executor, self)
        self._blocks.append(wb)
        wb._enter(sys._getframe(1))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        return self._blocks.pop().__exit__(exc_type, exc, tb)


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
    return build_document_ex(frame)[0]


def build_document_ex(frame: types.FrameType, uploader: Optional[Callable[[Any], Any]] = None
                      ) -> Tuple[Dict[str, Any], Dict[str, str], List[str]]:
    """The IR document for the with-block executing at 'frame', the names bound to values
    the client could not ship (name -> UnconvertibleValueError message), and the ids of the
    objects 'uploader' uploaded for it (to release once the block has run)."""
    code = frame.f_code
    sf = _walker.load_source(code.co_filename, frame.f_globals, "the with-block")
    node = find_with_node(sf.tree, frame.f_lineno)
    if len(node.items) != 1:
        raise BadWithBlockError(
            "a 'with executor.remotely...' statement must have exactly one context manager"
            "\n  File \"%s\", line %d" % (sf.name, node.lineno))
    walker = _walker.Walker(uploader)
    try:
        block = walker.block(sf, node.body, frame)
        walker.run()
        _walker.check_rebound_globals(walker, sf, node.body, frame)
    except BaseException:
        if uploader is not None and walker.uploaded:
            getattr(uploader, "__self__")._release_later(walker.uploaded)
        raise
    return (_protocol.build_document(walker.files, walker.defs, block), walker.unconvertible,
            walker.uploaded)


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
        snapshot = frame.f_locals
        snapshot.update(locals_part)
        ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))
        for k in locals_part:   # the frame's cached dict must not keep values (proxies) alive
            snapshot.pop(k, None)


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


def _remote_args(exc: Dict[str, Any], message: str) -> tuple:
    """The remote exception's args when they could be sent and decoded, else (message,)."""
    try:
        args = _protocol.decode_value(exc["args"])
    except Exception:
        return (message,)
    return args if isinstance(args, tuple) else (message,)


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
                result = cls(*_remote_args(exc, message))
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


def is_proxy(j: Any) -> bool:
    """True for a result entry {"object": id, "type": name, "size"?: N}."""
    return isinstance(j, dict) and isinstance(j.get("object"), str) and "type" in j


def make_proxy(executor: Any, j: Dict[str, Any]) -> Any:
    from ._remote import RemotePythonObject
    return RemotePythonObject(executor, j["object"], str(j.get("type")), j.get("size"))


def unconvertible_error(exc: Any, unconvertible: Dict[str, str]) -> Optional[BaseException]:
    """UnconvertibleValueError when remote exception 'exc' is the NameError of a name bound
    to a value the client could not ship (docs/ir.md, kind "unconvertible")."""
    if not unconvertible or not isinstance(exc, dict) or exc.get("type") != "NameError":
        return None
    m = re.search(r"'([^']+)'", str(exc.get("message", "")))
    if m and m.group(1) in unconvertible:
        return UnconvertibleValueError(unconvertible[m.group(1)])
    return None


def decode_results(values: Any, executor: Any = None) -> Tuple[Dict[str, Any], List[str]]:
    """Decode the result 'values' (proxies become RemotePythonObjects of 'executor');
    unconvertible ones raise after the rest are decoded."""
    if not isinstance(values, dict):
        raise PyforaError("malformed result values %r" % (values,))
    out: Dict[str, Any] = {}
    problems = []
    for name, j in values.items():
        if is_proxy(j) and executor is not None:
            out[name] = make_proxy(executor, j)
            continue
        try:
            out[name] = _protocol.decode_value(j)
        except _protocol.Unconvertible as e:
            problems.append("variable %r holds a remote %s, which cannot be downloaded"
                            % (name, e.typename))
        except _protocol.DecodeError as e:
            problems.append("variable %r: %s" % (name, e))
    return out, problems


class WithBlock:
    """One run of a with-block under a Remotely policy."""

    def __init__(self, executor: Any, policy: Remotely):
        self._executor = executor
        self._policy = policy
        self._frame: Optional[types.FrameType] = None
        self._document: Optional[Dict[str, Any]] = None
        self._unconvertible: Dict[str, str] = {}
        self._uploaded: List[str] = []

    def __enter__(self) -> None:
        self._enter(sys._getframe(1))

    def _enter(self, frame: types.FrameType) -> None:
        self._executor._check_open()
        try:
            self._document, self._unconvertible, self._uploaded = build_document_ex(
                frame, self._executor._upload)
        except PyforaError as e:   # the message names the user's file:line already
            raise e.with_traceback(None) from None
        self._document["download"] = self._policy._download
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
        try:
            result = self._executor._run(self._document, self._policy._callback)
        finally:
            self._executor._release_later(self._uploaded)
        values, problems = decode_results(result.get("values") or {}, self._executor)
        assign_into_frame(frame, values)
        del frame
        remote_exc = result.get("exception")
        if remote_exc:
            raise (unconvertible_error(remote_exc, self._unconvertible)
                   or make_remote_exception(remote_exc))
        if problems:
            raise ForaToPythonConversionError("; ".join(problems))
        return True
