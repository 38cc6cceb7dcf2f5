"""The rules of policies/followup_rules.toml: each shipped rule against each predikat, run once
when an appraisal reaches follow-up (also under concurrency), shown in the appraisal, its
document and its trail; the close guard and HR's close with a reason; the rules file checked."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select, text

from kinerja_flow.appraisals.service import AppraisalService
from kinerja_flow.bootstrap import build_context
from kinerja_flow.clock import SystemClock
from kinerja_flow.config import Settings
from kinerja_flow.followups.models import FollowUp
from kinerja_flow.followups.rules import propose_for
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.principal import SYSTEM
from kinerja_flow.policies.followup_rules import (
    FollowUpRulesError,
    Subject,
    load_rules,
    parse_rules,
)
from kinerja_flow.predikat import Predikat, Rating
from kinerja_flow.resources import data_dir
from kinerja_flow.scheduler import Scheduler
from kinerja_flow.workflow.loader import load_dir
from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HR, Api
from tests.support.cli import run_cli
from tests.support.concurrency import overlapping_client
from tests.support.flow import advance, evaluate, world
from tests.support.followups import ITEMS, acted, end_followups, proposed, upload_certificate
from tests.test_i18n import CATALOGUES, PLACEHOLDER

SHIPPED = load_rules(data_dir("policies") / "followup_rules.toml")
RATINGS: dict[Predikat, tuple[Rating, Rating]] = {
    Predikat.SANGAT_BAIK: (Rating.ABOVE, Rating.ABOVE),
    Predikat.BAIK: (Rating.ABOVE, Rating.MEETS),
    Predikat.BUTUH_PERBAIKAN: (Rating.BELOW, Rating.MEETS),
    Predikat.KURANG_MISCONDUCT: (Rating.MEETS, Rating.BELOW),
    Predikat.SANGAT_KURANG: (Rating.BELOW, Rating.BELOW),
}
EXPECTED: dict[Predikat, set[str]] = {
    Predikat.SANGAT_BAIK: {"sangat_baik"},
    Predikat.BAIK: set(),
    Predikat.BUTUH_PERBAIKAN: {"butuh_perbaikan"},
    Predikat.KURANG_MISCONDUCT: {"kurang_atau_sangat_kurang"},
    Predikat.SANGAT_KURANG: {"kurang_atau_sangat_kurang"},
}


def subject(predikat: Predikat, hours: int = 20, history: tuple[Predikat, ...] = ()) -> Subject:
    results, behaviour = RATINGS[predikat]
    return Subject(predikat, results, behaviour, (), hours, 20, 2026, history)


def matched(found: list[Any]) -> set[str]:
    return {proposed.rule.id for proposed in found}


@pytest.mark.parametrize("predikat", list(Predikat), ids=lambda p: p.value)
def test_each_shipped_rule_against_each_predikat(predikat: Predikat) -> None:
    assert matched(SHIPPED.match(subject(predikat))) == EXPECTED[predikat]
    assert matched(SHIPPED.match(subject(predikat, hours=19))) == EXPECTED[predikat] | {"jp_kurang"}
    twice = matched(SHIPPED.match(subject(predikat, history=(predikat,))))
    talent = {"sangat_baik_berturut"} if predikat == Predikat.SANGAT_BAIK else set()
    assert twice == EXPECTED[predikat] | talent
    other = Predikat.BAIK if predikat != Predikat.BAIK else Predikat.SANGAT_BAIK
    assert (
        matched(SHIPPED.match(subject(predikat, history=(other, predikat)))) == EXPECTED[predikat]
    )


def test_each_shipped_rule_cites_its_basis_and_is_translated() -> None:
    catalogue = {}
    for path in CATALOGUES:
        with path.open("rb") as handle:
            catalogue.update({m.id: m.string for m in read_po(handle) if m.id})
    for rule in SHIPPED.rules:
        assert rule.basis.strip()
    for message in sorted(SHIPPED.messages()):
        translated = catalogue.get(message)
        assert translated, message
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(str(translated)))


def test_every_way_into_follow_up_proposes_and_close_waits_for_the_items() -> None:
    """Guards the workflow files, including steps added later (the appeal window's lapse)."""
    from kinerja_flow.bootstrap import REGISTRIES

    for definition in load_dir(data_dir("workflows"), REGISTRIES).values():
        if definition.kind != "appraisal":
            continue
        for transition in definition.transitions:
            if transition.dest == "follow_up":
                assert "propose_followups" in transition.effects, transition.trigger
            if transition.trigger == "close":
                assert "followups_ended" in transition.guards


RULE = """
[[rules]]
id = "{id}"
basis = "b"
reason = "{reason}"
when = {when}
propose = [{propose}]
"""


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"when": "{ colour = 1 }"}, "colour"),
        ({"when": "{}"}, "at least one condition"),
        ({"when": '{ predikat = ["luar_biasa"] }'}, "luar_biasa"),
        ({"when": "{ consecutive = 2, training_hours_below_minimum = true }"}, "give `predikat`"),
        ({"propose": '{ kind = "holiday", title = "t" }'}, "holiday"),
        ({"propose": ""}, "propose"),
        ({"reason": "Because {mood}"}, "mood"),
        ({"id": "Has Spaces"}, "id"),
    ],
)
def test_a_broken_rules_file_is_refused_naming_the_rule(
    change: dict[str, str], problem: str
) -> None:
    values = {
        "id": "aturan_uji",
        "reason": "r",
        "when": '{ predikat = ["baik"] }',
        "propose": '{ kind = "coaching", title = "t" }',
        **change,
    }
    with pytest.raises(FollowUpRulesError) as raised:
        parse_rules(RULE.format(**values), "rules.toml")
    assert "rules.toml" in str(raised.value)
    assert problem in str(raised.value)


def test_a_rule_id_is_used_once() -> None:
    rule = RULE.format(
        id="sama",
        reason="r",
        when='{ predikat = ["baik"] }',
        propose='{ kind = "coaching", title = "t" }',
    )
    with pytest.raises(FollowUpRulesError, match="used twice: sama"):
        parse_rules(rule * 2, "rules.toml")


def test_workflows_check_reports_a_broken_rules_file(tmp_path: Path) -> None:
    broken = tmp_path / "rules.toml"
    broken.write_text(RULE.format(id="x", reason="r", when="{}", propose=""), encoding="utf-8")
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    result = run_cli(
        "workflows",
        "check",
        database_url=url,
        cwd=tmp_path,
        env={"KINERJA_FOLLOWUP_RULES_FILE": str(broken)},
    )
    assert result.code == 1
    assert str(broken) in result.err
    shipped = run_cli("workflows", "check", database_url=url, cwd=tmp_path)
    assert shipped.code == 0, shipped.err
    assert "followup_rules.toml: ok (5 rules)" in shipped.out


# -- through the API ------------------------------------------------------------------------


async def reach_follow_up(
    api: Api, appraisal: dict[str, Any], predikat: Predikat, **draft: Any
) -> dict[str, Any]:
    """Rate the appraisal to ``predikat`` and have the employee acknowledge it."""
    appraisal = await advance(api, appraisal, "under_review")
    results, behaviour = RATINGS[predikat]
    ratings = {"results_rating": results.value, "behaviour_rating": behaviour.value}
    if results != Rating.ABOVE:
        ratings["departure_reason"] = "Kualitas hasil kerja di bawah standar yang disepakati."
    appraisal = await evaluate(api, appraisal, **ratings, **draft)
    appraisal = await acted_appraisal(api, appraisal, "submit_review", EVALUATOR)
    assert appraisal["predikat"] == predikat.value
    return await acted_appraisal(api, appraisal, "acknowledge", EMPLOYEE)


async def acted_appraisal(
    api: Api, appraisal: dict[str, Any], trigger: str, who: str, **payload: Any
) -> dict[str, Any]:
    response = await api.act(appraisal, trigger, who, **payload)
    assert response.status_code == 200, (trigger, response.text)
    result: dict[str, Any] = response.json()
    return result


PROPOSED_KINDS: dict[Predikat, list[str]] = {
    Predikat.SANGAT_BAIK: ["reward", "training"],
    Predikat.BAIK: ["training"],
    Predikat.BUTUH_PERBAIKAN: ["coaching", "training"],
    Predikat.KURANG_MISCONDUCT: ["counselling", "improvement_plan", "training"],
    Predikat.SANGAT_KURANG: ["counselling", "improvement_plan", "training"],
}


@pytest.mark.parametrize("predikat", list(Predikat), ids=lambda p: p.value)
async def test_reaching_follow_up_proposes_what_the_result_calls_for(
    api: Api, predikat: Predikat
) -> None:
    appraisal = await reach_follow_up(api, await world(api), predikat)
    briefs = appraisal["followups"]
    assert sorted(b["kind"] for b in briefs) == PROPOSED_KINDS[predikat]
    assert {b["state"] for b in briefs} == {"proposed"}
    training = next(b for b in briefs if b["kind"] == "training")
    expected_rules = (
        ["jp_kurang"] if predikat != Predikat.BUTUH_PERBAIKAN else ["butuh_perbaikan", "jp_kurang"]
    )
    assert training["rules"] == expected_rules
    assert training["reasons"][-1] == (
        "0 JP pengembangan kompetensi pada tahun 2026, kurang dari batas minimal 20 JP per tahun."
    )

    page = (await api.get(ITEMS, EVALUATOR)).json()
    assert page["total"] == len(briefs)
    item = (await api.get(f"{ITEMS}/{training['id']}", EVALUATOR)).json()
    assert item["source"]["added_by"] == "system"
    assert item["source"]["rules"][0]["basis"]
    assert item["appraisal_id"] == appraisal["id"]
    english = await api.client.get(
        f"/api/v1/appraisals/{appraisal['id']}",
        headers={**api.auth(EMPLOYEE), "Accept-Language": "en"},
    )
    assert english.status_code == 200

    trail = (await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", EMPLOYEE)).json()
    actions = [event["action"] for event in trail]
    step = actions.index("appraisal.acknowledge")
    assert actions[step + 1 :] == ["followup.proposed"] * len(briefs)

    await api.deliver()
    proposals = await api.outbox(kind="followup_proposed")
    assert [row.to_address for row in proposals] == ["siti@example.go.id"]  # not the actor
    for brief in briefs:
        assert brief["title"] in proposals[0].body_text

    document = await api.get(f"/api/v1/appraisals/{appraisal['id']}/documents/evaluation", HR)
    assert document.status_code == 200
    assert "TINDAK LANJUT HASIL PENILAIAN KINERJA" in document.text
    for brief in briefs:
        assert brief["title"] in document.text


async def test_enough_training_hours_propose_no_training(api: Api) -> None:
    appraisal = await world(api)
    item = await proposed(
        api, EMPLOYEE, EMPLOYEE, details={"kind": "training", "hours": 20, "end": "2026-01-05"}
    )
    item = await acted(api, item, "approve", EVALUATOR)
    item = await acted(api, item, "start", EMPLOYEE)
    item = (await upload_certificate(api, item, EMPLOYEE)).json()
    await acted(api, item, "complete", EMPLOYEE)
    appraisal = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
    appraisal = await reach_follow_up(api, appraisal, Predikat.BAIK)
    assert appraisal["followups"] == []


async def test_sangat_baik_twice_running_proposes_the_talent_pool(api: Api) -> None:
    appraisal = await world(api)
    earlier = await api.open_cycle(
        name="SKP Tahunan 2025",
        period_start="2025-01-01",
        period_end="2025-12-31",
        deadlines={
            "targets_due": "2025-01-31",
            "self_assessment_due": "2025-12-15",
            "review_due": "2025-12-31",
        },
    )
    async with api.ctx.sessions() as session:
        await session.execute(
            text(
                "UPDATE appraisals SET predikat = 'sangat_baik', state = 'closed' "
                "WHERE cycle_id = :cycle"
            ),
            {"cycle": earlier["cycle"]["id"]},
        )
        await session.commit()
    appraisal = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
    appraisal = await reach_follow_up(api, appraisal, Predikat.SANGAT_BAIK)
    assert sorted(b["kind"] for b in appraisal["followups"]) == [
        "reward",
        "talent_pool",
        "training",
    ]
    talent = next(b for b in appraisal["followups"] if b["kind"] == "talent_pool")
    assert talent["rules"] == ["sangat_baik_berturut"]
    assert "2 periode berturut-turut" in talent["reasons"][0]


async def test_proposals_run_exactly_once_under_concurrency(api: Api) -> None:
    appraisal = await advance(api, await world(api), "reviewed")
    async with overlapping_client(api.app) as client:
        answers = await asyncio.gather(
            *(
                client.post(
                    f"/api/v1/appraisals/{appraisal['id']}/actions/acknowledge",
                    headers=api.auth(EMPLOYEE),
                    json={"version": appraisal["version"]},
                )
                for _ in range(4)
            )
        )
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409]

    async def again() -> int:
        async with api.ctx.sessions() as session:
            await begin_write(session)
            service = AppraisalService(session, api.ctx, SYSTEM)
            loaded = await service._load(appraisal["id"], lock=True)
            made = await propose_for(service, loaded)
            await session.commit()
            return len(made)

    assert list(await asyncio.gather(again(), again())) == [0, 0]
    async with api.ctx.sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(FollowUp)
            .where(FollowUp.appraisal_id == appraisal["id"])
        )
    assert count == 1  # the training need, once


async def test_close_waits_for_the_items_and_hr_may_close_anyway_with_a_reason(
    api: Api,
) -> None:
    appraisal = await reach_follow_up(api, await world(api), Predikat.BUTUH_PERBAIKAN)
    refused = await api.act(appraisal, "close", HR)
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "followups"
    assert "Coaching kinerja oleh pejabat penilai kinerja" in error["message"]
    assert (await api.act(appraisal, "close_anyway", EMPLOYEE, reason="x")).status_code == 403
    assert (await api.act(appraisal, "close_anyway", HR)).status_code == 422
    closed = await acted_appraisal(
        api, appraisal, "close_anyway", HR, reason="Pegawai pensiun; tindak lanjut dihentikan."
    )
    assert closed["state"] == "closed"
    trail = (await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", AUDITOR)).json()
    last = trail[-1]
    assert (last["action"], last["reason"]) == (
        "appraisal.close_anyway",
        "Pegawai pensiun; tindak lanjut dihentikan.",
    )
    assert sorted(i["title"] for i in last["data"]["open_followups"]) == sorted(
        b["title"] for b in appraisal["followups"]
    )
    await api.deliver()
    assert [
        r.kind for r in await api.outbox(to="budi@example.go.id") if r.kind == "appraisal_closed"
    ]


async def test_close_goes_through_once_every_item_has_ended(api: Api) -> None:
    appraisal = await reach_follow_up(api, await world(api), Predikat.SANGAT_BAIK)
    reward = next(b for b in appraisal["followups"] if b["kind"] == "reward")
    item = (await api.get(f"{ITEMS}/{reward['id']}", HR)).json()
    item = await acted(api, item, "approve", EVALUATOR)
    item = await acted(api, item, "start", HR)
    edited = await api.patch(
        f"{ITEMS}/{item['id']}",
        HR,
        {"version": item["version"], "details": {"kind": "reward", "reward_kind": "Piagam"}},
    )
    item = await acted(api, edited.json(), "complete", HR)
    assert (await api.act(appraisal, "close", HR)).status_code == 422  # the training is open
    await end_followups(api, appraisal, HR)
    closed = await acted_appraisal(api, appraisal, "close", HR)
    assert closed["state"] == "closed"
    assert {b["state"] for b in closed["followups"]} == {"completed", "rejected"}


async def test_an_improvement_plan_shows_on_the_employee_s_next_appraisal(api: Api) -> None:
    current = await world(api)
    earlier = await api.open_cycle(
        name="SKP Tahunan 2025",
        period_start="2025-01-01",
        period_end="2025-12-31",
        deadlines={
            "targets_due": "2025-01-31",
            "self_assessment_due": "2025-12-15",
            "review_due": "2025-12-31",
        },
    )
    page = (
        await api.get("/api/v1/appraisals", EMPLOYEE, params={"cycle_id": earlier["cycle"]["id"]})
    ).json()
    [last_year] = page["items"]
    plan = await proposed(
        api,
        EVALUATOR,
        EMPLOYEE,
        title="Rencana perbaikan kinerja 2025",
        details={"kind": "improvement_plan"},
        appraisal_id=last_year["id"],
    )
    plan = await acted(api, plan, "approve", EVALUATOR)
    plan = await acted(api, plan, "start", EMPLOYEE)
    await acted(api, plan, "complete", EMPLOYEE, outcome="not_improved")
    now = (await api.get(f"/api/v1/appraisals/{current['id']}", EVALUATOR)).json()
    assert [(b["title"], b["state"], b["outcome"]) for b in now["earlier_improvement_plans"]] == [
        ("Rencana perbaikan kinerja 2025", "completed", "not_improved")
    ]
    before = (await api.get(f"/api/v1/appraisals/{last_year['id']}", EVALUATOR)).json()
    assert before["earlier_improvement_plans"] == []
    assert [b["title"] for b in before["followups"]] == ["Rencana perbaikan kinerja 2025"]


async def test_the_appeal_window_s_lapse_proposes_as_the_system(api: Api) -> None:
    appraisal = await advance(api, await world(api), "reviewed")
    api.clock.advance(timedelta(days=14))
    report = await Scheduler(api.ctx).run_once()
    assert not report.failed, report
    current = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EVALUATOR)).json()
    assert current["state"] == "follow_up"
    assert [b["kind"] for b in current["followups"]] == ["training"]
    trail = (await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", HR)).json()
    assert [(e["action"], e["actor"]) for e in trail[-2:]] == [
        ("appraisal.accept_result", "system"),
        ("followup.proposed", "system"),
    ]
    await api.deliver()
    told = sorted(row.to_address for row in await api.outbox(kind="followup_proposed"))
    assert told == ["budi@example.go.id", "siti@example.go.id"]


def test_the_service_does_not_start_with_a_broken_rules_file(
    settings: Settings, tmp_path: Path
) -> None:
    broken = tmp_path / "rules.toml"
    broken.write_text(RULE.format(id="x", reason="{mood}", when="{}", propose=""), "utf-8")
    with pytest.raises(FollowUpRulesError, match=str(broken)):
        build_context(
            msgspec.structs.replace(settings, followup_rules_file=str(broken)), SystemClock()
        )
