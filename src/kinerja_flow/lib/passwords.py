"""Password hashing (argon2) and strength rules (zxcvbn)."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from kinerja_flow.i18n import _

MIN_LENGTH = 10
MAX_LENGTH = 256
MIN_SCORE = 3


class Passwords:
    """Argon2id hashing with configurable cost (the defaults are argon2-cffi's).

    Async code calls ``hash_async``/``verify_async``: the work runs on a small pool of threads,
    one per CPU, so a burst of sign-ins neither stalls the event loop nor holds more than a few
    hashes' memory (64 MiB each by default) at once.
    """

    def __init__(self, time_cost: int = 3, memory_kib: int = 65536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        self._dummy = self._hasher.hash("timing-equaliser-not-a-real-password")
        self._pool = ThreadPoolExecutor(os.cpu_count() or 1, thread_name_prefix="passwords")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        """Check ``password``; with no hash, spend the same time so unknown users do not show."""
        try:
            return self._hasher.verify(password_hash or self._dummy, password) and bool(
                password_hash
            )
        except (VerificationError, InvalidHashError):
            return False

    async def hash_async(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self.hash, password)

    async def verify_async(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, self.verify, password_hash, password
        )


def weakness(password: str, personal: list[str]) -> str | None:
    """Why ``password`` is too weak, or ``None`` when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("The password must be at least 10 characters long.")
    if len(password) > MAX_LENGTH:
        return _("The password must be at most 256 characters long.")
    from zxcvbn import zxcvbn  # its word lists take 12 MB: loaded when a password is chosen

    if zxcvbn(password[:100], user_inputs=personal)["score"] < MIN_SCORE:
        return _("The password is too easy to guess; use a longer phrase of unrelated words.")
    return None
