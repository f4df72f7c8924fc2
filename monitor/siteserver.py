"""A small threaded HTTP server for an in-memory site: the demo portal and the test fixtures.

Pages are set as bytes with a content type; the server answers conditional GETs
(ETag / If-None-Match, Last-Modified / If-Modified-Since) like nginx does, logs
every request (tests assert on it), and can delay or fail a path on purpose.
It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    mtime: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str
    headers: dict[str, str]


Handler = Callable[[BaseHTTPRequestHandler], None]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client hanging up mid-answer (timeouts, size caps under test) is expected, not news."""


class SiteServer:
    """Serve ``resources`` (path → Resource) on a free loopback port until ``stop()``."""

    def __init__(self, port: int = 0) -> None:
        self.resources: dict[str, Resource] = {}
        self.handlers: dict[str, Handler] = {}
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._httpd = _QuietServer(("127.0.0.1", port), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def set(self, path: str, body: bytes | str, content_type: str = "text/html; charset=utf-8",
            *, status: int = 200, headers: dict[str, str] | None = None, delay_s: float = 0.0) -> None:
        """Publish (or replace) a page; ``str`` bodies are encoded as UTF-8."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        with self._lock:
            self.resources[path] = Resource(data, content_type, status, headers or {}, delay_s)

    def remove(self, path: str) -> None:
        with self._lock:
            self.resources.pop(path, None)

    def route(self, path: str, handler: Handler) -> None:
        """Answer ``path`` with custom code (a failure route: slow drip, reset, redirect loop …)."""
        self.handlers[path] = handler

    def paths_requested(self, method: str | None = None) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests if method is None or r.method == method]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def start(self) -> SiteServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="siteserver",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_HEAD(self) -> None:
                self._answer(head=True)

            def do_GET(self) -> None:
                self._answer(head=False)

            def _answer(self, head: bool) -> None:
                path = urlsplit(self.path).path
                with server._lock:
                    server.requests.append(LoggedRequest(self.command, self.path, dict(self.headers)))
                    resource = server.resources.get(path) or server.resources.get(self.path)
                handler = server.handlers.get(path)
                if handler is not None:
                    handler(self)
                    return
                if resource is None:
                    self._send(404, b"<html><body>404 Not Found</body></html>",
                               {"Content-Type": "text/html"}, head)
                    return
                if resource.delay_s:
                    time.sleep(resource.delay_s)
                headers = {"Content-Type": resource.content_type, "ETag": resource.etag,
                           "Last-Modified": formatdate(resource.mtime, usegmt=True)}
                headers.update(resource.headers)
                if resource.status == 200 and self.headers.get("If-None-Match") == resource.etag:
                    self._send(304, b"", headers, head=True)
                    return
                self._send(resource.status, resource.body, headers, head)

            def _send(self, status: int, body: bytes, headers: dict[str, str], head: bool) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0" if status == 304 else str(len(body)))
                self.end_headers()
                if not head and status != 304:
                    self.wfile.write(body)

        return _Handler
