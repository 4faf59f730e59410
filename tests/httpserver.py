"""A real HTTP server on 127.0.0.1 for tests of anything fetched. Routes map a path to a list of
responses (status, headers, body) served in turn (the last one repeats); every request is recorded."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    declare_length: bool = True  # False: no Content-Length, the body ends when the connection closes


class LoopbackServer:
    def __init__(self):
        self.routes: dict[str, list[Response]] = {}
        self.requests: list[tuple[str, str, dict]] = []  # (method, path, headers)
        self._served: dict[str, int] = defaultdict(int)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                server.requests.append(("GET", self.path, dict(self.headers)))
                responses = server.routes.get(self.path) or [Response(404, b"not found")]
                index = min(server._served[self.path], len(responses) - 1)
                server._served[self.path] += 1
                response = responses[index]
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                if response.declare_length and "Content-Length" not in response.headers:
                    self.send_header("Content-Length", str(len(response.body)))
                if not response.declare_length:
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(response.body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def serve(self, path: str, *responses: Response) -> str:
        self.routes[path] = list(responses)
        self._served[path] = 0
        return self.base + path

    def hits(self, path: str) -> int:
        return sum(1 for _, p, _ in self.requests if p == path)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
