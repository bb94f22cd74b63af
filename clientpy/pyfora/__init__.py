"""pyfora: run purely functional Python blocks on a pyforad daemon.

    import pyfora
    executor = pyfora.connect("http://localhost:30000")
    with executor.remotely.downloadAll():
        result = sum(isPrime(x) for x in range(10 ** 6))
"""

from .exceptions import (BadWithBlockError, CantGetSourceTextError, ComputationError,
                         ConnectionError, ForaToPythonConversionError, InvalidPyforaOperation,
                         NotCallableError, PyforaError, PythonToForaConversionError,
                         ResultExceededBytecountThreshold, UnconvertibleValueError)
from .executor import Executor, connect
from ._remote import Future, RemotePythonObject
from concurrent.futures import CancelledError, TimeoutError  # noqa: A004

__version__ = "0.1.0"

__all__ = [
    "connect", "Executor", "PyforaError", "ConnectionError", "ComputationError",
    "PythonToForaConversionError", "ForaToPythonConversionError", "CantGetSourceTextError",
    "BadWithBlockError", "NotCallableError", "UnconvertibleValueError",
    "InvalidPyforaOperation", "ResultExceededBytecountThreshold", "Future",
    "RemotePythonObject", "CancelledError", "TimeoutError",
]
