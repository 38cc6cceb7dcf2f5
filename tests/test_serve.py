"""The real service as an operator starts it: `kinerja-flow serve` and `kinerja-flow worker`."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kinerja_flow.lib.sockets import free_port
from tests.support.api import ORG_CSV, PASSWORD
from tests.support.cli import create_admin
from tests.support.jobs import finished
from tests.support.mailserver import MailServer
from tests.support.server import CLI, wait_until_healthy

pytestmark = pytest.mark.slow  # the installed script, started and stopped


def environment(database_url: str, mail: MailServer, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "KINERJA_DATABASE_URL": database_url,
        "KINERJA_SMTP_HOST": "127.0.0.1",
        "KINERJA_SMTP_PORT": str(mail.port),
        "KINERJA_SMTP_TLS": "none",
        "KINERJA_BASE_URL": "https://kinerja.example.go.id",
        "KINERJA_WORKER_POLL_SECONDS": "0.2",
        "KINERJA_PASSWORD_TIME_COST": "1",
        "KINERJA_PASSWORD_MEMORY_KIB": "1024",
        **extra,
    }


@pytest.fixture
def server(
    tmp_path: Path, mail: MailServer, request: pytest.FixtureRequest
) -> Iterator[tuple[str, dict[str, str]]]:
    """`kinerja-flow serve` on a fresh SQLite file (it migrates the file itself)."""
    embedded = getattr(request, "param", "true")
    env = environment(
        f"sqlite+aiosqlite:///{tmp_path / 'served.sqlite3'}", mail, KINERJA_EMBEDDED_WORKER=embedded
    )
    port = free_port()
    process = subprocess.Popen(
        [CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_healthy(base, process)
    yield base, env
    process.terminate()
    process.wait(timeout=10)


def prepare(base: str, env: dict[str, str]) -> dict[str, str]:
    """An HR admin (made with the CLI), a unit tree and the standard agency imported."""
    create_admin("hr@example.go.id", PASSWORD, env)
    with httpx.Client(base_url=base, timeout=30) as client:  # one client: see healthy_within
        token = client.post(
            "/api/v1/auth/token", json={"username": "hr@example.go.id", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for code, parent in (("DINAS", None), ("BID1", "DINAS")):
            created = client.post(
                "/api/v1/units",
                headers=headers,
                json={"code": code, "name": code, "parent_code": parent},
            )
            assert created.status_code == 201, created.text
        imported = client.post(
            "/api/v1/employees/import",
            content=ORG_CSV.encode(),
            headers={**headers, "Content-Type": "text/csv"},
        )
        job = finished(imported, lambda url: client.get(url, headers=headers))
    assert job["state"] == "done", job
    return headers


def wait_for_mail(mail: MailServer, count: int, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while len(mail.messages) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(mail.messages) >= count, f"{len(mail.messages)} of {count} emails arrived"


def test_serve_migrates_answers_health_and_openapi_and_delivers_mail(
    server: tuple[str, dict[str, str]], mail: MailServer
) -> None:
    base, env = server
    assert httpx.get(f"{base}/health").json() == {"status": "ok"}
    schema = httpx.get(f"{base}/schema/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/appraisals/{appraisal_id}/actions/{trigger}" in schema.json()["paths"]
    assert httpx.get(f"{base}/api/v1/appraisals").status_code == 401
    prepare(base, env)
    wait_for_mail(mail, 6)  # one invitation per imported employee, sent by the in-process loop
    assert {str(m["To"]).split("<")[-1].rstrip(">") for m in mail.messages} >= {
        "budi@example.go.id"
    }


@pytest.mark.parametrize("server", ["false"], indirect=True)
def test_worker_command_delivers_what_the_web_process_queued(
    server: tuple[str, dict[str, str]], mail: MailServer
) -> None:
    base, env = server
    prepare(base, env)
    time.sleep(1)
    assert mail.messages == []  # the web process does not deliver when told not to
    worker = subprocess.Popen(
        [CLI, "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        wait_for_mail(mail, 6)
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    message_ids = [m["Message-ID"] for m in mail.messages]
    assert len(message_ids) == len(set(message_ids)) == 6
