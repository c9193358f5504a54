"""Email over SMTP (aiosmtplib), rendered from jinja2 templates in Indonesian and English.

A template's first line is the subject, the rest (after a blank line) the body.
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

import aiosmtplib
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from sipokat.notification.settings import NotificationSettings

Language = Literal["id", "en"]
LANGUAGES: tuple[Language, ...] = ("id", "en")

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=False,  # plain-text mail: nothing is interpreted as markup
    undefined=StrictUndefined,  # a fact missing from a template's context is a bug, not a blank
    keep_trailing_newline=True,
)


def render(
    template: Literal["notice", "digest"], language: Language, context: dict[str, Any]
) -> tuple[str, str]:
    text = _templates.get_template(f"{template}.{language}.txt").render(context)
    subject, _, body = text.partition("\n\n")
    return subject.strip(), body


def message(
    settings: NotificationSettings, to: str, subject: str, body: str, key: str
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.smtp_sender
    mail["To"] = to
    mail["Subject"] = subject
    # Stable per delivery, so a mail retried after a lost answer can be recognised downstream.
    mail["Message-ID"] = f"<{key.replace('|', '.')}@sipokat>"
    mail["X-Sipokat-Delivery"] = key
    mail.set_content(body)
    return mail


async def send(settings: NotificationSettings, mail: EmailMessage) -> None:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    await aiosmtplib.send(
        mail,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=password,
        use_tls=settings.smtp_tls == "tls",
        start_tls=settings.smtp_tls == "starttls",
        timeout=settings.smtp_timeout_seconds,
    )
