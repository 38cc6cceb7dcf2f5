"""Public satisfaction (IKM): the anonymous survey, its throttle and the index of a unit."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest
from httpx import Response
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from kinerja_flow.clock import ManualClock
from kinerja_flow.config import Settings
from kinerja_flow.feedback import ikm
from kinerja_flow.feedback.models import SurveyResponse
from kinerja_flow.feedback.schemas import SurveySubmit
from kinerja_flow.feedback.service import SurveyService
from kinerja_flow.lib.errors import TooManyRequests
from kinerja_flow.models import metadata
from kinerja_flow.org.models import Unit
from tests.support.api import AUDITOR, EMPLOYEE, Api
from tests.support.apps import app_for
from tests.support.mailserver import MailServer

UNIT = "LAYANAN"
ALL_GOOD = [4] * 9
MakeApi = Callable[..., Awaitable[Api]]


@pytest.fixture
async def make_api(
    settings: Settings, clock: ManualClock, mail: MailServer
) -> AsyncIterator[MakeApi]:
    """Another app on the same database and clock, with some settings changed (built as the
    ``api`` fixture's is: its pooled connections never move between the test's loop and the
    test client's)."""
    clients: list[AsyncTestClient[Any]] = []

    async def build(**overrides: Any) -> Api:
        changed = msgspec.structs.replace(settings, **overrides)
        app = app_for(changed, clock)
        client = AsyncTestClient(app)
        await client.__aenter__()
        clients.append(client)
        return Api(client, app, changed, clock, mail)

    yield build
    for client in reversed(clients):
        await client.__aexit__(None, None, None)


@pytest.fixture
async def proxied(make_api: MakeApi) -> Api:
    """The app behind a trusted reverse proxy: each test citizen has its own address."""
    return await make_api(trust_forwarded_for=True)


async def add_unit(api: Api, code: str = UNIT) -> None:
    if "admin" not in api.tokens:
        await api.create_admin()
    response = await api.post("/api/v1/units", "admin", {"code": code, "name": f"Unit {code}"})
    assert response.status_code == 201, response.text


async def send(
    api: Api,
    answers: Any,
    comment: str | None = None,
    *,
    code: str = UNIT,
    address: str | None = None,
    **extra: Any,
) -> Response:
    body = {"answers": answers, **({"comment": comment} if comment is not None else {}), **extra}
    headers = {"X-Forwarded-For": address} if address else {}
    return await api.client.post(f"/public/units/{code}/survey", json=body, headers=headers)


async def report(api: Api, code: str = UNIT, who: str = "admin", **params: str) -> Any:
    response = await api.get(f"/api/v1/units/{code}/ikm", who, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def stored(api: Api) -> int:
    async with api.ctx.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(SurveyResponse)) or 0)


def spread(responses: int, total: int) -> list[list[int]]:
    """``responses`` answer sets (nine answers 1-4 each) whose answers add up to ``total``."""
    assert 9 * responses <= total <= 36 * responses
    flat, extra = [1] * (9 * responses), total - 9 * responses
    for position in range(len(flat)):
        step = min(3, extra)
        flat[position] += step
        extra -= step
    return [flat[start : start + 9] for start in range(0, len(flat), 9)]


# --- the arithmetic and the categories, through the API --------------------------------------

# index = 25 x (sum of all answers) / (9 x responses), rounded half-up to two decimals
BOUNDARIES = [
    (1, 36, 100.00, "A", "Sangat Baik"),
    (24, 763, 88.31, "A", "Sangat Baik"),  # 88.3102
    (19, 604, 88.30, "B", "Baik"),  # 88.3041
    (19, 524, 76.61, "B", "Baik"),  # 76.6082
    (26, 717, 76.60, "C", "Kurang Baik"),  # 76.6026
    (5, 117, 65.00, "C", "Kurang Baik"),  # exactly 65
    (38, 889, 64.99, "D", "Tidak Baik"),  # 64.9854
    (1, 9, 25.00, "D", "Tidak Baik"),
]


@pytest.mark.parametrize(
    ("responses", "total", "index", "category", "label"),
    BOUNDARIES,
    ids=[f"{case[2]:.2f}" for case in BOUNDARIES],
)
async def test_index_and_category_at_the_boundaries(
    proxied: Api, responses: int, total: int, index: float, category: str, label: str
) -> None:
    await add_unit(proxied)
    for number, answers in enumerate(spread(responses, total)):
        response = await send(proxied, answers, address=f"10.0.{number // 200}.{number % 200}")
        assert response.status_code == 201, response.text
    result = await report(proxied)
    assert result["responses"] == responses
    assert result["index"] == index
    assert result["category"] == category
    assert result["category_label"] == label


async def test_per_element_means_and_an_index_from_the_exact_means(api: Api) -> None:
    await add_unit(api)
    for number, answers in enumerate(
        [
            [4, 4, 3, 2, 1, 4, 3, 2, 4],
            [4, 3, 3, 2, 1, 4, 3, 3, 3],
            [3, 3, 3, 2, 1, 4, 4, 3, 3],
        ]
    ):
        response = await send(api, answers, f"tanggapan {number}")
        assert response.status_code == 201, response.text
    result = await report(api)
    assert result == {
        "unit": UNIT,
        "from": None,
        "to": None,
        # 25 x 79 / 27 = 73.148...; averaging the rounded means would give 73.14
        "index": 73.15,
        "category": "C",
        "category_label": "Kurang Baik",
        "responses": 3,
        "elements": [3.67, 3.33, 3.0, 2.0, 1.0, 4.0, 3.33, 2.67, 3.33],
    }
    english = await api.client.get(
        f"/api/v1/units/{UNIT}/ikm", headers={**api.auth("admin"), "Accept-Language": "en"}
    )
    assert english.json()["category_label"] == "Poor"


def test_exact_ties_round_half_up() -> None:
    """Ties only a very large survey can produce: 5000 responses whose index ends in 5."""
    for per_element, index, category in (
        (17661, "88.31", "A"),  # 88.305: a float would hold 88.30499... and give B
        (15321, "76.61", "B"),  # 76.605
        (12999, "65.00", "C"),  # 64.995
    ):
        result = ikm.compute([per_element] * 9, 5000)
        assert result.index == Decimal(index)
        assert result.category == category
    assert ikm.compute([3] * 9, 2).element_means == (Decimal("1.50"),) * 9
    assert ikm.compute([5] * 9, 3).element_means == (Decimal("1.67"),) * 9


def test_categories_are_read_from_the_rounded_index() -> None:
    for index, category in (
        ("100.00", "A"),
        ("88.31", "A"),
        ("88.30", "B"),
        ("76.61", "B"),
        ("76.60", "C"),
        ("65.00", "C"),
        ("64.99", "D"),
        ("25.00", "D"),
    ):
        assert ikm.category(Decimal(index)) == category, index
    with pytest.raises(ValueError, match="below 25"):
        ikm.category(Decimal("24.99"))
    empty = ikm.compute([0] * 9, 0)
    assert (empty.index, empty.category, empty.element_means) == (None, None, None)


# --- the period --------------------------------------------------------------------------------


async def test_the_period_is_inclusive_by_utc_date(api: Api) -> None:
    await add_unit(api)
    assert (await send(api, ALL_GOOD, "5 Jan 08:00")).status_code == 201
    api.clock.advance(timedelta(days=1, hours=15, minutes=59, seconds=59))
    assert (await send(api, [3] * 9, "6 Jan 23:59:59")).status_code == 201
    api.clock.advance(timedelta(seconds=1))
    assert (await send(api, [2] * 9, "7 Jan 00:00")).status_code == 201

    only_sixth = await report(api, **{"from": "2026-01-06", "to": "2026-01-06"})
    assert only_sixth["from"] == only_sixth["to"] == "2026-01-06"
    assert (only_sixth["responses"], only_sixth["index"]) == (1, 75.0)
    assert (await report(api, **{"from": "2026-01-06"}))["responses"] == 2
    assert (await report(api, to="2026-01-05"))["responses"] == 1
    assert (await report(api, to="2026-01-06"))["responses"] == 2
    assert (await report(api))["responses"] == 3

    later = await report(api, **{"from": "2026-01-08"})
    assert later == {
        "unit": UNIT,
        "from": "2026-01-08",
        "to": None,
        "index": None,
        "category": None,
        "category_label": None,
        "responses": 0,
        "elements": [None] * 9,
    }


async def test_a_period_that_makes_no_sense_is_refused(api: Api) -> None:
    await add_unit(api)
    path = f"/api/v1/units/{UNIT}/ikm"
    reversed_period = await api.get(
        path, "admin", params={"from": "2026-02-01", "to": "2026-01-31"}
    )
    assert reversed_period.status_code == 422
    assert [error["field"] for error in reversed_period.json()["errors"]] == ["from"]
    for bad in ("2026-02-30", "20260105", "kemarin", "2026-1-5"):
        response = await api.get(path, "admin", params={"from": "2026-01-01", "to": bad})
        assert response.status_code == 422, bad
        assert [error["field"] for error in response.json()["errors"]] == ["to"], bad


# --- refusals ------------------------------------------------------------------------------


async def test_unknown_unit_is_404_everywhere(api: Api) -> None:
    await add_unit(api)
    assert (await api.client.get("/public/units/NOPE/survey")).status_code == 404
    sent = await send(api, ALL_GOOD, code="NOPE")
    assert sent.status_code == 404
    assert "NOPE" in sent.json()["detail"]
    assert (await api.get("/api/v1/units/NOPE/ikm", "admin")).status_code == 404
    assert await stored(api) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answers": [4] * 8}, "answers"),
        ({"answers": [4] * 10}, "answers"),
        ({"answers": []}, "answers"),
        ({"answers": None}, "answers"),
        ({}, "answers"),
        ({"answers": [4] * 8 + [5]}, "answers[8]"),
        ({"answers": [0] + [4] * 8}, "answers[0]"),
        ({"answers": [4, "3", 4, 4, 4, 4, 4, 4, 4]}, "answers[1]"),
        ({"answers": [4, 4, 3.0, 4, 4, 4, 4, 4, 4]}, "answers[2]"),
        ({"answers": [4, 4, 4, 3.5, 4, 4, 4, 4, 4]}, "answers[3]"),
        ({"answers": [True] * 9}, "answers[0]"),
        ({"answers": "444444444"}, "answers"),
        ({"answers": ALL_GOOD, "name": "Budi"}, "name"),
        ({"answers": ALL_GOOD, "comment": "x" * 2001}, "comment"),
        ({"answers": ALL_GOOD, "comment": 5}, "comment"),
    ],
)
async def test_bad_answers_are_refused_and_nothing_is_written(
    api: Api, body: dict[str, Any], field: str
) -> None:
    await add_unit(api)
    response = await api.client.post(f"/public/units/{UNIT}/survey", json=body)
    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]
    assert await stored(api) == 0
    assert (await report(api))["responses"] == 0


async def test_a_comment_of_2000_characters_is_fine(api: Api) -> None:
    await add_unit(api)
    response = await send(api, ALL_GOOD, "x" * 2000)
    assert response.status_code == 201, response.text
    assert response.json()["unit"] == UNIT


# --- throttle and repeats ------------------------------------------------------------------


async def test_ten_responses_an_hour_per_address_and_unit(api: Api) -> None:
    await add_unit(api)
    await add_unit(api, "LAIN")
    assert (await send(api, ALL_GOOD, "first")).status_code == 201
    api.clock.advance(timedelta(minutes=10))
    for number in range(9):
        assert (await send(api, ALL_GOOD, f"more {number}")).status_code == 201

    refused = await send(api, ALL_GOOD, "one too many")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "3000"  # the first leaves the window in 50 minutes
    assert "50 menit" in refused.json()["detail"]
    english = await api.client.post(
        f"/public/units/{UNIT}/survey",
        json={"answers": ALL_GOOD, "comment": "one too many"},
        headers={"Accept-Language": "en"},
    )
    assert english.status_code == 429
    assert english.json()["detail"] == (
        "Too many responses for this unit from your address; try again in 50 minute(s)."
    )
    assert (await send(api, ALL_GOOD, code="LAIN")).status_code == 201  # another unit

    api.clock.advance(timedelta(minutes=50, seconds=-1))
    almost = await send(api, ALL_GOOD, "still too early")
    assert (almost.status_code, almost.headers["Retry-After"]) == (429, "1")
    api.clock.advance(timedelta(seconds=1))
    assert (await send(api, ALL_GOOD, "the first has left the window")).status_code == 201
    assert (await send(api, ALL_GOOD, "but only the first")).status_code == 429

    api.clock.advance(timedelta(hours=1))
    assert (await send(api, ALL_GOOD, "a new hour")).status_code == 201
    assert (await report(api))["responses"] == 12
    assert await stored(api) == 13


async def test_the_throttle_holds_under_concurrent_requests(api: Api) -> None:
    """Fifteen responses at once, each in its own transaction and connection.

    The test client hands requests to the app one at a time, so this drives the service the
    controller calls directly to make the transactions really overlap.
    """
    await add_unit(api)

    async def one(number: int) -> int:
        async with api.ctx.sessions() as session:
            data = SurveySubmit(answers=ALL_GOOD, comment=f"burst {number}")
            try:
                await SurveyService(session, api.ctx).submit(UNIT, data, "198.51.100.7", "id")
            except TooManyRequests:
                return 429
            return 201

    codes = await asyncio.gather(*(one(number) for number in range(15)))
    assert sorted(codes) == [201] * 10 + [429] * 5
    assert await stored(api) == 10


async def test_the_count_is_shared_by_every_app_instance(api: Api, make_api: MakeApi) -> None:
    await add_unit(api)
    other = await make_api()
    assert (await send(api, ALL_GOOD, "the same")).status_code == 201
    assert (await send(other, ALL_GOOD, "the same")).status_code == 409
    for number in range(9):
        instance = api if number % 2 else other
        assert (await send(instance, ALL_GOOD, f"response {number}")).status_code == 201
    assert (await send(api, ALL_GOOD, "one too many")).status_code == 429
    assert (await send(other, ALL_GOOD, "one too many")).status_code == 429


async def test_the_same_response_twice_in_a_day_is_a_conflict(api: Api) -> None:
    await add_unit(api)
    await add_unit(api, "LAIN")
    assert (await send(api, ALL_GOOD, "Pelayanan cepat")).status_code == 201
    again = await send(api, ALL_GOOD, " Pelayanan cepat ")
    assert again.status_code == 409
    assert "24" in again.json()["detail"]
    assert (await send(api, ALL_GOOD, "Pelayanan cepat sekali")).status_code == 201
    assert (await send(api, ALL_GOOD)).status_code == 201
    assert (await send(api, ALL_GOOD)).status_code == 409
    assert (await send(api, [4] * 8 + [3])).status_code == 201
    assert (await send(api, ALL_GOOD, "Pelayanan cepat", code="LAIN")).status_code == 201
    api.clock.advance(timedelta(hours=23, minutes=59))
    assert (await send(api, ALL_GOOD, "Pelayanan cepat")).status_code == 409
    api.clock.advance(timedelta(minutes=1))
    assert (await send(api, ALL_GOOD, "Pelayanan cepat")).status_code == 201
    assert (await report(api))["responses"] == 5


async def test_limits_are_settings(make_api: MakeApi) -> None:
    strict = await make_api(survey_max_per_hour=2, survey_duplicate_hours=0)
    await add_unit(strict)
    assert (await send(strict, ALL_GOOD)).status_code == 201
    assert (await send(strict, ALL_GOOD)).status_code == 201  # repeats allowed
    assert (await send(strict, ALL_GOOD)).status_code == 429


async def test_clients_are_told_apart_only_behind_a_trusted_proxy(api: Api, proxied: Api) -> None:
    await add_unit(api)
    # Trusted: each address has its own budget and its own repeats.
    for number in range(10):
        response = await send(proxied, ALL_GOOD, f"a{number}", address="198.51.100.1")
        assert response.status_code == 201
    assert (await send(proxied, ALL_GOOD, "a10", address="198.51.100.1")).status_code == 429
    assert (await send(proxied, ALL_GOOD, "a0", address="198.51.100.2")).status_code == 201
    # Only the last hop counts: the one our proxy appended, not what the client claimed.
    spoofed = await send(proxied, ALL_GOOD, "x", address="203.0.113.9, 198.51.100.1")
    assert spoofed.status_code == 429
    # Not trusted (the default): the header is ignored, everyone is the connecting address.
    for number in range(10):
        response = await send(api, ALL_GOOD, f"b{number}", address=f"192.0.2.{number}")
        assert response.status_code == 201
    assert (await send(api, ALL_GOOD, "b10", address="192.0.2.99")).status_code == 429
    assert (await report(api))["responses"] == 21


# --- privacy, the questionnaire, access ----------------------------------------------------


async def test_no_client_address_is_stored(api: Api, proxied: Api) -> None:
    async with api.ctx.sessions() as session:  # no sign-in: that audits the address it came from
        now = api.clock.now()
        session.add(Unit(code=UNIT, name="Unit", created_at=now, updated_at=now))
        await session.commit()
    assert (await send(proxied, ALL_GOOD, "Ramah", address="203.0.113.7")).status_code == 201
    assert (await send(proxied, [3] * 9, address="203.0.113.8")).status_code == 201
    assert (await send(api, [2] * 9)).status_code == 201  # as "testclient"
    async with api.ctx.sessions() as session:
        dump = []
        for table in metadata.sorted_tables:
            dump += [repr(tuple(row)) for row in (await session.execute(select(table))).all()]
        rows = (await session.scalars(select(SurveyResponse).order_by(SurveyResponse.id))).all()
    everything = "\n".join(dump)
    for address in ("203.0.113.7", "203.0.113.8", "testclient"):
        assert address not in everything
        assert hashlib.sha256(address.encode()).hexdigest() not in everything
    hashes = {row.client_hash for row in rows}
    assert len(hashes) == 3
    assert all(len(value) == 64 for value in hashes)
    assert [row.comment for row in rows] == ["Ramah", None, None]
    assert [row.answers for row in rows] == [(4,) * 9, (3,) * 9, (2,) * 9]


async def test_the_questionnaire_in_indonesian_and_english(api: Api) -> None:
    await add_unit(api)
    indonesian = await api.client.get(f"/public/units/{UNIT}/survey")
    assert indonesian.status_code == 200
    body = indonesian.json()
    assert (body["unit"], body["unit_name"], body["language"]) == (UNIT, "Unit LAYANAN", "id")
    assert body["title"] == "Survei Kepuasan Masyarakat"
    assert [element["name"] for element in body["elements"]] == [
        "Persyaratan",
        "Sistem/Mekanisme/Prosedur",
        "Waktu Penyelesaian",
        "Biaya/Tarif",
        "Produk Spesifikasi Jenis Pelayanan",
        "Kompetensi Pelaksana",
        "Perilaku Pelaksana",
        "Penanganan Pengaduan/Saran/Masukan",
        "Sarana dan Prasarana",
    ]
    assert [element["code"] for element in body["elements"]] == [f"U{n}" for n in range(1, 10)]
    assert body["scale"] == [
        {"value": 1, "label": "Tidak Baik/Tidak Sesuai"},
        {"value": 2, "label": "Kurang Baik"},
        {"value": 3, "label": "Baik"},
        {"value": 4, "label": "Sangat Baik"},
    ]
    assert body["comment_max_length"] == 2000

    english = (
        await api.client.get(f"/public/units/{UNIT}/survey", headers={"Accept-Language": "en"})
    ).json()
    assert english["language"] == "en"
    assert english["elements"][0]["name"] == "Requirements"
    assert english["elements"][8]["name"] == "Facilities and Infrastructure"
    assert [point["label"] for point in english["scale"]] == [
        "Bad/not as required",
        "Poor",
        "Good",
        "Very good",
    ]
    thanks = await api.client.post(
        f"/public/units/{UNIT}/survey",
        json={"answers": ALL_GOOD},
        headers={"Accept-Language": "en"},
    )
    assert thanks.status_code == 201
    assert thanks.json() == {"unit": UNIT, "message": "Thank you for your feedback."}


async def test_the_report_needs_a_signed_in_person_of_any_role(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, AUDITOR)
    assert (await send(api, ALL_GOOD, code="BID1")).status_code == 201
    path = "/api/v1/units/BID1/ikm"
    assert (await api.client.get(path)).status_code == 401
    bad_token = await api.client.get(path, headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401
    for who in ("admin", EMPLOYEE, AUDITOR):
        assert (await report(api, "BID1", who))["index"] == 100.0
