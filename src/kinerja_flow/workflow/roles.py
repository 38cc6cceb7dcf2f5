"""The roles a caller holds on one case, decided once per request by the case kind's parties."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CaseRoles:
    """Roles held on a case, and roles withheld from it with the reason (a msgid).

    A global role can be withheld where the person is also a party, for separation of duties:
    an HR officer does not act as HR on their own appraisal.
    """

    held: frozenset[str]
    withheld: Mapping[str, str] = field(default_factory=dict)

    def __contains__(self, role: object) -> bool:
        return role in self.held
