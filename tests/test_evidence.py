"""Evidence (bukti dukung): links and uploaded files on each indicator's realisation."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import msgspec
import pytest
from httpx import Response

from kinerja_flow.config import Settings
from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HEAD, HR, PEER, Api
from tests.support.flow import add_target, advance, indicator_path, world

LIMIT = 256 * 1024
"""A smaller upload limit than the default 10 MiB, to keep the tests quick."""
OOXML = "application/vnd.openxmlformats-officedocument"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, evidence_max_bytes=LIMIT)


def pdf(comment: bytes = b"") -> bytes:
    """A minimal valid one-page PDF, with an optional comment line to make it bigger."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = b"%PDF-1.4\n" + comment
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return out


def pdf_of_size(size: int) -> bytes:
    filler = size - len(pdf()) - 2
    for _attempt in range(3):
        content = pdf(b"%" + b"x" * filler + b"\n")
        filler += size - len(content)
    assert len(content) == size
    return content


def png(width: int = 2, height: int = 2) -> bytes:
    """A tiny valid RGB PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * width for _row in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def archive(entries: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, body in entries.items():
            out.writestr(name, body)
    return buffer.getvalue()


def office(main_type: str, part: str = "word/document.xml", *, with_part: bool = True) -> bytes:
    """An Office Open XML package whose main part has ``main_type``."""
    types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{main_type}"/></Types>'
    )
    entries = {"[Content_Types].xml": types}
    if with_part:
        entries[part] = "<document/>"
    return archive(entries)


DOCX = office(f"{OOXML}.wordprocessingml.document.main+xml")
ODT = archive({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"})


async def self_assessment(api: Api, rhks: int = 1) -> dict[str, Any]:
    appraisal = await world(api)
    for number in range(rhks):
        appraisal = await add_target(api, appraisal, title=f"RHK {number + 1}")
    return await advance(api, appraisal, "self_assessment")


async def upload(
    api: Api,
    appraisal: dict[str, Any],
    content: bytes,
    name: str = "bukti.pdf",
    who: str = EMPLOYEE,
    path: str | None = None,
    **fields: Any,
) -> Response:
    return await api.post(
        f"{path or indicator_path(appraisal)}/evidence",
        who,
        files={"file": (name, content, "application/octet-stream")},
        data={key: str(value) for key, value in fields.items()},
    )


async def link(
    api: Api, appraisal: dict[str, Any], body: dict[str, Any], who: str = EMPLOYEE
) -> Response:
    return await api.post(f"{indicator_path(appraisal)}/evidence", who, body)


def evidence_of(appraisal: dict[str, Any], target: int = 0) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = appraisal["targets"][target]["indicators"][0]["evidence"]
    return items


def stored_files(api: Api) -> list[Path]:
    root = api.settings.evidence_path
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


async def state(api: Api, appraisal: dict[str, Any]) -> tuple[int, int, int, list[Path]]:
    """What a refused request must leave alone: version, evidence rows, audit events, files."""
    current = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", HR)).json()
    events = (await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", HR)).json()
    rows = sum(len(i["evidence"]) for t in current["targets"] for i in t["indicators"])
    return current["version"], rows, len(events), stored_files(api)


async def test_link_evidence_shows_under_the_indicator(api: Api) -> None:
    appraisal = await self_assessment(api)
    url = "https://drive.example.go.id/laporan/triwulan-1?versi=2"
    response = await link(
        api, appraisal, {"url": url, "note": "Laporan triwulan", "version": appraisal["version"]}
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["version"] == appraisal["version"] + 1
    [item] = evidence_of(answer)
    assert item["kind"] == "link"
    assert (item["url"], item["note"]) == (url, "Laporan triwulan")
    assert item["filename"] is item["sha256"] is None
    for who in (EVALUATOR, HEAD, HR, AUDITOR):
        seen = (await api.get(f"/api/v1/appraisals/{appraisal['id']}", who)).json()
        assert evidence_of(seen) == [item]
    trail = (await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", EMPLOYEE)).json()
    assert trail[-1]["action"] == "evidence.added"
    assert trail[-1]["data"]["kind"] == "link"
    assert trail[-1]["data"]["url"] == url
    file_of_link = await api.get(f"/api/v1/evidence/{item['id']}/file", EMPLOYEE)
    assert file_of_link.status_code == 404


async def test_a_bad_link_is_refused_and_nothing_is_written(api: Api) -> None:
    appraisal = await self_assessment(api)
    before = await state(api, appraisal)
    for url in (
        "ftp://files.example.go.id/laporan.pdf",
        "javascript:alert(1)",
        "https://",
        "laporan triwulan",
        "https://drive.example.go.id/laporan triwulan",
        "https://drive.example.go.id/" + "a" * 2000,
        "",
    ):
        response = await link(api, appraisal, {"url": url})
        assert response.status_code == 422, (url, response.text)
        assert [e["field"] for e in response.json()["errors"]] == ["url"], url
    unknown = await link(api, appraisal, {"url": "https://example.go.id", "title": "x"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "title"
    assert await state(api, appraisal) == before


async def test_uploaded_files_are_stored_by_their_hash(api: Api) -> None:
    appraisal = await self_assessment(api)
    document, image = pdf(), png()
    first = await upload(
        api,
        appraisal,
        document,
        "Laporan Triwulan I.pdf",
        note="Scan",
        version=appraisal["version"],
    )
    assert first.status_code == 201, first.text
    second = await upload(api, first.json(), image, "foto kegiatan.png")
    assert second.status_code == 201, second.text
    answer = second.json()
    assert answer["version"] == appraisal["version"] + 2
    items = evidence_of(answer)
    expected = [
        ("Laporan Triwulan I.pdf", "application/pdf", document, "Scan"),
        ("foto kegiatan.png", "image/png", image, None),
    ]
    for item, (name, content_type, content, note) in zip(items, expected, strict=True):
        sha = hashlib.sha256(content).hexdigest()
        assert item["kind"] == "file"
        assert (item["filename"], item["content_type"], item["note"]) == (name, content_type, note)
        assert (item["size"], item["sha256"]) == (len(content), sha)
        stored = api.settings.evidence_path / sha[:2] / sha[2:4] / sha
        assert stored.read_bytes() == content
    assert len(stored_files(api)) == 2  # nothing left half-way in incoming/
    trail = (await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", EMPLOYEE)).json()
    added = trail[-2]["data"]
    assert trail[-2]["action"] == "evidence.added"
    assert (added["kind"], added["filename"], added["size"]) == (
        "file",
        expected[0][0],
        len(document),
    )
    assert added["sha256"] == hashlib.sha256(document).hexdigest()


async def test_office_documents_are_recognised_by_content(api: Api) -> None:
    appraisal = await self_assessment(api)
    docx = await upload(api, appraisal, DOCX, "notulen.docx")
    assert docx.status_code == 201, docx.text
    odt = await upload(api, appraisal, ODT, "notulen")
    assert odt.status_code == 201, odt.text
    image_named_pdf = await upload(api, appraisal, png(), "foto.pdf")
    assert image_named_pdf.status_code == 201, image_named_pdf.text
    items = evidence_of(image_named_pdf.json())
    assert [(i["filename"], i["content_type"]) for i in items] == [
        ("notulen.docx", f"{OOXML}.wordprocessingml.document"),
        ("notulen.odt", "application/vnd.oasis.opendocument.text"),
        ("foto.pdf.png", "image/png"),
    ]


async def test_the_file_is_served_to_those_who_see_the_appraisal(api: Api) -> None:
    appraisal = await self_assessment(api)
    content = pdf()
    name = 'Bukti "Ünggah" 100%.pdf'
    response = await upload(api, appraisal, content, f"C:\\Dokumen\\{name}")
    assert response.status_code == 201, response.text
    [item] = evidence_of(response.json())
    assert item["filename"] == "Bukti _Ünggah_ 100%.pdf"
    path = f"/api/v1/evidence/{item['id']}/file"
    for who in (EMPLOYEE, EVALUATOR, HEAD, HR, AUDITOR):
        download = await api.get(path, who)
        assert download.status_code == 200, (who, download.text)
        assert download.content == content
        assert download.headers["content-type"] == "application/pdf"
        assert download.headers["content-disposition"] == (
            'attachment; filename="Bukti _Unggah_ 100_.pdf"; '
            "filename*=UTF-8''Bukti%20_%C3%9Cnggah_%20100%25.pdf"
        )
        assert download.headers["x-content-type-options"] == "nosniff"
        assert download.headers["etag"] == f'"{item["sha256"]}"'
    stranger = await api.get(path, PEER)
    missing = await api.get("/api/v1/evidence/987654/file", PEER)
    assert stranger.status_code == missing.status_code == 404
    assert stranger.json()["detail"].replace(str(item["id"]), "N") == missing.json()[
        "detail"
    ].replace("987654", "N")
    assert "Ünggah" not in stranger.text


async def test_only_the_employee_and_only_during_the_self_assessment(api: Api) -> None:
    appraisal = await world(api)
    peer = await add_target(api, await api.appraisal_of(PEER, PEER), who=PEER)
    appraisal = await advance(api, appraisal, "in_progress")
    before = await state(api, appraisal)
    too_early = await upload(api, appraisal, pdf())
    assert too_early.status_code == 409, too_early.text
    assert (await link(api, appraisal, {"url": "https://example.go.id"})).status_code == 409
    assert await state(api, appraisal) == before

    appraisal = await advance(api, appraisal, "self_assessment")
    before = await state(api, appraisal)
    for who, status in ((EVALUATOR, 403), (HR, 403), (HEAD, 403), (AUDITOR, 403), (PEER, 404)):
        response = await upload(api, appraisal, pdf(), who=who)
        assert response.status_code == status, (who, response.text)
    stale = await upload(api, appraisal, pdf(), version=appraisal["version"] - 1)
    assert stale.status_code == 409, stale.text
    ours, theirs = indicator_path(appraisal), indicator_path(peer)
    base, rhk = f"/api/v1/appraisals/{appraisal['id']}", appraisal["targets"][0]["id"]
    for elsewhere in (
        f"{base}/targets/{rhk}/indicators/999999",
        f"{base}/targets/{rhk}/indicators/{theirs.rsplit('/', 1)[1]}",
        theirs.replace(f"/appraisals/{peer['id']}/", f"/appraisals/{appraisal['id']}/"),
        ours.replace(f"/appraisals/{appraisal['id']}/", f"/appraisals/{peer['id']}/"),
    ):
        response = await upload(api, appraisal, pdf(), path=elsewhere)
        assert response.status_code == 404, (elsewhere, response.text)
    assert await state(api, appraisal) == before

    added = await upload(api, appraisal, pdf())
    appraisal = await advance(api, added.json(), "under_review")
    [item] = evidence_of(appraisal)
    gone = await api.client.delete(
        f"{indicator_path(appraisal)}/evidence/{item['id']}", headers=api.auth(EMPLOYEE)
    )
    assert gone.status_code == 409
    assert (await upload(api, appraisal, png())).status_code == 409
    download = await api.get(f"/api/v1/evidence/{item['id']}/file", EVALUATOR)
    assert download.content == pdf()


async def test_a_file_over_the_limit_is_refused_and_nothing_is_written(api: Api) -> None:
    appraisal = await self_assessment(api)
    before = await state(api, appraisal)
    for size in (LIMIT + 1, LIMIT + 512 * 1024):  # read and counted; refused by its length
        response = await upload(api, appraisal, pdf_of_size(size), "besar.pdf")
        assert response.status_code == 413, response.text
        assert "0.25 MiB" in response.json()["detail"]
        assert await state(api, appraisal) == before
    exactly = await upload(api, appraisal, pdf_of_size(LIMIT), "pas.pdf")
    assert exactly.status_code == 201, exactly.text
    assert evidence_of(exactly.json())[0]["size"] == LIMIT


async def test_a_disguised_file_is_refused_and_nothing_is_written(api: Api) -> None:
    appraisal = await self_assessment(api)
    before = await state(api, appraisal)
    disguised = {
        "html.pdf": b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        "program.pdf": b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200,
        "self-extracting.docx": b"MZ\x90\x00" + b"\x00" * 60 + DOCX,
        "archive.docx": archive({"word/document.xml": "<document/>"}),
        "macros.docx": office("application/vnd.ms-word.document.macroEnabled.main+xml"),
        "hollow.docx": office(f"{OOXML}.wordprocessingml.document.main+xml", with_part=False),
        "broken.docx": DOCX[:40],
        "script.png": b"#!/bin/sh\nrm -rf /\n",
    }
    for name, content in disguised.items():
        response = await upload(api, appraisal, content, name)
        assert response.status_code == 415, (name, response.text)
        detail = response.json()["detail"]
        assert "PDF, PNG, JPEG, DOCX, XLSX, PPTX, ODT, ODS, ODP" in detail, detail
    empty = await upload(api, appraisal, b"", "kosong.pdf")
    assert empty.status_code == 422, empty.text
    assert await state(api, appraisal) == before


async def test_a_malformed_request_is_refused(api: Api) -> None:
    appraisal = await self_assessment(api)
    before = await state(api, appraisal)
    url = f"{indicator_path(appraisal)}/evidence"
    no_file = await api.post(url, EMPLOYEE, data={"note": "lupa lampiran"}, files={"x": ("", b"")})
    assert no_file.status_code == 422, no_file.text
    assert [e["field"] for e in no_file.json()["errors"]] == ["file"]
    only_fields = await api.client.post(
        url,
        headers={**api.auth(EMPLOYEE), "Content-Type": "multipart/form-data; boundary=b"},
        content=b'--b\r\nContent-Disposition: form-data; name="note"\r\n\r\nhalo\r\n--b--\r\n',
    )
    assert only_fields.status_code == 422, only_fields.text
    two = await api.post(
        url, EMPLOYEE, files=[("file", ("a.pdf", pdf())), ("file", ("b.png", png()))]
    )
    assert two.status_code == 422, two.text
    extra = await upload(api, appraisal, pdf(), url="https://example.go.id")
    assert extra.status_code == 422, extra.text
    assert extra.json()["errors"][0]["field"] == "url"
    bad_version = await upload(api, appraisal, pdf(), version="baru")
    assert bad_version.status_code == 422, bad_version.text
    plain = await api.client.post(
        url, headers={**api.auth(EMPLOYEE), "Content-Type": "text/plain"}, content=b"hello"
    )
    assert plain.status_code == 415, plain.text
    not_json = await api.client.post(
        url, headers={**api.auth(EMPLOYEE), "Content-Type": "application/json"}, content=b"{"
    )
    assert not_json.status_code == 422, not_json.text
    assert await state(api, appraisal) == before

    schema = (await api.client.get("/schema/openapi.json")).json()
    documented = "/api/v1/appraisals/{appraisal_id}/targets/{target_id}/indicators/{indicator_id}"
    body = schema["paths"][f"{documented}/evidence"]["post"]["requestBody"]
    assert set(body["content"]) == {"application/json", "multipart/form-data"}


async def test_removing_evidence_keeps_a_file_still_in_use(api: Api) -> None:
    appraisal = await self_assessment(api, rhks=2)
    content = pdf()
    sha = hashlib.sha256(content).hexdigest()
    first = await upload(api, appraisal, content, "laporan.pdf")
    second = await upload(
        api, first.json(), content, "salinan.pdf", path=indicator_path(appraisal, 1)
    )
    assert second.status_code == 201, second.text
    appraisal = second.json()
    assert len(stored_files(api)) == 1  # the same content is stored once
    [kept], [dropped] = evidence_of(appraisal, 1), evidence_of(appraisal, 0)

    by_evaluator = await api.client.delete(
        f"{indicator_path(appraisal)}/evidence/{dropped['id']}", headers=api.auth(EVALUATOR)
    )
    assert by_evaluator.status_code == 403
    wrong_place = await api.client.delete(
        f"{indicator_path(appraisal)}/evidence/{kept['id']}", headers=api.auth(EMPLOYEE)
    )
    assert wrong_place.status_code == 404
    removed = await api.client.delete(
        f"{indicator_path(appraisal)}/evidence/{dropped['id']}",
        headers=api.auth(EMPLOYEE),
        params={"version": appraisal["version"]},
    )
    assert removed.status_code == 200, removed.text
    appraisal = removed.json()
    assert evidence_of(appraisal) == []
    assert evidence_of(appraisal, 1) == [kept]
    assert [p.name for p in stored_files(api)] == [sha]
    assert (await api.get(f"/api/v1/evidence/{kept['id']}/file", HR)).content == content
    assert (await api.get(f"/api/v1/evidence/{dropped['id']}/file", HR)).status_code == 404

    last = await api.client.delete(
        f"{indicator_path(appraisal, 1)}/evidence/{kept['id']}", headers=api.auth(EMPLOYEE)
    )
    assert last.status_code == 200, last.text
    assert stored_files(api) == []
    trail = (await api.get(f"/api/v1/appraisals/{appraisal['id']}/audit", AUDITOR)).json()
    assert [e["action"] for e in trail[-2:]] == ["evidence.removed", "evidence.removed"]
    assert trail[-1]["data"]["filename"] == "salinan.pdf"
    assert trail[-1]["data"]["sha256"] == sha
