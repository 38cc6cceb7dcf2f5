"""Read and check workflow files, reporting every problem with its file and line."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from kinerja_flow.lib.principal import SYSTEM_ROLE
from kinerja_flow.workflow.definition import (
    ANY_OPEN_STATE,
    ESCALATION_MESSAGE,
    REMINDER_MESSAGE,
    TOP_LEVEL_KEYS,
    StateDef,
    TransitionDef,
    WorkflowDef,
)
from kinerja_flow.workflow.locate import PathPart, key_lines, line_of, parse_path
from kinerja_flow.workflow.registry import Registry

_TOML_LINE = re.compile(r"at line (\d+)")
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")


@dataclass(frozen=True)
class Problem:
    file: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class WorkflowError(Exception):
    """Raised when workflow files do not pass the check; lists every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


class _Checker:
    def __init__(self, file: Path, text: str, message_exists: MessageCheck | None) -> None:
        self.file = file
        self.lines = key_lines(text)
        self.message_exists = message_exists
        self.problems: list[Problem] = []

    def report(self, path: tuple[PathPart, ...], message: str) -> None:
        self.problems.append(Problem(self.file, line_of(self.lines, path), message))

    def convert(self, raw: Any, kind: type[Any], path: tuple[PathPart, ...]) -> Any:
        """Convert one table; unknown keys are reported and set aside so the rest is checked."""
        if isinstance(raw, dict):
            known = {field.name for field in msgspec.structs.fields(kind)}
            for key in sorted(raw.keys() - known):
                self.report((*path, key), f"unknown key `{key}`")
            raw = {key: value for key, value in raw.items() if key in known}
        try:
            return msgspec.convert(raw, kind)
        except msgspec.ValidationError as exc:
            message, found, where = str(exc).rpartition(" - at `")
            if not found:
                message, where = str(exc), "$"
            sub = parse_path(where.rstrip("`"))
            if unknown := _UNKNOWN_FIELD.search(message):
                sub = (*sub, unknown.group(1))
            self.report((*path, *sub), message)
            return None

    def check(
        self, raw: dict[str, Any], registries: Mapping[str, Registry[Any]]
    ) -> WorkflowDef | None:
        for key in sorted(raw.keys() - TOP_LEVEL_KEYS):
            self.report((key,), f"unknown key `{key}`")
        missing = [
            key for key in ("name", "kind", "initial", "states", "transitions") if key not in raw
        ]
        for key in missing:
            self.report((), f"missing required key `{key}`")
        if missing:
            return None
        states: dict[str, StateDef] = {}
        raw_states = raw["states"] if isinstance(raw["states"], dict) else {}
        if not isinstance(raw["states"], dict):
            self.report(("states",), "`states` must be a table of states")
        for name, body in raw_states.items():
            state = self.convert(body, StateDef, ("states", name))
            states[name] = state or StateDef()  # keep the name so references still resolve
        transitions: list[TransitionDef] = []
        raw_transitions = raw["transitions"] if isinstance(raw["transitions"], list) else []
        if not isinstance(raw["transitions"], list):
            self.report(("transitions",), "`transitions` must be an array of tables")
        for index, body in enumerate(raw_transitions):
            transition = self.convert(body, TransitionDef, ("transitions", index))
            if transition is not None:
                transitions.append(transition)
        header = {key: raw[key] for key in ("name", "kind", "initial", "description") if key in raw}
        definition = self.convert({**header, "states": {}, "transitions": []}, WorkflowDef, ())
        if definition is None:
            return None
        workflow = WorkflowDef(
            name=definition.name,
            kind=definition.kind,
            initial=definition.initial,
            description=definition.description,
            states=states,
            transitions=transitions,
        )
        self.check_semantics(workflow, registries.get(workflow.kind), set(registries))
        return None if self.problems else workflow

    def check_semantics(
        self, workflow: WorkflowDef, registry: Registry[Any] | None, kinds: set[str]
    ) -> None:
        if registry is None:
            self.report(
                ("kind",), f"unknown kind `{workflow.kind}` (known: {', '.join(sorted(kinds))})"
            )
        if workflow.initial not in workflow.states:
            self.report(
                ("initial",), f"initial state `{workflow.initial}` is not declared in [states]"
            )
        for name, state in workflow.states.items():
            if registry:
                self.check_deadline(workflow, registry, name, state)
                self.check_allows(registry, name, state)
        seen: set[tuple[str, str]] = set()
        for index, transition in enumerate(workflow.transitions):
            self.check_transition(workflow, registry, index, transition, seen)
        self.check_reachable(workflow)

    def check_deadline(
        self, workflow: WorkflowDef, registry: Registry[Any], name: str, state: StateDef
    ) -> None:
        """The date or duration, the roles reminded and told, and the system trigger."""
        deadline = state.due
        if deadline is None:
            return
        at: tuple[PathPart, ...] = ("states", name, "deadline")
        if state.final:
            self.report(at, f"final state `{name}` cannot have a deadline")
        if (deadline.date is None) == (deadline.days is None):
            self.report(at, "a deadline needs exactly one of `date` (a date of the case) or `days`")
        if deadline.date is not None and deadline.date not in registry.deadlines:
            known = ", ".join(sorted(registry.deadlines)) or "none"
            self.report((*at, "date"), f"unknown deadline `{deadline.date}` (known: {known})")
        recipients = registry.recipients | registry.deadline_recipients
        for key, steps, offsets in (
            ("remind", deadline.remind, [r.before for r in deadline.remind]),
            ("escalate", deadline.escalate, [e.after for e in deadline.escalate]),
        ):
            for step in steps:
                if not step.to:
                    self.report((*at, key), f"every `{key}` step must name at least one role")
                for role in step.to:
                    if role not in recipients:
                        known = ", ".join(sorted(recipients))
                        self.report((*at, key), f"unknown recipient `{role}` (known: {known})")
            if len(set(offsets)) != len(offsets):
                self.report((*at, key), f"two `{key}` steps on the same day")
            message = REMINDER_MESSAGE if key == "remind" else ESCALATION_MESSAGE
            if steps and self.message_exists and not self.message_exists(message):
                self.report((*at, key), f"no email templates for message `{message}`")
        if deadline.days is not None:
            for reminder in deadline.remind:
                if reminder.before >= deadline.days:
                    self.report(
                        (*at, "remind"),
                        f"a reminder {reminder.before} days before a deadline {deadline.days}"
                        " days after entering the state would come before it is entered",
                    )
        if deadline.trigger is not None:
            self.check_system_trigger(workflow, name, deadline.trigger, (*at, "trigger"))

    def check_system_trigger(
        self, workflow: WorkflowDef, state: str, trigger: str, at: tuple[PathPart, ...]
    ) -> None:
        routes = [
            t
            for t in workflow.transitions
            if t.trigger == trigger and state in workflow.expand_sources(t)
        ]
        if not routes:
            self.report(at, f"unknown trigger `{trigger}`: no transition fires it from `{state}`")
        elif SYSTEM_ROLE not in routes[0].who:
            needs = f'who = ["{SYSTEM_ROLE}"]'
            self.report(at, f"trigger `{trigger}` needs `{needs}` to be fired by the system")

    def check_allows(self, registry: Registry[Any], name: str, state: StateDef) -> None:
        at: tuple[PathPart, ...] = ("states", name, "allows")
        for capability, roles in state.allows.items():
            if capability not in registry.capabilities:
                known = ", ".join(sorted(registry.capabilities))
                self.report(
                    (*at, capability), f"unknown capability `{capability}` (known: {known})"
                )
            if not roles:
                self.report((*at, capability), f"`{capability}` must name at least one role")
            for role in roles:
                if role not in registry.roles:
                    self.report((*at, capability), self.unknown_role(registry, role))

    @staticmethod
    def unknown_role(registry: Registry[Any], role: str) -> str:
        return f"unknown role `{role}` (known: {', '.join(sorted(registry.roles))})"

    @staticmethod
    def unknown_actor(registry: Registry[Any], role: str) -> str:
        known = ", ".join(sorted(registry.roles | {SYSTEM_ROLE}))
        return f"unknown role `{role}` (known: {known})"

    def check_transition(
        self,
        workflow: WorkflowDef,
        registry: Registry[Any] | None,
        index: int,
        transition: TransitionDef,
        seen: set[tuple[str, str]],
    ) -> None:
        at: tuple[PathPart, ...] = ("transitions", index)
        sources = transition.sources
        if ANY_OPEN_STATE in sources and len(sources) > 1:
            self.report((*at, "source"), f"`{ANY_OPEN_STATE}` cannot be mixed with named states")
        for source in sources:
            if source != ANY_OPEN_STATE and source not in workflow.states:
                self.report((*at, "source"), f"unknown state `{source}`")
            elif source in workflow.states and workflow.states[source].final:
                self.report((*at, "source"), f"state `{source}` is final and cannot be left")
        if transition.dest not in workflow.states:
            self.report((*at, "dest"), f"unknown state `{transition.dest}`")
        if not transition.who:
            self.report((*at, "who"), "`who` must name at least one role")
        for role in transition.who:
            if registry and role not in registry.roles and role != SYSTEM_ROLE:
                self.report((*at, "who"), self.unknown_actor(registry, role))
        for guard in transition.guards:
            if registry and guard not in registry.guards:
                self.report((*at, "guards"), f"unknown guard `{guard}`")
        for effect in transition.effects:
            if registry and effect not in registry.effects:
                self.report((*at, "effects"), f"unknown effect `{effect}`")
        for position, notify in enumerate(transition.notify):
            for recipient in notify.to:
                if registry and recipient not in registry.recipients:
                    self.report(
                        (*at, "notify"), f"unknown recipient `{recipient}` in notify[{position}]"
                    )
            if self.message_exists and not self.message_exists(notify.message):
                self.report((*at, "notify"), f"no email templates for message `{notify.message}`")
        for source in workflow.expand_sources(transition):
            if (transition.trigger, source) in seen:
                self.report(
                    (*at, "trigger"),
                    f"trigger `{transition.trigger}` is defined twice from `{source}`",
                )
            seen.add((transition.trigger, source))

    def check_reachable(self, workflow: WorkflowDef) -> None:
        if workflow.initial not in workflow.states:
            return
        reached = {workflow.initial}
        frontier = [workflow.initial]
        while frontier:
            state = frontier.pop()
            for transition in workflow.transitions:
                dest = transition.dest
                sources = workflow.expand_sources(transition)
                if state in sources and dest not in reached and dest in workflow.states:
                    reached.add(dest)
                    frontier.append(dest)
        for name in workflow.states:
            if name not in reached:
                self.report(
                    ("states", name), f"state `{name}` is unreachable from `{workflow.initial}`"
                )


class MessageCheck:
    """Tells whether email templates exist for a message in every locale."""

    def __init__(self, templates_dir: Path, locales: tuple[str, ...]) -> None:
        self.templates_dir = templates_dir
        self.locales = locales

    def __call__(self, message: str) -> bool:
        return all(
            (self.templates_dir / "email" / locale / message / part).is_file()
            for locale in self.locales
            for part in ("subject.txt", "body.txt", "body.html")
        )


def check_file(
    file: Path, registries: Mapping[str, Registry[Any]], message_exists: MessageCheck | None = None
) -> tuple[WorkflowDef | None, list[Problem]]:
    """Parse and check one workflow file; return the definition or the problems found."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(file, 1, f"cannot read file: {exc.strerror}")]
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE.search(str(exc))
        return None, [Problem(file, int(found.group(1)) if found else 1, f"invalid TOML: {exc}")]
    checker = _Checker(file, text, message_exists)
    definition = checker.check(raw, registries)
    return definition, checker.problems


def load_dir(
    directory: Path,
    registries: Mapping[str, Registry[Any]],
    message_exists: MessageCheck | None = None,
) -> dict[str, WorkflowDef]:
    """Load every ``*.toml`` in ``directory``; raise :class:`WorkflowError` listing all problems."""
    definitions: dict[str, WorkflowDef] = {}
    problems: list[Problem] = []
    for file in sorted(directory.glob("*.toml")):
        definition, found = check_file(file, registries, message_exists)
        problems.extend(found)
        if definition is not None:
            if definition.name in definitions:
                problems.append(
                    Problem(file, 1, f"workflow name `{definition.name}` is used twice")
                )
            definitions[definition.name] = definition
    if problems:
        raise WorkflowError(problems)
    return definitions
