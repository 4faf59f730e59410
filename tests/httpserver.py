"""A real HTTP server on 127.0.0.1 for tests of anything fetched. Routes map a path to a list of
responses (status, headers, body) served in turn (the last one repeats); every request is recorded.

A route may also be a function of the ``Request`` that returns the ``Response`` (a fake API that reads what
it is asked). GET and POST are served alike (the route decides, whatever the method). ``requests`` keeps
(method, path, headers) for each request; ``log`` keeps ``Request`` objects that also carry the body
(``Request.json()`` for a JSON body). ``max_in_flight`` is the most requests the server was answering at
once; a response with ``wait_for_company`` holds its answer until another request is in flight too (or a
second has passed), so a test can see whether two requests could overlap."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    declare_length: bool = True  # False: no Content-Length, the body ends when the connection closes
    wait_for_company: bool = False  # see the module docstring
    drip: float = 0.0  # seconds between bytes of the body (a slow server that never lets a read time out)
    drip_head: bool = False  # drip the status line and headers too


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes = b""

    def json(self):
        return json.loads(self.body)


class LoopbackServer:
    def __init__(self):
        self.routes: dict[str, list[Response]] = {}
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers)
        self.log: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._served: dict[str, int] = defaultdict(int)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                self._answer("GET")

            def do_POST(self):  # noqa: N802
                self._answer("POST")

            def _answer(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(method, self.path, dict(self.headers), body)
                with server._lock:
                    server.requests.append((method, self.path, dict(self.headers)))
                    server.log.append(request)
                    responses = server.routes.get(self.path) or [Response(404, b"not found")]
                    index = min(server._served[self.path], len(responses) - 1)
                    server._served[self.path] += 1
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                response = responses[index]
                try:
                    if callable(response):
                        response = response(request)
                    if response.wait_for_company:
                        end = time.monotonic() + 1.0
                        while server.in_flight < 2 and time.monotonic() < end:
                            time.sleep(0.01)
                    if response.drip:
                        self._drip(response)
                        return
                    self.send_response(response.status)
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    if response.declare_length and "Content-Length" not in response.headers:
                        self.send_header("Content-Length", str(len(response.body)))
                    if not response.declare_length:
                        self.close_connection = True
                    self.end_headers()
                    if method != "HEAD" and response.status != 304:
                        self.wfile.write(response.body)
                finally:
                    with server._lock:
                        server.in_flight -= 1

            def _drip(self, response):
                head = f"HTTP/1.1 {response.status} Slow\r\n".encode()
                headers = dict(response.headers)
                if response.declare_length:
                    headers.setdefault("Content-Length", str(len(response.body)))
                head += b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items()) + b"Connection: close\r\n\r\n"
                self.close_connection = True
                try:
                    if not response.drip_head:
                        self.wfile.write(head)
                        self.wfile.flush()
                        head = b""
                    for byte in head + response.body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(response.drip)
                except OSError:  # the client hung up (as it should when its deadline passes)
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, path: str, *responses: Response | Callable[[Request], Response]) -> str:
        self.routes[path] = list(responses)
        self._served[path] = 0
        return self.base + path

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p == path)

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
