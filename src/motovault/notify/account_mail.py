"""Account mail: auth_private.mail_outbox (password reset, invitation, sign-up with an existing
address), written by the accounts functions in the transaction that makes the token, sent by the
notify worker over SMTP to the address in the row (per user: never to a tenant's subscriptions).

The token is in the mail's body and nowhere else: it is never logged, and an SMTP error recorded in
last_error is the server's answer, not the mail."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from .channels import SmtpSettings, smtp_send

#: kind of mail_outbox row -> the event it documents (docs/notifications.md)
EVENTS = {
    "password_reset": "password.reset_requested",
    "invitation": "member.invited",
    "sign_up_existing_account": "account.sign_up_existing",
}


@dataclass(frozen=True)
class AccountMail:
    """A claimed row of auth_private.mail_outbox (app.auth_mail_claim)."""

    id: int
    kind: str
    recipient: str
    payload: dict[str, Any]
    attempts: int

    def __repr__(self) -> str:  # the payload holds a token: never in a log or a traceback
        return f"AccountMail(id={self.id}, kind={self.kind!r}, attempts={self.attempts})"


def _text(mail: AccountMail) -> tuple[str, str]:
    p = mail.payload
    if mail.kind == "password_reset":
        return "motovault: reset your password", (
            "Someone (hopefully you) asked to reset the password of your motovault account.\n\n"
            "Your reset token (single use; it expires in 30 minutes unless the operator changed it):\n\n"
            f"    {p.get('token', '')}\n\n"
            "Set a new password with POST /rpc/reset_password "
            '{"token": "<the token>", "new_password": "<10 to 200 characters>"}.\n'
            "Every session of your account is then signed out.\n\n"
            "If you did not ask for it, ignore this mail: your password stays as it is.\n"
        )
    if mail.kind == "invitation":
        tenant = p.get("tenant_name") or "a motovault account"
        return f"motovault: you are invited to {tenant}", (
            f"You are invited to {tenant} as {p.get('role', 'member')}.\n\n"
            f"Your invitation token (single use, valid until {p.get('expires_at', '')}):\n\n"
            f"    {p.get('token', '')}\n\n"
            "Sign up or sign in, then accept with POST /rpc/accept_invitation "
            '{"token": "<the token>"}.\n'
        )
    return "motovault: you already have an account", (
        "Someone (hopefully you) tried to sign up to motovault with this address, which already has an account.\n\n"
        "Sign in instead, or reset the password with POST /rpc/request_password_reset.\n"
    )


def account_message(mail: AccountMail, sender: str) -> EmailMessage:
    subject, text = _text(mail)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.recipient
    message["Subject"] = subject
    message["Message-ID"] = f"<mail-{mail.id}@motovault>"  # the same on every retry
    message["X-Motovault-Event"] = EVENTS.get(mail.kind, mail.kind)
    message.set_content(text)
    return message


def send_account_mail(settings: SmtpSettings, mail: AccountMail) -> dict[str, Any]:
    """One attempt, as app.auth_mail_finish reads it: {id, ok, error}. Never raises."""
    try:
        smtp_send(settings, account_message(mail, settings.sender))
        return {"id": mail.id, "ok": True, "error": None}
    except smtplib.SMTPResponseException as exc:
        error = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return {"id": mail.id, "ok": False, "error": f"SMTP {exc.smtp_code}: {error}"[:500]}
    except (OSError, smtplib.SMTPException) as exc:
        return {"id": mail.id, "ok": False, "error": f"{type(exc).__name__}: {exc}"[:500]}


__all__ = ["EVENTS", "AccountMail", "account_message", "send_account_mail"]
