"""The distribution policy: which employee predikat pattern each organisation predikat requires.

The rules are data (``policies/distribution.toml``), because agencies apply SE MenPANRB 3/2023
differently. Each rule is one of a few allow-listed kinds over a set of employee predikat:

- ``max_share`` / ``min_share``: the share of those predikat is at most / at least a fraction;
- ``max_count`` / ``min_count``: their number is at most / at least a count
  (``min_count = 1`` is "there must be some", ``max_count = 0`` is "none");
- ``allowed``: no employee may have a predikat outside this list ("the rest X / Y").

Every rule carries ``message``, an English catalogue msgid that may use ``{limit}`` (the limit as
a percentage for shares, as a number for counts); it is translated when a person reads it.
"""

from __future__ import annotations

import string
import tomllib
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from kinerja_flow.predikat import Predikat

ReleasePolicy = Literal["warn", "block"]
"""A cycle's setting: a release that breaks the unit's pattern is audited ("warn") or refused."""
RuleKind = Literal["max_share", "min_share", "max_count", "min_count", "allowed"]
RULE_KINDS: tuple[RuleKind, ...] = ("max_share", "min_share", "max_count", "min_count", "allowed")
MESSAGE_FIELDS = frozenset({"limit"})

Share = Annotated[float, msgspec.Meta(ge=0, le=1)]
Count = Annotated[int, msgspec.Meta(ge=0)]
PredikatSet = Annotated[tuple[Predikat, ...], msgspec.Meta(min_length=1)]


class OrgPredikat(StrEnum):
    """A unit's organisation predikat (SE MenPANRB 3/2023), best first."""

    ISTIMEWA = "istimewa"
    BAIK = "baik"
    BUTUH_PERBAIKAN = "butuh_perbaikan"
    KURANG = "kurang"
    SANGAT_KURANG = "sangat_kurang"


class PolicyError(Exception):
    """The policy file cannot be read or does not pass the check."""


def _placeholders(message: str) -> set[str]:
    return {field for _text, field, _spec, _conv in string.Formatter().parse(message) if field}


class Rule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """One requirement on the employee predikat of a unit; exactly one limit is set."""

    message: Annotated[str, msgspec.Meta(min_length=1)]
    predikat: PredikatSet | None = None
    max_share: Share | None = None
    min_share: Share | None = None
    max_count: Count | None = None
    min_count: Count | None = None
    allowed: PredikatSet | None = None

    def __post_init__(self) -> None:
        limits = [kind for kind in RULE_KINDS if getattr(self, kind) is not None]
        if len(limits) != 1:
            raise ValueError(
                f"a rule needs exactly one of {', '.join(RULE_KINDS)}; found "
                f"{', '.join(limits) or 'none'}"
            )
        if limits[0] == "allowed":
            if self.predikat is not None:
                raise ValueError("an `allowed` rule lists its predikat in `allowed` only")
        elif self.predikat is None:
            raise ValueError(f"a `{limits[0]}` rule needs `predikat`")
        if len(set(self.over)) != len(self.over):
            raise ValueError("a predikat is listed twice")
        try:
            fields = _placeholders(self.message)
        except ValueError as exc:
            raise ValueError(f"`message` is not a valid template: {exc}") from None
        if unknown := fields - MESSAGE_FIELDS:
            raise ValueError(f"`message` may only use {{limit}}, not {', '.join(sorted(unknown))}")

    @property
    def kind(self) -> RuleKind:
        return next(kind for kind in RULE_KINDS if getattr(self, kind) is not None)

    @property
    def over(self) -> tuple[Predikat, ...]:
        """The predikat the rule counts (for ``allowed``: the ones permitted)."""
        chosen = self.allowed if self.allowed is not None else self.predikat
        return chosen or ()

    @property
    def key(self) -> str:
        """A stable name for the rule, e.g. ``max_share:sangat_baik``."""
        return f"{self.kind}:{'+'.join(self.over)}"

    @property
    def share_limit(self) -> Fraction | None:
        """The share limit as an exact fraction (0.7 is 7/10, not the nearest binary float)."""
        share = self.max_share if self.max_share is not None else self.min_share
        return None if share is None else Fraction(str(share))

    @property
    def count_limit(self) -> int:
        """The count limit (``allowed`` permits no one outside its list: 0)."""
        count = self.max_count if self.max_count is not None else self.min_count
        return count or 0


class OrgPattern(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The pattern one organisation predikat requires: its rules, in the order shown."""

    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        keys = [rule.key for rule in self.rules]
        if twice := sorted({key for key in keys if keys.count(key) > 1}):
            raise ValueError(f"the same rule appears twice: {', '.join(twice)}")


class DistributionPolicy(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One pattern per organisation predikat; all five are required."""

    istimewa: OrgPattern
    baik: OrgPattern
    butuh_perbaikan: OrgPattern
    kurang: OrgPattern
    sangat_kurang: OrgPattern

    def rules_for(self, org_predikat: OrgPredikat) -> tuple[Rule, ...]:
        pattern: OrgPattern = getattr(self, org_predikat.value)
        return pattern.rules

    def messages(self) -> set[str]:
        return {rule.message for org in OrgPredikat for rule in self.rules_for(org)}


def parse_policy(text: str, source: str = "<policy>") -> DistributionPolicy:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not valid TOML: {exc}") from None
    try:
        return msgspec.convert(raw, DistributionPolicy)
    except msgspec.ValidationError as exc:
        raise PolicyError(f"{source}: {exc}") from None


def load_policy(path: Path) -> DistributionPolicy:
    """Read and check the policy file; any problem raises :class:`PolicyError` naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the distribution policy: {exc}") from None
    return parse_policy(text, str(path))
