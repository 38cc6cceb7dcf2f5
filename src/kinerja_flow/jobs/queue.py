"""Starting a job and what a running job sees: its parameters, its caller, its progress.

A domain registers a :class:`JobKind` per kind of work (``bootstrap.JOB_KINDS``); a service
starts one with :func:`submit` in its own transaction and calls :func:`wake` after the commit,
so a runner in this process starts at once (runners elsewhere find it at their next poll).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.i18n import translate
from kinerja_flow.jobs.models import QUEUED, Job
from kinerja_flow.lib.errors import AppError
from kinerja_flow.lib.principal import Principal

CtxT_contra = TypeVar("CtxT_contra", contravariant=True)


@dataclass
class RunningJob:
    """One job while a worker runs it; ``progress`` is written by the runner every moment."""

    id: int
    kind: str
    params: dict[str, Any]
    principal: Principal
    input_path: Path | None
    done: int = 0
    total: int | None = None
    phase: str | None = None
    keep_input: bool = False
    """Keep the input file after the job ends (a preview whose file may then be imported)."""
    output_path: Path | None = None
    """The file the job wrote to be downloaded once it is done (see ``files.output``)."""
    lost: bool = False
    """Another runner took the job over: this one stops."""
    _yielded: float = field(default_factory=time.monotonic)

    def progress(self, done: int, total: int | None = None, phase: str | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if phase is not None:
            self.phase = phase

    async def pause(self, every: float = 0.02) -> None:
        """Let other requests of this process run if the job has held the loop ``every`` s."""
        if time.monotonic() - self._yielded >= every:
            await asyncio.sleep(0)
            self._yielded = time.monotonic()


class JobKind(Protocol[CtxT_contra]):
    """One kind of long work; ``run`` answers the job's result (a msgspec-encodable value) or
    raises an :class:`AppError` the job then reports."""

    kind: str

    async def run(self, ctx: CtxT_contra, job: RunningJob) -> Any: ...


def owner_of(principal: Principal) -> dict[str, Any]:
    return {
        "account_id": principal.account_id,
        "employee_id": principal.employee_id,
        "email": principal.email,
        "roles": sorted(principal.roles),
        "locale": principal.locale,
    }


def principal_of(owner: dict[str, Any]) -> Principal:
    return Principal(
        account_id=owner["account_id"],
        employee_id=owner["employee_id"],
        email=owner["email"],
        roles=frozenset(owner["roles"]),
        locale=owner["locale"],
    )


async def submit(
    session: AsyncSession,
    now: datetime,
    kind: str,
    principal: Principal,
    params: dict[str, Any],
    *,
    input_path: Path | None = None,
    total: int | None = None,
) -> Job:
    """Queue a job in the caller's transaction (flushed, so it has its id)."""
    job = Job(
        kind=kind,
        state=QUEUED,
        params=params,
        owner_account_id=principal.account_id,
        owner=owner_of(principal),
        input_path=str(input_path) if input_path else None,
        done=0,
        total=total,
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    await session.flush()
    return job


def error_of(error: AppError) -> dict[str, Any]:
    """What the job keeps of an error: message ids and parameters, translated when read."""
    return {
        "status_code": error.status_code,
        "message": error.message,
        "params": {key: str(value) for key, value in error.params.items()},
        "errors": [
            {"field": e.field, "message": e.message, "params": e.params, "line": e.line}
            for e in error.errors
        ],
    }


def explain(error: AppError, locale: str) -> str:
    """An error in one sentence for a job's result: its message, then each field's problem."""
    said = [translate(error.message, locale, **error.params)]
    said += [translate(item.message, locale, **item.params) for item in error.errors]
    return " ".join(said)


_listeners: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()


def listen(event: asyncio.Event) -> None:
    """Have ``event`` set whenever a job is started in this process (a runner waits on it)."""
    _listeners.add((asyncio.get_running_loop(), event))


def unlisten(event: asyncio.Event) -> None:
    for item in [item for item in _listeners if item[1] is event]:
        _listeners.discard(item)


def wake() -> None:
    """Tell this process's runners a job is waiting (call it after the commit)."""
    for loop, event in list(_listeners):
        if not loop.is_closed():
            loop.call_soon_threadsafe(event.set)
