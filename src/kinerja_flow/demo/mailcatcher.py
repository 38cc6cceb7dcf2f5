"""A local SMTP server for the demo: keeps each email as an .eml file to read in the browser."""

from __future__ import annotations

import itertools
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class MailCatcher:
    def __init__(self, directory: Path, host: str = "127.0.0.1", port: int = 8025) -> None:
        self.directory = directory
        self.host = host
        self.port = port
        self._controller = Controller(self, hostname=host, port=port)
        self._numbers = itertools.count(1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        (self.directory / f"{next(self._numbers):06d}.eml").write_bytes(
            envelope.original_content or b""
        )
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._numbers = itertools.count(len(list(self.directory.glob("*.eml"))) + 1)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


def read_mailbox(directory: Path) -> list[tuple[str, EmailMessage]]:
    """The caught emails, newest first, with their file names."""
    found = []
    for path in sorted(directory.glob("*.eml"), reverse=True):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append((path.stem, message))
    return found
