"""A training's certificate: checked and stored by the same code and rules as evidence files.

The file is staged in the evidence store (size limit, type by content), then placed in the
``certificates/`` part of it, content-addressed like evidence but counted apart: a certificate
file is removed when no item refers to it any more, whatever evidence holds.
"""

from __future__ import annotations

import logging
from typing import IO

from anyio import to_thread
from sqlalchemy import func, select

from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.evidence.service import StoredFile, lock_content
from kinerja_flow.followups.access import FollowUpAccess
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.followups.schemas import CertificateFields, FollowUpOut
from kinerja_flow.i18n import _
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import Conflict, NotFound
from kinerja_flow.lib.uploads.filenames import safe_filename
from kinerja_flow.lib.uploads.storage import EvidenceStore

log = logging.getLogger(__name__)

CERTIFICATES = "certificates"


class CertificateService(FollowUpAccess):
    @property
    def uploads(self) -> EvidenceStore:
        """Where uploads are staged: the evidence store, so crash leftovers are cleaned alike."""
        return EvidenceStore(self.ctx.settings.evidence_path)

    @property
    def store(self) -> EvidenceStore:
        return EvidenceStore(self.ctx.settings.evidence_path / CERTIFICATES)

    async def upload(
        self, followup_id: int, source: IO[bytes], filename: str | None, fields: CertificateFields
    ) -> FollowUpOut:
        """Attach (or replace) a training's certificate; the file is checked before the lock,
        after the refusals that do not depend on it (404, 403, 409)."""
        self._may_attach(await self._load(followup_id))
        await self.session.rollback()
        staged = await to_thread.run_sync(
            self.uploads.stage, source, self.ctx.settings.evidence_max_bytes
        )
        try:
            item = await self._open_for_change(followup_id, fields.version)
            self._may_attach(item)
            replaced = item.certificate_sha256
            now = self.ctx.clock.now()
            item.certificate_sha256 = staged.sha256
            item.certificate_filename = safe_filename(filename, staged.kind)
            item.certificate_content_type = staged.kind.content_type
            item.certificate_size = staged.size
            item.certificate_uploaded_at = now
            self._touch(item, now)
            await self.audit(
                now,
                AuditEntry(
                    "followup.certificate_uploaded",
                    self.kind,
                    item.id,
                    appraisal_id=item.appraisal_id,
                    data={
                        "filename": item.certificate_filename,
                        "content_type": item.certificate_content_type,
                        "size": staged.size,
                        "sha256": staged.sha256,
                        "replaced": replaced,
                    },
                ),
            )
            await lock_content(self.session, staged.sha256)
            await to_thread.run_sync(self.store.place, staged)
            out = await self._commit(item)
        finally:
            await to_thread.run_sync(self.uploads.discard, staged)
        if replaced is not None and replaced != staged.sha256:
            await self._release(replaced)
        return out

    def _may_attach(self, item: FollowUp) -> None:
        self.permit(item, "certificate")
        if item.kind != "training":
            raise Conflict(_("Only a training has a certificate."))

    async def _release(self, sha256: str) -> None:
        """Remove the certificate file ``sha256`` unless an item still refers to it."""
        await begin_write(self.session)
        await lock_content(self.session, sha256)
        users = await self.session.scalar(
            select(func.count()).select_from(FollowUp).where(FollowUp.certificate_sha256 == sha256)
        )
        if not users:
            try:
                await to_thread.run_sync(self.store.remove, sha256)
            except OSError:
                log.exception("could not remove the certificate file %s", sha256)
        await self.session.commit()

    async def stored_file(self, followup_id: int) -> StoredFile:
        """The certificate of an item the caller may see."""
        item = await self._load(followup_id)
        if item.certificate_sha256 is None:
            raise NotFound(_("Follow-up item {id} has no certificate."), id=followup_id)
        path = self.store.path_of(item.certificate_sha256)
        if not await to_thread.run_sync(path.is_file):
            log.error("follow-up %s: certificate file %s is missing", followup_id, path)
            raise NotFound(_("The certificate file of item {id} is missing."), id=followup_id)
        return StoredFile(
            path=path,
            filename=item.certificate_filename or "",
            content_type=item.certificate_content_type or "application/octet-stream",
            sha256=item.certificate_sha256,
        )
