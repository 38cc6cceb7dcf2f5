"""Files a page hands over: a stored upload (evidence, a certificate) and a generated table."""

from __future__ import annotations

from litestar.datastructures import ETag
from litestar.response import File

from kinerja_flow.evidence.service import StoredFile
from kinerja_flow.lib.uploads.filenames import content_disposition


def stored_download(stored: StoredFile) -> File:
    """A stored file under the name it was uploaded with, never kept by a shared cache."""
    return File(
        stored.path,
        media_type=stored.content_type,
        etag=ETag(value=stored.sha256),
        headers={
            "content-disposition": content_disposition(stored.filename),
            "cache-control": "private, no-store",
        },
    )
