"""Check a unit's employee predikat against its organisation predikat's pattern. Pure: no I/O.

Shares are compared exactly (``count * denominator`` against ``limit * total`` as fractions),
so 7 of 10 is exactly 70%: allowed under "at most 70%" and enough for "at least 70%".
A unit with no counted appraisal yet breaks nothing: there is nothing to judge.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from kinerja_flow.policies.distribution import DistributionPolicy, OrgPredikat, ReleasePolicy, Rule
from kinerja_flow.predikat import Predikat

SHARE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Broken:
    """A rule the distribution breaks, with what was found and what the rule asks."""

    rule: Rule
    actual: int | float
    limit: int | float


def share(count: int, total: int) -> float:
    """``count / total`` rounded half-up to four decimals (0 when there is no one)."""
    if total == 0:
        return 0.0
    exact = Decimal(count) / Decimal(total)
    return float(exact.quantize(SHARE_PLACES, rounding=ROUND_HALF_UP))


def limit_text(rule: Rule) -> str:
    """The rule's limit as people read it: a percentage for shares, a number for counts."""
    limit = rule.share_limit
    if limit is None:
        return str(rule.count_limit)
    percent = Decimal(limit.numerator) * 100 / Decimal(limit.denominator)
    return format(percent.normalize(), "f")


def check(rule: Rule, counts: Mapping[Predikat, int], total: int) -> Broken | None:
    """Whether ``rule`` holds for ``counts`` (of ``total`` appraisals); the breach if not."""
    if rule.allowed is not None:
        outside = sum(n for p, n in counts.items() if p not in rule.allowed)
        return Broken(rule, outside, 0) if outside > 0 else None
    count = sum(counts.get(p, 0) for p in rule.over)
    limit = rule.share_limit
    if limit is not None:
        actual = Fraction(count, total)
        ok = actual <= limit if rule.max_share is not None else actual >= limit
        return None if ok else Broken(rule, share(count, total), float(limit))
    bound = rule.count_limit
    ok = count <= bound if rule.max_count is not None else count >= bound
    return None if ok else Broken(rule, count, bound)


def evaluate(
    policy: DistributionPolicy, org_predikat: OrgPredikat, counts: Mapping[Predikat, int]
) -> list[Broken]:
    """Every rule of ``org_predikat``'s pattern that ``counts`` breaks, in the policy's order."""
    total = sum(counts.values())
    if total == 0:
        return []
    found = (check(rule, counts, total) for rule in policy.rules_for(org_predikat))
    return [broken for broken in found if broken is not None]


@dataclass(frozen=True)
class UnitPattern:
    """One unit's employee predikat in one cycle and the rules of its pattern they break.

    ``org_predikat`` is None while HR has not set the unit's result: there is no pattern yet.
    """

    unit_code: str
    unit_name: str
    org_predikat: OrgPredikat | None
    counts: dict[Predikat, int]
    broken: tuple[Broken, ...]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def assess(
    policy: DistributionPolicy,
    unit_code: str,
    unit_name: str,
    org_predikat: OrgPredikat | None,
    counts: Mapping[Predikat, int],
) -> UnitPattern:
    """One unit's report: its counts (every predikat, zeros included) and the rules broken."""
    full = {p: counts.get(p, 0) for p in Predikat}
    broken = evaluate(policy, org_predikat, full) if org_predikat is not None else []
    return UnitPattern(unit_code, unit_name, org_predikat, full, tuple(broken))


@dataclass(frozen=True)
class ReleaseCheck:
    """What the ``distribution_allows_release`` guard decides on, gathered before it runs."""

    policy: ReleasePolicy
    unit: UnitPattern
