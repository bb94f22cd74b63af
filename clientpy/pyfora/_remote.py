"""Futures and proxies: pyfora.Future and RemotePythonObject (docs/client-api.md)."""

import concurrent.futures
import threading
from typing import Any, Callable, Optional

from . import _protocol
from .exceptions import (ForaToPythonConversionError, NotCallableError, PyforaError,
                         ResultExceededBytecountThreshold)

# Remote types that are never callable: calling a proxy of one raises NotCallableError at once.
_NOT_CALLABLE = frozenset(("NoneType", "bool", "int", "float", "str", "tuple", "list", "dict",
                           "set", "frozenset", "range", "generator"))


class Future(concurrent.futures.Future):
    """A concurrent.futures.Future whose cancel() also stops the remote computation.

    result(timeout), done(), exception(timeout), add_done_callback(fn) behave as in
    concurrent.futures; cancel() asks the daemon to stop the computation (at its next
    safepoint) and frees its core. Ctrl-C while blocked in result() cancels too."""

    def __init__(self, on_cancel: Optional[Callable[[], None]] = None):
        super().__init__()
        self._on_cancel = on_cancel

    def cancel(self) -> bool:
        if not super().cancel():
            return False
        hook, self._on_cancel = self._on_cancel, None
        if hook is not None:
            try:
                hook()
            except (PyforaError, OSError):
                pass
        return True

    def result(self, timeout: Optional[float] = None) -> Any:
        try:
            return super().result(timeout)
        except KeyboardInterrupt:
            self.cancel()
            raise

    def _resolve(self, value: Any = None, exc: Optional[BaseException] = None) -> None:
        """Completes the future (a no-op once it was cancelled)."""
        try:
            if exc is not None:
                self.set_exception(exc)
            else:
                self.set_result(value)
        except concurrent.futures.InvalidStateError:
            pass


class RemotePythonObject:
    """A value that lives in the daemon's object store (a proxy).

    Use it in later with-blocks, closures and call arguments (the value stays remote), call it
    (a remote function) to get a Future of a new RemotePythonObject, or download it with
    toLocal(). Dropping the last reference releases the value on the daemon."""

    def __init__(self, executor: Any, object_id: str, typename: str, size: Optional[int] = None):
        self._executor = executor
        self._id = object_id
        self.typeName = typename
        self.size = size

    @property
    def objectId(self) -> str:
        return self._id

    def __repr__(self) -> str:
        return "<pyfora.RemotePythonObject %s of type %s>" % (self._id, self.typeName)

    def toLocal(self, maxBytecount: Optional[int] = None) -> Future:
        """A Future of the downloaded value; ResultExceededBytecountThreshold when its
        encoding is larger than 'maxBytecount' bytes, ForaToPythonConversionError when it
        has no Python value (a generator, a function)."""
        return self._executor._download(self, maxBytecount)

    def __call__(self, *args: Any, **kwargs: Any) -> Future:
        """Runs this remote callable on the daemon; a Future of a RemotePythonObject."""
        if self.typeName in _NOT_CALLABLE:
            raise NotCallableError("the remote %s %s is not callable" % (self.typeName, self._id))
        return self._executor.submit(self, *args, **kwargs)

    def __del__(self) -> None:
        ex = getattr(self, "_executor", None)
        if ex is not None:
            try:
                ex._queue_release(self._id)
            except Exception:  # interpreter shutdown
                pass


def decode_downloaded(j: Any, object_id: str) -> Any:
    """The Python value of a downloaded object's encoding."""
    try:
        return _protocol.decode_value(j)
    except _protocol.Unconvertible as e:
        raise ForaToPythonConversionError(
            "the remote object %s is a %s, which cannot be downloaded" % (object_id, e.typename))
    except _protocol.DecodeError as e:
        raise PyforaError("the remote object %s could not be decoded: %s" % (object_id, e))


def too_large(object_id: str, err: dict, limit: int) -> ResultExceededBytecountThreshold:
    return ResultExceededBytecountThreshold(
        "the remote object %s takes %s bytes encoded, more than maxBytecount=%d"
        % (object_id, err.get("size", "?"), limit))


def run_in_thread(fn: Callable[[], None], name: str) -> None:
    threading.Thread(target=fn, name=name, daemon=True).start()
