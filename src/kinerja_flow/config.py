"""Settings read from environment variables prefixed with ``KINERJA_``."""

from __future__ import annotations

import os
import re
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from kinerja_flow.resources import data_dir

_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+")
"""One plain address, as SMTP without SMTPUTF8 takes it (``MAIL FROM``, a ``From`` header)."""


class SmtpTls(StrEnum):
    """How the SMTP connection is secured; always explicit, never opportunistic."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str = "sqlite+aiosqlite:///./kinerja-flow.sqlite3"
    database_pool: Literal["queue", "null"] = "queue"
    database_pool_size: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 20
    """Connections a pooled ``serve`` or ``worker`` process keeps open (and up to 10 more while
    busy): one per request served at once, so that busy moments reuse connections rather than
    open and close them."""
    account_changes_url: str | None = None
    """A direct PostgreSQL URL on which each ``serve`` process hears every change to accounts,
    so it may keep callers in memory; never through a pooler in transaction mode, which hands
    notices to whichever client holds the connection. Unset: the database URL, when the process
    pools its own connections (``database_pool`` ``queue``)."""
    base_url: str = "http://127.0.0.1:8000"
    secret_key: str = "dev-only-secret-change-me-in-production-0123456789"  # noqa: S105
    audit_secret: str | None = None
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_tls: SmtpTls = SmtpTls.NONE
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout: float = 10.0
    smtp_connections: Annotated[int, msgspec.Meta(ge=1, le=32)] = 4
    """SMTP connections a worker sends over side by side."""
    mail_from: str = "kinerja-flow <no-reply@kinerja-flow.local>"
    default_locale: str = "id"
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    access_token_minutes: int = 480
    session_idle_minutes: Annotated[int, msgspec.Meta(ge=1)] = 480
    """A web session unused this long ends (signing in again is needed)."""
    invitation_days: int = 7
    reset_link_minutes: Annotated[int, msgspec.Meta(ge=1)] = 60
    login_max_failures: int = 5
    login_window_minutes: int = 15
    survey_max_per_hour: int = 10
    survey_duplicate_hours: int = 24
    peer_min_responses: Annotated[int, msgspec.Meta(ge=1)] = 3
    trust_forwarded_for: bool = False
    embedded_worker: bool | None = None
    worker_poll_seconds: float = 2.0
    jobs_in_serve: bool = True
    """Run background jobs (imports, ...) inside ``serve`` as well as in ``worker``."""
    jobs_poll_seconds: Annotated[float, msgspec.Meta(gt=0)] = 2.0
    """How often a runner looks for jobs started by another process."""
    job_files_hours: Annotated[float, msgspec.Meta(gt=0)] = 24.0
    """How long the files of an ended job are kept: an export to download, a preview's upload
    to import (removed by a job runner as it starts and every hour after)."""
    timezone: str = "Asia/Jakarta"
    """The agency's time zone: a deadline date ends at midnight here (WIB, WITA or WIT)."""
    scheduler_seconds: Annotated[float, msgspec.Meta(gt=0)] = 60.0
    """How often a worker looks for due reminders, escalations, automatic steps and digests."""
    digest_hour: Annotated[int, msgspec.Meta(ge=0, le=23)] = 7
    """The local hour from which the daily digests of the day are sent."""
    holidays_dir: str | None = None
    workflows_dir: str | None = None
    templates_dir: str | None = None
    document_place: str | None = None
    """The place written before the date on printed documents (e.g. "Bandung")."""
    evidence_dir: str = "./evidence-files"
    evidence_max_bytes: int = 10 * 1024 * 1024
    training_min_jp: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 20
    """The yearly minimum of competency development, in JP (jam pelajaran)."""
    followup_rules_file: str | None = None
    """The rules that propose follow-up items; the shipped ``policies/followup_rules.toml``."""
    demo: bool = False
    log_format: Literal["text", "json"] = "text"
    """``json`` writes one JSON object per log line, each with the request id."""
    metrics_token: str | None = None
    """Serve Prometheus metrics at ``/metrics`` to scrapers sending this bearer token; unset:
    no ``/metrics`` route and no per-request measuring at all."""

    def __post_init__(self) -> None:
        address = parseaddr(self.mail_from)[1]
        if not (address.isascii() and _ADDRESS.fullmatch(address)):
            raise ValueError(
                f"mail_from: {self.mail_from!r} has no plain ASCII address; write it as "
                "'Name <user@example.go.id>' (the name may be in any script)"
            )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def account_changes(self) -> str | None:
        """Where to hear changes to accounts; None: read the caller of every request."""
        if self.is_sqlite:
            return None
        if self.account_changes_url is not None:
            return self.account_changes_url
        return self.database_url if self.database_pool == "queue" else None

    @property
    def workflows_path(self) -> Path:
        return Path(self.workflows_dir) if self.workflows_dir else data_dir("workflows")

    @property
    def templates_path(self) -> Path:
        return Path(self.templates_dir) if self.templates_dir else data_dir("templates")

    @property
    def holidays_path(self) -> Path:
        return Path(self.holidays_dir) if self.holidays_dir else data_dir("policies") / "holidays"

    @property
    def followup_rules_path(self) -> Path:
        if self.followup_rules_file:
            return Path(self.followup_rules_file)
        return data_dir("policies") / "followup_rules.toml"

    @property
    def evidence_path(self) -> Path:
        """Where uploaded evidence files are kept, named by their SHA-256."""
        return Path(self.evidence_dir)

    @property
    def run_embedded_worker(self) -> bool:
        """Deliver mail inside the web process: the default on embedded SQLite."""
        return self.is_sqlite if self.embedded_worker is None else self.embedded_worker


def load_settings(environ: dict[str, str] | None = None, **overrides: object) -> Settings:
    """Build settings from ``KINERJA_*`` variables, then explicit overrides."""
    env = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for field in msgspec.structs.fields(Settings):
        value = env.get(f"KINERJA_{field.name.upper()}")
        if value is not None and value != "":
            raw[field.name] = value
    raw.update(overrides)
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SystemExit(f"Invalid KINERJA_ setting: {exc}") from exc
