"""Executor: a connection to pyforad and the entry point of remote with-blocks."""

from typing import Any, Dict, Optional

from . import _protocol
from ._connection import Connection, raise_for_error
from ._withblock import Remotely
from .exceptions import ConnectionError, PyforaError

POLL_WAIT_S = 30


class Executor:
    """Submits with-blocks to a pyfora daemon. Use pyfora.connect() to make one."""

    def __init__(self, connection: Connection, hello: Optional[Dict[str, Any]] = None):
        self._connection = connection
        self._closed = False
        self.serverInfo: Dict[str, Any] = dict(hello or {})

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; the executor cannot be used afterwards."""
        if not self._closed:
            self._closed = True
            self._connection.close()

    def isClosed(self) -> bool:
        return self._closed

    @property
    def remotely(self) -> "Remotely":
        """Policy object for remote with-blocks: `with executor.remotely.downloadAll():`."""
        self._check_open()
        return Remotely(self)

    def _check_open(self) -> None:
        if self._closed:
            raise PyforaError("this pyfora Executor is closed")

    # -- computations ------------------------------------------------------
    def _submit(self, document: Dict[str, Any]) -> str:
        self._check_open()
        status, doc = self._connection.request("POST", "/v1/computations",
                                               _protocol.dumps_document(document))
        raise_for_error(status, doc, document.get("files"))
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise PyforaError("unexpected answer to POST /v1/computations: %r" % (doc,))
        return doc["id"]

    def _wait(self, cid: str) -> Dict[str, Any]:
        timeout = self._connection.timeout
        while True:
            status, doc = self._connection.request(
                "GET", "/v1/computations/%s?wait=%d" % (cid, POLL_WAIT_S),
                timeout=POLL_WAIT_S + timeout)
            raise_for_error(status, doc)
            if not isinstance(doc, dict):
                raise PyforaError("unexpected computation status %r" % (doc,))
            state = doc.get("state")
            if state == "done":
                return doc
            if state != "running":
                raise PyforaError("computation %s is %s" % (cid, state))

    def _cancel(self, cid: str) -> None:
        try:
            self._connection.close()
            self._connection.request("DELETE", "/v1/computations/%s" % cid)
        except (PyforaError, OSError):
            pass

    def _run(self, document: Dict[str, Any]) -> Dict[str, Any]:
        """Submit 'document', wait for it, release it; returns the result document."""
        cid = self._submit(document)
        try:
            result = self._wait(cid)
        except KeyboardInterrupt:
            self._cancel(cid)
            raise
        try:
            self._connection.request("DELETE", "/v1/computations/%s" % cid)
        except PyforaError:
            pass
        return result


def connect(url: str, timeout: float = 30.0) -> Executor:
    """Connect to the pyfora daemon at 'url' (e.g. "http://localhost:30000")."""
    conn = Connection(url, timeout)
    try:
        status, doc = conn.request("GET", "/v1/hello")
    except ConnectionError as e:
        conn.close()
        raise ConnectionError("could not connect to the pyfora daemon at %s: %s"
                              % (url, e.__cause__ or e)) from None
    except PyforaError as e:
        conn.close()
        raise ConnectionError("%s is not a pyfora daemon: %s" % (url, e)) from None
    if status != 200 or not isinstance(doc, dict):
        conn.close()
        raise ConnectionError("%s is not a pyfora daemon (GET /v1/hello answered HTTP %d)"
                              % (url, status))
    if doc.get("protocol") != _protocol.PROTOCOL_VERSION:
        conn.close()
        raise ConnectionError("the pyfora daemon at %s speaks protocol %r; this client speaks %d"
                              % (url, doc.get("protocol"), _protocol.PROTOCOL_VERSION))
    return Executor(conn, doc)


