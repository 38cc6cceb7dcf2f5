"""Background jobs: an import followed through its job, who may read a job, exactly one runner
per job, and a job whose process died."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from kinerja_flow.jobs.models import Job
from kinerja_flow.jobs.queue import RunningJob, submit
from kinerja_flow.jobs.runner import JobRunner
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.principal import SYSTEM
from kinerja_flow.org.models import Employee
from tests.support.api import ADMIN_EMAIL, AUDITOR, EMPLOYEE, HR, ORG_CSV, Api
from tests.support.cli import CliResult, run_cli

NEW_LINES = "".join(
    f"199507072020121{index:03d},Pegawai {index},pegawai{index}@example.go.id,BID1,Staf,"
    f"198002022005012002,\n"
    for index in range(1, 41)
)
"""40 new employees under the evaluator (valid NIPs: serials 001-040)."""


async def employee_count(api: Api) -> int:
    async with api.ctx.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Employee)) or 0)


async def test_an_import_is_a_job_followed_to_its_result(api: Api) -> None:
    await api.setup_org()
    started = await api.client.post(
        "/api/v1/employees/import",
        content=(ORG_CSV + NEW_LINES).encode(),
        headers={**api.auth("admin"), "Content-Type": "text/csv"},
    )
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] == "queued"
    assert job["kind"] == "employee_import"
    assert (job["started_at"], job["finished_at"], job["result"]) == (None, None, None)
    assert started.headers["location"] == f"/api/v1/jobs/{job['id']}"

    outcome = await api.follow(started, api.auth("admin"))

    assert outcome.job is not None
    ended = outcome.job
    assert ended["state"] == "done", ended
    assert ended["result"]["created"] == 40
    assert ended["result"]["unchanged"] == 6
    assert ended["result"]["invited"] == 40
    assert ended["progress"]["done"] == ended["progress"]["total"] == 46
    assert ended["started_by"] == ADMIN_EMAIL
    assert ended["attempts"] == 1
    assert ended["created_at"] <= ended["started_at"] <= ended["finished_at"]
    assert ended["error"] is None
    assert await employee_count(api) == 46
    assert len(await api.outbox(kind="invitation")) == 46


async def test_a_bad_file_fails_its_job_listing_every_line_and_writes_nothing(api: Api) -> None:
    await api.setup_org()
    bad = ORG_CSV + NEW_LINES + "123,Tanpa NIP,x@example.go.id,BID1,Staf,,\n"
    mails = len(await api.outbox())

    outcome = await api.import_csv(bad, headers={"Accept-Language": "en"})

    assert outcome.job is not None
    assert outcome.job["state"] == "failed"
    assert outcome.job["result"] is None
    error = outcome.job["error"]
    assert error["status_code"] == 422
    assert error["detail"] == "The file was not imported: 1 line(s) have problems."
    assert {item["line"] for item in error["errors"]} == {48}
    assert await employee_count(api) == 6
    assert len(await api.outbox()) == mails


async def test_a_job_is_read_by_its_starter_and_hr_only(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(HR, EMPLOYEE, AUDITOR)
    outcome = await api.import_csv(ORG_CSV, who=HR)
    assert outcome.job is not None
    path = f"/api/v1/jobs/{outcome.job['id']}"

    for who in ("admin", HR):  # the starter, and another HR officer
        seen = await api.get(path, who)
        assert seen.status_code == 200, seen.text
        assert seen.json()["started_by"] == "rina@example.go.id"
    for who in (EMPLOYEE, AUDITOR):
        hidden = await api.get(path, who)
        assert hidden.status_code == 404, hidden.text
        assert hidden.json() == (await api.get("/api/v1/jobs/999999", who)).json() | {
            "request_id": hidden.json()["request_id"]
        }
    assert (await api.client.get(path)).status_code == 401


async def test_a_preview_then_its_import_without_sending_the_file_again(api: Api) -> None:
    await api.setup_org()
    preview = await api.import_csv(ORG_CSV + NEW_LINES, params={"dry_run": "true"})
    assert preview.status_code == 200, preview.text
    assert (preview.json()["created"], preview.json()["unchanged"]) == (40, 6)
    assert await employee_count(api) == 6
    assert preview.job is not None

    headers = api.auth("admin")
    started = await api.client.post(
        "/api/v1/employees/import", params={"preview": preview.job["id"]}, headers=headers
    )
    imported = await api.follow(started, headers)
    assert imported.status_code == 200, imported.text
    assert imported.json()["created"] == 40
    assert await employee_count(api) == 46

    again = await api.client.post(
        "/api/v1/employees/import", params={"preview": preview.job["id"]}, headers=headers
    )
    assert again.status_code == 409, again.text
    assert imported.job is not None
    not_a_preview = await api.client.post(
        "/api/v1/employees/import", params={"preview": imported.job["id"]}, headers=headers
    )
    assert not_a_preview.status_code == 404, not_a_preview.text


class Probe:
    """A job kind of this test: records each run, and takes a moment."""

    kind = "probe"

    def __init__(self) -> None:
        self.runs: list[int] = []

    async def run(self, ctx: Any, job: RunningJob) -> dict[str, Any]:
        self.runs.append(job.id)
        job.progress(1, 1, "probing")
        await asyncio.sleep(0.01)
        return {"ran": job.id}


async def queue_probes(api: Api, count: int) -> list[int]:
    async with api.ctx.sessions() as session:
        jobs = [await submit(session, api.clock.now(), "probe", SYSTEM, {}) for _ in range(count)]
        await session.commit()
    return [job.id for job in jobs]


async def jobs_by_id(api: Api) -> dict[int, Job]:
    async with api.ctx.sessions() as session:
        return {job.id: job for job in (await session.scalars(select(Job))).all()}


def runner(api: Api, probe: Probe) -> JobRunner[Any]:
    return JobRunner(api.ctx, api.ctx.sessions, api.clock, {"probe": probe})


async def test_two_runners_never_run_one_job_twice(api: Api) -> None:
    ids = await queue_probes(api, 12)
    probe = Probe()
    first, second = runner(api, probe), runner(api, probe)

    async def drain(each: JobRunner[Any]) -> None:
        while await each.run_once():
            pass

    await asyncio.gather(drain(first), drain(second), drain(runner(api, probe)))

    assert sorted(probe.runs) == ids
    stored = await jobs_by_id(api)
    assert {stored[i].state for i in ids} == {"done"}
    assert [stored[i].result for i in ids] == [{"ran": i} for i in ids]
    assert {stored[i].attempts for i in ids} == {1}


async def test_a_job_whose_process_died_runs_again_then_fails_clearly(api: Api) -> None:
    crashed, twice = await queue_probes(api, 2)
    async with api.ctx.sessions() as session:
        await begin_write(session)
        for job_id, attempts in ((crashed, 1), (twice, 2)):
            job = await session.get(Job, job_id)
            assert job is not None
            job.state, job.worker, job.attempts = "running", "gone:1", attempts
            job.lease_until = api.clock.now() + timedelta(seconds=30)
        await session.commit()
    probe = Probe()
    assert not await runner(api, probe).run_once()  # their leases still hold: left alone

    api.clock.advance(timedelta(seconds=31))
    while await runner(api, probe).run_once():
        pass

    assert probe.runs == [crashed]
    stored = await jobs_by_id(api)
    assert (stored[crashed].state, stored[crashed].attempts) == ("done", 2)
    assert stored[twice].state == "failed"
    error = stored[twice].error
    assert error is not None
    assert error["status_code"] == 503


async def test_an_operator_imports_on_the_command_line(api: Api, tmp_path: Path) -> None:
    await api.setup_org()
    # The command runs on the real clock; the service's runner may take the job as well.
    api.clock.advance(datetime.now(UTC) - api.clock.now())

    def cli(text: str) -> CliResult:
        path = tmp_path / "pegawai.csv"
        path.write_text(text, encoding="utf-8")
        return run_cli(
            "employees",
            "import",
            str(path),
            database_url=api.settings.database_url,
            cwd=tmp_path,
            env={
                "KINERJA_SECRET_KEY": api.settings.secret_key,
                "KINERJA_EVIDENCE_DIR": api.settings.evidence_dir,
            },
        )

    refused = cli(ORG_CSV + NEW_LINES + "123,Tanpa NIP,x@example.go.id,BID1,Staf,,\n")
    assert refused.code == 1
    assert refused.problems[0] == "line 48: 123: NIP must be exactly 18 digits."
    assert refused.problems[-1].startswith("Error: The file was not imported: 1 line(s)")
    assert await employee_count(api) == 6

    done = cli(ORG_CSV + NEW_LINES)
    assert done.code == 0, done.err
    assert json.loads(done.out)["created"] == 40
    assert await employee_count(api) == 46
    assert len(await api.outbox(kind="invitation")) == 46
    stored = await jobs_by_id(api)
    assert [(stored[i].state, stored[i].owner["email"]) for i in sorted(stored)][-2:] == [
        ("failed", "system"),
        ("done", "system"),
    ]
    last = await api.get(f"/api/v1/jobs/{max(stored)}", "admin")  # HR reads it
    assert last.json()["result"]["created"] == 40


async def test_a_runner_whose_job_was_taken_over_stops_it(api: Api) -> None:
    [job_id] = await queue_probes(api, 1)
    started, finished = asyncio.Event(), []

    class Slow(Probe):
        async def run(self, ctx: Any, job: RunningJob) -> dict[str, Any]:
            started.set()
            await asyncio.sleep(30)
            finished.append(job.id)
            return {}

    slow = JobRunner(
        api.ctx, api.ctx.sessions, api.clock, {"probe": Slow()}, heartbeat_seconds=0.05
    )
    running = asyncio.create_task(slow.run_once())
    await started.wait()
    async with api.ctx.sessions() as session:  # as a runner that found its lease run out does
        await begin_write(session)
        job = await session.get(Job, job_id)
        assert job is not None
        job.worker = "another:1"
        await session.commit()

    assert await asyncio.wait_for(running, timeout=10) is True
    assert finished == []
    stored = (await jobs_by_id(api))[job_id]
    assert (stored.state, stored.worker) == ("running", "another:1")  # left to its new runner
