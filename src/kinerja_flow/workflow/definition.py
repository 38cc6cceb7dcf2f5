"""The schema of a workflow file (``workflows/*.toml``); unknown keys are rejected."""

from __future__ import annotations

import msgspec

ANY_OPEN_STATE = "*"
"""A ``source`` of ``"*"`` means every state that is not final."""


class Notify(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    message: str
    to: list[str]


class StateDef(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One state of a case.

    ``allows`` maps a capability of the case kind (edit the SKP, add evidence, ...) to the roles
    that may use it while the case is here; ``conceal_result``: the employee does not see the
    evaluation while the case is here; ``discarded``: the case was called off, so what it holds
    counts in no report; ``ended``: the case's work is over although it may still move on (a
    final state has ended too), so what waits on the case may go ahead.
    """

    final: bool = False
    ended: bool = False
    deadline: str | None = None
    allows: dict[str, list[str]] = {}
    conceal_result: bool = False
    discarded: bool = False
    description: str = ""


class TransitionDef(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    trigger: str
    source: str | list[str]
    dest: str
    who: list[str]
    guards: list[str] = []
    effects: list[str] = []
    notify: list[Notify] = []
    description: str = ""

    @property
    def sources(self) -> list[str]:
        return [self.source] if isinstance(self.source, str) else list(self.source)


class WorkflowDef(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str
    kind: str
    initial: str
    states: dict[str, StateDef]
    transitions: list[TransitionDef]
    description: str = ""

    def expand_sources(self, transition: TransitionDef) -> list[str]:
        """The concrete source states of ``transition`` (``"*"`` expanded)."""
        if transition.sources == [ANY_OPEN_STATE]:
            return [name for name, state in self.states.items() if not state.final]
        return transition.sources


TOP_LEVEL_KEYS = frozenset(field.name for field in msgspec.structs.fields(WorkflowDef))
