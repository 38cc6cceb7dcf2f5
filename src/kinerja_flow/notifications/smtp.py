"""Build MIME messages and open SMTP connections with an explicit TLS mode."""

from __future__ import annotations

import re
from email.charset import BASE64, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr, parseaddr

import aiosmtplib

from kinerja_flow.config import Settings, SmtpTls
from kinerja_flow.lib.text import has_control_characters
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.notifications.render import RenderedEmail

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UTF8 = Charset("utf-8")
_UTF8.header_encoding = BASE64
"""Encoded words in base64: the standard library's default for UTF-8 weighs each one as
quoted-printable too, a character at a time, which cost a millisecond per subject."""
UNFOLDED = compat32.clone(max_line_length=998)
"""Plain headers stay on one line up to RFC 5322's limit (folding a long word would change
it); encoded ones fold themselves into encoded words."""


class UnsendableMessage(ValueError):
    """The row cannot become an email (its address is not one); retrying will not help."""


def header_text(value: str) -> str:
    """``value`` as the text of one header: control characters (a line break, a NUL) become
    spaces, so no value can end a header early or add one."""
    return " ".join(_CONTROL.sub(" ", value).split())


def _plain(text: str) -> bool:
    """ASCII that no reader would take for an RFC 2047 encoded word."""
    return text.isascii() and "=?" not in text


def _header(name: str, value: str) -> str | Header:
    """One header's text: plain ASCII as it is, anything else RFC 2047-encoded (folded into
    encoded words of legal length)."""
    text = header_text(value)
    return text if _plain(text) else Header(text, _UTF8, header_name=name)


def _mailbox(name: str, display_name: str, address: str) -> str | Header:
    """``Display Name <address>``, the name quoted where it must be, or encoded."""
    text = header_text(display_name)
    if _plain(text):
        return formataddr((text, address))
    mailbox = Header(text, _UTF8, header_name=name)
    mailbox.append(f"<{address}>", "us-ascii")
    return mailbox


def build_message(row: OutboxMessage, content: RenderedEmail, mail_from: str) -> bytes:
    """The MIME message for ``row`` saying ``content``, as the bytes to send: a text and an
    HTML part.

    Built with the standard library's ``compat32`` MIME classes, several times cheaper than
    ``EmailMessage``'s header registry (the worker builds hundreds a second). Header values
    go through ``header_text`` (no control character, so no line break can add a header),
    names and subjects outside ASCII are RFC 2047-encoded, and the recipient must be one
    plain address."""
    if has_control_characters(row.to_address) or not _ADDRESS.match(row.to_address):
        raise UnsendableMessage(f"not an email address: {row.to_address!r}")
    headers: dict[str, str | Header] = {
        "From": _mailbox("From", *parseaddr(mail_from)),
        "To": _mailbox("To", row.to_name, row.to_address),
        "Subject": _header("Subject", content.subject),
        "Date": format_datetime(row.created_at),
        "Message-ID": row.message_id,
        "Content-Language": row.locale,
    }
    message = MIMEMultipart("alternative")
    for name, value in headers.items():
        message[name] = value  # type: ignore[assignment]  # compat32 takes a Header too
    message.attach(MIMEText(content.text, "plain", "utf-8"))
    message.attach(MIMEText(content.html, "html", "utf-8"))
    return message.as_bytes(policy=UNFOLDED)


def envelope_sender(mail_from: str) -> str:
    """The address of ``KINERJA_MAIL_FROM`` (its display name is for the From header)."""
    return parseaddr(mail_from)[1]


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
