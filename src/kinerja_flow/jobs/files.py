"""The files of jobs, in the folder of job files (``<evidence_dir>/jobs/``, shared by every
instance as the evidence files are): the upload a job reads, copied in chunks to disk as it
arrives, never held whole in memory; the file a job writes for its starter to download. Each is
written in ``incoming/`` first and moved into place once whole: a file cut short by a crash
stays there, where the service removes it at start-up like any other abandoned upload."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio

from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import Invalid
from kinerja_flow.lib.uploads.storage import INCOMING, STAGING_PREFIX, too_large

JOBS = "jobs"


async def receive(chunks: AsyncIterator[bytes], root: Path, limit: int, suffix: str) -> Path:
    """Copy the upload into ``root/jobs/``: at most ``limit`` bytes, not empty."""
    root = Path(await anyio.Path(root).absolute())  # the job may run in another process
    incoming = root / INCOMING
    target = root / JOBS / f"{uuid.uuid4().hex}{suffix}"
    await anyio.Path(incoming).mkdir(parents=True, exist_ok=True)
    await anyio.Path(target.parent).mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=incoming, prefix=STAGING_PREFIX)
    os.close(handle)
    try:
        size = 0
        async with await anyio.open_file(name, "wb") as out:
            async for chunk in chunks:
                size += len(chunk)
                if size > limit:
                    raise too_large(limit)
                await out.write(chunk)
        if size == 0:
            raise Invalid(_("The file is empty."))
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return target


def copy_in(source: Path, root: Path, suffix: str) -> Path:
    """A copy of the file ``source`` as a job's file (the command line's import)."""
    target = root.absolute() / JOBS / f"{uuid.uuid4().hex}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=STAGING_PREFIX)
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as data:
            shutil.copyfileobj(data, out)
        os.replace(name, target)
    except BaseException:
        discard(Path(name))
        raise
    return target


@contextlib.contextmanager
def output(root: Path, suffix: str) -> Iterator[tuple[Path, Path]]:
    """Where a job writes its file (in ``incoming/``) and where the file goes once whole: moved
    there when the block ends, removed if it raises."""
    root = root.absolute()
    target = root / JOBS / f"{uuid.uuid4().hex}{suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    (root / INCOMING).mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=root / INCOMING, prefix=STAGING_PREFIX)
    os.close(handle)
    try:
        yield Path(name), target
        os.replace(name, target)
    except BaseException:
        discard(Path(name))
        raise


def discard(path: Path) -> None:
    """Remove a job's file that is no longer needed (gone already is fine)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
