"""HTTP/1.1 keep-alive connection to pyforad (docs/protocol.md)."""

import http.client
import socket
import urllib.parse
from typing import Any, Optional, Tuple

from . import _protocol
from .exceptions import ConnectionError, PyforaError, PythonToForaConversionError

_RETRYABLE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
              http.client.CannotSendRequest, http.client.BadStatusLine)


class Connection:
    """One keep-alive HTTP connection; reconnects once when a reused socket was closed."""

    def __init__(self, url: str, timeout: float = 30.0, token: Optional[str] = None):
        parsed = urllib.parse.urlsplit(url if "//" in url else "http://" + url)
        if parsed.scheme != "http" or not parsed.hostname:
            raise ConnectionError("unsupported pyfora URL %r (expected http://HOST:PORT)" % url)
        self.url = url
        self.host = parsed.hostname
        self.port = parsed.port or 30000
        self.prefix = parsed.path.rstrip("/")
        self.timeout = timeout
        self.token = token or None
        self._conn: Optional[http.client.HTTPConnection] = None
        self._used = False

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._used = False
        return self._conn

    def request(self, method: str, path: str, body: Optional[bytes] = None,
                timeout: Optional[float] = None) -> Tuple[int, Any]:
        """Send one request; returns (status, decoded JSON body)."""
        status, data, _ = self.exchange(method, path, body, timeout=timeout)
        try:
            doc = _protocol.loads(data) if data else None
        except (ValueError, _protocol.DecodeError) as e:
            raise PyforaError("the pyfora daemon at %s sent invalid JSON (HTTP %d): %s"
                              % (self.url, status, e))
        return status, doc

    def exchange(self, method: str, path: str, body: Optional[bytes] = None,
                 content_type: str = "application/json", accept: str = "application/json",
                 timeout: Optional[float] = None) -> Tuple[int, bytes, str]:
        """Send one request; returns (status, raw body, Content-Type of the answer)."""
        headers = {"Accept": accept}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if body is not None:
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            conn = self._connection()
            reused = self._used
            conn.timeout = timeout if timeout is not None else self.timeout
            if conn.sock is not None:
                conn.sock.settimeout(conn.timeout)
            try:
                conn.request(method, self.prefix + path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
            except _RETRYABLE as e:
                self.close()
                if reused and attempt == 0:
                    continue
                raise ConnectionError("lost the connection to the pyfora daemon at %s: %s"
                                      % (self.url, e)) from e
            except (OSError, socket.timeout, http.client.HTTPException) as e:
                self.close()
                raise ConnectionError("cannot talk to the pyfora daemon at %s: %s"
                                      % (self.url, e)) from e
            except BaseException:
                self.close()
                raise
            self._used = True
            if resp.will_close:
                self.close()
            return resp.status, data, resp.getheader("Content-Type") or ""
        raise AssertionError("unreachable")  # pragma: no cover


def raise_for_error(status: int, doc: Any, files: Optional[list] = None) -> None:
    """Turn a 4xx/5xx answer into the matching client exception."""
    if status < 400:
        return
    err = doc.get("error") if isinstance(doc, dict) else None
    if not isinstance(err, dict):
        raise PyforaError("pyfora daemon answered HTTP %d: %r" % (status, doc))
    etype = err.get("type", "Error")
    message = err.get("message", "")
    if etype == "PythonToForaConversionError":
        file = err.get("file")
        if isinstance(file, int) and files is not None and 0 <= file < len(files):
            file = files[file]
        line = err.get("line")
        text = message
        if file is not None and line is not None:
            from ._convert import format_location
            lines = []
            try:
                import linecache
                lines = [ln.rstrip("\n") for ln in linecache.getlines(str(file))]
            except Exception:  # pragma: no cover
                pass
            text = message + format_location(str(file), int(line), lines)
        raise PythonToForaConversionError(text, file, line)
    raise PyforaError("pyfora daemon refused the request (HTTP %d, %s): %s"
                      % (status, etype, message))
