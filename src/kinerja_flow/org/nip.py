"""NIP validation (DESIGN.md section 5).

A PNS NIP is birth date ``YYYYMMDD``, first appointment ``YYYYMM``, a gender digit (1 male,
2 female) and a 3-digit serial. A PPPK number is birth date, appointment year ``YYYY``, the
digit 2, a contract count, a gender digit and a 3-digit serial. Both are 18 digits; the
13th digit tells them apart (a PNS appointment month starts with 0 or 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kinerja_flow.i18n import _


@dataclass(frozen=True)
class NipCheck:
    kind: str | None
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _date(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def check_nip(nip: str) -> NipCheck:
    if len(nip) != 18 or not nip.isascii() or not nip.isdigit():
        return NipCheck(None, (_("NIP must be exactly 18 digits."),))
    problems: list[str] = []
    birth = _date(nip[:8])
    if birth is None:
        problems.append(_("The first 8 digits of the NIP must be a valid birth date (YYYYMMDD)."))
    if nip[12] == "2":
        kind = "pppk"
        appointment_year = int(nip[8:12])
        if nip[13] == "0":
            problems.append(_("The contract count in a PPPK number (digit 14) must be 1-9."))
    else:
        kind = "pns"
        appointment_year = int(nip[8:12])
        if not 1 <= int(nip[12:14]) <= 12:
            problems.append(
                _("Digits 9-14 of the NIP must be the appointment year and month (YYYYMM).")
            )
    if birth is not None and appointment_year <= birth.year:
        problems.append(_("The appointment in the NIP must come after the birth date."))
    if nip[14] not in "12":
        problems.append(_("Digit 15 of the NIP must be 1 (male) or 2 (female)."))
    if nip[15:] == "000":
        problems.append(_("The serial number (last 3 digits of the NIP) cannot be 000."))
    return NipCheck(kind, tuple(problems))
