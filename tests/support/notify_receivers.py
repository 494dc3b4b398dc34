"""Real servers on 127.0.0.1 for the notification tests: a webhook receiver that verifies Standard
Webhooks signatures (PyPI standardwebhooks) and can fail, stall, redirect or be down; an
ntfy-compatible push receiver; an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    webhook_id: str
    body: bytes
    headers: dict[str, str]
    verified: bool

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Behaviour:
    status: int = 200
    fail_first: int = 0  # answer 500 to this many requests first
    stall: threading.Event | None = None  # hold every request until set
    redirect_to: str | None = None  # answer 307 with this Location


@dataclass
class WebhookReceiver:
    """POST anywhere: records each request; verified=True when a signature of any secret matches."""

    secrets: list[str] = field(default_factory=list)
    port: int = field(default_factory=free_port)
    behaviour: Behaviour = field(default_factory=Behaviour)
    received: list[Received] = field(default_factory=list)
    hits: int = 0  # requests that reached the handler (before any stall)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def verify(self, body: bytes, headers: dict[str, str]) -> bool:
        for secret in self.secrets:
            try:
                Webhook(secret).verify(body, headers)
                return True
            except WebhookVerificationError:
                continue
        return False

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                b = receiver.behaviour
                with receiver.arrived:
                    receiver.hits += 1
                    receiver.arrived.notify_all()
                if b.stall is not None:
                    b.stall.wait(30)
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.arrived:
                    receiver.received.append(
                        Received(headers.get("webhook-id", ""), body, headers, receiver.verify(body, headers)))
                    failing = b.fail_first > 0
                    if failing:
                        b.fail_first -= 1
                    receiver.arrived.notify_all()
                if b.redirect_to:
                    self.send_response(307)
                    self.send_header("location", b.redirect_to)
                    status = None
                else:
                    status = 500 if failing else b.status
                    self.send_response(status)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def ids(self) -> set[str]:
        with self.arrived:
            return {r.webhook_id for r in self.received}

    def wait_for_hits(self, count: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while self.hits < count and time.monotonic() < deadline:
                self.arrived.wait(0.1)

    def wait_for(self, count: int, timeout: float = 20.0) -> None:
        """Until `count` distinct webhook-ids arrived (or the timeout: the assertions then say what is missing)."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len({r.webhook_id for r in self.received}) < count and time.monotonic() < deadline:
                self.arrived.wait(0.1)


@contextmanager
def webhook_receiver(secrets: list[str] | None = None) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(secrets=list(secrets or [])).start()
    try:
        yield receiver
    finally:
        receiver.stop()


@dataclass
class NtfyReceiver:
    """An ntfy-compatible server: what Apprise's ntfy plugin posts (JSON with topic, title, message)."""

    port: int = field(default_factory=free_port)
    messages: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def start(self) -> NtfyReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                try:
                    message = json.loads(body)
                except ValueError:
                    message = {"topic": self.path.strip("/"), "title": self.headers.get("X-Title"),
                               "message": body.decode(errors="replace")}
                receiver.messages.append(message)
                answer = json.dumps({"id": str(len(receiver.messages)), "event": "message"}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
