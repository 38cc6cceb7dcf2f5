"""Ratings and the predikat kinerja matrix of PermenPANRB 6/2022 (DESIGN.md section 2.4)."""

from __future__ import annotations

from enum import StrEnum


class Rating(StrEnum):
    """A rating of work results (hasil kerja) or of work behaviour (perilaku kerja)."""

    ABOVE = "di_atas_ekspektasi"
    MEETS = "sesuai_ekspektasi"
    BELOW = "di_bawah_ekspektasi"


class Predikat(StrEnum):
    """The employee's performance grade, best first."""

    SANGAT_BAIK = "sangat_baik"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG_MISCONDUCT = "kurang_misconduct"
    SANGAT_KURANG = "sangat_kurang"


_MATRIX: dict[tuple[Rating, Rating], Predikat] = {
    (Rating.ABOVE, Rating.BELOW): Predikat.KURANG_MISCONDUCT,
    (Rating.ABOVE, Rating.MEETS): Predikat.BAIK,
    (Rating.ABOVE, Rating.ABOVE): Predikat.SANGAT_BAIK,
    (Rating.MEETS, Rating.BELOW): Predikat.KURANG_MISCONDUCT,
    (Rating.MEETS, Rating.MEETS): Predikat.BAIK,
    (Rating.MEETS, Rating.ABOVE): Predikat.BAIK,
    (Rating.BELOW, Rating.BELOW): Predikat.SANGAT_KURANG,
    (Rating.BELOW, Rating.MEETS): Predikat.BUTUH_PERBAIKAN,
    (Rating.BELOW, Rating.ABOVE): Predikat.BUTUH_PERBAIKAN,
}


def predikat_for(results: Rating, behaviour: Rating) -> Predikat:
    """Rows are the results rating, columns the behaviour rating."""
    return _MATRIX[(results, behaviour)]
