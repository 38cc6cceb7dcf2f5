"""Allow-lists of named guards and effects: a workflow file can only name what is here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from kinerja_flow.lib.errors import FieldError

FactsT = TypeVar("FactsT")
Guard = Callable[[FactsT], FieldError | Sequence[FieldError] | None]
"""A guard answers ``None`` when it passes, else the problem (or every problem) it found."""
Effect = Callable[..., Any]


@dataclass
class Registry(Generic[FactsT]):
    """Guards (pure checks over a facts snapshot) and effects for one kind of case."""

    kind: str
    deadlines: frozenset[str] = frozenset()
    guards: dict[str, Guard[FactsT]] = field(default_factory=dict)
    effects: dict[str, Effect] = field(default_factory=dict)

    def guard(self, name: str) -> Callable[[Guard[FactsT]], Guard[FactsT]]:
        def register(fn: Guard[FactsT]) -> Guard[FactsT]:
            self.guards[name] = fn
            return fn

        return register

    def effect(self, name: str) -> Callable[[Effect], Effect]:
        def register(fn: Effect) -> Effect:
            self.effects[name] = fn
            return fn

        return register
