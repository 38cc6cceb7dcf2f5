"""The decision engine: one ``transitions`` machine per workflow definition, shared by all cases.

It never touches the database. Given a state, a trigger, the caller's roles and a snapshot
of facts, it answers with a :class:`Decision` (what must happen) or refuses with the error a
person would act on; the service applies the decision in one transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Generic, cast

from transitions import EventData, Machine

from kinerja_flow.i18n import _
from kinerja_flow.lib.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from kinerja_flow.workflow.definition import DeadlineDef, Notify, TransitionDef, WorkflowDef
from kinerja_flow.workflow.registry import FactsT, Registry
from kinerja_flow.workflow.roles import CaseRoles

logging.getLogger("transitions").setLevel(logging.WARNING)  # it logs every callback at INFO


@dataclass(frozen=True)
class Decision:
    trigger: str
    source: str
    dest: str
    effects: tuple[str, ...]
    notify: tuple[Notify, ...]


@dataclass
class _Case(Generic[FactsT]):
    """The transient model the shared machine moves; lives for one decision."""

    state: str
    facts: FactsT
    errors: list[FieldError] = field(default_factory=list)


class WorkflowEngine(Generic[FactsT]):
    def __init__(self, definition: WorkflowDef, registry: Registry[FactsT]) -> None:
        self.definition = definition
        self.registry = registry
        self._routes: dict[tuple[str, str], TransitionDef] = {}
        self._machine = Machine(
            model=None,
            states=list(definition.states),
            initial=definition.initial,
            auto_transitions=False,
            send_event=True,
        )
        for transition in definition.transitions:
            sources = definition.expand_sources(transition)
            for source in sources:
                self._routes[(transition.trigger, source)] = transition
            self._machine.add_transition(
                transition.trigger,
                list[Any](sources),
                transition.dest,
                conditions=[self._condition(transition)],
            )

    @property
    def name(self) -> str:
        return self.definition.name

    def _condition(self, transition: TransitionDef) -> Any:
        def guards_pass(event: EventData) -> bool:
            case = cast("_Case[FactsT]", event.model)
            for name in transition.guards:
                failure = self.registry.guards[name](case.facts)
                if isinstance(failure, FieldError):
                    case.errors.append(failure)
                elif failure is not None:
                    case.errors.extend(failure)
            return not case.errors

        return guards_pass

    def allowed_triggers(self, state: str, roles: CaseRoles) -> list[str]:
        """Triggers the holder of ``roles`` may fire from ``state`` (guards not evaluated)."""
        return [
            transition.trigger
            for (trigger, source), transition in self._routes.items()
            if source == state and roles.held.intersection(transition.who)
        ]

    def allowed_capabilities(self, state: str, roles: CaseRoles) -> list[str]:
        """Capabilities the holder of ``roles`` may use in ``state`` (what a page may offer)."""
        return sorted(
            capability
            for capability, who in self.definition.states[state].allows.items()
            if roles.held.intersection(who)
        )

    def sources_of(self, trigger: str) -> list[str]:
        """The states ``trigger`` can leave."""
        return [source for (name, source) in self._routes if name == trigger]

    def is_final(self, state: str) -> bool:
        return self.definition.states[state].final

    def conceals_result(self, state: str) -> bool:
        return self.definition.states[state].conceal_result

    def is_discarded(self, state: str) -> bool:
        return self.definition.states[state].discarded

    @property
    def discarded_states(self) -> frozenset[str]:
        return frozenset(n for n, state in self.definition.states.items() if state.discarded)

    @property
    def ended_states(self) -> frozenset[str]:
        """States where the case's work is over: final ones and those declared ``ended``."""
        return frozenset(
            n for n, state in self.definition.states.items() if state.final or state.ended
        )

    def deadline_of(self, state: str) -> DeadlineDef | None:
        return self.definition.states[state].due

    def allows(self, state: str, capability: str) -> bool:
        """Whether anyone may use ``capability`` while a case is in ``state``."""
        return capability in self.definition.states[state].allows

    def states_allowing(self, capability: str) -> frozenset[str]:
        return frozenset(
            name for name, state in self.definition.states.items() if capability in state.allows
        )

    def reads(self, trigger: str) -> frozenset[str]:
        """The parts of a case (:attr:`Registry.parts`) the guards and effects of ``trigger``
        read, from any state it leaves (asked each time: packages built on the registry's
        kind register theirs after the workflows are loaded)."""
        return self.registry.reads([t for t in self.definition.transitions if t.trigger == trigger])

    def triggers_guarded_by(self, guard: str) -> frozenset[str]:
        """The triggers whose transition (from some state) checks ``guard``."""
        return frozenset(t.trigger for t in self.definition.transitions if guard in t.guards)

    def permit(self, state: str, capability: str, roles: CaseRoles) -> None:
        """Refuse unless ``roles`` may use ``capability`` in ``state`` (403, else 409)."""
        granted = self.registry.capabilities[capability]
        here = self.definition.states[state].allows.get(capability)
        if here is not None and roles.held.intersection(here):
            return
        anywhere = {
            role
            for definition in self.definition.states.values()
            for role in definition.allows.get(capability, ())
        }
        if here is not None or not roles.held.intersection(anywhere):
            raise Forbidden(self._withheld(roles, anywhere) or granted.forbidden)
        raise Conflict(granted.not_now, state=state)

    def authorise(self, state: str, trigger: str, roles: CaseRoles) -> TransitionDef:
        """The transition ``trigger`` takes from ``state``; refuse unknown, forbidden or not now."""
        if trigger not in self._machine.events:
            raise NotFound(_("There is no action named '{trigger}'."), trigger=trigger)
        route = self._routes.get((trigger, state))
        if route is not None and roles.held.intersection(route.who):
            return route
        anywhere = {
            role
            for (name, _source), transition in self._routes.items()
            if name == trigger
            for role in transition.who
        }
        if route is not None or not roles.held.intersection(anywhere):
            raise Forbidden(
                self._withheld(roles, anywhere) or _("You may not perform '{trigger}'."),
                trigger=trigger,
            )
        raise Conflict(
            _("'{trigger}' is not possible while the case is '{state}'."),
            trigger=trigger,
            state=state,
        )

    @staticmethod
    def _withheld(roles: CaseRoles, needed: set[str]) -> str | None:
        """Why a role that would have been enough is withheld here (separation of duties)."""
        return next((why for role, why in roles.withheld.items() if role in needed), None)

    def decide(self, state: str, trigger: str, roles: CaseRoles, facts: FactsT) -> Decision:
        """Decide what firing ``trigger`` means now, or raise the refusal."""
        route = self.authorise(state, trigger, roles)
        case: _Case[FactsT] = _Case(state=state, facts=facts)
        if not self._machine.events[trigger].trigger(case):
            raise Invalid(_("The action cannot be performed yet."), errors=case.errors)
        return Decision(
            trigger=trigger,
            source=state,
            dest=case.state,
            effects=tuple(route.effects),
            notify=tuple(route.notify),
        )
