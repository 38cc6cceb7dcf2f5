"""Evidence files on disk, content-addressed: ``<evidence_dir>/ab/cd/<sha256>``.

An upload is first copied, in chunks, into ``<evidence_dir>/incoming/`` while it is hashed,
measured and held to the size limit; then its type is recognised by content. Only a file that
passes is moved into place, by an atomic rename on the same file system, so a reader never sees
a half-written file. Identical files are stored once. Everything here blocks: call it off the
event loop.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import Invalid, TooLarge, UnsupportedMediaType
from kinerja_flow.lib.uploads.sniff import ALLOWED_NAMES, FileType, sniff

CHUNK = 64 * 1024
INCOMING = "incoming"
STAGING_PREFIX = "upload-"
ABANDONED_AFTER_SECONDS = 15 * 60
"""A staging file this old was left by a process that died: staging copies an upload already
received in full, which takes seconds, so an instance starting next to others removes only
these and never a file another instance is still writing."""
MIB = 1024 * 1024


def too_large(limit: int) -> TooLarge:
    return TooLarge(
        _("The file is too large: at most {limit} MiB is accepted."),
        limit=f"{limit / MIB:.2f}".rstrip("0").rstrip("."),
    )


@dataclass(frozen=True)
class Staged:
    """An accepted upload waiting in ``incoming/`` to be moved into place."""

    path: Path
    sha256: str
    size: int
    kind: FileType


class EvidenceStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def stage(self, source: IO[bytes], limit: int) -> Staged:
        """Copy ``source`` into ``incoming/``: at most ``limit`` bytes, of an allowed type."""
        incoming = self.root / INCOMING
        incoming.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=incoming, prefix=STAGING_PREFIX)
        path = Path(name)
        try:
            digest, size = hashlib.sha256(), 0
            with os.fdopen(handle, "wb") as target:
                while chunk := source.read(CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise too_large(limit)
                    digest.update(chunk)
                    target.write(chunk)
                target.flush()
                os.fsync(target.fileno())
            if size == 0:
                raise Invalid(_("The file is empty."))
            kind = sniff(path)
            if kind is None:
                raise UnsupportedMediaType(
                    _("This kind of file is not accepted as evidence. Allowed: {allowed}."),
                    allowed=ALLOWED_NAMES,
                )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        return Staged(path, digest.hexdigest(), size, kind)

    def place(self, staged: Staged) -> None:
        """Move a staged file into place (an identical stored file is simply replaced)."""
        final = self.path_of(staged.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.path, final)

    def discard(self, staged: Staged) -> None:
        """Forget a staged file that was not placed (nothing happens once it was)."""
        staged.path.unlink(missing_ok=True)

    def remove_abandoned_uploads(self) -> int:
        """Delete staging files left in ``incoming/`` by a crash; return how many."""
        incoming = self.root / INCOMING
        if not incoming.is_dir():
            return 0
        cutoff = time.time() - ABANDONED_AFTER_SECONDS
        removed = 0
        for path in incoming.glob(f"{STAGING_PREFIX}*"):
            try:
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:  # another instance removed it first
                continue
        return removed

    def remove(self, sha256: str) -> None:
        self.path_of(sha256).unlink(missing_ok=True)
