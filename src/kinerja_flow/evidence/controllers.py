"""HTTP endpoints for evidence: add a link (JSON) or a file (multipart), remove it, download it.

One ``POST`` takes either body, told apart by its ``Content-Type``: Litestar types a handler's
body with one media type, so this handler reads the request itself, through Litestar's own JSON
decoding and streaming multipart parser (files are spooled to disk past 1 MiB).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

import msgspec
from litestar import Controller, Request, Router, delete, get, post
from litestar.datastructures import ETag, UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat
from litestar.params import FromPath, FromQuery
from litestar.response import File

from kinerja_flow.appraisals.schemas import AppraisalOut
from kinerja_flow.config import Settings
from kinerja_flow.evidence.schemas import FileFields, LinkCreate
from kinerja_flow.evidence.service import EvidenceService, StoredFile
from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import FieldError, Invalid, UnsupportedMediaType
from kinerja_flow.lib.requests import decode_json_body, invalid_body, refuse_control_characters
from kinerja_flow.lib.uploads.filenames import content_disposition
from kinerja_flow.lib.uploads.storage import too_large
from kinerja_flow.runtime.deps import service_provider

INDICATOR = "/appraisals/{appraisal_id:int}/targets/{target_id:int}/indicators/{indicator_id:int}"
FORM_OVERHEAD = 64 * 1024
"""Room in a request body for the multipart framing and the form fields next to the file."""

FieldsT = TypeVar("FieldsT", bound=msgspec.Struct)

_TEXT = Schema(type=OpenAPIType.STRING, max_length=2000)
_VERSION = Schema(type=OpenAPIType.INTEGER, description="The appraisal version you saw.")


@dataclass
class EvidenceOperation(Operation):
    """Documents the two bodies the add-evidence endpoint accepts."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            content={
                RequestEncodingType.JSON: OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        properties={"url": _TEXT, "note": _TEXT, "version": _VERSION},
                        required=["url"],
                    )
                ),
                RequestEncodingType.MULTI_PART: OpenAPIMediaType(
                    schema=Schema(
                        type=OpenAPIType.OBJECT,
                        properties={
                            "file": Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY),
                            "note": _TEXT,
                            "version": _VERSION,
                        },
                        required=["file"],
                    )
                ),
            },
        )


def _form_fields(raw: dict[str, Any], kind: type[FieldsT]) -> FieldsT:
    """The form's text fields as ``kind`` (form values are strings, so converted leniently),
    with the same 422 a typed body gives."""
    try:
        fields = msgspec.convert(raw, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise invalid_body(str(exc)) from exc
    refuse_control_characters(fields)
    return fields


async def read_form(
    request: Request[Any, Any, Any], limit: int, kind: type[FieldsT]
) -> tuple[UploadFile, FieldsT]:
    """The one file of a multipart upload (form field ``file``) and the other fields as ``kind``;
    files past ``limit`` bytes are a 413."""
    try:
        form = await request.form()
    except RequestEntityTooLarge as exc:
        raise too_large(limit) from exc
    files = [value for value in form.getall("file", []) if isinstance(value, UploadFile)]
    if len(files) != 1:
        await form.close()
        raise Invalid(
            _("Send exactly one file in the form field 'file'."),
            errors=[FieldError("file", _("Attach one file."))],
        )
    fields = {name: form.get(name) for name in form if name != "file" and form.get(name) != ""}
    try:
        return files[0], _form_fields(fields, kind)
    except (ValidationException, Invalid):
        await form.close()
        raise


class EvidenceController(Controller):
    tags = ["evidence"]
    dependencies = {"evidence_service": service_provider(EvidenceService)}

    @post(
        f"{INDICATOR}/evidence",
        status_code=201,
        summary="Attach evidence to an indicator: a link (JSON) or a file (multipart)",
        description=(
            "Employee, during the self-assessment. Files: PDF, PNG, JPEG, DOCX, XLSX, PPTX, "
            "ODT, ODS, ODP, recognised by content, up to the configured size. Answers the "
            "appraisal with its new version."
        ),
        operation_class=EvidenceOperation,
    )
    async def add_evidence(
        self,
        evidence_service: NamedDependency[EvidenceService],
        request: Request[Any, Any, Any],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
        indicator_id: FromPath[int],
    ) -> AppraisalOut:
        ids = (appraisal_id, target_id, indicator_id)
        media_type = request.content_type[0]
        if media_type == RequestEncodingType.JSON:
            link: LinkCreate = decode_json_body(await request.body(), LinkCreate)
            return await evidence_service.add_link(*ids, link)
        if media_type != RequestEncodingType.MULTI_PART:
            raise UnsupportedMediaType(
                _("Send a link as application/json or a file as multipart/form-data.")
            )
        limit = evidence_service.ctx.settings.evidence_max_bytes
        upload, fields = await read_form(request, limit, FileFields)
        try:
            return await evidence_service.add_file(*ids, upload.file, upload.filename, fields)
        finally:
            await upload.close()

    @delete(
        f"{INDICATOR}/evidence/{{evidence_id:int}}",
        status_code=200,
        summary="Remove evidence from an indicator (employee, self-assessment)",
    )
    async def remove_evidence(
        self,
        evidence_service: NamedDependency[EvidenceService],
        appraisal_id: FromPath[int],
        target_id: FromPath[int],
        indicator_id: FromPath[int],
        evidence_id: FromPath[int],
        version: FromQuery[int | None] = None,
    ) -> AppraisalOut:
        return await evidence_service.remove(
            appraisal_id, target_id, indicator_id, evidence_id, version
        )

    @get(
        "/evidence/{evidence_id:int}/file",
        summary="Download an evidence file (anyone who may see the appraisal)",
        media_type="application/octet-stream",
    )
    async def download(
        self, evidence_service: NamedDependency[EvidenceService], evidence_id: FromPath[int]
    ) -> File:
        return file_response(await evidence_service.stored_file(evidence_id))


def file_response(stored: StoredFile) -> File:
    """A stored upload as a download: its sniffed type, its safe name, never cached."""
    return File(
        stored.path,
        media_type=stored.content_type,
        etag=ETag(value=stored.sha256),
        headers={
            "content-disposition": content_disposition(stored.filename),
            "cache-control": "private, no-store",
        },
    )


def upload_router(settings: Settings, controller: type[Controller]) -> Router:
    """``controller``'s endpoints under ``/api/v1``, with a body limit that fits the largest
    accepted file."""
    return Router(
        "/api/v1",
        route_handlers=[controller],
        request_max_body_size=settings.evidence_max_bytes + FORM_OVERHEAD,
    )
