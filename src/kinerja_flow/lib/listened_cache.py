"""A per-process cache of what is read on every request, kept only while PostgreSQL tells this
process of every change to it (``LISTEN``, fed by a trigger on the table)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from typing import Any, Generic, TypeVar

import asyncpg
from sqlalchemy import make_url

logger = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")

BEAT = "beat:"
"""The start of a heartbeat's payload; any other payload on the channel is a change."""
RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)
"""The waits between attempts to listen again after a loss (the last one repeats)."""


class ListenedCache(Generic[K, V]):
    """Values keyed by ``K``, kept while this process hears the channel ``channel``.

    Every change to what the values are read from must notify ``channel`` (a trigger does);
    hearing it, the process forgets every value. The process also proves to itself that it
    hears: every ``heartbeat_seconds`` it runs the statement ``beat``, which must fire that
    trigger, with the setting ``kinerja.beat`` (which the trigger sends as the payload) set to
    a token of its own; it counts as hearing only while its latest heartbeat came back less
    than ``3 * heartbeat_seconds`` ago. So a missing or disabled trigger is noticed as a lost
    connection is. While it does not hear (before :meth:`listen` has run, on SQLite, after a
    lost connection) nothing is kept and every lookup misses, so every request reads the
    database as without the cache. A value is also kept no longer than ``max_age_seconds``.

    A reader takes a :meth:`ticket` before it reads and hands it back to :meth:`keep`: a value
    read before a change was heard, and kept after it, is then refused, so an old value never
    outlives the notice of its change.
    """

    def __init__(
        self,
        channel: str,
        beat: str,
        *,
        size: int = 20_000,
        heartbeat_seconds: float = 5.0,
        max_age_seconds: float = 60.0,
    ) -> None:
        self.channel = channel
        self.heartbeat_seconds = heartbeat_seconds
        self.max_age_seconds = max_age_seconds
        self._beat_statement = beat
        self._size = size
        self._entries: dict[K, tuple[V, float]] = {}
        self._generation = 0
        self._heard_until = 0.0
        self._beat = f"{BEAT}{secrets.token_hex(8)}"
        self._listening: object | None = None
        """The connection listening now: a heartbeat heard on an earlier one proves nothing."""

    @property
    def hearing(self) -> bool:
        return time.monotonic() < self._heard_until

    def get(self, key: K) -> V | None:
        """The value kept for ``key``, or None (nothing kept, kept too long, or not hearing)."""
        if not self._entries:
            return None
        now = time.monotonic()
        kept = self._entries.get(key)
        if kept is None or now >= self._heard_until or now - kept[1] >= self.max_age_seconds:
            return None
        return kept[0]

    def ticket(self) -> int:
        return self._generation

    def keep(self, ticket: int, key: K, value: V) -> None:
        """Keep ``value``, read after :meth:`ticket` gave ``ticket``, unless a change has been
        heard since (or the process does not hear now)."""
        if ticket != self._generation or not self.hearing:
            return
        if len(self._entries) >= self._size and key not in self._entries:
            del self._entries[next(iter(self._entries))]  # the oldest kept
        self._entries[key] = (value, time.monotonic())

    def forget(self) -> None:
        """Forget every value, and refuse those being read now (their tickets are old)."""
        self._generation += 1
        self._entries.clear()

    def _deaf(self) -> None:
        self._heard_until = 0.0
        self.forget()

    def _heard(self, connection: Any, _pid: int, _channel: str, payload: str) -> None:
        if payload == self._beat and connection is self._listening:
            if not self.hearing:
                self.forget()  # tickets taken while deaf may hold values changed unheard
            self._heard_until = time.monotonic() + 3 * self.heartbeat_seconds
        elif not payload.startswith(BEAT):  # another process's heartbeat changes nothing
            self.forget()

    async def listen(self, database_url: str, stop: asyncio.Event) -> None:
        """Hear the channel until ``stop`` is set, listening again after any loss (meant for
        a task of the application's lifespan)."""
        connect = _connect_arguments(database_url)
        failures = 0
        while not stop.is_set():
            try:
                await self._listen_once(connect, stop)
                failures = 0
            except Exception:  # whatever it was, listen again: deaf, the cache only misses
                logger.warning("not hearing %s: reading every value", self.channel, exc_info=True)
                failures += 1
            pause = RECONNECT_SECONDS[min(max(failures - 1, 0), len(RECONNECT_SECONDS) - 1)]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)

    async def _listen_once(self, connect: dict[str, Any], stop: asyncio.Event) -> None:
        settings = {
            **connect.get("server_settings", {}),
            "application_name": f"kinerja-flow {self.channel} listener",
        }
        connection = await asyncpg.connect(
            **{**connect, "server_settings": settings}, timeout=self.heartbeat_seconds
        )
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        self._listening = connection
        pause = self.heartbeat_seconds
        try:
            await connection.add_listener(self.channel, self._heard)
            while not stop.is_set():
                if lost.is_set():
                    raise ConnectionError("the listening connection was lost")
                async with connection.transaction():
                    await connection.execute(
                        "SELECT set_config('kinerja.beat', $1, true)", self._beat, timeout=pause
                    )
                    await connection.execute(self._beat_statement, timeout=pause)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(_either(stop, lost), pause)
        finally:
            self._listening = None
            self._deaf()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), self.heartbeat_seconds)


_ADAPTER_ONLY = (
    "prepared_statement_cache_size",
    "prepared_statement_name_func",
    "async_creator_fn",
)
"""Options of the URL that SQLAlchemy's asyncpg adapter takes for itself, not asyncpg."""


def _connect_arguments(database_url: str) -> dict[str, Any]:
    """What asyncpg is given to connect to ``database_url``, as the application's engine is
    (``?ssl=require`` and the like included)."""
    url = make_url(database_url)
    _args, options = url.get_dialect()().create_connect_args(url)
    return {key: value for key, value in options.items() if key not in _ADAPTER_ONLY}


async def _either(first: asyncio.Event, second: asyncio.Event) -> None:
    waits = {asyncio.create_task(first.wait()), asyncio.create_task(second.wait())}
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
