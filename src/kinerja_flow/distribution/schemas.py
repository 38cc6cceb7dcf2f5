"""Wire schemas of the organisation result and the distribution report."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from kinerja_flow.lib.text import MULTILINE
from kinerja_flow.policies.distribution import OrgPredikat

REASON_MAX_LENGTH = 2000


class UnitResultSet(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """HR sets a unit's organisation predikat for a cycle."""

    org_predikat: OrgPredikat
    reason: Annotated[str, MULTILINE, msgspec.Meta(max_length=REASON_MAX_LENGTH)] | None = None


class UnitResultOut(msgspec.Struct):
    cycle_id: int
    unit_code: str
    unit_name: str
    org_predikat: str
    reason: str | None
    set_by: int
    set_at: datetime


class BrokenRuleOut(msgspec.Struct):
    rule: str
    message: str
    actual: int | float
    limit: int | float


class UnitDistribution(msgspec.Struct):
    unit_code: str
    unit_name: str
    org_predikat: str | None
    total: int
    counts: dict[str, int]
    shares: dict[str, float]
    pattern: list[str]
    broken: list[BrokenRuleOut]


class DistributionReport(msgspec.Struct):
    cycle_id: int
    units: list[UnitDistribution]
