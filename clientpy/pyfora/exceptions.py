"""Exceptions raised by the pyfora client."""

from typing import Any, Dict, List, Optional


class PyforaError(Exception):
    """Base class of the client's errors."""


class ConnectionError(PyforaError):  # noqa: A001 - pyfora's historical name
    """The daemon cannot be reached or speaks another protocol."""


class ComputationError(PyforaError):
    """Remote code raised an exception that has no local builtin type."""

    def __init__(self, remoteException: Any, trace: Optional[List[Dict[str, Any]]] = None):
        self.remoteException = remoteException
        self.trace = trace or []
        super().__init__(remoteException, self.trace)

    def __str__(self) -> str:
        exc = self.remoteException
        if isinstance(exc, dict):
            head = "%s: %s" % (exc.get("type"), exc.get("message"))
        else:
            head = str(exc)
        lines = ["remote computation raised " + head]
        for entry in self.trace:
            lines.append('  File "%s", line %s, in %s'
                         % (entry.get("file"), entry.get("line"), entry.get("function")))
        return "\n".join(lines)


class PythonToForaConversionError(PyforaError):
    """Code or values that cannot be converted to pyfora (forbidden constructs)."""

    def __init__(self, message: str, file: Optional[str] = None, line: Optional[int] = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line


class ForaToPythonConversionError(PyforaError):
    """A remote result that cannot be turned into a Python value."""


class CantGetSourceTextError(PyforaError):
    """The source text of the with-block or of a function is not available."""


class BadWithBlockError(PyforaError):
    """The with-block cannot be run remotely (return, yield, break ... in its body)."""


class NotCallableError(PyforaError):
    """A non-callable was submitted as a function."""


class UnconvertibleValueError(PyforaError):
    """A value reached by the block cannot be shipped to the daemon."""


class InvalidPyforaOperation(Exception):
    """Remote code attempted an operation pyfora cannot reproduce faithfully.

    Deliberately not a PyforaError, as in the original pyfora."""


class ResultExceededBytecountThreshold(PyforaError):
    """A result was larger than the downloadSmall() threshold."""
