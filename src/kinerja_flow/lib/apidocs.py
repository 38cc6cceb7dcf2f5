"""The API's documentation page, served entirely from the package: no script or style from
the internet, so the page works offline and its policy allows nothing but our own files.

Swagger UI's files are vendored under ``static/swagger-ui`` (see the ``VERSION`` file there).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.enums import MediaType
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

SCHEMA_PATH = "/schema"
ASSETS = Path(__file__).resolve().parents[1] / "static" / "swagger-ui"
ASSETS_PATH = f"{SCHEMA_PATH}/assets"
PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}">
<title>kinerja-flow API</title>
<link rel="stylesheet" href="{ASSETS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS_PATH}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_PATH}/swagger-init.js"></script>
</body>
</html>
""".encode()


class LocalSwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI at ``/schema`` and ``/schema/swagger``, from the vendored files."""

    def __init__(self) -> None:
        super().__init__(path=["/", "/swagger"], media_type=MediaType.HTML)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return PAGE


def assets_router() -> Router:
    """The vendored files, cacheable for a day (they change only with a release)."""
    return create_static_files_router(
        path=ASSETS_PATH,
        directories=[ASSETS],
        include_in_schema=False,
        cache_control=CacheControlHeader(max_age=86400, public=True),
    )
