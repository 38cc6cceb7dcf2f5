"""HTTP endpoints for the printable documents: HTML by default, PDF with ``?format=pdf``."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, Literal

from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from kinerja_flow.documents.pdf import html_to_pdf
from kinerja_flow.documents.service import DocumentService, RenderedDocument
from kinerja_flow.lib.http import request_locale
from kinerja_flow.lib.openapi import error_responses
from kinerja_flow.lib.principal import Principal
from kinerja_flow.runtime.context import AppContext

Output = Annotated[Literal["html", "pdf"], QueryParameter(name="format")]

HTML_HEADERS = {
    # Everything in the page is inline and every user text is escaped; this is a second fence.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "Cache-Control": "private, no-store",
}


def provide_documents(
    db_session: NamedDependency[AsyncSession],
    ctx: NamedDependency[AppContext],
    principal: NamedDependency[Principal],
    request: Request[Any, Any, Any],
) -> DocumentService:
    """The service for this request, in the reader's language (``Accept-Language``, else id)."""
    return DocumentService(db_session, ctx, replace(principal, locale=request_locale(request)))


async def _respond(document: RenderedDocument, output: str) -> Response[bytes]:
    if output == "pdf":
        return Response(
            await html_to_pdf(document.html),
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{document.filename}.pdf"',
                "Cache-Control": "private, no-store",
            },
        )
    return Response(
        document.html.encode(), media_type="text/html; charset=utf-8", headers=HTML_HEADERS
    )


class DocumentController(Controller):
    path = "/api/v1/appraisals/{appraisal_id:int}/documents"
    tags = ["documents"]
    dependencies = {"document_service": Provide(provide_documents, sync_to_thread=False)}

    @get(
        "/skp",
        summary="The printable SKP (from the approval of the targets on); ?format=pdf for PDF",
        media_type=MediaType.HTML,
        responses=error_responses(409),
    )
    async def skp(
        self,
        document_service: NamedDependency[DocumentService],
        appraisal_id: FromPath[int],
        output: Output = "html",
    ) -> Response[bytes]:
        return await _respond(await document_service.skp(appraisal_id), output)

    @get(
        "/evaluation",
        summary="The printable evaluation document (a draft before release); ?format=pdf for PDF",
        media_type=MediaType.HTML,
        responses=error_responses(409),
    )
    async def evaluation(
        self,
        document_service: NamedDependency[DocumentService],
        appraisal_id: FromPath[int],
        output: Output = "html",
    ) -> Response[bytes]:
        return await _respond(await document_service.evaluation(appraisal_id), output)
