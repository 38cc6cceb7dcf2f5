"""What a state allows is declared in the workflow file: change the file, not the Python."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import msgspec
import pytest

from kinerja_flow.config import Settings
from kinerja_flow.resources import data_dir
from tests.support.api import EMPLOYEE, HR, Api
from tests.support.flow import INDICATOR, add_target, advance, indicator_path, world

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    """The shipped workflows, plus two variants written as an agency would write them."""
    workflows = tmp_path / "workflows"
    shutil.copytree(data_dir("workflows"), workflows)
    shipped = (workflows / "appraisal.toml").read_text(encoding="utf-8")
    # The agency collects evidence while the work is done, not at the self-assessment ...
    moved = shipped.replace('name = "appraisal"', 'name = "early_evidence"')
    moved = moved.replace('evidence = ["employee"]\n', "")
    moved = moved.replace(
        'dialogue = ["employee", "evaluator"]\n',
        'dialogue = ["employee", "evaluator"]\nevidence = ["employee"]\n',
    )
    assert moved.count('evidence = ["employee"]') == shipped.count('evidence = ["employee"]') == 1
    (workflows / "early_evidence.toml").write_text(moved, encoding="utf-8")
    # ... or names the self-assessment state in Indonesian.
    renamed = shipped.replace('name = "appraisal"', 'name = "bahasa"')
    renamed = re.sub(r"\bself_assessment\b", "penilaian_mandiri", renamed)
    assert '"penilaian_mandiri"' in renamed
    assert '"self_assessment"' not in renamed
    (workflows / "bahasa.toml").write_text(renamed, encoding="utf-8")
    return msgspec.structs.replace(settings, workflows_dir=str(workflows))


async def in_cycle_of(api: Api, workflow: str) -> dict[str, Any]:
    """The standard organisation with a cycle on ``workflow``; the employee's appraisal."""
    await world(api)
    cancelled = await api.run(
        f"/api/v1/cycles/{(await api.appraisal_of(EMPLOYEE))['cycle_id']}/actions/cancel",
        "admin",
        {"reason": "Dibuka ulang dengan alur kerja lain"},
    )
    assert cancelled.status_code == 200, cancelled.text
    await api.open_cycle(name=f"SKP {workflow}", workflow=workflow)
    page = await api.get("/api/v1/appraisals", EMPLOYEE, params={"state": "planning"})
    [mine] = [item for item in page.json()["items"] if item["employee"]["nip"] == EMPLOYEE]
    detail = await api.get(f"/api/v1/appraisals/{mine['id']}", EMPLOYEE)
    appraisal: dict[str, Any] = detail.json()
    assert appraisal["workflow"] == workflow
    return appraisal


async def upload(api: Api, appraisal: dict[str, Any]) -> int:
    response = await api.post(
        f"{indicator_path(appraisal)}/evidence",
        EMPLOYEE,
        files={"file": ("bukti.pdf", PDF, "application/pdf")},
    )
    return response.status_code


async def test_a_state_without_evidence_refuses_uploads(api: Api) -> None:
    appraisal = await in_cycle_of(api, "early_evidence")
    appraisal = await add_target(api, appraisal)
    appraisal = await advance(api, appraisal, "in_progress")
    assert await upload(api, appraisal) == 201
    appraisal = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
    appraisal = await advance(api, appraisal, "self_assessment")
    assert await upload(api, appraisal) == 409
    # Realisation is still allowed there: only what the file took out is gone.
    recorded = await api.patch(indicator_path(appraisal), EMPLOYEE, {"realisation_value": 12})
    assert recorded.status_code == 200, recorded.text
    assert len(recorded.json()["targets"][0]["indicators"][0]["evidence"]) == 1


async def test_the_shipped_workflow_takes_uploads_in_the_same_state(api: Api) -> None:
    appraisal = await add_target(api, await world(api))
    appraisal = await advance(api, appraisal, "self_assessment")
    assert await upload(api, appraisal) == 201


async def test_a_renamed_state_keeps_what_it_allows(api: Api) -> None:
    appraisal = await add_target(api, await in_cycle_of(api, "bahasa"))
    for trigger, who in (
        ("submit_targets", EMPLOYEE),
        ("approve_targets", "198002022005012002"),
        ("start_self_assessment", HR),
    ):
        response = await api.act(appraisal, trigger, who)
        assert response.status_code == 200, (trigger, response.text)
        appraisal = response.json()
    appraisal = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
    assert appraisal["state"] == "penilaian_mandiri"
    assert "submit_self_assessment" in appraisal["allowed_actions"]
    assert await upload(api, appraisal) == 201
    # and the SKP is closed there, as in the shipped self-assessment
    refused = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/targets",
        EMPLOYEE,
        {"title": "RHK baru", "indicators": [INDICATOR]},
    )
    assert refused.status_code == 409, refused.text
