"""Fixtures for the web pages over HTTP: a browser on the app under test (https, as the
settings' base URL, so Secure cookies come back)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.api import Api
from tests.support.web import Browser, open_browser


@pytest.fixture
async def web(api: Api) -> AsyncIterator[Browser]:
    async with open_browser(api) as browser:
        yield browser
