"""The performance dialogue on the appraisal page: a feedback note on the RHK the writer
chooses, coaching sessions named in the reader's language."""

from __future__ import annotations

from typing import Any

from tests.support.api import EMPLOYEE, EVALUATOR, PASSWORD, PEER, Api
from tests.support.flow import add_target, advance, world
from tests.support.web import Browser, csrf_of, open_browser

SECOND = "Dokumen kebijakan tata kelola data"


async def in_progress_with_two_rhks(api: Api) -> dict[str, Any]:
    appraisal = await add_target(api, await world(api))
    appraisal = await add_target(api, appraisal, title=SECOND)
    return await advance(api, appraisal, "in_progress")


async def dialogue(api: Api, appraisal: dict[str, Any]) -> dict[str, Any]:
    answer = await api.get(f"/api/v1/appraisals/{appraisal['id']}/dialogue", EVALUATOR)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def test_a_feedback_note_goes_on_the_rhk_the_evaluator_chose(api: Api, web: Browser) -> None:
    appraisal = await in_progress_with_two_rhks(api)
    first, second = (t["id"] for t in appraisal["targets"])
    page = f"/appraisals/{appraisal['id']}"
    await web.sign_in(EVALUATOR, PASSWORD)
    opened = await web.get(page)
    assert f'<option value="{first}">1. Layanan perizinan daring</option>' in opened.text
    assert f'<option value="{second}">2. {SECOND}</option>' in opened.text

    note = "Rancangan kebijakan perlu melibatkan bidang statistik."
    saved = await web.post(
        f"{page}/feedback",
        {"_csrf_token": csrf_of(opened.text), "target_id": str(second), "body": note},
    )
    assert saved.status_code == 303, saved.text
    [written] = (await dialogue(api, appraisal))["feedback"]
    assert (written["target_id"], written["body"]) == (second, note)
    shown = (await web.get(saved.headers["location"])).text
    assert f"RHK: {SECOND}" in shown
    assert note in shown

    # Without a choice, or with an RHK of someone else's appraisal: refused, nothing written.
    no_choice = await web.post(
        f"{page}/feedback", {"_csrf_token": csrf_of(opened.text), "body": "x"}
    )
    assert no_choice.status_code == 422
    assert 'role="alert"' in no_choice.text
    others = await api.appraisal_of(PEER, PEER)
    others = await add_target(api, others, who=PEER)
    foreign = await web.post(
        f"{page}/feedback",
        {
            "_csrf_token": csrf_of(opened.text),
            "target_id": str(others["targets"][0]["id"]),
            "body": "Salah RHK.",
        },
    )
    assert foreign.status_code == 404
    assert len((await dialogue(api, appraisal))["feedback"]) == 1


async def test_coaching_sessions_are_named_in_the_readers_language(api: Api) -> None:
    appraisal = await in_progress_with_two_rhks(api)
    page = f"/appraisals/{appraisal['id']}"
    today = api.clock.now().date().isoformat()
    async with open_browser(api) as employee, open_browser(api) as evaluator:
        await employee.sign_in(EMPLOYEE, PASSWORD)
        await evaluator.sign_in(EVALUATOR, PASSWORD)
        opened = await evaluator.get(page)
        assert '<option value="counselling">Konseling kinerja</option>' in opened.text
        recorded = await evaluator.post(
            f"{page}/coaching",
            {
                "_csrf_token": csrf_of(opened.text),
                "held_on": today,
                "kind": "counselling",
                "topic": "Capaian triwulan I",
            },
        )
        assert recorded.status_code == 303, recorded.text
        assert [s["kind"] for s in (await dialogue(api, appraisal))["sessions"]] == ["counselling"]
        shown = (await employee.get(page)).text
        assert "Konseling kinerja" in shown
        assert "· counselling ·" not in shown
        switched = await employee.post(
            "/language", {"_csrf_token": csrf_of(shown), "locale": "en", "next": page}
        )
        assert switched.status_code == 303
        english = (await employee.get(page)).text
        assert "Performance counselling" in english
