"""A training's certificate: the same upload rules and storage code as indicator evidence."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import msgspec
import pytest

from kinerja_flow.config import Settings
from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.followups import ITEMS, acted, proposed, upload_certificate
from tests.test_evidence import DOCX, LIMIT, pdf, pdf_of_size, png, self_assessment, upload


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, evidence_max_bytes=LIMIT)


async def training_in_progress(api: Api) -> dict[str, Any]:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, EVALUATOR, HEAD, HR, PEER, AUDITOR)
    return await started(api)


async def started(api: Api, title: str = "Pelatihan") -> dict[str, Any]:
    item = await proposed(api, EMPLOYEE, EMPLOYEE, title=title)
    item = await acted(api, item, "approve", EVALUATOR)
    return await acted(api, item, "start", EMPLOYEE)


def certificates(api: Api) -> list[Path]:
    root = api.settings.evidence_path / "certificates"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_a_certificate_is_stored_by_its_hash_and_served_to_readers(api: Api) -> None:
    item = await training_in_progress(api)
    content = pdf(b"%sertifikat\n")
    response = await upload_certificate(api, item, EMPLOYEE, content, "Sertifikat Diklat.pdf")
    assert response.status_code == 201, response.text
    answer = response.json()
    digest = hashlib.sha256(content).hexdigest()
    assert answer["certificate"]["sha256"] == digest
    assert answer["certificate"]["content_type"] == "application/pdf"
    assert answer["version"] == item["version"] + 1
    assert certificates(api) == [
        api.settings.evidence_path / "certificates" / digest[:2] / digest[2:4] / digest
    ]
    for who in (EMPLOYEE, EVALUATOR, HR, AUDITOR):
        got = await api.get(f"{ITEMS}/{item['id']}/certificate", who)
        assert got.status_code == 200, who
        assert got.content == content
        assert got.headers["etag"].strip('"') == digest
        assert "attachment" in got.headers["content-disposition"]
    assert (await api.get(f"{ITEMS}/{item['id']}/certificate", PEER)).status_code == 404


async def test_uploads_follow_the_evidence_rules_and_write_nothing_when_refused(
    api: Api,
) -> None:
    item = await training_in_progress(api)
    for content, name, status in (
        (b"MZ\x90\x00 not a document", "sertifikat.pdf", 415),
        (b"<html>sertifikat</html>", "sertifikat.html", 415),
        (pdf_of_size(LIMIT + 1), "besar.pdf", 413),
        (b"", "kosong.pdf", 422),
    ):
        response = await upload_certificate(api, item, EMPLOYEE, content, name)
        assert response.status_code == status, (name, response.text)
    stale = await upload_certificate(api, {**item, "version": item["version"] - 1}, EMPLOYEE)
    assert stale.status_code == 409
    for who, status in ((EVALUATOR, 403), (AUDITOR, 403), (PEER, 404), (HEAD, 404)):
        assert (await upload_certificate(api, item, who)).status_code == status, who
    assert certificates(api) == []
    assert not list((api.settings.evidence_path / "incoming").glob("*"))
    current = (await api.get(f"{ITEMS}/{item['id']}", HR)).json()
    assert (current["version"], current["certificate"]) == (item["version"], None)
    for ok in (png(), DOCX):
        assert (await upload_certificate(api, current, HR, ok, "scan")).status_code == 201
        current = (await api.get(f"{ITEMS}/{item['id']}", HR)).json()


async def test_only_a_training_in_progress_takes_a_certificate(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE, EVALUATOR, HEAD, HR, PEER, AUDITOR)
    proposal = await proposed(api, EMPLOYEE, EMPLOYEE)
    assert (await upload_certificate(api, proposal, EMPLOYEE)).status_code == 409
    coaching = await proposed(api, EVALUATOR, EMPLOYEE, details={"kind": "coaching"})
    coaching = await acted(api, coaching, "approve", EVALUATOR)
    coaching = await acted(api, coaching, "start", EVALUATOR)
    assert (await upload_certificate(api, coaching, EMPLOYEE)).status_code == 409
    none_yet = await api.get(f"{ITEMS}/{proposal['id']}/certificate", EMPLOYEE)
    assert none_yet.status_code == 404
    json_body = await api.post(f"{ITEMS}/{proposal['id']}/certificate", EMPLOYEE, {"a": 1})
    assert json_body.status_code == 415


async def test_replacing_a_certificate_removes_the_old_file_but_not_shared_evidence(
    api: Api,
) -> None:
    appraisal = await self_assessment(api)
    shared = pdf(b"%bersama\n")
    assert (await upload(api, appraisal, shared)).status_code == 201
    item = await started(api)
    first = await upload_certificate(api, item, EMPLOYEE, shared)
    assert first.status_code == 201
    second = await upload_certificate(api, first.json(), EMPLOYEE, pdf(b"%baru\n"))
    assert second.status_code == 201, second.text
    assert [p.name for p in certificates(api)] == [hashlib.sha256(pdf(b"%baru\n")).hexdigest()]
    evidence = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", EMPLOYEE)).json()
    evidence_id = evidence["targets"][0]["indicators"][0]["evidence"][0]["id"]
    kept = await api.get(f"/api/v1/evidence/{evidence_id}/file", EMPLOYEE)
    assert (kept.status_code, kept.content) == (200, shared)
    events = (await api.get(f"{ITEMS}/{item['id']}/audit", HR)).json()
    uploads = [e["data"] for e in events if e["action"] == "followup.certificate_uploaded"]
    assert uploads[1]["replaced"] == hashlib.sha256(shared).hexdigest()
