"""E-mail through the mail server of the settings (`SMTP_*`): the one function every e-mail of the
app goes through (reminders to the agencies behind, the chair's digest). It is called outside
any database transaction, so a slow or absent server never holds the write lock."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from core.settings import Settings

SMTP_TIMEOUT_S = 15
# What a send raises when the mail did not go: refused, unreachable, timed out, a bad login.
MAIL_ERRORS: tuple[type[Exception], ...] = (OSError, smtplib.SMTPException)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message."""

    filename: str
    content: bytes = b""
    mime_type: str = "application/octet-stream"


def send_email(
    settings: Settings, to: Sequence[str], subject: str, body: str, attachments: Sequence[Attachment] = ()
) -> dict[str, tuple[int, bytes]]:
    """Send one message to every address of `to` (a plain-text body, UTF-8, and `attachments`).
    Returns the addresses the server refused while accepting the others (empty: accepted for
    all); raises one of `MAIL_ERRORS` when it was not accepted at all."""
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_from, ", ".join(to), subject
    message.set_content(body)
    for attachment in attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename
        )
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_S) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        return smtp.send_message(message)
