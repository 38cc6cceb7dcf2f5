"""Build MIME messages and open SMTP connections with an explicit TLS mode."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from kinerja_flow.config import Settings, SmtpTls
from kinerja_flow.notifications.models import OutboxMessage


def build_message(row: OutboxMessage, mail_from: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = formataddr((row.to_name, row.to_address))
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = row.message_id
    message.set_content(row.body_text)
    message.add_alternative(row.body_html, subtype="html")
    message["Content-Language"] = row.locale  # after set_content, which clears Content-* headers
    return message


def smtp_client(settings: Settings) -> aiosmtplib.SMTP:
    """A client whose TLS mode is exactly the configured one (never opportunistic)."""
    return aiosmtplib.SMTP(
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        use_tls=settings.smtp_tls is SmtpTls.TLS,
        start_tls=settings.smtp_tls is SmtpTls.STARTTLS,
        username=settings.smtp_username,
        password=settings.smtp_password,
        timeout=settings.smtp_timeout,
    )
