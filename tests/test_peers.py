"""Peer feedback (360): invitations, answers by link and API, and what each reader may see."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from httpx import Response
from sqlalchemy import text

from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import advance, world

VALUES = (
    "berorientasi_pelayanan",
    "akuntabel",
    "kompeten",
    "harmonis",
    "loyal",
    "adaptif",
    "kolaboratif",
)
DUE = "2026-02-15"
LINK = re.compile(r"https://kinerja\.example\.go\.id/peer-feedback/([A-Za-z0-9_\-]+)")
EMAILS = {
    HEAD: "hendra@example.go.id",
    PEER: "dewi@example.go.id",
    HR: "rina@example.go.id",
    AUDITOR: "agus@example.go.id",
}
# What would tell the employee who was asked: names, NIPs and addresses of the peers.
IDENTITIES = {
    PEER: ("Dewi", "Lestari", PEER, "dewi@"),
    HR: ("Rina", "Hartati", HR, "rina@"),
    AUDITOR: ("Agus", "Pratama", AUDITOR, "agus@"),
}


def answers(scores: dict[str, int] | None = None, **comments: str) -> dict[str, Any]:
    """All seven values: score 4 unless given, a comment where given."""
    return {
        "answers": [
            {"value": value, "score": (scores or {}).get(value, 4), "comment": comments.get(value)}
            for value in VALUES
        ]
    }


async def invite(
    api: Api, appraisal: dict[str, Any], who: str, *nips: str, due: str = DUE
) -> Response:
    return await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/peers", who, {"nips": list(nips), "due": due}
    )


async def feedback(api: Api, appraisal: dict[str, Any], who: str) -> dict[str, Any]:
    response = await api.get(f"/api/v1/appraisals/{appraisal['id']}/peer-feedback", who)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def requests_to(api: Api, nip: str) -> list[EmailMessage]:
    """The peer feedback requests the peer received (by the link in them)."""
    return [m for m in api.mail.to(EMAILS[nip]) if LINK.search(api.mail.text_of(m))]


async def token_of(api: Api, nip: str) -> str:
    """The token in the link of the last peer feedback email the peer received."""
    await api.deliver()
    received = requests_to(api, nip)
    assert received, f"no peer feedback request to {EMAILS[nip]}"
    found = LINK.search(api.mail.text_of(received[-1]))
    assert found
    return found.group(1)


async def answer_by_link(api: Api, token: str, body: dict[str, Any]) -> Response:
    return await api.client.post(f"/public/peer-feedback/{token}", json=body)


async def invited_and_answered(
    api: Api, appraisal: dict[str, Any], scores: dict[str, dict[str, int]], **comments: str
) -> None:
    """The evaluator invites the peers in ``scores``; each answers with their scores."""
    response = await invite(api, appraisal, EVALUATOR, *scores)
    assert response.status_code == 201, response.text
    for nip, given in scores.items():
        body = answers(given, **({"kolaboratif": comments[nip]} if nip in comments else {}))
        answered = await answer_by_link(api, await token_of(api, nip), body)
        assert answered.status_code == 201, answered.text


async def trail(api: Api, appraisal: dict[str, Any], who: str) -> list[dict[str, Any]]:
    response = await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", who)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


# -- inviting -----------------------------------------------------------------------------


async def test_evaluator_and_hr_invite_and_the_peer_follows_the_emailed_link(api: Api) -> None:
    appraisal = await world(api)
    by_evaluator = await invite(api, appraisal, EVALUATOR, PEER)
    assert by_evaluator.status_code == 201, by_evaluator.text
    by_hr = await invite(api, appraisal, HR, AUDITOR, due="2026-01-05")
    assert by_hr.status_code == 201, by_hr.text
    view = by_hr.json()
    assert view["view"] == "named"
    assert [(r["peer"]["nip"], r["due"], r["answered_at"]) for r in view["requests"]] == [
        (PEER, DUE, None),
        (AUDITOR, "2026-01-05", None),
    ]
    assert (view["invited"], view["answered"]) == (2, 0)

    await api.deliver()
    [message] = requests_to(api, PEER)
    assert "Budi Santoso" in str(message["Subject"])
    body = api.mail.text_of(message)
    assert "Analis Kebijakan" in body
    assert "15-02-2026" in body
    token = await token_of(api, PEER)
    described = await api.client.get(f"/public/peer-feedback/{token}")
    assert described.status_code == 200, described.text
    request = described.json()
    assert request["employee"] == {"name": "Budi Santoso", "position": "Analis Kebijakan"}
    assert (request["due"], request["answered"], request["open"]) == (DUE, False, True)
    assert [v["value"] for v in request["values"]] == list(VALUES)
    assert request["values"][0]["name"] == "Berorientasi Pelayanan"
    assert [point["score"] for point in request["scale"]] == [1, 2, 3, 4, 5]
    in_english = await api.client.get(
        f"/public/peer-feedback/{token}", headers={"Accept-Language": "en"}
    )
    assert in_english.json()["values"][0]["name"] == "Service-oriented"
    assert (await api.client.get("/public/peer-feedback/not-a-real-token")).status_code == 404


async def test_a_peer_with_an_english_account_gets_the_english_email(api: Api) -> None:
    appraisal = await world(api)
    async with api.ctx.sessions() as session:
        await session.execute(
            text("UPDATE accounts SET locale = 'en' WHERE email = :email"), {"email": EMAILS[PEER]}
        )
        await session.commit()
    assert (await invite(api, appraisal, EVALUATOR, PEER, AUDITOR)).status_code == 201
    await api.deliver()
    [english] = requests_to(api, PEER)
    [indonesian] = requests_to(api, AUDITOR)
    assert str(english["Subject"]).startswith("Peer feedback requested for Budi Santoso")
    assert str(indonesian["Subject"]).startswith("Permintaan umpan balik rekan kerja")


async def test_only_the_evaluator_or_hr_invite_and_refusals_write_nothing(api: Api) -> None:
    appraisal = await world(api)
    events = len(await trail(api, appraisal, HR))
    for who, status in ((EMPLOYEE, 403), (HEAD, 403), (AUDITOR, 403), (PEER, 404)):
        response = await invite(api, appraisal, who, HR)
        assert response.status_code == status, (who, response.text)
    assert (await invite(api, {"id": 999999}, HR, PEER)).status_code == 404
    assert (await feedback(api, appraisal, HR))["invited"] == 0
    assert await api.outbox(kind="peer_feedback_requested") == []
    assert len(await trail(api, appraisal, HR)) == events


async def test_an_hr_officer_cannot_pick_the_peers_of_their_own_appraisal(api: Api) -> None:
    await world(api)
    own = await api.appraisal_of(HR, HR)
    response = await invite(api, own, HR, PEER)
    assert response.status_code == 403, response.text
    assert (await invite(api, own, HEAD, PEER)).status_code == 201  # Rina's evaluator
    view = await feedback(api, own, HR)
    assert view["view"] == "anonymous"
    assert "requests" not in view


async def test_bad_invitations_are_refused_whole_with_the_field_at_fault(api: Api) -> None:
    appraisal = await world(api)
    assert (await invite(api, appraisal, EVALUATOR, AUDITOR)).status_code == 201
    async with api.ctx.sessions() as session:
        await session.execute(
            text("UPDATE employees SET active = false WHERE nip = :nip"), {"nip": HEAD}
        )
        await session.commit()
    before = await feedback(api, appraisal, HR)
    unknown = "199912312020121999"
    cases: list[tuple[list[str], str, str]] = [
        ([PEER, EMPLOYEE], DUE, "nips[1]"),  # the employee themself
        ([PEER, unknown], DUE, "nips[1]"),
        ([PEER, HEAD], DUE, "nips[1]"),  # no longer active
        ([PEER, HR, PEER], DUE, "nips[2]"),  # listed twice
        ([PEER, AUDITOR], DUE, "nips[1]"),  # already invited
        ([PEER], "2026-01-04", "due"),  # yesterday (the test clock is 2026-01-05)
        ([PEER], "2027-01-01", "due"),  # after the review deadline 2026-12-31
    ]
    for nips, due, field in cases:
        response = await invite(api, appraisal, EVALUATOR, *nips, due=due)
        assert response.status_code == 422, (nips, due, response.text)
        assert [error["field"] for error in response.json()["errors"]] == [field], response.text
    malformed = [
        {"nips": ["12345"], "due": DUE},
        {"nips": [], "due": DUE},
        {"nips": [PEER], "due": "15-02-2026"},
        {"nips": [PEER]},
        {"nips": [PEER], "due": DUE, "version": 1},
    ]
    for body in malformed:
        response = await api.post(f"/api/v1/appraisals/{appraisal['id']}/peers", EVALUATOR, body)
        assert response.status_code == 422, (body, response.text)
    assert await feedback(api, appraisal, HR) == before
    assert len(await api.outbox(kind="peer_feedback_requested")) == 1


async def test_peers_are_invited_only_before_the_rating(api: Api) -> None:
    appraisal = await advance(api, await world(api), "under_review")
    assert (await invite(api, appraisal, EVALUATOR, PEER)).status_code == 201
    appraisal = await advance(api, appraisal, "reviewed")
    late = await invite(api, appraisal, HR, AUDITOR)
    assert late.status_code == 409, late.text
    token = await token_of(api, PEER)
    too_late = await answer_by_link(api, token, answers())
    assert too_late.status_code == 409, too_late.text
    assert (await api.client.get(f"/public/peer-feedback/{token}")).json()["open"] is False
    assert (await feedback(api, appraisal, HR))["invited"] == 1


# -- answering ----------------------------------------------------------------------------


async def test_answering_by_link_once(api: Api) -> None:
    appraisal = await world(api)
    await invite(api, appraisal, EVALUATOR, PEER)
    token = await token_of(api, PEER)
    body = answers({"akuntabel": 5, "loyal": 2}, akuntabel="Selalu tepat waktu.")
    first = await answer_by_link(api, token, body)
    assert first.status_code == 201, first.text
    again = await answer_by_link(api, token, answers())
    assert again.status_code == 409, again.text
    described = (await api.client.get(f"/public/peer-feedback/{token}")).json()
    assert (described["answered"], described["open"]) == (True, False)

    for who in (HR, AUDITOR, EVALUATOR, HEAD):
        view = await feedback(api, appraisal, who)
        assert view["view"] == "named", who
        [request] = view["requests"]
        assert request["peer"] == {
            "nip": PEER,
            "name": "Dewi Lestari",
            "position": "Pranata Komputer",
        }
        given = {a["value"]: (a["score"], a["comment"]) for a in request["answers"]}
        assert given["akuntabel"] == (5, "Selalu tepat waktu.")
        assert given["loyal"] == (2, None)
        assert len(given) == 7


async def test_answering_by_api_as_the_signed_in_peer(api: Api) -> None:
    appraisal = await world(api)
    await invite(api, appraisal, EVALUATOR, PEER)
    mine = (await api.get("/api/v1/peer-requests", PEER)).json()
    assert [(r["employee"]["name"], r["answered"], r["open"]) for r in mine] == [
        ("Budi Santoso", False, True)
    ]
    assert (await api.get("/api/v1/peer-requests", HEAD)).json() == []
    path = f"/api/v1/peer-requests/{mine[0]['id']}/answer"
    for stranger in (EMPLOYEE, HEAD, "admin"):
        response = await api.post(path, stranger, answers())
        assert response.status_code == 404, (stranger, response.text)
    answered = await api.post(path, PEER, answers())
    assert answered.status_code == 201, answered.text
    assert (await api.post(path, PEER, answers())).status_code == 409
    assert (await api.get("/api/v1/peer-requests", PEER)).json()[0]["answered"] is True
    token = await token_of(api, PEER)
    assert (await answer_by_link(api, token, answers())).status_code == 409


async def test_two_answers_racing_store_one(api: Api) -> None:
    appraisal = await world(api)
    await invite(api, appraisal, EVALUATOR, PEER)
    token = await token_of(api, PEER)
    [request] = (await api.get("/api/v1/peer-requests", PEER)).json()
    responses = await asyncio.gather(
        answer_by_link(api, token, answers({"akuntabel": 1})),
        api.post(f"/api/v1/peer-requests/{request['id']}/answer", PEER, answers({"akuntabel": 5})),
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    [stored] = (await feedback(api, appraisal, HR))["requests"]
    assert len(stored["answers"]) == 7


async def test_answers_close_at_the_end_of_the_due_day(api: Api) -> None:
    appraisal = await world(api)
    await invite(api, appraisal, EVALUATOR, PEER, AUDITOR, due="2026-01-10")
    api.clock.advance(datetime(2026, 1, 10, 23, 59, tzinfo=UTC) - api.clock.now())
    in_time = await answer_by_link(api, await token_of(api, PEER), answers())
    assert in_time.status_code == 201, in_time.text
    api.clock.advance(datetime(2026, 1, 11, tzinfo=UTC) - api.clock.now())
    token = await token_of(api, AUDITOR)
    late = await answer_by_link(api, token, answers())
    assert late.status_code == 409, late.text
    assert (await api.client.get(f"/public/peer-feedback/{token}")).json()["open"] is False
    assert (await feedback(api, appraisal, HR))["answered"] == 1


async def test_bad_answers_are_refused_and_nothing_is_stored(api: Api) -> None:
    appraisal = await world(api)
    await invite(api, appraisal, EVALUATOR, PEER)
    token = await token_of(api, PEER)
    good = answers()["answers"]

    def with_score(score: Any) -> dict[str, Any]:
        return {"answers": [{**good[0], "score": score}, *good[1:]]}

    bad: list[tuple[dict[str, Any], str]] = [
        ({"answers": good[1:]}, "answers"),  # a value missing
        ({"answers": [*good, good[3]]}, "answers[7].value"),  # a value twice
        ({"answers": [{**good[0], "value": "jujur"}, *good[1:]]}, "answers[0].value"),
        (with_score(0), "answers[0].score"),
        (with_score(6), "answers[0].score"),
        (with_score("3"), "answers[0].score"),
        (with_score(3.0), "answers[0].score"),
        (with_score(3.5), "answers[0].score"),
        (with_score(True), "answers[0].score"),
        ({"answers": [{**good[0], "mood": "baik"}, *good[1:]]}, "answers[0].mood"),
        ({**answers(), "name": "Dewi"}, "name"),
        ({"answers": [{**good[0], "comment": "x" * 2001}, *good[1:]]}, "answers[0].comment"),
    ]
    for body, field in bad:
        response = await answer_by_link(api, token, body)
        assert response.status_code == 422, (body, response.text)
        assert [error["field"] for error in response.json()["errors"]] == [field], response.text
    assert (await feedback(api, appraisal, HR))["answered"] == 0
    assert (await answer_by_link(api, token, answers())).status_code == 201


# -- reading ------------------------------------------------------------------------------


async def test_the_employee_sees_the_anonymous_aggregate(api: Api) -> None:
    appraisal = await world(api)
    await invited_and_answered(
        api,
        appraisal,
        {
            PEER: {"akuntabel": 5, "kompeten": 1},
            HR: {"akuntabel": 5, "kompeten": 2},
            AUDITOR: {"akuntabel": 4, "kompeten": 2},
        },
        **{PEER: "Zona nyaman kerja sama tim.", AUDITOR: "Aktif berbagi pengetahuan.", HR: " "},
    )
    view = await feedback(api, appraisal, EMPLOYEE)
    assert (view["view"], view["invited"], view["answered"], view["released"]) == (
        "anonymous",
        3,
        3,
        True,
    )
    assert "requests" not in view
    assert "message" not in view
    values = {v["value"]: v for v in view["values"]}
    assert [v["value"] for v in view["values"]] == list(VALUES)
    assert values["akuntabel"]["mean"] == 4.67  # 14 / 3, rounded half up
    assert values["kompeten"]["mean"] == 1.67  # 5 / 3
    assert values["loyal"]["mean"] == 4.0
    assert all(v["answers"] == 3 for v in view["values"])
    assert values["kolaboratif"]["comments"] == [
        "Aktif berbagi pengetahuan.",
        "Zona nyaman kerja sama tim.",
    ]
    assert values["akuntabel"]["comments"] == []
    assert values["akuntabel"]["name"] == "Akuntabel"


async def test_below_the_minimum_the_employee_sees_counts_only(api: Api) -> None:
    appraisal = await world(api)
    await invite(api, appraisal, EVALUATOR, HR, due="2026-01-20")
    await invited_and_answered(
        api, appraisal, {PEER: {"akuntabel": 1}, AUDITOR: {"akuntabel": 2}}, **{PEER: "Rahasia."}
    )
    api.clock.advance(datetime(2026, 1, 21, tzinfo=UTC) - api.clock.now())  # HR never answered
    view = await feedback(api, appraisal, EMPLOYEE)
    assert (view["invited"], view["answered"], view["released"]) == (3, 2, False)
    assert "3" in view["message"]
    assert all(v["mean"] is None and v["comments"] == [] for v in view["values"])
    assert "Rahasia." not in str(view)
    named = await feedback(api, appraisal, EVALUATOR)
    assert {r["peer"]["nip"] for r in named["requests"] if r["answered_at"]} == {PEER, AUDITOR}
    assert {v["value"]: v["mean"] for v in named["values"]}["akuntabel"] == 1.5


async def test_scores_wait_until_nobody_can_answer_any_more(api: Api) -> None:
    appraisal = await world(api)
    await invite(api, appraisal, EVALUATOR, HEAD, due="2026-01-20")
    await invited_and_answered(api, appraisal, {PEER: {}, HR: {}, AUDITOR: {}})
    waiting = await feedback(api, appraisal, EMPLOYEE)
    assert (waiting["answered"], waiting["released"]) == (3, False)
    assert "2026-01-20" in waiting["message"]
    assert all(v["mean"] is None for v in waiting["values"])
    api.clock.advance(datetime(2026, 1, 21, tzinfo=UTC) - api.clock.now())
    closed = await feedback(api, appraisal, EMPLOYEE)
    assert (closed["invited"], closed["answered"], closed["released"]) == (4, 3, True)
    assert all(v["mean"] == 4.0 for v in closed["values"])


async def test_the_employee_learns_no_peer_identity_from_any_response(api: Api) -> None:
    appraisal = await advance(api, await world(api), "in_progress")
    employee_events = len(await trail(api, appraisal, EMPLOYEE))
    hr_events = len(await trail(api, appraisal, HR))
    await invited_and_answered(
        api, appraisal, {PEER: {}, HR: {}, AUDITOR: {}}, **{PEER: "Komunikatif."}
    )
    base = f"/api/v1/appraisals/{appraisal['id']}"
    seen = [
        await api.get(path, EMPLOYEE)
        for path in (
            base,
            f"{base}/audit",
            f"{base}/dialogue",
            f"{base}/peer-feedback",
            "/api/v1/appraisals",
            "/api/v1/peer-requests",
        )
    ]
    assert all(response.status_code == 200 for response in seen)
    everything = " ".join(response.text for response in seen)
    for message in api.mail.to("budi@example.go.id"):  # and every email the employee got
        everything += f" {message['Subject']} {api.mail.text_of(message)}"
    assert "Komunikatif." in everything  # the aggregate is there ...
    for identity in IDENTITIES.values():  # ... but nobody's name, NIP or address
        for part in identity:
            assert part not in everything, part
    # Peer events are chained (and verify), but not on the appraisal's trail.
    assert len(await trail(api, appraisal, EMPLOYEE)) == employee_events
    assert len(await trail(api, appraisal, HR)) == hr_events
    verified = (await api.get("/api/v1/audit/verify", HR)).json()
    assert verified["ok"] is True


async def test_a_peer_cannot_read_the_appraisal(api: Api) -> None:
    appraisal = await world(api)
    await invite(api, appraisal, EVALUATOR, PEER)
    base = f"/api/v1/appraisals/{appraisal['id']}"
    for path in (base, f"{base}/audit", f"{base}/peer-feedback", f"{base}/dialogue"):
        assert (await api.get(path, PEER)).status_code == 404, path
