"""Drive the web pages over HTTP as a browser without JavaScript would: cookies kept, the
CSRF token read from each page's form and sent back with it."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from httpx import AsyncClient, Response
from litestar.testing import AsyncTestClient

from tests.support.api import PASSWORD, Api

CSRF_INPUT = re.compile(r'name="_csrf_token" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_INPUT.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@dataclass
class Browser:
    """One browser (its own cookies) on the app under test."""

    client: AsyncClient

    async def get(self, path: str, **kwargs: Any) -> Response:
        return await self.client.get(path, **kwargs)

    async def post(self, path: str, data: dict[str, Any], **kwargs: Any) -> Response:
        return await self.client.post(path, data=data, **kwargs)

    @property
    def cookies(self) -> Any:
        return self.client.cookies

    async def submit(
        self, page: str, action: str, fields: dict[str, Any], **kwargs: Any
    ) -> Response:
        """Open ``page``, then post ``fields`` to ``action`` with the page's CSRF token."""
        opened = await self.client.get(page)
        assert opened.status_code == 200, opened.text
        data = {"_csrf_token": csrf_of(opened.text), **fields}
        return await self.client.post(action, data=data, **kwargs)

    async def finished_job(self, started: Response) -> Response:
        """Follow the redirect to a job's page and reload it (as its fallback for browsers
        without JavaScript asks) until the job has ended; answer that last page."""
        assert started.status_code == 303, started.text
        location = started.headers["location"]
        assert re.fullmatch(r"/hr/jobs/\d+", location), location
        for _attempt in range(3000):
            shown = await self.client.get(location)
            assert shown.status_code == 200, shown.text
            if 'http-equiv="refresh"' not in shown.text:
                return shown
            await asyncio.sleep(0.02)
        raise AssertionError(f"the job at {location} did not end")

    async def sign_in(self, username: str, password: str = PASSWORD) -> Response:
        response = await self.submit(
            "/sign-in", "/sign-in", {"username": username, "password": password}
        )
        assert response.status_code == 303, response.text
        return response


@contextlib.asynccontextmanager
async def open_browser(api: Api) -> AsyncIterator[Browser]:
    """A browser of its own (its own cookies) on the app under test, over https."""
    async with AsyncTestClient(api.app, base_url="https://testserver.local") as client:
        client.follow_redirects = False
        yield Browser(client)
