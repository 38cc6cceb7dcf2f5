"""Organisation results and the distribution curve (SE MenPANRB 3/2023, DESIGN.md section 3)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from kinerja_flow import bootstrap
from kinerja_flow.audit.models import AuditEvent
from kinerja_flow.clock import ManualClock
from kinerja_flow.config import load_settings
from kinerja_flow.policies.distribution import (
    DistributionPolicy,
    OrgPredikat,
    PolicyError,
    load_policy,
    parse_policy,
)
from kinerja_flow.policies.distribution_check import evaluate, limit_text, share
from kinerja_flow.predikat import Predikat
from kinerja_flow.resources import data_dir
from tests.conftest import START
from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import evaluate as save_evaluation
from tests.support.flow import realise_all, world

POLICY_FILE = data_dir("policies") / "distribution.toml"
CATALOGUE = (
    Path(__file__).resolve().parents[1] / "src/kinerja_flow/locales/id/LC_MESSAGES/messages.po"
)
PLACEHOLDER = re.compile(r"\{(\w+)\}")
ABOVE, MEETS, BELOW = "di_atas_ekspektasi", "sesuai_ekspektasi", "di_bawah_ekspektasi"


@pytest.fixture(scope="module")
def policy() -> DistributionPolicy:
    return load_policy(POLICY_FILE)


def counts(**by_name: int) -> dict[Predikat, int]:
    short = {
        "sb": Predikat.SANGAT_BAIK,
        "b": Predikat.BAIK,
        "bp": Predikat.BUTUH_PERBAIKAN,
        "km": Predikat.KURANG_MISCONDUCT,
        "sk": Predikat.SANGAT_KURANG,
    }
    return {short[name]: n for name, n in by_name.items()}


# (organisation predikat, counts, the rules broken), each rule at and around its boundary.
CASES: list[tuple[str, dict[str, int], list[str]]] = [
    # istimewa: at most 70% sangat_baik; the rest any other.
    ("istimewa", {"sb": 7, "b": 3}, []),
    ("istimewa", {"sb": 8, "b": 2}, ["max_share:sangat_baik"]),
    ("istimewa", {"sb": 69, "sk": 31}, []),
    ("istimewa", {"sb": 71, "bp": 29}, ["max_share:sangat_baik"]),
    ("istimewa", {"b": 5, "bp": 3, "km": 1, "sk": 1}, []),
    # baik: at most 70% baik; some butuh_perbaikan and/or kurang_misconduct.
    ("baik", {"b": 7, "bp": 3}, []),
    ("baik", {"b": 8, "bp": 2}, ["max_share:baik"]),
    ("baik", {"b": 7, "sb": 2, "km": 1}, []),
    ("baik", {"b": 7, "sb": 2, "sk": 1}, ["min_count:butuh_perbaikan+kurang_misconduct"]),
    ("baik", {"b": 10}, ["max_share:baik", "min_count:butuh_perbaikan+kurang_misconduct"]),
    ("baik", {"sb": 5, "sk": 4, "bp": 1}, []),
    # butuh_perbaikan: at least 60% butuh_perbaikan; at most 10% sangat_baik.
    ("butuh_perbaikan", {"bp": 6, "b": 4}, []),
    ("butuh_perbaikan", {"bp": 5, "b": 5}, ["min_share:butuh_perbaikan"]),
    ("butuh_perbaikan", {"bp": 3, "km": 2}, []),
    ("butuh_perbaikan", {"bp": 6, "sb": 1, "km": 2, "sk": 1}, []),
    ("butuh_perbaikan", {"bp": 6, "sb": 2, "b": 2}, ["max_share:sangat_baik"]),
    (
        "butuh_perbaikan",
        {"bp": 59, "sb": 11, "b": 30},
        ["min_share:butuh_perbaikan", "max_share:sangat_baik"],
    ),
    # kurang: at least 60% kurang_misconduct, at least 10% butuh_perbaikan, sb at most 10%.
    ("kurang", {"km": 6, "bp": 1, "b": 3}, []),
    ("kurang", {"km": 5, "bp": 1, "b": 4}, ["min_share:kurang_misconduct"]),
    ("kurang", {"km": 6, "b": 4}, ["min_share:butuh_perbaikan"]),
    ("kurang", {"km": 27, "bp": 3}, []),
    ("kurang", {"km": 28, "bp": 2}, ["min_share:butuh_perbaikan"]),
    ("kurang", {"km": 6, "bp": 1, "sb": 1, "sk": 2}, []),
    ("kurang", {"km": 6, "bp": 1, "sb": 2, "b": 1}, ["max_share:sangat_baik"]),
    # sangat_kurang: at least 60% sk, at least 10% km and/or bp, no sangat_baik.
    ("sangat_kurang", {"sk": 6, "km": 1, "b": 3}, []),
    ("sangat_kurang", {"sk": 6, "bp": 1, "b": 3}, []),
    ("sangat_kurang", {"sk": 5, "km": 1, "b": 4}, ["min_share:sangat_kurang"]),
    ("sangat_kurang", {"sk": 6, "b": 4}, ["min_share:kurang_misconduct+butuh_perbaikan"]),
    ("sangat_kurang", {"sk": 6, "km": 1, "b": 2, "sb": 1}, ["max_count:sangat_baik"]),
    (
        "sangat_kurang",
        {"sk": 9, "sb": 1},
        ["min_share:kurang_misconduct+butuh_perbaikan", "max_count:sangat_baik"],
    ),
    # Nobody counted yet: nothing to judge.
    ("sangat_kurang", {}, []),
    ("baik", {}, []),
]


@pytest.mark.parametrize(("org", "found", "expected"), CASES)
def test_every_rule_at_and_around_its_boundary(
    policy: DistributionPolicy, org: str, found: dict[str, int], expected: list[str]
) -> None:
    broken = evaluate(policy, OrgPredikat(org), counts(**found))
    assert [b.rule.key for b in broken] == expected


def test_breaches_report_what_was_found_and_the_limit(policy: DistributionPolicy) -> None:
    [too_many] = evaluate(policy, OrgPredikat.ISTIMEWA, counts(sb=8, b=2))
    assert (too_many.actual, too_many.limit) == (0.8, 0.7)
    [none] = evaluate(policy, OrgPredikat.BAIK, counts(b=7, sb=3))
    assert (none.actual, none.limit) == (0, 1)
    [some] = evaluate(policy, OrgPredikat.SANGAT_KURANG, counts(sk=7, km=1, sb=2))
    assert (some.actual, some.limit) == (2, 0)
    [short] = evaluate(policy, OrgPredikat.BUTUH_PERBAIKAN, counts(bp=1, b=2))
    assert (short.rule.key, short.actual, short.limit) == ("min_share:butuh_perbaikan", 0.3333, 0.6)


def test_the_shipped_policy_encodes_the_table(policy: DistributionPolicy) -> None:
    patterns = {
        org.value: [(rule.key, limit_text(rule)) for rule in policy.rules_for(org)]
        for org in OrgPredikat
    }
    assert patterns == {
        "istimewa": [("max_share:sangat_baik", "70")],
        "baik": [
            ("max_share:baik", "70"),
            ("min_count:butuh_perbaikan+kurang_misconduct", "1"),
        ],
        "butuh_perbaikan": [
            ("min_share:butuh_perbaikan", "60"),
            ("max_share:sangat_baik", "10"),
        ],
        "kurang": [
            ("min_share:kurang_misconduct", "60"),
            ("min_share:butuh_perbaikan", "10"),
            ("max_share:sangat_baik", "10"),
        ],
        "sangat_kurang": [
            ("min_share:sangat_kurang", "60"),
            ("min_share:kurang_misconduct+butuh_perbaikan", "10"),
            ("max_count:sangat_baik", "0"),
        ],
    }


def test_every_policy_message_has_an_indonesian_translation(policy: DistributionPolicy) -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = {m.id: m.string for m in read_po(handle) if m.id}
    for message in sorted(policy.messages()):
        translated = catalogue.get(message)
        assert translated, message
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(str(translated)))


VALID_RULE = '{ predikat = ["baik"], max_share = 0.5, message = "m" }'


def _policy_text(rule: str = VALID_RULE, extra: str = "") -> str:
    tables = "".join(f"[{org.value}]\nrules = []\n" for org in OrgPredikat if org.value != "baik")
    return f"{extra}{tables}[baik]\nrules = [{rule}]\n"


def test_an_allowed_rule_and_percentages_with_decimals() -> None:
    strict = parse_policy(
        _policy_text(
            '{ allowed = ["baik", "butuh_perbaikan"], message = "Only {limit} others." }, '
            '{ predikat = ["sangat_baik"], max_share = 0.125, message = "At most {limit}%." }'
        )
    )
    assert evaluate(strict, OrgPredikat.BAIK, counts(b=5, bp=3)) == []
    [outside] = evaluate(strict, OrgPredikat.BAIK, counts(b=5, bp=3, km=2))
    assert (outside.rule.key, outside.actual, outside.limit) == (
        "allowed:baik+butuh_perbaikan",
        2,
        0,
    )
    assert limit_text(strict.baik.rules[1]) == "12.5"
    assert share(1, 3) == 0.3333
    assert share(2, 3) == 0.6667
    assert share(0, 0) == 0.0


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (_policy_text(extra='source = "x"\n'), "unknown field `source`"),
        (
            _policy_text('{ predikat = ["baik"], max_share = 0.5, message = "m", note = 1 }'),
            "unknown field `note`",
        ),
        (
            _policy_text('{ predikat = ["baik"], max_share = 0.5, min_count = 1, message = "m" }'),
            "exactly one of",
        ),
        (_policy_text('{ predikat = ["baik"], message = "m" }'), "exactly one of"),
        (_policy_text('{ predikat = ["bagus"], max_share = 0.5, message = "m" }'), "Invalid enum"),
        (_policy_text('{ predikat = ["baik"], max_share = 1.5, message = "m" }'), "<= 1"),
        (_policy_text('{ predikat = ["baik"], min_count = -1, message = "m" }'), ">= 0"),
        (_policy_text('{ max_share = 0.5, message = "m" }'), "needs `predikat`"),
        (_policy_text('{ predikat = [], max_share = 0.5, message = "m" }'), "length >= 1"),
        (_policy_text('{ predikat = ["baik"], max_share = 0.5 }'), "missing required field"),
        (
            _policy_text('{ predikat = ["baik"], max_share = 0.5, message = "{percent}" }'),
            "may only use {limit}",
        ),
        (_policy_text(f"{VALID_RULE}, {VALID_RULE}"), "the same rule appears twice"),
        ("[baik]\nrules = []\n", "missing required field `istimewa`"),
        ("[baik\n", "not valid TOML"),
    ],
)
def test_a_broken_policy_is_refused_with_a_clear_message(text: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=re.escape(problem)):
        parse_policy(text, "distribution.toml")


def test_the_service_does_not_start_with_a_broken_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "distribution.toml").write_text(_policy_text(extra="[extra]\n"))
    real = data_dir
    monkeypatch.setattr(
        bootstrap, "data_dir", lambda name: tmp_path if name == "policies" else real(name)
    )
    with pytest.raises(PolicyError, match=r"distribution\.toml: .*unknown field `extra`"):
        bootstrap.build_context(load_settings({}), ManualClock(START))
    (tmp_path / "distribution.toml").unlink()
    with pytest.raises(PolicyError, match="cannot read the distribution policy"):
        bootstrap.build_context(load_settings({}), ManualClock(START))


# --- through the API ---------------------------------------------------------------------


async def reviewed(
    api: Api, nip: str, evaluator: str, results: str, behaviour: str
) -> dict[str, Any]:
    """Take ``nip``'s appraisal from planning to reviewed with the given ratings."""
    appraisal = await api.appraisal_of(nip, nip)
    response = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/targets",
        nip,
        {
            "title": "Layanan",
            "indicators": [
                {"description": "Jumlah layanan", "target_value": 12, "target_unit": "unit"}
            ],
        },
    )
    assert response.status_code == 201, response.text
    appraisal = await api.appraisal_of(nip, nip)
    steps = [
        ("submit_targets", nip),
        ("approve_targets", evaluator),
        ("start_self_assessment", "admin"),  # not HR's own officer: separation of duties
    ]
    for trigger, who in steps:
        response = await api.act(appraisal, trigger, who)
        assert response.status_code == 200, (trigger, response.text)
        appraisal = response.json()
    appraisal = await realise_all(api, appraisal, 12, who=nip)
    response = await api.act(appraisal, "submit_self_assessment", nip)
    assert response.status_code == 200, response.text
    response = await api.act(
        await save_evaluation(api, response.json(), who=evaluator),
        "submit_review",
        evaluator,
        results_rating=results,
        behaviour_rating=behaviour,
        departure_reason="Disesuaikan dengan capaian unit.",
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def unit(report: dict[str, Any], code: str) -> dict[str, Any]:
    [found] = [u for u in report["units"] if u["unit_code"] == code]
    result: dict[str, Any] = found
    return result


async def test_distribution_report_per_unit(api: Api) -> None:
    cycle_id = (await world(api))["cycle_id"]
    # BID1: Budi sangat_baik, Dewi baik, Siti butuh_perbaikan.
    await reviewed(api, EMPLOYEE, EVALUATOR, ABOVE, ABOVE)
    await reviewed(api, PEER, EVALUATOR, MEETS, MEETS)
    await reviewed(api, EVALUATOR, HEAD, BELOW, MEETS)
    # DINAS: Rina kurang_misconduct; Agus sangat_kurang, then cancelled (not counted);
    # Hendra is still planning (no predikat, not counted).
    await reviewed(api, HR, HEAD, MEETS, BELOW)
    cancelled = await reviewed(api, AUDITOR, HEAD, BELOW, BELOW)
    response = await api.act(cancelled, "cancel", HR, reason="Pindah instansi")
    assert response.status_code == 200, response.text

    path = f"/api/v1/cycles/{cycle_id}/distribution"
    before = (await api.get(path, HR)).json()
    assert before["cycle_id"] == cycle_id
    assert [u["unit_code"] for u in before["units"]] == ["BID1", "DINAS"]
    bidang = unit(before, "BID1")
    assert bidang["unit_name"] == "Bidang Aplikasi"
    assert bidang["org_predikat"] is None
    assert bidang["total"] == 3
    assert bidang["counts"] == {
        "sangat_baik": 1,
        "baik": 1,
        "butuh_perbaikan": 1,
        "kurang_misconduct": 0,
        "sangat_kurang": 0,
    }
    assert bidang["shares"] == {
        "sangat_baik": 0.3333,
        "baik": 0.3333,
        "butuh_perbaikan": 0.3333,
        "kurang_misconduct": 0.0,
        "sangat_kurang": 0.0,
    }
    assert (bidang["pattern"], bidang["broken"]) == ([], [])
    dinas = unit(before, "DINAS")
    assert dinas["total"] == 1
    assert dinas["counts"]["kurang_misconduct"] == 1
    assert dinas["counts"]["sangat_kurang"] == 0

    result_path = f"/api/v1/cycles/{cycle_id}/units"
    response = await api.client.put(
        f"{result_path}/BID1/result",
        headers=api.auth(HR),
        json={"org_predikat": "baik", "reason": "Capaian kinerja organisasi"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["org_predikat"] == "baik"
    assert response.json()["unit_code"] == "BID1"
    report = (await api.get(path, AUDITOR)).json()
    assert unit(report, "BID1")["broken"] == []
    assert unit(report, "BID1")["pattern"] == [
        "Paling banyak 70% pegawai berpredikat Baik.",
        "Harus ada pegawai berpredikat Butuh Perbaikan dan/atau Kurang/Misconduct.",
    ]

    for code, org in (("BID1", "sangat_kurang"), ("DINAS", "kurang")):
        response = await api.client.put(
            f"{result_path}/{code}/result", headers=api.auth(HR), json={"org_predikat": org}
        )
        assert response.status_code == 200, response.text
    report = (await api.get(path, HR)).json()
    assert unit(report, "BID1")["org_predikat"] == "sangat_kurang"
    assert unit(report, "BID1")["broken"] == [
        {
            "rule": "min_share:sangat_kurang",
            "message": "Paling sedikit 60% pegawai berpredikat Sangat Kurang.",
            "actual": 0.0,
            "limit": 0.6,
        },
        {
            "rule": "max_count:sangat_baik",
            "message": "Tidak boleh ada pegawai berpredikat Sangat Baik.",
            "actual": 1,
            "limit": 0,
        },
    ]
    assert len(unit(report, "BID1")["pattern"]) == 3
    assert unit(report, "DINAS")["broken"] == [
        {
            "rule": "min_share:butuh_perbaikan",
            "message": "Paling sedikit 10% pegawai berpredikat Butuh Perbaikan.",
            "actual": 0.0,
            "limit": 0.1,
        }
    ]
    english = (await api.client.get(path, headers={**api.auth(HR), "Accept-Language": "en"})).json()
    assert [b["message"] for b in unit(english, "BID1")["broken"]] == [
        "At least 60% of the employees are sangat kurang.",
        "No employee may be sangat baik.",
    ]
    assert unit(english, "DINAS")["pattern"] == [
        "At least 60% of the employees are kurang/misconduct.",
        "At least 10% of the employees are butuh perbaikan.",
        "At most 10% of the employees are sangat baik.",
    ]


async def test_setting_a_unit_result_is_hr_only_checked_and_audited(api: Api) -> None:
    cycle_id = (await world(api))["cycle_id"]
    path = f"/api/v1/cycles/{cycle_id}/units/BID1/result"

    async def put(who: str, body: Any, url: str = path) -> Any:
        return await api.client.put(url, headers=api.auth(who), json=body)

    for who in (EVALUATOR, AUDITOR, EMPLOYEE):
        assert (await put(who, {"org_predikat": "baik"})).status_code == 403
    missing_cycle = await put(HR, {"org_predikat": "baik"}, "/api/v1/cycles/999/units/BID1/result")
    assert missing_cycle.status_code == 404
    missing_unit = await put(
        HR, {"org_predikat": "baik"}, f"/api/v1/cycles/{cycle_id}/units/NOPE/result"
    )
    assert missing_unit.status_code == 404
    assert "NOPE" in missing_unit.json()["detail"]
    assert (await put(HR, {"org_predikat": "luar_biasa"})).status_code == 422
    assert (await put(HR, {"org_predikat": "baik", "extra": 1})).status_code == 422
    assert (await put(HR, {})).status_code == 422

    first = await put(HR, {"org_predikat": "baik"})
    assert first.status_code == 200, first.text
    assert first.json()["reason"] is None
    again = await put(HR, {"org_predikat": "baik"})
    assert again.status_code == 200
    changed = await put("admin", {"org_predikat": "istimewa", "reason": "Hasil evaluasi SAKIP"})
    assert changed.status_code == 200
    assert changed.json()["org_predikat"] == "istimewa"
    assert changed.json()["set_by"] != first.json()["set_by"]

    async with api.ctx.sessions() as session:
        events = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "unit_result.set")
                .order_by(AuditEvent.seq)
            )
        ).all()
    data = [json.loads(e.data) for e in events]
    assert [(d["before"], d["after"]) for d in data] == [
        (None, {"org_predikat": "baik", "reason": None}),
        (
            {"org_predikat": "baik", "reason": None},
            {"org_predikat": "istimewa", "reason": "Hasil evaluasi SAKIP"},
        ),
    ]
    assert events[1].reason == "Hasil evaluasi SAKIP"
    assert data[1]["unit"] == "BID1"
    verify = await api.get("/api/v1/audit/verify", HR)
    assert verify.json()["ok"] is True


async def test_only_hr_and_auditors_read_the_distribution(api: Api) -> None:
    cycle_id = (await world(api))["cycle_id"]
    path = f"/api/v1/cycles/{cycle_id}/distribution"
    for who in (HR, AUDITOR, "admin"):
        assert (await api.get(path, who)).status_code == 200
    for who in (EMPLOYEE, EVALUATOR, HEAD):
        assert (await api.get(path, who)).status_code == 403
    assert (await api.get("/api/v1/cycles/999/distribution", HR)).status_code == 404
