"""Allow-lists of named guards and effects: a workflow file can only name what is here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from kinerja_flow.lib.errors import FieldError
from kinerja_flow.workflow.definition import TransitionDef

FactsT = TypeVar("FactsT")
Guard = Callable[[FactsT], FieldError | Sequence[FieldError] | None]
"""A guard answers ``None`` when it passes, else the problem (or every problem) it found."""
Effect = Callable[..., Any]
Gatherer = Callable[[Any, Any], Awaitable[Any]]
"""Reads what one guard needs beyond the case itself (with I/O, before the decision); called
with the service and the case, only when the transition being fired checks that guard."""


@dataclass(frozen=True)
class Capability:
    """Something a state may allow besides triggers, with the refusals a person reads.

    ``forbidden`` answers a role that may never use it (403); ``not_now`` a role that may, but
    not in this state (409; ``{state}`` names the state).
    """

    description: str
    forbidden: str
    not_now: str


@dataclass
class Registry(Generic[FactsT]):
    """What a workflow file of one kind of case may name: roles, recipients, capabilities,
    deadlines, and the allow-listed guards (pure checks over a facts snapshot) and effects.

    ``deadlines`` are the dates of a case a state's deadline may name; ``deadline_recipients``
    are the roles a reminder or an escalation may address besides ``recipients`` (such as HR
    as a whole). ``parts`` are what of a case beyond its own row a guard or an effect may read
    (its ``reads``): the service loads them only for a trigger whose guards or effects do.
    """

    kind: str
    roles: frozenset[str]
    recipients: frozenset[str]
    capabilities: dict[str, Capability] = field(default_factory=dict)
    deadlines: frozenset[str] = frozenset()
    deadline_recipients: frozenset[str] = frozenset()
    guards: dict[str, Guard[FactsT]] = field(default_factory=dict)
    effects: dict[str, Effect] = field(default_factory=dict)
    gatherers: dict[str, Gatherer] = field(default_factory=dict)
    parts: frozenset[str] = frozenset()
    guard_reads: dict[str, frozenset[str]] = field(default_factory=dict)
    effect_reads: dict[str, frozenset[str]] = field(default_factory=dict)

    def _parts(self, name: str, reads: Iterable[str]) -> frozenset[str]:
        found = frozenset(reads)
        unknown = found - self.parts
        assert not unknown, f"{name} reads {sorted(unknown)}, not parts of a {self.kind}"
        return found

    def guard(
        self, name: str, *, gather: Gatherer | None = None, reads: Iterable[str] = ()
    ) -> Callable[[Guard[FactsT]], Guard[FactsT]]:
        """Register a guard; ``gather`` reads what it needs (see :data:`Gatherer`); ``reads``
        names the :attr:`parts` its facts come from."""
        parts = self._parts(name, reads)

        def register(fn: Guard[FactsT]) -> Guard[FactsT]:
            self.guards[name] = fn
            self.guard_reads[name] = parts
            if gather is not None:
                self.gatherers[name] = gather
            return fn

        return register

    def effect(self, name: str, *, reads: Iterable[str] = ()) -> Callable[[Effect], Effect]:
        """Register an effect; ``reads`` names the :attr:`parts` it reads or changes."""
        parts = self._parts(name, reads)

        def register(fn: Effect) -> Effect:
            self.effects[name] = fn
            self.effect_reads[name] = parts
            return fn

        return register

    def reads(self, transitions: Sequence[TransitionDef]) -> frozenset[str]:
        """The parts the guards and effects of ``transitions`` read."""
        return frozenset[str]().union(
            *(self.guard_reads[name] for t in transitions for name in t.guards),
            *(self.effect_reads[name] for t in transitions for name in t.effects),
        )
