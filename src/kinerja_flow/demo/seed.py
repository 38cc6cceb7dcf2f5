"""Fill an empty database with a demo agency, an open cycle and appraisals in several states."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import func, select, update

from kinerja_flow.accounts.models import Account
from kinerja_flow.accounts.service import AccountService, load_principal
from kinerja_flow.appraisals.evaluation import EvaluationService
from kinerja_flow.appraisals.models import Appraisal
from kinerja_flow.appraisals.schemas import (
    ActionRequest,
    BehaviourFeedback,
    EvaluationDraft,
    IndicatorCreate,
    IndicatorUpdate,
    TargetCreate,
    TargetFeedback,
)
from kinerja_flow.appraisals.service import AppraisalService
from kinerja_flow.appraisals.skp import SkpService
from kinerja_flow.berakhlak import CORE_VALUES
from kinerja_flow.cycles.schemas import CycleCreate, Deadlines
from kinerja_flow.cycles.service import CycleService
from kinerja_flow.demo.agency import UNITS, generate, to_csv
from kinerja_flow.lib.principal import Principal
from kinerja_flow.org.models import Employee, Unit
from kinerja_flow.org.schemas import UnitCreate
from kinerja_flow.org.service import OrgService
from kinerja_flow.predikat import Rating
from kinerja_flow.roster.bulk_import import import_file
from kinerja_flow.runtime.context import AppContext

ADMIN_EMAIL = "admin@demo.go.id"
DEMO_PASSWORD = "demo-kinerja-flow-2026"  # noqa: S105 (printed for the demo user)


async def _principal(ctx: AppContext, employee_id: int) -> Principal:
    async with ctx.sessions() as session:
        account_id = await session.scalar(
            select(Account.id).where(Account.employee_id == employee_id)
        )
        assert account_id is not None
        principal = await load_principal(session, account_id, None)
        assert principal is not None
        return principal


async def seed(ctx: AppContext, employees: int) -> bool:
    """Seed once; return False when the database already holds data."""
    async with ctx.sessions() as session:
        if await session.scalar(select(func.count()).select_from(Unit)):
            return False
    async with ctx.sessions() as session:
        admin = await AccountService(session, ctx).create_admin(ADMIN_EMAIL, DEMO_PASSWORD)
    async with ctx.sessions() as session:
        hr = await load_principal(session, admin.id, None)
    assert hr is not None
    for code, name, parent in UNITS:
        async with ctx.sessions() as session:
            await OrgService(session, ctx, hr).create_unit(
                UnitCreate(code=code, name=name, parent_code=parent)
            )
    with tempfile.TemporaryDirectory() as folder:
        staff = Path(folder) / "employees.csv"
        staff.write_text(to_csv(generate(employees)), encoding="utf-8")
        await import_file(ctx, hr, staff, "csv")
    async with ctx.sessions() as session:  # demo convenience: everyone shares one known password
        await session.execute(
            update(Account).values(password_hash=ctx.passwords.hash(DEMO_PASSWORD))
        )
        await session.commit()
    async with ctx.sessions() as session:
        cycle = await CycleService(session, ctx, hr).create(
            CycleCreate(
                name="SKP Tahunan 2026",
                kind="annual",
                period_start=ctx.clock.now().date().replace(month=1, day=1),
                period_end=ctx.clock.now().date().replace(month=12, day=31),
                deadlines=Deadlines(),
            )
        )
    async with ctx.sessions() as session:
        await CycleService(session, ctx, hr).open(cycle.id)
    await _advance_some(ctx, cycle.id)
    return True


async def _advance_some(ctx: AppContext, cycle_id: int) -> None:
    """Move a few appraisals along so every role has something to look at."""
    async with ctx.sessions() as session:
        candidates = (
            await session.execute(
                select(Appraisal.id, Appraisal.employee_id, Appraisal.evaluator_id)
                .where(
                    Appraisal.cycle_id == cycle_id,
                    Appraisal.evaluator_id.is_not(None),
                    Appraisal.reviewer_id.is_not(None),
                )
                .order_by(Appraisal.id.desc())
            )
        ).all()
    teams: dict[int, list[tuple[int, int, int | None]]] = {}
    for row in candidates:
        teams.setdefault(row[2], []).append(tuple(row))  # type: ignore[arg-type]
    if not teams:
        return
    # The largest team: its evaluator has work in several states, and the evaluator's own
    # superior (their evaluator and the team's appeal reviewer) has an appeal to decide.
    rows = max(teams.values(), key=len)[:7]
    lead_id = rows[0][2]
    for step, (appraisal_id, employee_id, evaluator_id) in enumerate(rows):
        assert evaluator_id is not None
        employee = await _principal(ctx, employee_id)
        evaluator = await _principal(ctx, evaluator_id)
        async with ctx.sessions() as session:
            out = await SkpService(session, ctx, employee).add_target(
                appraisal_id,
                TargetCreate(
                    title="Layanan perizinan daring terintegrasi",
                    indicators=[
                        IndicatorCreate(
                            description="Jumlah layanan terintegrasi",
                            target_value=12,
                            target_unit="layanan",
                        ),
                        IndicatorCreate(
                            description="Waktu penyelesaian integrasi",
                            aspect="time",
                            target_value=10,
                            target_unit="bulan",
                        ),
                    ],
                ),
            )
        if step == 0:
            continue
        async with ctx.sessions() as session:
            out = await AppraisalService(session, ctx, employee).fire(
                appraisal_id, "submit_targets", ActionRequest(version=out.version)
            )
        if step == 1:
            continue
        async with ctx.sessions() as session:
            out = await AppraisalService(session, ctx, evaluator).fire(
                appraisal_id, "approve_targets", ActionRequest(version=out.version)
            )
        if step == 2:
            continue
        async with ctx.sessions() as session:
            hr = await load_principal(session, 1, None)
        assert hr is not None
        async with ctx.sessions() as session:
            out = await AppraisalService(session, ctx, hr).fire(
                appraisal_id, "start_self_assessment", ActionRequest(version=out.version)
            )
        rhk = out.targets[0]
        for indicator, value in zip(rhk.indicators, (13, 10), strict=True):
            async with ctx.sessions() as session:
                out = await SkpService(session, ctx, employee).update_indicator(
                    appraisal_id,
                    rhk.id,
                    indicator.id,
                    IndicatorUpdate(realisation_value=value),
                )
        async with ctx.sessions() as session:
            out = await AppraisalService(session, ctx, employee).fire(
                appraisal_id, "submit_self_assessment", ActionRequest(version=out.version)
            )
        if step == 3:
            continue
        async with ctx.sessions() as session:
            out = await EvaluationService(session, ctx, evaluator).save_draft(
                appraisal_id,
                EvaluationDraft(
                    version=out.version,
                    target_feedback=[
                        TargetFeedback(target_id=rhk.id, feedback="Integrasi selesai tepat waktu.")
                    ],
                    behaviour_feedback=[
                        BehaviourFeedback(value=value, feedback="Sesuai ekspektasi.")
                        for value in CORE_VALUES
                    ],
                ),
            )
        async with ctx.sessions() as session:
            out = await AppraisalService(session, ctx, evaluator).fire(
                appraisal_id,
                "submit_review",
                ActionRequest(
                    version=out.version,
                    results_rating=Rating.MEETS,
                    behaviour_rating=Rating.MEETS,
                    comment="Target tercapai tepat waktu.",
                ),
            )
        if step == 4:
            continue
        async with ctx.sessions() as session:
            out = await AppraisalService(session, ctx, employee).fire(
                appraisal_id,
                "file_appeal" if step == 5 else "acknowledge",
                ActionRequest(
                    version=out.version,
                    reason="Realisasi melampaui target; mohon ditinjau kembali."
                    if step == 5
                    else None,
                ),
            )
    await _submit_own_targets(ctx, cycle_id, lead_id)


async def _submit_own_targets(ctx: AppContext, cycle_id: int, employee_id: int | None) -> None:
    """The team's evaluator submits their own SKP: their superior has targets to approve."""
    async with ctx.sessions() as session:
        appraisal_id = await session.scalar(
            select(Appraisal.id).where(
                Appraisal.cycle_id == cycle_id,
                Appraisal.employee_id == employee_id,
                Appraisal.evaluator_id.is_not(None),
            )
        )
    if appraisal_id is None or employee_id is None:
        return
    lead = await _principal(ctx, employee_id)
    async with ctx.sessions() as session:
        out = await SkpService(session, ctx, lead).add_target(
            appraisal_id,
            TargetCreate(
                title="Tim kerja menyelesaikan integrasi layanan",
                indicators=[
                    IndicatorCreate(
                        description="Layanan tim yang terintegrasi",
                        target_value=40,
                        target_unit="layanan",
                    )
                ],
            ),
        )
    async with ctx.sessions() as session:
        await AppraisalService(session, ctx, lead).fire(
            appraisal_id, "submit_targets", ActionRequest(version=out.version)
        )


STATES_TO_SHOW = (
    "planning",
    "targets_submitted",
    "in_progress",
    "under_review",
    "reviewed",
    "appealed",
    "follow_up",
)
"""The states of the demo employees printed at start, one sign-in each."""


async def cast(ctx: AppContext) -> list[tuple[str, str]]:
    """One sign-in per role to try the pages with: (who they are, NIP or email)."""
    people: list[tuple[str, str]] = [("HR administrator", ADMIN_EMAIL)]
    async with ctx.sessions() as session:

        async def nip_name(employee_id: int | None) -> tuple[str, str] | None:
            if employee_id is None:
                return None
            found = await session.get(Employee, employee_id)
            return (found.nip, found.name) if found else None

        auditor = await session.scalar(
            select(Employee)
            .join(Account, Account.employee_id == Employee.id)
            .where(Account.roles.contains("auditor"))
            .limit(1)
        )
        if auditor is not None:
            people.append((f"Auditor ({auditor.name})", auditor.nip))
        appealed = await session.scalar(
            select(Appraisal).where(Appraisal.state == "appealed").limit(1)
        )
        if appealed is not None:
            if reviewer := await nip_name(appealed.reviewer_id):
                people.append((f"Supervisor and appeal reviewer ({reviewer[1]})", reviewer[0]))
            if evaluator := await nip_name(appealed.evaluator_id):
                people.append((f"Evaluator, team lead ({evaluator[1]})", evaluator[0]))
        for state in STATES_TO_SHOW:
            employee_id = await session.scalar(
                select(Appraisal.employee_id)
                .where(Appraisal.state == state, Appraisal.evaluator_id.is_not(None))
                .order_by(Appraisal.state_changed_at.desc())
                .limit(1)
            )
            if employee := await nip_name(employee_id):
                people.append((f"Employee, appraisal {state} ({employee[1]})", employee[0]))
    return people
