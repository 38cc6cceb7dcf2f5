"""Jobs that write a file (a cycle's export): the file downloaded by the job's starter and HR
only, refused while the job runs, gone once its time is over; the list of jobs, newest first,
filtered and paged, each reader seeing the jobs ``GET /api/v1/jobs/{id}`` shows them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from kinerja_flow.bootstrap import job_runner
from kinerja_flow.jobs.models import Job
from kinerja_flow.lib.db import begin_write
from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HR, ORG_CSV, Api
from tests.test_reports import BEYOND_64_BITS, csv_rows, cycle_with_progress


async def export_job(api: Api, cycle_id: int, who: str, **params: str) -> dict[str, Any]:
    started = await api.post(f"/api/v1/cycles/{cycle_id}/exports/appraisals", who, params=params)
    assert started.status_code == 202, started.text
    outcome = await api.follow(started, api.auth(who))
    assert outcome.job is not None
    assert outcome.job["state"] == "done", outcome.text
    return outcome.job


async def output_of(api: Api, job_id: int) -> Path | None:
    async with api.ctx.sessions() as session:
        job = await session.get(Job, job_id)
        assert job is not None
        return Path(job.output_path) if job.output_path else None


async def test_an_export_job_offers_its_file_to_its_starter_and_hr_only(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    job = await export_job(api, cycle_id, AUDITOR, unit_code="BID1")
    assert job["kind"] == "cycle_export"
    assert job["params"] == {
        "cycle_id": cycle_id,
        "table": "appraisals",
        "unit_code": "BID1",
        "format": "csv",
    }
    result = job["result"]
    assert result == {
        "table": "appraisals",
        "format": "csv",
        "unit_code": "BID1",
        "filename": f"appraisals-cycle-{cycle_id}-BID1.csv",
        "media_type": "text/csv",
        "rows": 3,
        "size": result["size"],
        "file": f"/api/v1/jobs/{job['id']}/file",
    }
    assert job["progress"] == {"done": 3, "total": 3, "phase": "exporting"}

    for who in (AUDITOR, HR):  # the starter, and HR (who read every job)
        file = await api.get(result["file"], who)
        assert file.status_code == 200, file.text
        assert file.headers["content-type"].startswith("text/csv")
        assert file.headers["cache-control"] == "private, no-store"
        assert file.headers["content-disposition"] == (
            f'attachment; filename="appraisals-cycle-{cycle_id}-BID1.csv"'
        )
        assert len(file.content) == result["size"]
        assert {row["unit_code"] for row in csv_rows(file.content)} == {"BID1"}
    for who in (EMPLOYEE, EVALUATOR):  # anyone else: no such job
        hidden = await api.get(result["file"], who)
        assert hidden.status_code == 404, hidden.text
    hrs = await export_job(api, cycle_id, HR, format="xlsx")
    assert (await api.get(hrs["result"]["file"], AUDITOR)).status_code == 404
    assert (await api.client.get(result["file"])).status_code == 401
    for bad in ("0", "999999", BEYOND_64_BITS, "abc"):
        odd = await api.get(f"/api/v1/jobs/{bad}/file", HR)
        assert 400 <= odd.status_code < 500, (bad, odd.text)


async def test_no_file_while_the_job_runs_nor_for_a_job_without_one(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    job = await export_job(api, cycle_id, HR)
    async with api.ctx.sessions() as session:  # as if it were still being written elsewhere
        await begin_write(session)
        row = await session.get(Job, job["id"])
        assert row is not None
        row.state, row.worker = "running", "elsewhere:1"
        row.lease_until = api.clock.now() + timedelta(hours=1)
        await session.commit()
    running = await api.get(job["result"]["file"], HR)
    assert running.status_code == 409, running.text
    assert "request_id" in running.json()

    imported = await api.import_csv(ORG_CSV, who=HR)
    assert imported.job is not None
    none = await api.get(f"/api/v1/jobs/{imported.job['id']}/file", HR)
    assert none.status_code == 404, none.text


async def test_the_file_is_removed_once_its_time_is_over(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    old = await export_job(api, cycle_id, HR)
    written = await output_of(api, old["id"])
    assert written is not None
    assert written.is_file()
    hours = api.settings.job_files_hours
    api.clock.advance(timedelta(hours=hours) - timedelta(minutes=1))
    recent = await export_job(api, cycle_id, HR)
    runner = job_runner(api.ctx)
    assert await runner.remove_old_files() == 0  # not yet
    assert (await api.get(old["result"]["file"], HR)).status_code == 200

    api.clock.advance(timedelta(minutes=2))
    assert await runner.remove_old_files() == 1
    assert not written.exists()
    assert await output_of(api, old["id"]) is None
    gone = await api.get(old["result"]["file"], HR)
    assert gone.status_code == 410, gone.text
    assert (await api.get(f"/api/v1/jobs/{old['id']}", HR)).json()["state"] == "done"
    assert (await api.get(recent["result"]["file"], HR)).status_code == 200


async def test_jobs_are_listed_newest_first_for_those_who_may_read_them(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    mine = [await export_job(api, cycle_id, AUDITOR) for _ in range(2)]
    hrs = await export_job(api, cycle_id, HR, format="xlsx")
    everything = (await api.get("/api/v1/jobs", HR)).json()
    ids = [job["id"] for job in everything["items"]]
    assert ids == sorted(ids, reverse=True)
    assert ids[:3] == [hrs["id"], mine[1]["id"], mine[0]["id"]]
    assert everything["total"] == len(ids)
    assert {job["kind"] for job in everything["items"]} >= {"cycle_export", "cycle_open"}

    own = (await api.get("/api/v1/jobs", AUDITOR)).json()
    assert [job["id"] for job in own["items"]] == [mine[1]["id"], mine[0]["id"]]
    assert own["total"] == 2
    assert (await api.get("/api/v1/jobs", EMPLOYEE)).json()["items"] == []

    exports = (await api.get("/api/v1/jobs", HR, params={"kind": "cycle_export"})).json()
    assert [job["id"] for job in exports["items"]] == [hrs["id"], mine[1]["id"], mine[0]["id"]]
    page = (
        await api.get("/api/v1/jobs", HR, params={"kind": "cycle_export", "limit": 2, "offset": 1})
    ).json()
    assert [job["id"] for job in page["items"]] == [mine[1]["id"], mine[0]["id"]]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    beyond = (await api.get("/api/v1/jobs", HR, params={"offset": 100})).json()
    assert (beyond["items"], beyond["total"]) == ([], everything["total"])
    queued = (await api.get("/api/v1/jobs", HR, params={"state": "queued"})).json()
    assert queued["items"] == []
    done = (await api.get("/api/v1/jobs", HR, params={"state": "done"})).json()
    assert done["total"] == everything["total"]

    for bad in (
        {"state": "finished"},
        {"kind": "Cycle Export!"},
        {"kind": "x" * 41},
        {"limit": 0},
        {"limit": 201},
        {"limit": "many"},
        {"offset": -1},
    ):
        refused = await api.get("/api/v1/jobs", HR, params=bad)
        assert refused.status_code in (400, 422), (bad, refused.text)
        assert "request_id" in refused.json()
    assert (await api.client.get("/api/v1/jobs")).status_code == 401
