"""Turn a document's HTML into PDF with WeasyPrint, off the event loop.

WeasyPrint is imported only here, on the first PDF asked for: it needs the Pango libraries of
the system, and the service must start (and serve HTML) on a machine without them. Rendering
is CPU-bound and blocking, so it runs in a worker thread, one document at a time.
"""

from __future__ import annotations

import threading

import anyio.to_thread

from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import AppError

_ONE_AT_A_TIME = threading.Lock()


class PdfUnavailable(AppError):
    status_code = 503


def _render(html: str) -> bytes:
    try:
        import weasyprint  # lazily, see the module docstring
    except (ImportError, OSError) as exc:
        raise PdfUnavailable(
            _(
                "PDF output is not available on this server: WeasyPrint cannot load ({error}). "
                "Install the Pango libraries (Debian/Ubuntu: apt-get install libpango-1.0-0 "
                "libpangoft2-1.0-0) and the Python package weasyprint; HTML output still works."
            ),
            error=type(exc).__name__,
        ) from exc
    # The document needs nothing from outside: refuse every URL (no network, no local files).
    fetcher = weasyprint.URLFetcher(allowed_protocols=())
    with _ONE_AT_A_TIME:
        pdf: bytes = weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf()
    return pdf


async def html_to_pdf(html: str) -> bytes:
    return await anyio.to_thread.run_sync(_render, html)
