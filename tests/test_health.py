"""`GET /health` tells whether the service can reach its database."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from kinerja_flow.app import create_app
from kinerja_flow.clock import SystemClock
from kinerja_flow.config import load_settings
from kinerja_flow.lib.sockets import free_port
from tests.support.api import Api


async def test_health_is_ok_with_a_database(api: Api) -> None:
    response = await api.client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_health_is_503_without_a_database() -> None:
    unreachable = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/nowhere"
    app = create_app(
        load_settings({}, database_url=unreachable, embedded_worker=False), SystemClock()
    )
    async with AsyncTestClient(app) as client:
        response = await client.get("/health")
    assert response.status_code == 503
