"""Render a workflow definition as a Mermaid state diagram."""

from __future__ import annotations

from kinerja_flow.workflow.definition import WorkflowDef


def mermaid(workflow: WorkflowDef) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {workflow.initial}"]
    for transition in workflow.transitions:
        who = ", ".join(transition.who)
        for source in workflow.expand_sources(transition):
            lines.append(f"    {source} --> {transition.dest}: {transition.trigger} ({who})")
    lines.extend(f"    {name} --> [*]" for name, state in workflow.states.items() if state.final)
    return "\n".join(lines) + "\n"
