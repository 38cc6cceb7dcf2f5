"""The IKM arithmetic (Indeks Kepuasan Masyarakat, PermenPANRB 14/2017; DESIGN.md section 4).

Citizens rate nine service elements (unsur pelayanan U1-U9) on a 1-4 scale. Per element the
mean of its answers is taken; the unit's index is the mean of the nine element means times 25
(the conversion factor), so it lies between 25 and 100. The mutu pelayanan (quality category)
follows from the index rounded to two decimals:

    88.31-100.00  A  sangat baik (very good)
    76.61- 88.30  B  baik (good)
    65.00- 76.60  C  kurang baik (poor)
    25.00- 64.99  D  tidak baik (bad)

Everything here is exact: means are fractions, and rounding is decimal ``ROUND_HALF_UP`` on the
exact value, so 88.305 becomes 88.31 (binary floating point would hold 88.30499999... and give
88.30). Only the final, rounded numbers leave this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

ELEMENT_COUNT = 9
SCALE = (1, 2, 3, 4)
CONVERSION = 25
HUNDREDTH = Decimal("0.01")

# (lowest rounded index, category), best first; each range runs up to the next one's start.
CATEGORIES: tuple[tuple[Decimal, str], ...] = (
    (Decimal("88.31"), "A"),
    (Decimal("76.61"), "B"),
    (Decimal("65.00"), "C"),
    (Decimal("25.00"), "D"),
)

# Wide enough that converting a fraction with a realistic denominator is exact whenever its
# decimal expansion terminates (every x.xx5 tie does), and never lands on a tie otherwise.
_EXACT = Context(prec=60)


def round2(value: Fraction) -> Decimal:
    """``value`` rounded half-up to two decimals."""
    exact = _EXACT.divide(Decimal(value.numerator), Decimal(value.denominator))
    return exact.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def category(index: Decimal) -> str:
    """The quality category (A-D) of an index already rounded to two decimals."""
    for lowest, name in CATEGORIES:
        if index >= lowest:
            return name
    raise ValueError(f"an IKM index cannot be below 25: {index}")


@dataclass(frozen=True)
class Ikm:
    responses: int
    element_means: tuple[Decimal, ...] | None
    index: Decimal | None
    category: str | None


def compute(element_sums: Sequence[int], responses: int) -> Ikm:
    """The IKM of ``responses`` complete responses whose answers add up to ``element_sums``.

    Every response answers all nine elements, so each element mean is its sum divided by the
    number of responses. The index is taken from the exact means, not the rounded ones.
    """
    if len(element_sums) != ELEMENT_COUNT:
        raise ValueError(f"expected {ELEMENT_COUNT} element sums, got {len(element_sums)}")
    if responses == 0:
        return Ikm(responses=0, element_means=None, index=None, category=None)
    means = [Fraction(total, responses) for total in element_sums]
    if any(not SCALE[0] <= mean <= SCALE[-1] for mean in means):
        raise ValueError("an element mean lies outside the 1-4 scale")
    index = round2(sum(means, Fraction(0)) / ELEMENT_COUNT * CONVERSION)
    return Ikm(
        responses=responses,
        element_means=tuple(round2(mean) for mean in means),
        index=index,
        category=category(index),
    )
