"""The suggested results rating: realisation against target, by a rule anyone can check.

Each indicator gets a level, one of the three ratings:

- approach ``kuantitatif``: the achievement is realisation / target (for the aspects ``time``
  and ``cost``, where less is better, target / realisation; a realisation of 0 there counts as
  above). An achievement of at least 110% is *di atas ekspektasi*, at least 90% *sesuai
  ekspektasi*, anything lower *di bawah ekspektasi*.
- approach ``kualitatif``: the level is the evaluator's own assessment of the indicator.

The suggestion is the weighted mean of the levels (below 1, meets 2, above 3; every indicator
weighs 1 unless the SKP gives weights): from 2.5 above, from 1.5 meets, otherwise below.
All arithmetic is exact (fractions), so 9 of 10 is exactly 90%.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from kinerja_flow.predikat import Rating

ABOVE_FROM = Fraction(110, 100)
MEETS_FROM = Fraction(90, 100)
LOWER_IS_BETTER = frozenset({"time", "cost"})
POINTS = {Rating.BELOW: 1, Rating.MEETS: 2, Rating.ABOVE: 3}
MEAN_ABOVE_FROM = Fraction(5, 2)
MEAN_MEETS_FROM = Fraction(3, 2)


class Measured(Protocol):
    """What the suggestion reads of an indicator (an ORM :class:`Indicator` or a row)."""

    @property
    def id(self) -> int: ...
    @property
    def aspect(self) -> str: ...
    @property
    def target_value(self) -> Decimal | None: ...
    @property
    def weight(self) -> Decimal | None: ...
    @property
    def realisation_value(self) -> Decimal | None: ...
    @property
    def assessment(self) -> str | None: ...


@dataclass(frozen=True)
class IndicatorLevel:
    indicator_id: int
    level: Rating | None
    achievement: Fraction | None
    weight: Fraction


@dataclass(frozen=True)
class Suggestion:
    rating: Rating | None
    score: Fraction | None
    levels: tuple[IndicatorLevel, ...]


def achievement(indicator: Measured) -> Fraction | None:
    """Realisation against target, oriented so that more is better; None if not measurable."""
    target, real = indicator.target_value, indicator.realisation_value
    if target is None or real is None or target == 0:
        return None
    if indicator.aspect in LOWER_IS_BETTER:
        if real == 0:
            return ABOVE_FROM
        return Fraction(target) / Fraction(real)
    return Fraction(real) / Fraction(target)


def level_of(share: Fraction) -> Rating:
    if share >= ABOVE_FROM:
        return Rating.ABOVE
    if share >= MEETS_FROM:
        return Rating.MEETS
    return Rating.BELOW


def suggest(approach: str, indicators: Iterable[Measured]) -> Suggestion:
    """The suggested results rating of an SKP; None while any indicator has no level yet."""
    levels: list[IndicatorLevel] = []
    for indicator in indicators:
        weight = Fraction(indicator.weight) if indicator.weight is not None else Fraction(1)
        if approach == "kuantitatif":
            share = achievement(indicator)
            level = level_of(share) if share is not None else None
        else:
            share = None
            level = Rating(indicator.assessment) if indicator.assessment else None
        levels.append(IndicatorLevel(indicator.id, level, share, weight))
    total = sum((item.weight for item in levels), Fraction(0))
    if not levels or total == 0 or any(item.level is None for item in levels):
        return Suggestion(rating=None, score=None, levels=tuple(levels))
    score = sum((POINTS[item.level] * item.weight for item in levels if item.level), Fraction(0))
    score /= total
    if score >= MEAN_ABOVE_FROM:
        rating = Rating.ABOVE
    elif score >= MEAN_MEETS_FROM:
        rating = Rating.MEETS
    else:
        rating = Rating.BELOW
    return Suggestion(rating=rating, score=score, levels=tuple(levels))
