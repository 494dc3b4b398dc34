"""What a delivery sends: the JSON message, its Standard Webhooks headers, and a human summary."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from standardwebhooks.webhooks import Webhook


@dataclass(frozen=True)
class Delivery:
    """A claimed delivery (one row of app.notify_claim)."""

    id: str
    tenant_id: str
    subscription_id: str
    channel: str
    target: str
    secrets: list[str]
    event_type: str
    message: str  # JSON: id, type, version, tenant_id, timestamp, data
    attempts: int

    @property
    def data(self) -> dict[str, Any]:
        body = orjson.loads(self.message)
        data = body.get("data")
        return data if isinstance(data, dict) else {}


@dataclass
class Result:
    tenant_id: str
    id: str
    ok: bool
    response_code: int | None = None
    latency_ms: int | None = None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"tenant_id": self.tenant_id, "id": self.id, "ok": self.ok, "response_code": self.response_code,
                "latency_ms": self.latency_ms, "error": self.error}


def webhook_headers(delivery: Delivery, now: datetime | None = None) -> dict[str, str]:
    """webhook-id (the delivery id: the same on every retry), webhook-timestamp and webhook-signature
    (one v1 signature per unexpired secret, newest first, space-separated: secret rotation)."""
    at = now or datetime.now(UTC)
    body = delivery.message.encode()
    signatures = " ".join(Webhook(secret).sign(delivery.id, at, body) for secret in delivery.secrets)
    return {
        "content-type": "application/json",
        "user-agent": "motovault-notify/1",
        "webhook-id": delivery.id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }


def summary(delivery: Delivery) -> tuple[str, str]:
    """(title, body) for email and push."""
    data = delivery.data
    what = {
        "reminder.due_soon": "Reminder due soon",
        "reminder.overdue": "Reminder overdue",
        "member.invited": "Member invited",
        "import.finished": "Import finished",
    }.get(delivery.event_type, delivery.event_type)
    title = f"motovault: {what}" + (f": {data['title']}" if isinstance(data.get("title"), str) else "")
    lines = [f"{k}: {v}" for k, v in data.items() if v is not None]
    body = "\n".join([f"Event {delivery.event_type} (message {delivery.id})", *lines])
    return title, body
