"""The API document tells the truth: schemathesis fuzzes every route of a real ``serve``.

The service runs on SQLite and on PostgreSQL with a realistic agency (units, six employees, an
opened cycle). Schemathesis generates requests from the OpenAPI document, as HR and as a staff
member, and fails on any 5xx, any response outside its documented schema and any status code
the document does not list for that route. Each run makes a fixed set of requests: every
operation's coverage cases (boundary and invalid values of each parameter and body field), and
a few fuzzed examples per operation and stateful scenario. A time budget instead made what was
covered depend on the machine's load: at a load of 6 a 25-second run reached 297 (operation,
status code) pairs as HR, this set reaches 713, a superset, for
about a quarter more CPU time there (and less wall time than 25 s on a quiet machine).

Invalid requests (schemathesis' negative mode: wrong types, values out of bounds, missing fields,
unlisted methods, four fifths of the coverage cases) are refused by the same validation whoever
sends them: a staff member's got the same status codes on the same routes as HR's, with the
staff token the only difference (every (operation, status) pair of the staff's negative cases
was among HR's). So the staff member sends only valid requests, which reach the staff's own
paths (their appraisal, their 403s), and HR sends both kinds: about 47 -> 25 s of CPU (client
and server) per staff run.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from kinerja_flow.lib.db import create_engine
from kinerja_flow.lib.sockets import free_port
from kinerja_flow.notifications.models import OutboxMessage
from tests.support.api import CYCLE_2026, PASSWORD
from tests.support.cli import Command
from tests.support.jobs import finished
from tests.support.mailserver import MailServer
from tests.support.server import wait_until_serving
from tests.test_serve import environment, prepare

SCHEMATHESIS = str(Path(sys.executable).parent / "schemathesis")
EXAMPLES_PER_OPERATION = 4
"""Fuzzed and stateful examples per operation; more found no further status code (10 tried)."""
TIMEOUT_SECONDS = 300
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"
LINK = re.compile(r"/set-password\?token=([A-Za-z0-9_\-]+)")


async def _invitation_token(database_url: str, email: str) -> str:
    engine = create_engine(database_url, pooled=False)
    async with engine.connect() as connection:
        body = await connection.scalar(
            select(OutboxMessage.context).where(
                OutboxMessage.to_address == email, OutboxMessage.kind == "invitation"
            )
        )
    await engine.dispose()
    found = LINK.search(body or "")
    assert found, body
    return found.group(1)


@pytest.fixture
def live(
    clean_database: str, mail: MailServer, tmp_path: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    """``serve`` with the standard agency and an opened cycle; the base URL and both tokens."""
    env = environment(
        clean_database,
        mail,
        KINERJA_EMBEDDED_WORKER="false",
        KINERJA_EVIDENCE_DIR=str(tmp_path / "evidence"),
    )
    port = free_port()
    process = Command(
        ["serve", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / "serve.log"
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process)
        hr = prepare(base, env)
        with httpx.Client(base_url=base, timeout=30) as client:  # one client: see healthy_within
            cycle = client.post("/api/v1/cycles", headers=hr, json=CYCLE_2026)
            assert cycle.status_code == 201, cycle.text
            opened = client.post(f"/api/v1/cycles/{cycle.json()['id']}/open", headers=hr)
            job = finished(opened, lambda url: client.get(url, headers=hr))
            assert job["state"] == "done", job
            token = asyncio.run(_invitation_token(clean_database, "budi@example.go.id"))
            accepted = client.post(
                "/api/v1/auth/set-password", json={"token": token, "password": PASSWORD}
            )
            assert accepted.status_code == 204, accepted.text
            staff = client.post(
                "/api/v1/auth/token",
                json={"username": "budi@example.go.id", "password": PASSWORD},
            )
            assert staff.status_code == 200, staff.text
        yield base, {"hr": hr["Authorization"], "staff": f"Bearer {staff.json()['access_token']}"}
    finally:
        process.stop()


MODES = {"hr": "all", "staff": "positive"}
"""What each caller generates (see the module's docstring)."""


@pytest.mark.slow
@pytest.mark.parametrize("caller", ["hr", "staff"])
def test_every_route_keeps_its_documented_contract(
    live: tuple[str, dict[str, str]], caller: str, tmp_path: Path
) -> None:
    base, tokens = live
    completed = subprocess.run(
        [
            SCHEMATHESIS,
            "run",
            f"{base}/schema/openapi.json",
            "--checks",
            CHECKS,
            "--header",
            f"Authorization: {tokens[caller]}",
            "--mode",
            MODES[caller],
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "20260105",
            "--generation-database",
            "none",
            "--request-timeout",
            "30",
            "--no-color",
            "--warnings",
            "off",
        ],
        cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    server_log = (tmp_path / "serve.log").read_text(errors="replace")[-4000:]
    assert completed.returncode == 0, completed.stdout[-12000:] + server_log
    assert "passed" in completed.stdout or "No issues found" in completed.stdout, completed.stdout
