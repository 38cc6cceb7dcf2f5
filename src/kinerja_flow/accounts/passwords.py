"""Password hashing (argon2) and strength rules (zxcvbn)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from kinerja_flow.i18n import _

MIN_LENGTH = 10
MIN_SCORE = 3
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


_DUMMY_HASH = hash_password("timing-equaliser-not-a-real-password")


def burn_verification_time(password: str) -> None:
    """Spend the time of a real check, so unknown users are not told apart by timing."""
    verify_password(_DUMMY_HASH, password)


def weakness(password: str, personal: list[str]) -> str | None:
    """Why ``password`` is too weak, or ``None`` when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("The password must be at least 10 characters long.")
    if len(password) > 256:
        return _("The password must be at most 256 characters long.")
    if zxcvbn(password[:100], user_inputs=personal)["score"] < MIN_SCORE:
        return _("The password is too easy to guess; use a longer phrase of unrelated words.")
    return None
