"""The kinds of case a workflow file may drive, each with its allow-list of guards and effects."""

from __future__ import annotations

from typing import Any

from kinerja_flow.appraisals.rules import RULES as APPRAISAL_RULES
from kinerja_flow.workflow.registry import Registry

REGISTRIES: dict[str, Registry[Any]] = {APPRAISAL_RULES.kind: APPRAISAL_RULES}
