"""The nine cells of the predikat matrix, as an evaluator's review produces them."""

from __future__ import annotations

import pytest

from kinerja_flow.predikat import Predikat, Rating, predikat_for

CELLS = [
    ("di_atas_ekspektasi", "di_bawah_ekspektasi", "kurang_misconduct"),
    ("di_atas_ekspektasi", "sesuai_ekspektasi", "baik"),
    ("di_atas_ekspektasi", "di_atas_ekspektasi", "sangat_baik"),
    ("sesuai_ekspektasi", "di_bawah_ekspektasi", "kurang_misconduct"),
    ("sesuai_ekspektasi", "sesuai_ekspektasi", "baik"),
    ("sesuai_ekspektasi", "di_atas_ekspektasi", "baik"),
    ("di_bawah_ekspektasi", "di_bawah_ekspektasi", "sangat_kurang"),
    ("di_bawah_ekspektasi", "sesuai_ekspektasi", "butuh_perbaikan"),
    ("di_bawah_ekspektasi", "di_atas_ekspektasi", "butuh_perbaikan"),
]


@pytest.mark.parametrize(("results", "behaviour", "expected"), CELLS)
def test_matrix_cell(results: str, behaviour: str, expected: str) -> None:
    assert predikat_for(Rating(results), Rating(behaviour)) is Predikat(expected)
