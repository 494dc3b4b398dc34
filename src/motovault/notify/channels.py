"""The channels: a webhook (httpx), email (smtplib), push (Apprise). Each send returns a Result and
never raises: the worker records every outcome with app.notify_finish."""

from __future__ import annotations

import os
import smtplib
import time
from collections.abc import Collection
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import urljoin

import httpx

from .guard import RefusedTarget, check_host, check_url
from .message import Delivery, Result, summary, webhook_headers

#: redirects a webhook may answer with; the request is repeated (same body and headers) at the new
#: location only if it passes the guard; other 3xx answers are failures
FOLLOWED_REDIRECTS = (307, 308)
MAX_REDIRECTS = 3

#: Apprise schemes whose host the subscriber chooses (self-hosted services): that host is guarded.
#: Services at fixed public hosts (Telegram, Discord, Pushover ...) carry tokens where a host would be.
SELF_HOSTED_SCHEMES = frozenset({
    "ntfy", "ntfys", "gotify", "gotifys", "json", "jsons", "xml", "xmls", "form", "forms", "matrix", "matrixs",
    "mmost", "mmosts", "rocket", "rockets", "apprise", "apprises", "ncloud", "nclouds", "nctalk", "nctalks",
    "mqtt", "mqtts", "signal", "signals", "rsyslog", "syslog", "kodi", "kodis", "xbmc", "xbmcs",
})


def _ms(t0: float) -> int:
    return int((time.monotonic() - t0) * 1000)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:500]


def send_webhook(client: httpx.Client, delivery: Delivery, allowed: Collection[str]) -> Result:
    t0 = time.monotonic()
    url = delivery.target
    body = delivery.message.encode()
    headers = webhook_headers(delivery)
    try:
        for _ in range(MAX_REDIRECTS + 1):
            check_url(url, allowed)
            response = client.post(url, content=body, headers=headers)
            if response.status_code in FOLLOWED_REDIRECTS and "location" in response.headers:
                url = urljoin(url, response.headers["location"])
                continue
            ok = 200 <= response.status_code < 300
            error = None if ok else f"HTTP {response.status_code}: {response.text[:200]}"
            return Result(delivery.tenant_id, delivery.id, ok, response.status_code, _ms(t0), error)
        return Result(delivery.tenant_id, delivery.id, False, None, _ms(t0), f"more than {MAX_REDIRECTS} redirects")
    except RefusedTarget as exc:
        return Result(delivery.tenant_id, delivery.id, False, None, _ms(t0), f"refused: {exc}")
    except httpx.HTTPError as exc:
        return Result(delivery.tenant_id, delivery.id, False, None, _ms(t0), _short(exc))


@dataclass(frozen=True)
class SmtpSettings:
    """Where email goes: $MOTOVAULT_SMTP_HOST (default 127.0.0.1), $MOTOVAULT_SMTP_PORT (25),
    $MOTOVAULT_SMTP_FROM, $MOTOVAULT_SMTP_USER / $MOTOVAULT_SMTP_PASSWORD (login when set),
    $MOTOVAULT_SMTP_STARTTLS=1."""

    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "motovault@localhost"
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_env(cls) -> SmtpSettings:
        env = os.environ
        return cls(
            host=env.get("MOTOVAULT_SMTP_HOST", "127.0.0.1"),
            port=int(env.get("MOTOVAULT_SMTP_PORT", "25")),
            sender=env.get("MOTOVAULT_SMTP_FROM", "motovault@localhost"),
            user=env.get("MOTOVAULT_SMTP_USER") or None,
            password=env.get("MOTOVAULT_SMTP_PASSWORD") or None,
            starttls=env.get("MOTOVAULT_SMTP_STARTTLS", "") in ("1", "true", "yes"),
        )


def email_message(delivery: Delivery, sender: str) -> EmailMessage:
    title, text = summary(delivery)
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = delivery.target
    mail["Subject"] = title
    mail["Message-ID"] = f"<{delivery.id}@motovault>"  # the same on every retry: mail clients fold duplicates
    mail["X-Motovault-Event"] = delivery.event_type
    mail.set_content(text + "\n")
    mail.add_attachment(delivery.message.encode(), maintype="application", subtype="json", filename="event.json")
    return mail


def smtp_send(settings: SmtpSettings, mail: EmailMessage) -> None:
    """Sends one mail (raises smtplib.SMTPException or OSError): the email channel and account mail."""
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls()
        if settings.user:
            smtp.login(settings.user, settings.password or "")
        smtp.send_message(mail)


def send_email(settings: SmtpSettings, delivery: Delivery) -> Result:
    t0 = time.monotonic()
    try:
        smtp_send(settings, email_message(delivery, settings.sender))
        return Result(delivery.tenant_id, delivery.id, True, 250, _ms(t0))
    except smtplib.SMTPResponseException as exc:
        return Result(delivery.tenant_id, delivery.id, False, exc.smtp_code, _ms(t0), _short(exc))
    except (OSError, smtplib.SMTPException) as exc:
        return Result(delivery.tenant_id, delivery.id, False, None, _ms(t0), _short(exc))


def check_push_target(url: str, allowed: Collection[str]) -> None:
    """Guards the host of a self-hosted push service (ntfy on your own server, Gotify, JSON ...)."""
    import apprise

    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:
        raise RefusedTarget("not an Apprise URL Apprise knows")
    scheme = url.split("://", 1)[0].lower()
    host = getattr(plugin, "host", None)
    if scheme in SELF_HOSTED_SCHEMES and host and getattr(plugin, "mode", "private") != "cloud":
        port = getattr(plugin, "port", None) or (443 if getattr(plugin, "secure", False) else 80)
        check_host(str(host), int(port), allowed)


def send_push(delivery: Delivery, allowed: Collection[str]) -> Result:
    import apprise

    t0 = time.monotonic()
    try:
        check_push_target(delivery.target, allowed)
        title, body = summary(delivery)
        sender = apprise.Apprise()
        sender.add(delivery.target)
        ok = bool(sender.notify(title=title, body=body))
        error = None if ok else "the push service refused or did not answer"
        return Result(delivery.tenant_id, delivery.id, ok, None, _ms(t0), error)
    except RefusedTarget as exc:
        return Result(delivery.tenant_id, delivery.id, False, None, _ms(t0), f"refused: {exc}")
    except Exception as exc:  # noqa: BLE001 - an Apprise plugin failing is a failed attempt, retried
        return Result(delivery.tenant_id, delivery.id, False, None, _ms(t0), _short(exc))
