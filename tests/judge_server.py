"""A real OpenAI-compatible HTTP server on 127.0.0.1 with scripted replies, for the judge's tests.

Each test queues replies (the last one repeats) or sets a handler; every request is recorded
with its headers and JSON body so tests can check what the judge really sent.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL_ID = "scripted-judge"


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # dict -> JSON, str -> sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, str]]:
        return self.body.get("messages", [])

    @property
    def prompt(self) -> str:
        return "\n".join(message["content"] for message in self.messages)

    @property
    def response_type(self) -> str | None:
        return (self.body.get("response_format") or {}).get("type")


def completion(content: str, *, finish_reason: str = "stop", prompt_tokens: int = 120,
               completion_tokens: int = 40, delay: float = 0.0) -> Reply:
    return Reply(body={
        "id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()), "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }, delay=delay)


def structured(data: dict[str, Any], **kwargs: Any) -> Reply:
    return completion(json.dumps(data), **kwargs)


def error(status: int, message: str, *, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status=status, body={"error": {"message": message, "type": "scripted", "code": status}},
                 headers=headers or {})


class JudgeServer:
    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._queue: list[Reply] = []
        self._handler: Callable[[Recorded], Reply] | None = None
        self._lock = threading.Lock()
        self._connections: list[socket.socket] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._make_handler())
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    @property
    def chat_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self._handler = None
            self._queue = list(replies)

    def handle(self, handler: Callable[[Recorded], Reply]) -> None:
        with self._lock:
            self._handler = handler

    def _next(self, recorded: Recorded) -> Reply:
        with self._lock:
            self.requests.append(recorded)
            if recorded.path.endswith("/models"):
                return Reply(body={"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]})
            if self._handler is not None:
                handler = self._handler
            elif not self._queue:
                return error(500, "no scripted reply")
            else:
                return self._queue.pop(0) if len(self._queue) > 1 else self._queue[0]
        return handler(recorded)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def die(self) -> None:
        """Stop like a killed server: no longer listening, and every open connection reset."""
        self.close()
        with self._lock:
            connections, self._connections = list(self._connections), []
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            except OSError:
                pass

    def _make_handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms delayed-ACK stall

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server._connections.append(self.connection)

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else {}
                reply = server._next(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                if reply.delay:
                    time.sleep(reply.delay)
                payload = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = payload.encode("utf-8")
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_POST = _serve
            do_GET = _serve

        return Handler
