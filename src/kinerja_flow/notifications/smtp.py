"""Build MIME messages and open SMTP connections with an explicit TLS mode."""

from __future__ import annotations

import binascii
import re
import uuid
from email.utils import format_datetime, formataddr, parseaddr
from functools import lru_cache

import aiosmtplib

from kinerja_flow.config import Settings, SmtpTls
from kinerja_flow.lib.text import has_control_characters
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.notifications.render import RenderedEmail

_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_LINE = 998
"""RFC 5322's limit on a line, CRLF excluded."""
_WORD_BYTES = 45
"""UTF-8 bytes per RFC 2047 encoded word of a value too long for one line: base64 makes 60
characters of them, and with ``=?utf-8?b?`` and ``?=`` the word stays within 75."""
_BASE64_LINE = 76
"""Characters of a base64 body per line (RFC 2045's limit)."""


class UnsendableMessage(ValueError):
    """The row cannot become an email (its address is not one); retrying will not help."""


def header_text(value: str) -> str:
    """``value`` as the text of one header: control characters (a line break, a NUL) become
    spaces, so no value can end a header early or add one."""
    return " ".join(_CONTROL.sub(" ", value).split())


def _plain(text: str) -> bool:
    """ASCII that no reader would take for an RFC 2047 encoded word."""
    return text.isascii() and "=?" not in text


def _encoded_word(data: bytes | bytearray) -> str:
    return f"=?utf-8?b?{binascii.b2a_base64(data, newline=False).decode()}?="


def _encoded(prefix: str, text: str, suffix: str = "", *, phrase: bool = False) -> str:
    """``prefix``, ``text`` RFC 2047-encoded (UTF-8, base64) and ``suffix``: encoded words of
    at most 75 characters (section 2), one per folded line, never splitting a character;
    readers join adjacent encoded words without the folding between them (section 6.2).

    A ``phrase`` (a person's name in an address) stays one word while its line fits: Python's
    own parser, and readers built on it, put a space where a name is split into words.
    """
    whole = _encoded_word(text.encode())
    if phrase and len(prefix) + len(whole) + len(suffix) <= MAX_LINE:
        return f"{prefix}{whole}{suffix}"
    words: list[str] = []
    chunk = bytearray()
    for char in text:
        encoded = char.encode()
        if len(chunk) + len(encoded) > _WORD_BYTES:
            words.append(_encoded_word(chunk))
            chunk.clear()
        chunk += encoded
    words.append(_encoded_word(chunk))
    return prefix + "\n ".join(words) + suffix.replace(" ", "\n ", 1)


def _header(name: str, value: str) -> str:
    """The header line(s) ``name: value``: plain ASCII as it is, anything else (or longer
    than a line) RFC 2047-encoded."""
    text = header_text(value)
    if _plain(text) and len(name) + 2 + len(text) <= MAX_LINE:
        return f"{name}: {text}"
    return _encoded(f"{name}: ", text)


def _mailbox(name: str, display_name: str, address: str) -> str:
    """The header ``name: Display Name <address>``, the name quoted where it must be, or
    encoded."""
    text = header_text(display_name)
    plain = formataddr((text, address))
    if _plain(text) and len(name) + 2 + len(plain) <= MAX_LINE:
        return f"{name}: {plain}"
    return _encoded(f"{name}: ", text, f" <{address}>", phrase=True)


@lru_cache(maxsize=8)
def _from_header(mail_from: str) -> str:
    return _mailbox("From", *parseaddr(mail_from))


def _part(boundary: str, subtype: str, body: str) -> str:
    encoded = binascii.b2a_base64(body.encode(), newline=False).decode()
    lines = "".join(
        f"{encoded[start : start + _BASE64_LINE]}\n"
        for start in range(0, len(encoded), _BASE64_LINE)
    )
    return (
        f"--{boundary}\n"
        f'Content-Type: text/{subtype}; charset="utf-8"\n'
        "Content-Transfer-Encoding: base64\n"
        f"\n{lines}"
    )


def build_message(row: OutboxMessage, content: RenderedEmail, mail_from: str) -> bytes:
    """The MIME message for ``row`` saying ``content``, as the bytes to send: a text and an
    HTML part (UTF-8, base64), lines ending in LF (the SMTP client sends them as CRLF).

    Written out directly: the standard library's MIME classes and generator cost several
    milliseconds a message (the worker sends hundreds a second). Header values go through
    ``header_text`` (no control character, so no line break can add a header), names and
    subjects outside ASCII are RFC 2047-encoded, and the recipient must be one plain ASCII
    address."""
    address = row.to_address
    if has_control_characters(address) or not (address.isascii() and _ADDRESS.match(address)):
        raise UnsendableMessage(f"not an email address: {row.to_address!r}")
    boundary = f"=_{uuid.uuid4().hex}"  # "=_" is in no base64 line
    head = "\n".join(
        (
            'Content-Type: multipart/alternative; boundary="' + boundary + '"',
            "MIME-Version: 1.0",
            _from_header(mail_from),
            _mailbox("To", row.to_name, row.to_address),
            _header("Subject", content.subject),
            f"Date: {format_datetime(row.created_at)}",
            _header("Message-ID", row.message_id),
            _header("Content-Language", row.locale),
        )
    )
    return (
        f"{head}\n\n"
        f"{_part(boundary, 'plain', content.text)}"
        f"{_part(boundary, 'html', content.html)}"
        f"--{boundary}--\n"
    ).encode("ascii")


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
