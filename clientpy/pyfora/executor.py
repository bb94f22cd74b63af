"""Executor: a connection to pyforad and the entry point of remote with-blocks."""

import ast
import collections
import os
import threading
import time
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from . import _binary, _protocol, _walker
from ._connection import Connection, raise_for_error
from ._remote import Future, RemotePythonObject, decode_downloaded, run_in_thread, too_large
from ._withblock import Remotely, decode_results, make_remote_exception
from .exceptions import (ComputationError, ConnectionError, ForaToPythonConversionError,
                         NotCallableError, PyforaError)

POLL_WAIT_S = 30


class _Frame:
    """The two attributes of a frame that Walker.block reads, for synthetic blocks."""

    def __init__(self, names: Dict[str, Any]):
        self.f_locals = names
        self.f_globals: Dict[str, Any] = {}


RESULT_NAME = "__pyfora_result__"


def _call_document(fn: Any, args: tuple, kwargs: Dict[str, Any],
                   uploader: Any = None) -> Tuple[Dict[str, Any], List[str]]:
    """IR document of `__pyfora_result__ = fn(*args, **kwargs)`, the result kept remote."""
    names: Dict[str, Any] = {"__pyfora_fn__": fn}
    parts = []
    for i, a in enumerate(args):
        names["__pyfora_a%d__" % i] = a
        parts.append("__pyfora_a%d__" % i)
    for k, v in kwargs.items():
        if not k.isidentifier():
            raise TypeError("keyword argument names must be identifiers, not %r" % (k,))
        names["__pyfora_k_%s__" % k] = v
        parts.append("%s=__pyfora_k_%s__" % (k, k))
    src = "%s = __pyfora_fn__(%s)\n" % (RESULT_NAME, ", ".join(parts))
    return _synthetic_document(src, names, uploader)


def _proxy_not_callable(exc: Dict[str, Any]) -> bool:
    """Whether remote exception 'exc' (docs/protocol.md) is the TypeError of calling a
    non-callable at the call site of _call_document itself: its only traceback entry is the
    synthetic block's line, not a frame inside the called code."""
    tb = exc.get("traceback") or []
    return (exc.get("type") == "TypeError"
            and str(exc.get("message", "")).endswith("object is not callable")
            and len(tb) == 1 and isinstance(tb[0], dict)
            and tb[0].get("file") == _SYNTHETIC_FILE and tb[0].get("line") == 1)


_SYNTHETIC_FILE = "<pyfora>"


def _synthetic_document(src: str, names: Dict[str, Any], uploader: Any = None
                        ) -> Tuple[Dict[str, Any], List[str]]:
    """The document of block 'src' reading 'names', and the ids uploaded for it."""
    tree = ast.parse(src)
    sf = _walker.SourceFile(_SYNTHETIC_FILE, [src], tree)
    walker = _walker.Walker(uploader)
    try:
        block = walker.block(sf, tree.body, _Frame(names))  # type: ignore[arg-type]
        walker.run()
    except BaseException:
        if uploader is not None:
            uploader.__self__._release_later(walker.uploaded)
        raise
    doc = _protocol.build_document(walker.files, walker.defs, block)
    doc["download"] = "none"
    return doc, walker.uploaded


class Executor:
    """Submits with-blocks, functions and values to a pyfora daemon. Use pyfora.connect()."""

    def __init__(self, connection: Connection, hello: Optional[Dict[str, Any]] = None,
                 session: Optional[str] = None, lease: float = 60.0):
        self._connection = connection
        # the daemon releases this session's objects when no heartbeat came for 'lease' s
        self._session = session
        self._lease = lease
        self._closed = False
        self.serverInfo: Dict[str, Any] = dict(hello or {})
        # binary value encoding for downloads and for uploads of containers with at least
        # _upload_threshold items (False: the JSON encoding everywhere; the benchmark compares)
        self._binary_transfers = True
        self._upload_threshold = 10000
        self._local = threading.local()
        self._local.conn = connection
        self._releases: Deque[str] = collections.deque()
        self._release_event = threading.Event()
        self._stop_heartbeats = False  # tests: make this client look vanished
        # content-addressed definitions (docs/protocol.md): ids this daemon is known to hold;
        # used when its hello lists the "definitions" feature
        self._defs_enabled = "definitions" in (self.serverInfo.get("features") or [])
        self._known_defs: set = set()
        self._defs_lock = threading.Lock()
        self._flusher = threading.Thread(target=self._flush_loop, name="pyfora-release",
                                         daemon=True)
        self._flusher.start()

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Release the proxies already dropped and close the connection; the executor
        cannot be used afterwards."""
        if not self._closed:
            try:
                self._flush_releases()
            except (PyforaError, OSError):
                pass
            if self._session is not None:
                try:
                    self._request("DELETE", "/v1/sessions/%s" % self._session)
                except (PyforaError, OSError):
                    pass
            self._closed = True
            self._release_event.set()
            self._connection.close()

    def isClosed(self) -> bool:
        return self._closed

    @property
    def remotely(self) -> Remotely:
        """Policy object for remote with-blocks: `with executor.remotely:` (remoteAll),
        `.downloadAll()`, `.downloadSmall(bytecount=N)`, `.withStatusCallback(fn)`."""
        self._check_open()
        return Remotely(self)

    def _check_open(self) -> None:
        if self._closed:
            raise PyforaError("this pyfora Executor is closed")

    # -- HTTP, one connection per thread --------------------------------------
    def _request(self, method: str, path: str, body: Optional[bytes] = None,
                 timeout: Optional[float] = None) -> Tuple[int, Any]:
        return self._thread_connection().request(method, path, body, timeout=timeout)

    def _drop_thread_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn is not self._connection:
            conn.close()
            self._local.conn = None

    def getWorkerCount(self) -> int:
        """Number of live machines in the daemon's cluster (the coordinator included; a
        worker that stopped answering heartbeats, or left, is not counted)."""
        self._check_open()
        status, doc = self._request("GET", "/v1/cluster")
        raise_for_error(status, doc)
        return sum(1 for m in (doc.get("machines") or [])
                   if isinstance(m, dict) and m.get("state", "alive") == "alive")

    def _cluster_busy(self) -> Tuple[int, int]:
        status, doc = self._request("GET", "/v1/cluster")
        raise_for_error(status, doc)
        machines = doc.get("machines") or []
        return (sum(int(m.get("busy", 0)) for m in machines),
                sum(int(m.get("threads", 0)) for m in machines))

    # -- computations ----------------------------------------------------------
    def _sync_definitions(self, document: Dict[str, Any]) -> Dict[str, Any]:
        """Make sure the daemon holds the document's cacheable definitions: ask which of
        the ids not yet known to be there are missing, upload only those; returns the
        document with every cached definition listed in "definition_ids"."""
        cacheable = _protocol.cacheable_definitions(document)
        groups = {}   # member id -> its group's forms
        for forms in _protocol.cacheable_groups(document):
            for gid in _protocol.group_ids(forms):
                groups[gid] = forms
        if not cacheable and not groups:
            return document
        with self._defs_lock:
            unknown = sorted(i for i in list(cacheable) + list(groups)
                             if i not in self._known_defs)
        if unknown:
            status, doc = self._request("POST", "/v1/definitions/missing",
                                        _protocol.dumps_document({"ids": unknown}))
            raise_for_error(status, doc)
            missing = doc.get("missing") if isinstance(doc, dict) else None
            if not isinstance(missing, list):
                raise PyforaError("unexpected answer to POST /v1/definitions/missing: %r"
                                  % (doc,))
            if missing:
                defs = document["definitions"]
                # a group travels whole: the daemon checks its ids from all its forms
                send_groups = []
                ids = [i for i in missing if i in cacheable]
                for i in missing:
                    forms = groups.get(i)
                    if forms is not None and forms not in send_groups:
                        send_groups.append(forms)
                        ids.extend(_protocol.group_ids(forms))
                body = {"ir_version": document.get("ir_version", _protocol.IR_VERSION),
                        "files": document.get("files", []),
                        "definitions": {i: defs[i] for i in ids},
                        "canonical": {i: cacheable[i] for i in missing if i in cacheable}}
                if send_groups:
                    body["groups"] = send_groups
                status, doc = self._request("POST", "/v1/definitions",
                                            _protocol.dumps_document(body))
                raise_for_error(status, doc, document.get("files"))
            with self._defs_lock:
                self._known_defs.update(unknown)
        return _protocol.split_document(document, set(cacheable) | set(groups))

    def _submit(self, document: Dict[str, Any]) -> str:
        self._check_open()
        self._flush_releases()
        if self._session is not None:
            document["session"] = self._session
        sent = self._sync_definitions(document) if self._defs_enabled else document
        status, doc = self._request("POST", "/v1/computations", _protocol.dumps_document(sent))
        if (status == 404 and sent is not document and isinstance(doc, dict)
                and "definition_ids" in str((doc.get("error") or {}).get("message", ""))):
            # the daemon lost definitions we thought it held (restarted): send them inline
            with self._defs_lock:
                self._known_defs.clear()
            status, doc = self._request("POST", "/v1/computations",
                                        _protocol.dumps_document(document))
        raise_for_error(status, doc, document.get("files"))
        if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
            raise PyforaError("unexpected answer to POST /v1/computations: %r" % (doc,))
        return doc["id"]

    def _wait(self, cid: str, callback: Optional[Callable[[Dict[str, Any]], None]] = None
              ) -> Dict[str, Any]:
        timeout = self._connection.timeout
        wait = 1 if callback is not None else POLL_WAIT_S
        while True:
            status, doc = self._request("GET", "/v1/computations/%s?wait=%d" % (cid, wait),
                                        timeout=wait + timeout)
            raise_for_error(status, doc)
            if not isinstance(doc, dict):
                raise PyforaError("unexpected computation status %r" % (doc,))
            state = doc.get("state")
            if callback is not None:
                busy, total = self._cluster_busy()
                callback({"computation": cid, "cores_busy": busy, "cores_total": total,
                          "done": state == "done", "work": int(doc.get("work") or 0)})
            if state == "done":
                return doc
            if state != "running":
                raise PyforaError("computation %s is %s" % (cid, state))

    def _cancel(self, cid: str) -> None:
        """Stop computation 'cid' (a fresh connection: the current one may be mid-request)."""
        conn = Connection(self._connection.url, self._connection.timeout,
                              self._connection.token)
        try:
            conn.request("DELETE", "/v1/computations/%s" % cid)
        except (PyforaError, OSError):
            pass
        finally:
            conn.close()

    def _release_computation(self, cid: str) -> None:
        try:
            self._request("DELETE", "/v1/computations/%s" % cid)
        except PyforaError:
            pass

    def _run(self, document: Dict[str, Any],
             callback: Optional[Callable[[Dict[str, Any]], None]] = None) -> Dict[str, Any]:
        """Submit 'document', wait for it, release it; returns the result document."""
        cid = self._submit(document)
        try:
            result = self._wait(cid, callback)
        except KeyboardInterrupt:
            self._connection.close()
            self._cancel(cid)
            raise
        self._release_computation(cid)
        return result

    def _start(self, document: Dict[str, Any], uploaded: List[str],
               proxy: Optional[RemotePythonObject] = None) -> Future:
        """Submit 'document' now; a Future of its RESULT_NAME output (a RemotePythonObject),
        or of the remote exception as a ComputationError. 'uploaded' objects are released
        once it has run. 'proxy': the RemotePythonObject the document calls, if any (a
        TypeError "... is not callable" raised by that call itself is a NotCallableError)."""
        try:
            cid = self._submit(document)
        finally:
            self._release_later(uploaded)
        fut = Future(on_cancel=lambda: self._cancel(cid))

        def work() -> None:
            try:
                result = self._wait(cid)
                self._release_computation(cid)
                exc = result.get("exception")
                if exc and proxy is not None and _proxy_not_callable(exc):
                    fut._resolve(exc=NotCallableError(
                        "the remote %s %s is not callable" % (proxy.typeName, proxy.objectId)))
                    return
                if exc:
                    remote = make_remote_exception(exc)
                    fut._resolve(exc=ComputationError(remote, exc.get("traceback") or []))
                    return
                values, problems = decode_results(result.get("values") or {}, self)
                if RESULT_NAME not in values:
                    raise PyforaError("; ".join(problems) or "the computation returned nothing")
                fut._resolve(values[RESULT_NAME])
            except BaseException as e:  # delivered through the future
                fut._resolve(exc=e)
            finally:
                self._drop_thread_connection()

        if not fut.cancelled():
            run_in_thread(work, "pyfora-" + cid)
        return fut

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> Future:
        """Run fn(*args, **kwargs) on the daemon. Returns a pyfora.Future resolving to a
        RemotePythonObject of the result (ComputationError when the remote code raised).
        'fn' and the arguments may be local values, functions or RemotePythonObjects."""
        self._check_open()
        if not callable(fn):
            raise NotCallableError("%r is not callable" % (fn,))
        proxy = fn if isinstance(fn, RemotePythonObject) else None
        return self._start(*_call_document(fn, args, kwargs, self._upload), proxy=proxy)

    def define(self, obj: Any) -> Future:
        """Upload 'obj' (a value, function or class); a Future of its RemotePythonObject."""
        self._check_open()
        return self._start(*_synthetic_document("%s = __pyfora_obj__\n" % RESULT_NAME,
                                                {"__pyfora_obj__": obj}, self._upload))

    # -- objects ---------------------------------------------------------------
    def _download(self, proxy: RemotePythonObject, max_bytes: Optional[int]) -> Future:
        self._check_open()
        fut = Future()
        path = "/v1/objects/%s" % proxy.objectId
        if max_bytes is not None:
            if not isinstance(max_bytes, int) or max_bytes <= 0:
                raise ValueError("maxBytecount must be a positive int")
            path += "?max_bytes=%d" % max_bytes

        def work() -> None:
            try:
                if self._binary_transfers:
                    fut._resolve(self._download_binary(proxy, path, max_bytes))
                    return
                status, doc = self._request("GET", path)
                err = doc.get("error") if isinstance(doc, dict) else None
                if status == 413 and isinstance(err, dict):
                    raise too_large(proxy.objectId, err, max_bytes or 0)
                raise_for_error(status, doc)
                fut._resolve(decode_downloaded(doc.get("value"), proxy.objectId))
            except BaseException as e:
                fut._resolve(exc=e)
            finally:
                self._drop_thread_connection()

        run_in_thread(work, "pyfora-download")
        return fut

    def _thread_connection(self) -> Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = Connection(self._connection.url, self._connection.timeout,
                              self._connection.token)
        return conn

    def _download_binary(self, proxy: RemotePythonObject, path: str,
                         max_bytes: Optional[int]) -> Any:
        status, data, ctype = self._thread_connection().exchange(
            "GET", path, accept="application/octet-stream")
        if status == 200 and ctype.startswith("application/octet-stream"):
            try:
                return _binary.decode(data)
            except _binary.BinaryError as e:
                raise PyforaError("the remote object %s could not be decoded: %s"
                                  % (proxy.objectId, e))
        doc = _protocol.loads(data) if data else None
        err = doc.get("error") if isinstance(doc, dict) else None
        if status == 413 and isinstance(err, dict):
            raise too_large(proxy.objectId, err, max_bytes or 0)
        if status == 409 and isinstance(err, dict):
            raise ForaToPythonConversionError("the remote object %s cannot be downloaded: %s"
                                              % (proxy.objectId, err.get("message")))
        raise_for_error(status, doc)
        raise PyforaError("unexpected answer to GET %s (HTTP %d)" % (path, status))

    def _upload(self, value: Any) -> Optional[str]:
        """Uploads a large plain value in the binary encoding; its object id, or None when
        'value' is small or has no binary encoding (it then goes inline in the document)."""
        if not self._binary_transfers or not _binary.is_large(value, self._upload_threshold):
            return None
        try:
            body = _binary.encode(value)
        except _binary.BinaryError:
            return None
        path = "/v1/objects"
        if self._session is not None:
            path += "?session=" + self._session
        status, data, _ = self._thread_connection().exchange(
            "POST", path, body, content_type="application/octet-stream")
        doc = _protocol.loads(data) if data else None
        raise_for_error(status, doc)
        return doc["id"]

    def _release_later(self, ids: List[str]) -> None:
        for oid in ids:
            self._queue_release(oid)

    def _queue_release(self, object_id: str) -> None:
        if not self._closed:
            self._releases.append(object_id)
            self._release_event.set()

    def _flush_releases(self) -> None:
        ids = []
        while self._releases:
            try:
                ids.append(self._releases.popleft())
            except IndexError:
                break
        if ids and not self._closed:
            status, doc = self._request("POST", "/v1/objects/release",
                                        _protocol.dumps_document({"ids": ids}))
            raise_for_error(status, doc)

    def _heartbeat(self) -> None:
        if self._session is not None and not self._closed:
            self._request("POST", "/v1/sessions/%s/heartbeat" % self._session, b"{}")

    def _flush_loop(self) -> None:
        """Sends batched releases, and the session's heartbeats (three per lease)."""
        period = max(0.05, self._lease / 3.0)
        next_beat = time.monotonic() + period
        while not self._closed:
            self._release_event.wait(max(0.0, next_beat - time.monotonic()))
            if self._closed:
                break
            try:
                if self._release_event.is_set():
                    self._release_event.clear()
                    time.sleep(0.05)  # gather a batch
                    self._flush_releases()
                if time.monotonic() >= next_beat and not self._stop_heartbeats:
                    next_beat = time.monotonic() + period
                    self._heartbeat()
            except (PyforaError, OSError):
                pass
        self._drop_thread_connection()


def connect(url: str, timeout: float = 30.0, lease: float = 60.0,
            token: Optional[str] = None) -> Executor:
    """Connect to the pyfora daemon at 'url' (e.g. "http://localhost:30000"). The client
    sends a heartbeat three times per 'lease' seconds; if it vanishes, the daemon releases its
    objects once 'lease' seconds passed without one (and none of its computations runs).
    'token' is the daemon's shared secret (its --token), sent on every request; when None,
    the environment variable PYFORA_TOKEN is used if set."""
    if token is None:
        token = os.environ.get("PYFORA_TOKEN") or None
    conn = Connection(url, timeout, token)
    try:
        status, doc = conn.request("GET", "/v1/hello")
    except ConnectionError as e:
        conn.close()
        raise ConnectionError("could not connect to the pyfora daemon at %s: %s"
                              % (url, e.__cause__ or e)) from None
    except PyforaError as e:
        conn.close()
        raise ConnectionError("%s is not a pyfora daemon: %s" % (url, e)) from None
    if status == 401:
        conn.close()
        msg = doc.get("error", {}).get("message", "") if isinstance(doc, dict) else ""
        raise ConnectionError("the pyfora daemon at %s %s: %s"
                              % (url, "refused the token" if token else "requires a token",
                                 msg or "HTTP 401"))
    if status != 200 or not isinstance(doc, dict):
        conn.close()
        raise ConnectionError("%s is not a pyfora daemon (GET /v1/hello answered HTTP %d)"
                              % (url, status))
    if doc.get("protocol") != _protocol.PROTOCOL_VERSION:
        conn.close()
        raise ConnectionError("the pyfora daemon at %s speaks protocol %r; this client speaks %d"
                              % (url, doc.get("protocol"), _protocol.PROTOCOL_VERSION))
    session = None
    if not (isinstance(lease, (int, float)) and 0 < lease <= 86400):
        conn.close()
        raise ValueError("lease must be a number of seconds in (0, 86400]")
    status, sdoc = conn.request("POST", "/v1/sessions",
                                _protocol.dumps_document({"lease_s": float(lease)}))
    if status == 201 and isinstance(sdoc, dict) and isinstance(sdoc.get("session"), str):
        session = sdoc["session"]
    elif status != 404:   # 404: a daemon without sessions; objects then live until released
        conn.close()
        raise_for_error(status, sdoc)
    return Executor(conn, doc, session, float(lease))


