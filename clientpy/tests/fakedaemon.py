"""A tiny in-process fake pyforad built on http.server (no pytest needed)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeDaemon:
    """Answers /v1/hello and /v1/computations with canned results.

    'result' is a dict (values/exception) or a callable(document) -> dict."""

    def __init__(self):
        self.hello = {"protocol": 1, "ir_version": 1, "server": "fake 0", "workers": 1,
                      "threads": 1}
        self.result = {"values": {}, "exception": None}
        self.post_error = None       # (status, body) to answer POST with
        self.running_polls = 0       # answer "running" this many times first
        self.documents = []
        self.connections = 0
        self.close_connections = False   # answer every request with Connection: close
        self.requests = []
        self.deleted = []
        self.lock = threading.Lock()
        # content-addressed definitions: None = feature off (hello does not list it);
        # enable_definitions() makes this a dict id -> definition served by
        # POST /v1/definitions and POST /v1/definitions/missing
        self.definitions = None
        self.definition_uploads = []   # bodies of POST /v1/definitions
        self.missing_queries = []      # ids asked in POST /v1/definitions/missing
        daemon = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def setup(self):
                with daemon.lock:
                    daemon.connections += 1
                BaseHTTPRequestHandler.setup(self)

            def _send(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if daemon.close_connections:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                with daemon.lock:
                    daemon.requests.append(("GET", self.path))
                if self.path == "/v1/hello":
                    return self._send(200, daemon.hello)
                if self.path.startswith("/v1/computations/c1"):
                    with daemon.lock:
                        if daemon.running_polls > 0:
                            daemon.running_polls -= 1
                            return self._send(200, {"id": "c1", "state": "running"})
                    res = daemon.result
                    if callable(res):
                        res = res(daemon.documents[-1])
                    body = {"id": "c1", "state": "done", "values": {}, "exception": None}
                    body.update(res)
                    return self._send(200, body)
                self._send(404, {"error": {"type": "NotFound", "message": self.path}})

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(n)
                if daemon.definitions is not None and self.path in (
                        "/v1/definitions", "/v1/definitions/missing"):
                    body = json.loads(raw)
                    with daemon.lock:
                        daemon.requests.append(("POST", self.path))
                        if self.path == "/v1/definitions/missing":
                            daemon.missing_queries.append(list(body["ids"]))
                            missing = [i for i in body["ids"] if i not in daemon.definitions]
                            return self._send(200, {"missing": missing})
                        daemon.definition_uploads.append(body)
                        daemon.definitions.update(body["definitions"])
                    return self._send(200, {"stored": len(body["definitions"])})
                if self.path != "/v1/computations":   # no sessions, no objects here
                    return self._send(404, {"error": {"type": "NotFound",
                                                      "message": self.path}})
                with daemon.lock:
                    daemon.requests.append(("POST", self.path))
                    daemon.documents.append(json.loads(raw))
                if daemon.post_error is not None:
                    return self._send(*daemon.post_error)
                self._send(201, {"id": "c1", "state": "running"})

            def do_DELETE(self):
                with daemon.lock:
                    daemon.requests.append(("DELETE", self.path))
                    daemon.deleted.append(self.path)
                self._send(200, {"id": "c1", "state": "released"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def enable_definitions(self):
        self.definitions = {}
        self.hello["features"] = ["definitions"]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
