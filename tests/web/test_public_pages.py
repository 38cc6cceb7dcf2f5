"""The survey at its short address and the peer's answer page, by link and signed in."""

from __future__ import annotations

import re

from tests.support.api import EMPLOYEE, EVALUATOR, PASSWORD, PEER, Api
from tests.support.flow import world
from tests.support.web import Browser, open_browser


async def test_the_survey_takes_an_answer_and_explains_a_refusal(api: Api, web: Browser) -> None:
    await api.setup_org()
    page = await web.get("/s/BID1")
    assert page.status_code == 200
    assert "Bidang Aplikasi" in page.text
    answers = {f"U{n}": "4" for n in range(1, 10)}
    thanks = await web.submit("/s/BID1", "/s/BID1", {**answers, "comment": "Cepat."})
    assert thanks.status_code == 200
    report = await api.get("/api/v1/units/BID1/ikm", "admin")
    assert report.json()["responses"] == 1
    again = await web.submit("/s/BID1", "/s/BID1", {**answers, "comment": "Cepat."})
    assert again.status_code == 409  # the same answers twice from one address
    assert 'role="alert"' in again.text
    partial = await web.submit("/s/BID1", "/s/BID1", {"U1": "4"})
    assert partial.status_code == 422
    assert (await web.get("/s/NOPE")).status_code == 404


async def test_a_peer_answers_by_the_emailed_link_and_signed_in(api: Api) -> None:
    appraisal = await world(api)
    invited = await api.post(
        f"/api/v1/appraisals/{appraisal['id']}/peers",
        EVALUATOR,
        {"nips": [PEER], "due": "2026-01-20"},
    )
    assert invited.status_code == 201, invited.text
    rows = await api.outbox(to="dewi@example.go.id", kind="peer_feedback_requested")
    found = re.search(r"/peer-feedback/([A-Za-z0-9_\-]+)", rows[-1].body_text)
    assert found
    link = f"/peer-feedback/{found.group(1)}"
    async with open_browser(api) as peer:
        page = await peer.get(link)
        assert page.status_code == 200
        assert "Budi Santoso" in page.text
        values = re.findall(r'name="score-(\w+)"', page.text)
        assert len(set(values)) == 7
        incomplete = await peer.submit(link, link, {f"score-{values[0]}": "4"})
        assert incomplete.status_code == 422
        fields = {f"score-{value}": "4" for value in set(values)}
        answered = await peer.submit(link, link, fields)
        assert answered.status_code == 200, answered.text
        assert "sudah menjawab" in (await peer.get(link)).text
        await peer.sign_in(PEER, PASSWORD)
        assert "Umpan balik rekan kerja yang diminta" not in (await peer.get("/tasks")).text
    async with open_browser(api) as evaluator:
        await evaluator.sign_in(EVALUATOR, PASSWORD)
        page = await evaluator.get(f"/appraisals/{appraisal['id']}")
        assert "1 dari 1 rekan kerja sudah menjawab" in page.text
    async with open_browser(api) as stranger:
        await stranger.sign_in(EMPLOYEE, PASSWORD)
        assert (await stranger.get("/peer-requests/1")).status_code == 404
