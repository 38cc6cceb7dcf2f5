"""Tables in files: records read from CSV or XLSX with their line (row) numbers, and tables
written as CSV or XLSX that a spreadsheet opens as plain text, never as a formula.

Reading gives ``(line, cells)`` pairs, the header first, whatever the format, so an importer
checks one shape. Writing neutralises every text cell that a spreadsheet would take for a
formula or a command (one starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return,
the OWASP list for CSV injection) by putting an apostrophe in front of it; numbers and dates
are written as such.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, TextIO

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"

Cell = str | int | float | Decimal | date | bool | None
"""What a written table may hold: text is neutralised, the rest is written as a value."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Unreadable(Exception):
    """The file cannot be read from ``line`` on (a broken CSV quote, not an XLSX workbook)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


# -- reading ------------------------------------------------------------------------------


def csv_records(source: str | Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank CSV record with the line it starts on (a quoted field may span lines).

    ``source`` is the text, or its lines (a file opened with ``newline=""``, read as it goes).
    """
    lines = io.StringIO(source.lstrip("\ufeff")) if isinstance(source, str) else source
    reader = csv.reader(lines)
    line = 1
    try:
        for record in reader:
            if record:
                yield line, record
            line = reader.line_num + 1
    except csv.Error as exc:
        raise Unreadable(line) from exc


def xlsx_records(data: bytes | Path) -> Iterator[tuple[int, list[str]]]:
    """Each non-empty row of the workbook's first sheet with its row number, as text.

    Whole numbers are written without a decimal point, dates as ``YYYY-MM-DD``, TRUE/FALSE as
    ``yes``/``no``. A spreadsheet shows no difference between an empty cell and none, so
    a row is cut after its last filled cell and then filled up to the header's width.
    """
    # openpyxl (and Pillow with it) is loaded when a workbook is read or written: a process
    # that only ever sees CSV keeps some 10 MB less resident.
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    try:
        source = data if isinstance(data, Path) else io.BytesIO(data)
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise Unreadable(1) from exc
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if not isinstance(sheet, ReadOnlyWorksheet):
            return
        sheet.reset_dimensions()  # the size a file declares may be wrong: read every row
        width = 0
        for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_text(value) for value in row]
            while cells and not cells[-1].strip():
                cells.pop()
            if cells:
                width = width or len(cells)  # the header's
                yield number, cells + [""] * (width - len(cells))
    finally:
        workbook.close()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- writing ------------------------------------------------------------------------------


def neutralise(value: Cell) -> Cell:
    """Text a spreadsheet would run as a formula gets an apostrophe in front; other values
    are returned as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(neutralise(value))


class CsvTable:
    """A CSV table written row by row into ``out`` (a text file opened with ``newline=""``):
    UTF-8 with a byte order mark (so spreadsheets read the accents right), CRLF lines."""

    def __init__(self, out: TextIO, header: Sequence[str]) -> None:
        out.write("\ufeff")
        self._writer = csv.writer(out, lineterminator="\r\n")
        self.append(header)

    def append(self, row: Sequence[Cell]) -> None:
        self._writer.writerow([_csv_value(value) for value in row])


def write_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> bytes:
    """A small table as CSV bytes (see :class:`CsvTable`)."""
    buffer = io.StringIO()
    table = CsvTable(buffer, header)
    for row in rows:
        table.append(row)
    return buffer.getvalue().encode()


class XlsxTable:
    """One sheet named ``title``, the header in row 1 (frozen), every text cell as text; rows
    are streamed (openpyxl's write-only mode) and the workbook written by :meth:`save`. Use it
    as a context manager, so that a table given up leaves no temporary file behind."""

    def __init__(self, title: str, header: Sequence[str]) -> None:
        from openpyxl import Workbook  # loaded when needed, as in ``xlsx_records``
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        self._illegal = ILLEGAL_CHARACTERS_RE
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet(title[:31])
        self._sheet.freeze_panes = "A2"
        self.append(header)

    def append(self, row: Sequence[Cell]) -> None:
        self._sheet.append([self._value(value) for value in row])

    def _value(self, value: Cell) -> Cell:
        if isinstance(value, str):  # a control character cannot be stored in the file's XML
            return neutralise(self._illegal.sub(" ", value))
        return value

    def save(self, target: Path | IO[bytes]) -> None:
        self._workbook.save(target)

    def __enter__(self) -> XlsxTable:
        return self

    def __exit__(self, *_exc: object) -> None:
        """Unsaved (the work stopped): close the sheet and remove the temporary file openpyxl
        streams its rows into."""
        if not self._sheet.closed:
            self._sheet.close()
            self._sheet._writer.cleanup()
