"""Build MIME messages and open SMTP connections with an explicit TLS mode."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import aiosmtplib

from kinerja_flow.config import Settings, SmtpTls
from kinerja_flow.lib.text import has_control_characters
from kinerja_flow.notifications.models import OutboxMessage

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class UnsendableMessage(ValueError):
    """The row cannot become an email (its address is not one); retrying will not help."""


def header_text(value: str) -> str:
    """``value`` as the text of one header: control characters (a line break, a NUL) become
    spaces, so no value can end a header early or add one."""
    return " ".join(_CONTROL.sub(" ", value).split())


def build_message(row: OutboxMessage, mail_from: str) -> EmailMessage:
    """The MIME message for ``row``; headers go through ``email.headerregistry``, which encodes
    non-ASCII names (RFC 2047) and refuses line breaks."""
    if has_control_characters(row.to_address) or not _ADDRESS.match(row.to_address):
        raise UnsendableMessage(f"not an email address: {row.to_address!r}")
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = Address(display_name=header_text(row.to_name), addr_spec=row.to_address)
    message["Subject"] = header_text(row.subject)
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
