"""The schema of a workflow file (``workflows/*.toml``); unknown keys are rejected."""

from __future__ import annotations

from typing import Annotated

import msgspec

ANY_OPEN_STATE = "*"
"""A ``source`` of ``"*"`` means every state that is not final."""


class Notify(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    message: str
    to: list[str]


Days = Annotated[int, msgspec.Meta(ge=0, le=366)]
REMINDER_MESSAGE = "deadline_reminder"
ESCALATION_MESSAGE = "deadline_escalation"
"""The email templates of every reminder and escalation, whatever the kind of case."""


class Reminder(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Remind ``to`` (roles on the case) ``before`` days before the deadline."""

    before: Annotated[int, msgspec.Meta(ge=1, le=366)]
    to: list[str]


class Escalation(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Tell ``to`` (roles on the case, e.g. the evaluator's superior, HR) once the deadline has
    passed by ``after`` days (0: as soon as it passes)."""

    to: list[str]
    after: Days = 0


class DeadlineDef(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """When the work of a state is due, and what happens around it.

    The deadline is a date of the case (``date``, a name the case kind knows, such as the
    cycle's ``targets_due``: due by the end of that day) or a duration after the case entered
    the state (``days``; with ``working_days`` counted in working days against the holiday
    calendar, due by the end of the last one). ``remind`` and ``escalate`` send emails,
    ``trigger`` is fired by the system once the deadline has passed. Days before and after
    count working days too when ``working_days`` is set.
    """

    date: str | None = None
    days: Annotated[int, msgspec.Meta(ge=1, le=366)] | None = None
    working_days: bool = False
    remind: list[Reminder] = []
    escalate: list[Escalation] = []
    trigger: str | None = None

    @property
    def acts(self) -> bool:
        """Whether anything happens when it comes near or passes."""
        return bool(self.remind or self.escalate or self.trigger)


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
    deadline: str | DeadlineDef | None = None
    """A date name (``"targets_due"``, short for ``{ date = "targets_due" }``) or a table."""
    allows: dict[str, list[str]] = {}
    conceal_result: bool = False
    discarded: bool = False
    description: str = ""

    @property
    def due(self) -> DeadlineDef | None:
        """The deadline of the state as a table, whichever way the file wrote it."""
        if isinstance(self.deadline, str):
            return DeadlineDef(date=self.deadline)
        return self.deadline


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
