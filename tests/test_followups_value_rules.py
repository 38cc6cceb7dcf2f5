"""An agency's own rules file (KINERJA_FOLLOWUP_RULES_FILE): a rule on the BerAKHLAK values the
evaluator marked below expectation proposes one item per value, about that value."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from kinerja_flow.config import Settings
from tests.support.api import EMPLOYEE, EVALUATOR, Api
from tests.support.flow import advance, evaluate, feedback_for, world

RULES = """
[[rules]]
id = "nilai_di_bawah_ekspektasi"
basis = "PermenPANRB 6/2022: pembinaan perilaku kerja"
reason = "The predikat is '{predikat}': a nomination for a reward."
when = { value_below_expectation = true }
propose = [
    { kind = "coaching", title = "Performance coaching by the evaluator", owner = "evaluator" },
]
"""


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    rules = tmp_path / "rules.toml"
    rules.write_text(RULES, encoding="utf-8")
    return msgspec.structs.replace(settings, followup_rules_file=str(rules))


async def test_one_item_per_value_marked_below_expectation(api: Api) -> None:
    appraisal = await advance(api, await world(api), "under_review")
    draft = feedback_for(appraisal)
    for entry in draft["behaviour_feedback"]:
        if entry["value"] in ("akuntabel", "kolaboratif"):
            entry["below_expectation"] = True
    response = await api.put(
        f"/api/v1/appraisals/{appraisal['id']}/evaluation",
        EVALUATOR,
        {"version": appraisal["version"], **draft},
    )
    assert response.status_code == 200, response.text
    appraisal = response.json()
    marked = {b["value"] for b in appraisal["behaviour"] if b["below_expectation"]}
    assert marked == {"akuntabel", "kolaboratif"}
    hidden = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
    assert {b["below_expectation"] for b in hidden["behaviour"]} == {None}  # concealed
    appraisal = await evaluate(
        api, appraisal, results_rating="di_atas_ekspektasi", behaviour_rating="sesuai_ekspektasi"
    )
    for trigger, who in (("submit_review", EVALUATOR), ("acknowledge", EMPLOYEE)):
        response = await api.act(appraisal, trigger, who)
        assert response.status_code == 200, response.text
        appraisal = response.json()
    items = sorted(appraisal["followups"], key=lambda b: b["title"])
    assert [(b["kind"], b["owner"], b["title"]) for b in items] == [
        ("coaching", "evaluator", "Coaching kinerja oleh pejabat penilai kinerja: Akuntabel"),
        ("coaching", "evaluator", "Coaching kinerja oleh pejabat penilai kinerja: Kolaboratif"),
    ]
    detail = (await api.get(f"/api/v1/followups/{items[0]['id']}", EVALUATOR)).json()
    assert detail["core_value"] == "akuntabel"
