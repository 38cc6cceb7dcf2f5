"""The rules that propose follow-up items when an appraisal reaches follow-up, kept as data.

``policies/followup_rules.toml`` lists rules; each names what it matches and what it proposes,
with the regulation it rests on (``basis``) and a ``reason`` (an English catalogue msgid) that
the proposed items carry. A rule matches when every condition it gives holds:

- ``predikat``, ``results_rating``, ``behaviour_rating``: the result is one of those listed;
- ``consecutive = N`` (with ``predikat``): the predikat was one of those listed in this cycle and
  the N-1 cycles of the same kind before it (the employee's history);
- ``value_below_expectation = true``: the evaluator marked a BerAKHLAK value below expectation;
  one proposal per such value, about that value;
- ``training_hours_below_minimum = true``: the employee completed fewer training hours (JP) in
  the cycle's year than the yearly minimum (a setting, 20 JP by default).

The reason may use ``{predikat}``, ``{results_rating}``, ``{behaviour_rating}``, ``{value}``,
``{hours}``, ``{minimum}``, ``{year}`` and ``{cycles}``. The file is checked at start-up and by
``kinerja-flow workflows check``: unknown keys, kinds, predikat or placeholders, a rule without a
condition or a proposal, and an id used twice are errors naming the file and the rule.
"""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import msgspec

from kinerja_flow.berakhlak import CoreValue
from kinerja_flow.development import FollowUpKind, Owner
from kinerja_flow.predikat import Predikat, Rating

REASON_FIELDS = frozenset(
    {
        "predikat",
        "results_rating",
        "behaviour_rating",
        "value",
        "hours",
        "minimum",
        "year",
        "cycles",
    }
)
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class FollowUpRulesError(Exception):
    """The rules file cannot be read or does not pass the check."""


@dataclass(frozen=True)
class Subject:
    """What the rules look at for one appraisal that reached follow-up."""

    predikat: Predikat | None
    results_rating: Rating | None
    behaviour_rating: Rating | None
    values_below: tuple[CoreValue, ...]
    training_hours: int
    training_minimum: int
    year: int
    history: tuple[Predikat | None, ...]
    """The predikat of the employee's earlier cycles of the same kind, most recent first."""


class Match(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    predikat: Annotated[tuple[Predikat, ...], msgspec.Meta(min_length=1)] | None = None
    results_rating: Annotated[tuple[Rating, ...], msgspec.Meta(min_length=1)] | None = None
    behaviour_rating: Annotated[tuple[Rating, ...], msgspec.Meta(min_length=1)] | None = None
    consecutive: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1
    value_below_expectation: bool = False
    training_hours_below_minimum: bool = False

    def __post_init__(self) -> None:
        if not (
            self.predikat
            or self.results_rating
            or self.behaviour_rating
            or self.value_below_expectation
            or self.training_hours_below_minimum
        ):
            raise ValueError("a rule needs at least one condition in `when`")
        if self.consecutive > 1 and self.predikat is None:
            raise ValueError("`consecutive` counts cycles of a `predikat`: give `predikat` too")

    def values(self, subject: Subject) -> list[CoreValue | None]:
        """What the rule proposes for: ``[None]`` once, one entry per value, or nothing."""
        if self.predikat is not None:
            run = (subject.predikat, *subject.history)[: self.consecutive]
            if len(run) < self.consecutive or any(p not in self.predikat for p in run):
                return []
        if self.results_rating is not None and subject.results_rating not in self.results_rating:
            return []
        if (
            self.behaviour_rating is not None
            and subject.behaviour_rating not in self.behaviour_rating
        ):
            return []
        if self.training_hours_below_minimum and (
            subject.training_hours >= subject.training_minimum
        ):
            return []
        if self.value_below_expectation:
            return list(subject.values_below)
        return [None]


class Proposal(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """One item a rule proposes: its kind, title (a msgid), owner and days until it is due."""

    kind: FollowUpKind
    title: Text
    owner: Owner | None = None
    due_days: Annotated[int, msgspec.Meta(ge=1, le=3660)] | None = None


class Rule(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    id: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_]{1,60}$")]
    basis: Text
    reason: Text
    when: Match
    propose: Annotated[tuple[Proposal, ...], msgspec.Meta(min_length=1)]

    def __post_init__(self) -> None:
        try:
            fields = {f for _t, f, _s, _c in string.Formatter().parse(self.reason) if f}
        except ValueError as exc:
            raise ValueError(f"`reason` is not a valid template: {exc}") from None
        if unknown := fields - REASON_FIELDS:
            allowed = ", ".join(sorted(REASON_FIELDS))
            raise ValueError(f"`reason` may use {allowed}; not {', '.join(sorted(unknown))}")


class FollowUpRules(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    rules: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        ids = [rule.id for rule in self.rules]
        if twice := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"rule id used twice: {', '.join(twice)}")

    def messages(self) -> set[str]:
        """Every msgid the file uses (reasons and titles), for the catalogue."""
        return {rule.reason for rule in self.rules} | {
            proposal.title for rule in self.rules for proposal in rule.propose
        }

    def match(self, subject: Subject) -> list[Proposed]:
        """Every proposal of every rule that matches ``subject``, in the file's order."""
        found: list[Proposed] = []
        for rule in self.rules:
            for value in rule.when.values(subject):
                params: dict[str, str | int] = {
                    "predikat": subject.predikat or "",
                    "results_rating": subject.results_rating or "",
                    "behaviour_rating": subject.behaviour_rating or "",
                    "value": value or "",
                    "hours": subject.training_hours,
                    "minimum": subject.training_minimum,
                    "year": subject.year,
                    "cycles": rule.when.consecutive,
                }
                found.extend(Proposed(rule, proposal, value, params) for proposal in rule.propose)
        return found


@dataclass(frozen=True)
class Proposed:
    rule: Rule
    proposal: Proposal
    value: CoreValue | None
    params: dict[str, str | int]


def parse_rules(text: str, source: str = "<rules>") -> FollowUpRules:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise FollowUpRulesError(f"{source}: not valid TOML: {exc}") from None
    try:
        return msgspec.convert(raw, FollowUpRules)
    except msgspec.ValidationError as exc:
        where = _rule_named(raw, str(exc))
        raise FollowUpRulesError(f"{source}: {where}{exc}") from None


def _rule_named(raw: object, message: str) -> str:
    """``rule 'id': `` when the error's path points into a rule that has an id."""
    marker = "$.rules["
    if marker not in message or not isinstance(raw, dict):
        return ""
    index = message.split(marker, 1)[1].split("]", 1)[0]
    rules = raw.get("rules")
    if not index.isdigit() or not isinstance(rules, list) or int(index) >= len(rules):
        return ""
    rule = rules[int(index)]
    return f"rule '{rule['id']}': " if isinstance(rule, dict) and "id" in rule else ""


def load_rules(path: Path) -> FollowUpRules:
    """Read and check the rules file; any problem raises :class:`FollowUpRulesError`."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise FollowUpRulesError(f"{path}: cannot read the follow-up rules: {exc}") from None
    return parse_rules(text, str(path))
