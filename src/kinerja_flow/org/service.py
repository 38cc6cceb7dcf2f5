"""Units of the organisation."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from kinerja_flow.audit.service import AuditEntry
from kinerja_flow.i18n import _
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import Conflict, FieldError, Invalid
from kinerja_flow.lib.principal import require
from kinerja_flow.org.models import Unit
from kinerja_flow.org.schemas import (
    UnitCreate,
    UnitOut,
)
from kinerja_flow.runtime.service import Service

_EMPLOYEE_FIELDS = ("name", "email", "position", "unit_id", "supervisor_id")


class OrgService(Service):
    async def create_unit(self, data: UnitCreate) -> UnitOut:
        require(self.principal, "hr")
        await begin_write(self.session)
        if await self.session.scalar(select(Unit.id).where(Unit.code == data.code)):
            raise Conflict(_("A unit with code '{code}' already exists."), code=data.code)
        parent_id = None
        if data.parent_code is not None:
            parent_id = await self.session.scalar(
                select(Unit.id).where(Unit.code == data.parent_code)
            )
            if parent_id is None:
                raise Invalid(
                    _("Unknown parent unit '{code}'."),
                    errors=[
                        FieldError(
                            "parent_code",
                            _("Unknown unit code '{code}'."),
                            {"code": data.parent_code},
                        )
                    ],
                    code=data.parent_code,
                )
        now = self.ctx.clock.now()
        unit = Unit(
            code=data.code, name=data.name, parent_id=parent_id, created_at=now, updated_at=now
        )
        self.session.add(unit)
        await self.session.flush()
        await self.audit(
            now,
            AuditEntry(
                "unit.created",
                "unit",
                unit.id,
                data={"code": data.code, "name": data.name, "parent_code": data.parent_code},
            ),
        )
        await self.session.commit()
        return UnitOut(id=unit.id, code=unit.code, name=unit.name, parent_code=data.parent_code)

    async def list_units(self) -> list[UnitOut]:
        parent = aliased(Unit)
        rows = await self.session.execute(
            select(Unit, parent.code)
            .outerjoin(parent, Unit.parent_id == parent.id)
            .order_by(Unit.code)
        )
        return [UnitOut(id=u.id, code=u.code, name=u.name, parent_code=p) for u, p in rows.all()]
