"""A fake DingTalk custom robot on a loopback port, as strict as the real one.

It checks the access_token, the ``timestamp`` + ``sign`` pair (HMAC-SHA256, fresh within
an hour of real time, as DingTalk's servers do), the keyword, the 20,000-byte limit and 20
messages a minute (sliding window on its clock, ``errcode`` 130101 beyond it). That clock
is ``robot.now``, set by the test: no test waits for a minute to pass. It can be told to fail the next K
requests (HTTP status or errcode) or to stall (read the request, never answer), and it
records what it accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Failure:
    status: int = 200
    errcode: int = 0
    errmsg: str = ""


@dataclass
class FakeRobot:
    now: datetime
    token: str = "robot-token-0123456789"
    secret: str | None = None
    keyword: str | None = None
    per_minute: int = 20
    skew_s: float = 0.0                 # how far DingTalk's real clock is ahead of ours (timestamp check)
    delivered: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)           # every errcode given (or -HTTP status)
    stalled: threading.Event = field(default_factory=threading.Event)
    _failures: deque[Failure] = field(default_factory=deque)
    _stall: bool = False
    _release: threading.Event = field(default_factory=threading.Event)
    _accepted_at: list[datetime] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                robot._handle(self, body)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def webhook(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/robot/send?access_token={self.token}"

    def fail(self, times: int, *, status: int = 200, errcode: int = 0, errmsg: str = "failure") -> None:
        """The next ``times`` requests get this answer instead of being delivered."""
        self._failures.extend(Failure(status, errcode, errmsg) for _ in range(times))

    def stall(self) -> None:
        """Every request from now on is read and never answered (until ``close``)."""
        self._stall = True

    def unstall(self) -> None:
        self._stall = False

    @property
    def texts(self) -> list[str]:
        return [p["markdown"]["text"] for p in self.delivered]

    def close(self) -> None:
        self._release.set()
        self._server.shutdown()
        self._server.server_close()

    # ---------------------------------------------------------------- the robot's judgement

    def _handle(self, handler: BaseHTTPRequestHandler, body: bytes) -> None:
        if self._stall:
            self.stalled.set()
            self._release.wait(timeout=120)
            return
        with self._lock:
            status, answer = self._judge(handler.path, body)
            self.answers.append(answer["errcode"] if status == 200 else -status)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _judge(self, path: str, body: bytes) -> tuple[int, dict[str, Any]]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
        if self._failures:
            failure = self._failures.popleft()
            return failure.status, {"errcode": failure.errcode, "errmsg": failure.errmsg}
        if query.get("access_token") != self.token:
            return 200, {"errcode": 300001, "errmsg": "token is not exist"}
        if self.secret is not None:
            refused = self._check_sign(query)
            if refused:
                return 200, {"errcode": 310000, "errmsg": refused}
        payload = json.loads(body)
        text = payload.get("markdown", {}).get("text", "")
        if self.keyword and self.keyword not in text + payload.get("markdown", {}).get("title", ""):
            return 200, {"errcode": 310000, "errmsg": "keywords not in content"}
        if len(text.encode()) > 20_000:
            return 200, {"errcode": 460101, "errmsg": "message too long, exceed 20000 bytes"}
        window = [t for t in self._accepted_at if t > self.now - timedelta(minutes=1)]
        if len(window) >= self.per_minute:
            return 200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
        self._accepted_at.append(self.now)
        self.delivered.append(payload)
        return 200, {"errcode": 0, "errmsg": "ok"}

    def _check_sign(self, query: dict[str, str]) -> str | None:
        assert self.secret is not None
        stamp = query.get("timestamp", "")
        wall_ms = (time.time() + self.skew_s) * 1000           # real time, as DingTalk's servers
        if not stamp.isdigit() or abs(int(stamp) - wall_ms) > 3_600_000:
            return "invalid timestamp"
        digest = hmac.new(self.secret.encode(), f"{stamp}\n{self.secret}".encode(), hashlib.sha256).digest()
        if query.get("sign") != base64.b64encode(digest).decode():
            return "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]"
        return None
