"""HR's reports: a cycle's progress per unit, exports read back as CSV and XLSX (formula cells
neutralised), and the employee import from an XLSX workbook with the CSV's rules."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from openpyxl import Workbook, load_workbook

from kinerja_flow.lib.tables import XLSX_TYPE, XlsxTable, write_csv
from tests.support.api import AUDITOR, EMPLOYEE, EVALUATOR, HR, PEER, Api, Outcome
from tests.support.flow import advance, world
from tests.support.followups import acted, proposed, upload_certificate
from tests.test_import import (
    EN,
    GOOD_CHANGE,
    HEADER,
    NEW_PNS,
    NEW_PPPK,
    by_nip,
    csv_line,
    lines_of,
    snapshot,
)

BEYOND_64_BITS = "9223372036854775808"
STATES = [
    "planning",
    "targets_submitted",
    "in_progress",
    "self_assessment",
    "under_review",
    "reviewed",
    "appealed",
    "follow_up",
    "closed",
    "cancelled",
]
WITH_DEADLINE = [
    "planning",
    "targets_submitted",
    "self_assessment",
    "under_review",
    "reviewed",
    "appealed",
]
INJECTIONS = ['=HYPERLINK("http://evil.example","klik")', "+1+2", "-3+4", "@SUM(A1)"]
"""Titles a spreadsheet would run; tab and CR are refused as input, see the last test."""


def states(**counts: int) -> dict[str, int]:
    return {state: counts.get(state, 0) for state in STATES}


def overdue(**counts: int) -> dict[str, int]:
    return {state: counts.get(state, 0) for state in WITH_DEADLINE}


def predikat(**counts: int) -> dict[str, int]:
    names = ["sangat_baik", "baik", "butuh_perbaikan", "kurang_misconduct", "sangat_kurang"]
    return {name: counts.get(name, 0) for name in names}


async def appraisal_id_of(api: Api, nip: str) -> int:
    page = await api.get("/api/v1/appraisals", HR, params={"limit": 1000})
    return int(next(a["id"] for a in page.json()["items"] if a["employee"]["nip"] == nip))


async def verified_training(api: Api, appraisal_id: int, title: str, hours: int) -> None:
    """Budi's training, linked to his appraisal, taken from proposal to verification."""
    item = await proposed(
        api,
        EMPLOYEE,
        EMPLOYEE,
        title=title,
        details={"kind": "training", "provider": "LAN RI", "hours": hours},
        appraisal_id=appraisal_id,
    )
    item = await acted(api, item, "approve", EVALUATOR)
    item = await acted(api, item, "start", EMPLOYEE)
    uploaded = await upload_certificate(api, item, EMPLOYEE)
    assert uploaded.status_code == 201, uploaded.text
    item = await acted(api, uploaded.json(), "complete", EMPLOYEE)
    await acted(api, item, "verify", HR)


async def cycle_with_progress(api: Api) -> int:
    """Budi reviewed (predikat baik) with a verified 24 JP training; Dewi has a proposed
    follow-up due 5 April; the clock then moves to 10 April, past the targets' deadline."""
    budi = await advance(api, await world(api), "reviewed")
    await verified_training(api, budi["id"], "Pelatihan analisis kebijakan", 24)
    dewi = await appraisal_id_of(api, PEER)
    await proposed(api, EVALUATOR, PEER, title="Coaching penulisan", appraisal_id=dewi)
    api.clock.advance(datetime(2026, 4, 10, 8, tzinfo=UTC) - api.clock.now())
    return int(budi["cycle_id"])


async def test_the_progress_report_counts_each_unit_with_its_sub_units(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)

    response = await api.get(f"/api/v1/cycles/{cycle_id}/progress", HR)

    assert response.status_code == 200, response.text
    report = response.json()
    assert (report["cycle_id"], report["cycle_name"]) == (cycle_id, "SKP Tahunan 2026")
    whole = {
        "appraisals": 6,
        "states": states(planning=5, reviewed=1),
        # Five still plan after 31 January; Budi's 14 days to acknowledge or appeal are over.
        "overdue": overdue(planning=5, reviewed=1),
        "predikat": predikat(baik=1),
        "followups": {"training": {"proposed": 1, "verified": 1}},
        "followups_overdue": 1,  # Dewi's, due 5 April
        "training": {"year": 2026, "minimum": 20, "hours": 24, "employees": 6, "below_minimum": 5},
    }
    assert report["total"] == whole
    units = {unit["unit_code"]: unit for unit in report["units"]}
    assert [unit["unit_code"] for unit in report["units"]] == ["DINAS", "BID1"]
    assert units["DINAS"] == {
        **whole,
        "unit_code": "DINAS",
        "unit_name": "Dinas Kominfo",
        "parent_code": None,
    }
    bidang = {
        "appraisals": 3,  # Siti, Budi, Dewi
        "states": states(planning=2, reviewed=1),
        "overdue": overdue(planning=2, reviewed=1),
        "predikat": predikat(baik=1),
        "followups": {"training": {"proposed": 1, "verified": 1}},
        "followups_overdue": 1,
        "training": {"year": 2026, "minimum": 20, "hours": 24, "employees": 3, "below_minimum": 2},
    }
    assert units["BID1"] == {
        **bidang,
        "unit_code": "BID1",
        "unit_name": "Bidang Aplikasi",
        "parent_code": "DINAS",
    }

    one_unit = await api.get(
        f"/api/v1/cycles/{cycle_id}/progress", AUDITOR, params={"unit_code": "BID1"}
    )
    assert one_unit.status_code == 200, one_unit.text
    assert one_unit.json()["total"] == bidang
    assert [unit["unit_code"] for unit in one_unit.json()["units"]] == ["BID1"]


async def test_reports_are_for_hr_and_auditors_of_a_cycle_that_exists(api: Api) -> None:
    appraisal = await world(api)
    cycle = appraisal["cycle_id"]
    progress = f"/api/v1/cycles/{cycle}/progress"
    exports = [
        f"/api/v1/cycles/{cycle}/exports/appraisals",
        f"/api/v1/cycles/{cycle}/exports/followups",
        f"/api/v1/cycles/{cycle}/exports/training-hours",
    ]
    for path, ask, ok in [(progress, api.get, 200)] + [(p, api.post, 202) for p in exports]:
        for who in (EMPLOYEE, EVALUATOR):
            refused = await ask(path, who)
            assert refused.status_code == 403, (path, who, refused.text)
        assert (await ask(path, AUDITOR)).status_code == ok, path
        assert (await ask(path, HR, params={"format": "xlsx"})).status_code == ok, path
        unknown_unit = await ask(path, HR, params={"unit_code": "NOPE"})
        assert unknown_unit.status_code == 404, unknown_unit.text
        unknown = path.replace(f"/cycles/{cycle}/", "/cycles/999/")
        for who in (HR, EMPLOYEE):  # an unknown cycle is 404 before any role check
            assert (await ask(unknown, who)).status_code == 404, (unknown, who)
        for bad in (BEYOND_64_BITS, "abc"):
            odd = await ask(path.replace(f"/cycles/{cycle}/", f"/cycles/{bad}/"), HR)
            assert 400 <= odd.status_code < 500, (bad, odd.text)
        nul = await ask(path, HR, params={"unit_code": "BI\x00D1"})
        assert nul.status_code in (400, 422), nul.text
    for path in exports:
        wrong_format = await api.post(path, HR, params={"format": "pdf"})
        assert 400 <= wrong_format.status_code < 500, wrong_format.text
        assert (await api.get(path, HR)).status_code == 405  # starting an export is a POST
    for table in ("salaries", "training_hours", "Appraisals"):  # only the three tables
        other = await api.post(f"/api/v1/cycles/{cycle}/exports/{table}", HR)
        assert 400 <= other.status_code < 500, (table, other.text)
        assert "request_id" in other.json(), other.text
    # Nothing refused was started: the jobs are the 2 x 3 exports HR and the auditor began.
    started = (await api.get("/api/v1/jobs", HR, params={"kind": "cycle_export"})).json()
    assert started["total"] == 6, started


def csv_rows(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8")
    assert text.startswith("\ufeff")  # spreadsheets then read the accents as UTF-8
    return list(csv.DictReader(io.StringIO(text[1:])))


def xlsx_rows(content: bytes) -> list[dict[str, Any]]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", cell.coordinate  # no cell is a formula
    header = [str(name) for name in values[0]]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


async def test_exports_read_back_with_ratings_and_neutralised_formulas(api: Api) -> None:
    cycle_id = await cycle_with_progress(api)
    budi = await appraisal_id_of(api, EMPLOYEE)
    for title in INJECTIONS:
        await proposed(api, EMPLOYEE, EMPLOYEE, title=title, appraisal_id=budi)

    as_csv = await api.export(cycle_id, "appraisals", HR)
    assert as_csv.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_csv.headers["content-disposition"] == (
        f'attachment; filename="appraisals-cycle-{cycle_id}.csv"'
    )
    assert as_csv.headers["cache-control"] == "private, no-store"
    as_xlsx = await api.export(cycle_id, "appraisals", HR, {"format": "xlsx"})
    assert as_xlsx.status_code == 200, as_xlsx.text
    assert as_xlsx.headers["content-type"] == XLSX_TYPE
    assert as_xlsx.headers["cache-control"] == "private, no-store"
    from_csv, from_xlsx = csv_rows(as_csv.content), xlsx_rows(as_xlsx.content)
    assert [row["nip"] for row in from_csv] == [row["nip"] for row in from_xlsx]
    assert len(from_csv) == 6
    budi_csv = next(row for row in from_csv if row["nip"] == EMPLOYEE)
    assert {k: budi_csv[k] for k in ("name", "unit_code", "state", "predikat")} == {
        "name": "Budi Santoso",
        "unit_code": "BID1",
        "state": "reviewed",
        "predikat": "baik",
    }
    assert (budi_csv["results_rating"], budi_csv["behaviour_rating"]) == (
        "di_atas_ekspektasi",
        "sesuai_ekspektasi",
    )
    assert (budi_csv["evaluator_nip"], budi_csv["overdue"]) == (EVALUATOR, "yes")
    budi_xlsx = next(row for row in from_xlsx if row["nip"] == EMPLOYEE)
    assert (budi_xlsx["predikat"], budi_xlsx["overdue"]) == ("baik", True)

    only_bidang = await api.export(cycle_id, "appraisals", HR, {"unit_code": "BID1"})
    assert {row["unit_code"] for row in csv_rows(only_bidang.content)} == {"BID1"}
    assert len(csv_rows(only_bidang.content)) == 3

    for output, read in (("csv", csv_rows), ("xlsx", xlsx_rows)):
        followups = await api.export(cycle_id, "followups", HR, {"format": output})
        assert followups.status_code == 200, followups.text
        titles = {row["title"] for row in read(followups.content)}
        assert titles >= {"Pelatihan analisis kebijakan", "Coaching penulisan"}
        for injected in INJECTIONS:  # the text is kept, behind an apostrophe
            assert "'" + injected in titles, (output, injected, titles)
            assert injected not in titles
        training = next(
            row for row in read(followups.content) if row["title"] == "Pelatihan analisis kebijakan"
        )
        assert (training["kind"], training["state"], str(training["hours"])) == (
            "training",
            "verified",
            "24",
        )

        hours = await api.export(cycle_id, "training-hours", HR, {"format": output})
        assert hours.status_code == 200, hours.text
        by_person = {row["nip"]: row for row in read(hours.content)}
        assert len(by_person) == 6
        assert str(by_person[EMPLOYEE]["hours"]) == "24"
        assert str(by_person[PEER]["hours"]) == "0"
        assert str(by_person[PEER]["year"]) == "2026"
        assert by_person[EMPLOYEE]["below_minimum"] in ("no", False)
        assert by_person[PEER]["below_minimum"] in ("yes", True)


def workbook(*rows: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def import_xlsx(api: Api, content: bytes) -> Outcome:
    return await api.import_file(content, XLSX_TYPE, headers=EN)


def cells(line: str) -> list[Any]:
    return line.split(",")


async def test_the_import_takes_an_xlsx_workbook(api: Api) -> None:
    await api.setup_org()
    new = cells(csv_line(NEW_PNS, "Yusuf Maulana", "yusuf@example.go.id"))
    response = await import_xlsx(api, workbook(HEADER.split(","), new, cells(GOOD_CHANGE)))
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["updated"]) == (1, 1)
    people = await by_nip(api)
    assert people[NEW_PNS]["name"] == "Yusuf Maulana"
    assert people[PEER]["position"] == "Pranata Komputer Ahli"
    assert len(await api.outbox(to="yusuf@example.go.id", kind="invitation")) == 1


async def test_a_bad_workbook_writes_nothing_and_names_its_rows(api: Api) -> None:
    await api.setup_org()
    await api.sign_in_staff(EMPLOYEE)
    before = await snapshot(api)
    rows = [
        HEADER.split(","),
        cells(GOOD_CHANGE),  # row 2: fine, but not applied
        [],  # row 3: empty, skipped
        cells(csv_line("12345", "Nomor Pendek", "pendek@example.go.id")),  # row 4
        cells(csv_line(NEW_PPPK, "Unit Salah", "salah@example.go.id", unit="NOPE")),  # row 5
    ]
    refused = await import_xlsx(api, workbook(*rows))
    assert set(lines_of(refused)) == {4, 5}
    assert await snapshot(api) == before

    extra = [*cells(csv_line(NEW_PNS, "Kolom Lebih", "lebih@example.go.id")), "extra"]
    too_wide = await import_xlsx(api, workbook(*rows, extra))  # row 6: one cell too many
    assert lines_of(too_wide)[6] == ["The row does not have exactly 7 columns."]
    assert set(lines_of(too_wide)) == {4, 5, 6}  # every bad row, whatever is wrong with it
    assert await snapshot(api) == before

    wrong_header = await import_xlsx(api, workbook(["nip", "name"], [NEW_PNS, "Yusuf"]))
    assert set(lines_of(wrong_header)) == {1}
    not_a_workbook = await import_xlsx(api, b"nip,name\n1,2\n")
    assert lines_of(not_a_workbook) == {1: ["The file is not an XLSX workbook."]}
    assert await snapshot(api) == before

    staff = await api.import_file(
        workbook(HEADER.split(","), cells(GOOD_CHANGE)), XLSX_TYPE, EMPLOYEE
    )
    assert staff.status_code == 403, staff.text
    assert await snapshot(api) == before


async def test_overdue_counts_follow_the_clock(api: Api) -> None:
    appraisal = await world(api)
    path = f"/api/v1/cycles/{appraisal['cycle_id']}/progress"
    on_time = (await api.get(path, HR)).json()["total"]["overdue"]
    assert on_time == overdue()
    api.clock.advance(timedelta(days=26))  # 31 January, the last day for the targets
    assert (await api.get(path, HR)).json()["total"]["overdue"] == overdue()
    api.clock.advance(timedelta(days=1))
    assert (await api.get(path, HR)).json()["total"]["overdue"] == overdue(planning=6)


def test_every_formula_start_is_neutralised_in_both_formats() -> None:
    texts = ["=1+1", "+1", "-1", "@A1", "\tx", "\rx", "a=b", "", "Budi"]
    rows = [[text, 7, None] for text in texts]
    read = list(csv.reader(io.StringIO(write_csv(["text", "n", "none"], rows).decode()[1:])))
    expected = ["'=1+1", "'+1", "'-1", "'@A1", "'\tx", "'\rx", "a=b", "", "Budi"]
    assert [row[0] for row in read[1:]] == expected
    assert {(row[1], row[2]) for row in read[1:]} == {("7", "")}
    written = io.BytesIO()
    with XlsxTable("t", ["text", "n", "none"]) as table:
        for row in rows:
            table.append(row)
        table.save(written)
    sheet = load_workbook(io.BytesIO(written.getvalue())).worksheets[0]
    column = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert column[:4] == ["'=1+1", "'+1", "'-1", "'@A1"]
    assert [c.data_type for row in sheet.iter_rows() for c in row if c.value is not None].count(
        "f"
    ) == 0
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [7] * len(texts)
