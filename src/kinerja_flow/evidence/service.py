"""Add and remove an indicator's evidence (bukti dukung); find a stored file for its readers.

Only the appraised employee adds or removes evidence, and only during the self-assessment.
An uploaded file is checked (size, type by content) and staged before the appraisal is locked,
moved into place inside the transaction that records it, and removed from disk after the
transaction that removes its last row. Placing and removing a given file are serialised by a
lock on its hash, so a file another row still needs is never removed. If a transaction fails
after its file was placed, the file stays without a row: harmless, as the same content maps to
the same file and a later upload reuses it.
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from anyio import to_thread
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.appraisals.access import EVIDENCE, AppraisalAccess
from kinerja_flow.appraisals.models import Appraisal, Evidence, Indicator
from kinerja_flow.appraisals.parties import visible_appraisals
from kinerja_flow.appraisals.rules import TARGETS
from kinerja_flow.appraisals.schemas import AppraisalOut
from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.evidence.schemas import FileFields, LinkCreate
from kinerja_flow.i18n import _
from kinerja_flow.lib.db import begin_write, is_postgres
from kinerja_flow.lib.errors import FieldError, Invalid, NotFound
from kinerja_flow.lib.uploads.filenames import safe_filename
from kinerja_flow.lib.uploads.storage import EvidenceStore, Staged

log = logging.getLogger(__name__)

LOCK_SPACE = 0x4B46_0E01
"""First key of the PostgreSQL advisory lock on a stored file's hash (the second is the hash)."""


@dataclass(frozen=True)
class StoredFile:
    path: Path
    filename: str
    content_type: str
    sha256: str


def check_url(url: str) -> str:
    """``url`` if it is an ``http``/``https`` address with a host and no spaces, else a 422."""
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or any(ch.isspace() or unicodedata.category(ch).startswith("C") for ch in url)
    ):
        raise Invalid(
            _("The link is not a web address."),
            errors=[FieldError("url", _("Give an address that starts with http:// or https://."))],
        )
    return url


async def lock_content(session: AsyncSession, sha256: str) -> None:
    """Hold the file ``sha256`` until the transaction ends (writers queue on SQLite anyway)."""
    if is_postgres(session):
        key = int.from_bytes(bytes.fromhex(sha256[:8]), "big", signed=True)
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:space, :key)"), {"space": LOCK_SPACE, "key": key}
        )


def _audit_data(evidence: Evidence, target_id: int) -> dict[str, Any]:
    return {
        "evidence_id": evidence.id,
        "target_id": target_id,
        "indicator_id": evidence.indicator_id,
        "kind": evidence.kind,
        "url": evidence.url,
        "filename": evidence.filename,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "note": evidence.note,
    }


class EvidenceService(AppraisalAccess):
    @property
    def store(self) -> EvidenceStore:
        return EvidenceStore(self.ctx.settings.evidence_path)

    async def _open(
        self, appraisal_id: int, target_id: int, indicator_id: int, version: int | None
    ) -> tuple[Appraisal, Indicator]:
        """The locked appraisal and the indicator, if the caller may change its evidence now."""
        appraisal = await self._open_for_change(
            appraisal_id, version, frozenset({TARGETS, EVIDENCE})
        )
        target = next((t for t in appraisal.targets if t.id == target_id), None)
        if target is None:
            raise NotFound(_("Target {id} is not part of this appraisal."), id=target_id)
        indicator = next((i for i in target.indicators if i.id == indicator_id), None)
        if indicator is None:
            raise NotFound(_("Indicator {id} is not part of this RHK."), id=indicator_id)
        self.permit(appraisal, "evidence")
        return appraisal, indicator

    async def _record(
        self,
        appraisal: Appraisal,
        indicator: Indicator,
        evidence: Evidence,
        staged: Staged | None = None,
    ) -> AppraisalOut:
        now = self.ctx.clock.now()
        evidence.appraisal_id = appraisal.id
        evidence.added_by_id = self.principal.account_id
        evidence.created_at = now
        indicator.evidence.append(evidence)
        await self.session.flush()
        self._touch(appraisal, now)
        await self.audit(
            now,
            AuditEntry(
                "evidence.added",
                "appraisal",
                appraisal.id,
                appraisal_id=appraisal.id,
                data=_audit_data(evidence, indicator.target_id),
            ),
        )
        if staged is not None:
            await lock_content(self.session, staged.sha256)
            await to_thread.run_sync(self.store.place, staged)
        return await self._commit(appraisal)

    async def add_link(
        self, appraisal_id: int, target_id: int, indicator_id: int, data: LinkCreate
    ) -> AppraisalOut:
        url = check_url(data.url)
        appraisal, indicator = await self._open(appraisal_id, target_id, indicator_id, data.version)
        evidence = Evidence(kind="link", url=url, note=data.note or None)
        return await self._record(appraisal, indicator, evidence)

    async def add_file(
        self,
        appraisal_id: int,
        target_id: int,
        indicator_id: int,
        source: IO[bytes],
        filename: str | None,
        fields: FileFields,
    ) -> AppraisalOut:
        """Record ``source`` as a file; it is checked before the appraisal is locked."""
        limit = self.ctx.settings.evidence_max_bytes
        staged = await to_thread.run_sync(self.store.stage, source, limit)
        try:
            appraisal, indicator = await self._open(
                appraisal_id, target_id, indicator_id, fields.version
            )
            evidence = Evidence(
                kind="file",
                filename=safe_filename(filename, staged.kind),
                content_type=staged.kind.content_type,
                size=staged.size,
                sha256=staged.sha256,
                note=fields.note or None,
            )
            return await self._record(appraisal, indicator, evidence, staged)
        finally:
            await to_thread.run_sync(self.store.discard, staged)

    async def remove(
        self,
        appraisal_id: int,
        target_id: int,
        indicator_id: int,
        evidence_id: int,
        version: int | None,
    ) -> AppraisalOut:
        appraisal, indicator = await self._open(appraisal_id, target_id, indicator_id, version)
        evidence = next((e for e in indicator.evidence if e.id == evidence_id), None)
        if evidence is None:
            raise NotFound(_("Evidence {id} is not part of this indicator."), id=evidence_id)
        indicator.evidence.remove(evidence)
        now = self.ctx.clock.now()
        self._touch(appraisal, now)
        await self.audit(
            now,
            AuditEntry(
                "evidence.removed",
                "appraisal",
                appraisal.id,
                appraisal_id=appraisal.id,
                data=_audit_data(evidence, target_id),
            ),
        )
        out = await self._commit(appraisal)
        if evidence.sha256 is not None:
            await self._release(evidence.sha256)
        return out

    async def _release(self, sha256: str) -> None:
        """Remove the stored file ``sha256`` unless another evidence row still refers to it."""
        await begin_write(self.session)
        await lock_content(self.session, sha256)
        users = await self.session.scalar(
            select(func.count()).select_from(Evidence).where(Evidence.sha256 == sha256)
        )
        if not users:
            try:
                await to_thread.run_sync(self.store.remove, sha256)
            except OSError:
                log.exception("could not remove the evidence file %s", sha256)
        await self.session.commit()

    async def stored_file(self, evidence_id: int) -> StoredFile:
        """The stored file of evidence ``evidence_id``, if the caller may see its appraisal."""
        evidence = await self.session.scalar(
            select(Evidence)
            .join(Appraisal, Evidence.appraisal_id == Appraisal.id)
            .where(Evidence.id == evidence_id, visible_appraisals(self.principal))
        )
        if evidence is None or evidence.sha256 is None:
            raise NotFound(
                _("Evidence {id} does not exist or is not visible to you."), id=evidence_id
            )
        path = self.store.path_of(evidence.sha256)
        if not await to_thread.run_sync(path.is_file):
            log.error("evidence %s: stored file %s is missing", evidence_id, path)
            raise NotFound(_("The file of evidence {id} is missing."), id=evidence_id)
        return StoredFile(
            path=path,
            filename=evidence.filename or "",
            content_type=evidence.content_type or "application/octet-stream",
            sha256=evidence.sha256,
        )
