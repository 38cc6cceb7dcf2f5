"""What operators see: request ids in answers and logs, JSON logs, /metrics, several workers."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar.testing import AsyncTestClient

from kinerja_flow.app import create_app
from kinerja_flow.clock import ManualClock
from kinerja_flow.config import Settings
from kinerja_flow.lib.sockets import free_port
from kinerja_flow.scheduler import Scheduler
from tests.support.api import Api
from tests.support.flow import world
from tests.support.server import CLI, stop, wait_until_healthy

SCRAPE_TOKEN = "scrape-token-for-the-tests-0123456789"
WIB = timezone(timedelta(hours=7))


async def test_an_error_body_names_the_request_id_its_header_carries(api: Api) -> None:
    await api.create_admin()
    response = await api.get("/api/v1/appraisals/424242", "admin")
    assert response.status_code == 404
    request_id = response.headers["x-request-id"]
    assert len(request_id) == 32
    assert response.json()["request_id"] == request_id


async def test_a_callers_own_request_id_is_kept_and_a_strange_one_replaced(api: Api) -> None:
    kept = await api.client.get("/api/v1/no/such/thing", headers={"X-Request-ID": "proxy-7f3a.1"})
    assert kept.status_code == 404
    assert kept.headers["x-request-id"] == "proxy-7f3a.1"
    assert kept.json()["request_id"] == "proxy-7f3a.1"
    replaced = await api.client.get("/health", headers={"X-Request-ID": "x" * 65})
    assert replaced.headers["x-request-id"] not in ("x" * 65, "")
    assert len({replaced.headers["x-request-id"], kept.headers["x-request-id"]}) == 2


async def test_metrics_are_absent_unless_a_scrape_token_is_set(api: Api) -> None:
    assert (await api.client.get("/metrics")).status_code == 404


async def test_metrics_need_the_scrape_token_and_count_requests_per_route(
    settings: Settings, clock: ManualClock, api: Api
) -> None:
    await api.setup_org()  # an agency whose invitation emails wait in the outbox
    hr = api.auth("admin")
    app = create_app(msgspec.structs.replace(settings, metrics_token=SCRAPE_TOKEN), clock)
    async with AsyncTestClient(app) as client:
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status_code == 401
        for _ in range(3):
            assert (await client.get("/api/v1/units", headers=hr)).status_code == 200
        scrape = await client.get("/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"})
    assert scrape.status_code == 200
    text = scrape.text
    assert 'path="/api/v1/units"' in text
    count_line = next(
        line
        for line in text.splitlines()
        if line.startswith("kinerja_requests_total") and 'path="/api/v1/units"' in line
    )
    assert float(count_line.rsplit(" ", 1)[1]) >= 3
    assert "kinerja_request_duration_seconds_bucket" in text
    pending = next(
        line
        for line in text.splitlines()
        if line.startswith('kinerja_outbox_messages{state="pending"}')
    )
    assert float(pending.rsplit(" ", 1)[1]) > 0  # the invitations not yet delivered
    assert "kinerja_outbox_oldest_pending_seconds" in text


def gauge(scrape: str, name: str) -> float:
    line = next(line for line in scrape.splitlines() if line.startswith(f"{name} "))
    return float(line.rsplit(" ", 1)[1])


async def test_metrics_show_whether_the_scheduler_runs_and_how_late_it_acts(
    settings: Settings, clock: ManualClock, api: Api
) -> None:
    await world(api)  # every SKP is due 31-01-2026; reminders from 24-01, 00:00 WIB
    app = create_app(msgspec.structs.replace(settings, metrics_token=SCRAPE_TOKEN), clock)
    token = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}
    async with AsyncTestClient(app) as client:
        before = (await client.get("/metrics", headers=token)).text
        assert gauge(before, "kinerja_scheduler_seconds_since_pass") == -1  # never ran

        # A scheduler that was down from the 24th and passes at 03:00 is three hours late.
        clock.advance(datetime(2026, 1, 24, 3, tzinfo=WIB) - clock.now())
        report = await Scheduler(api.ctx).run_once()
        assert report.deadlines.taken["remind"] > 0
        clock.advance(timedelta(minutes=2))
        late = (await client.get("/metrics", headers=token)).text
        assert gauge(late, "kinerja_scheduler_lag_seconds") == 3 * 3600
        assert gauge(late, "kinerja_scheduler_seconds_since_pass") == 120

        # Passes that find nothing due keep it running on time; the old lag ages out.
        clock.advance(timedelta(minutes=15))
        assert sum((await Scheduler(api.ctx).run_once()).deadlines.taken.values()) == 0
        later = (await client.get("/metrics", headers=token)).text
        assert gauge(later, "kinerja_scheduler_lag_seconds") == 0
        assert gauge(later, "kinerja_scheduler_seconds_since_pass") == 0


@pytest.fixture
def served(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    workers, log_format = request.param
    port = free_port()
    env = {
        **os.environ,
        "KINERJA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'served.sqlite3'}",
        "KINERJA_LOG_FORMAT": log_format,
        "KINERJA_EMBEDDED_WORKER": "false",
    }
    process = subprocess.Popen(
        [CLI, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its worker processes are stopped with it, whatever happens
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, process)
    yield base, process
    stop(process)
    process.wait(timeout=20)


@pytest.mark.parametrize("served", [(1, "json")], indirect=True)
def test_json_logs_carry_the_request_id_of_the_answer(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, process = served
    response = httpx.get(f"{base}/api/v1/appraisals/1", headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    request_id = response.json()["request_id"]
    process.terminate()
    output = process.communicate(timeout=20)[0].decode()
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert records, output
    assert all({"time", "level", "logger", "message"} <= record.keys() for record in records)
    mine = [record for record in records if record.get("request_id") == request_id]
    assert mine, output  # at least the access line of that request


@pytest.mark.slow
@pytest.mark.parametrize("served", [(2, "text")], indirect=True)
def test_serve_with_two_workers_runs_two_processes_on_one_port(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    base, process = served
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    assert len(children) >= 2
    with httpx.Client(base_url=base) as client:
        assert all(client.get("/health").status_code == 200 for _ in range(20))
    stop(process)
    output = process.communicate(timeout=20)[0].decode()
    assert "Uvicorn running on" in output  # the supervisor's own lines, in the service's format
    assert "Logging error" not in output, output
