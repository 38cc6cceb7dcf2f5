"""Benchmark: one scheduler pass over 100,000 open appraisals on PostgreSQL, with nothing due,
then with 10% due, then again once all is taken; time and peak memory of each pass.

    .venv/bin/python bench/scheduler_pass.py [--appraisals 100000] [--due 0.10]
                                             [--server-url postgresql+asyncpg://postgres@127.0.0.1:5432/test]

It creates a database of its own on the server (dropped afterwards unless --keep), migrates it,
writes the organisation and the appraisals with server-side SQL, and runs the scheduler as
``kinerja-flow deadlines run`` does, on a clock fixed at 10 June 2026, 09:00 WIB. The appraisals
are spread over states that all have deadlines (planning, self_assessment, under_review,
reviewed, appealed), none due. Then 10% become due: half of them planning with targets due in
7 days (a reminder), a fifth under review past their review date (an escalation to the
evaluator's superior and three HR officers), the rest reviewed 15 days ago (the appeal window
lapses: the system fires accept_result, audited and emailed).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import resource
import time
import tracemalloc
from datetime import UTC, datetime

from sqlalchemy import func, make_url, select, text

from kinerja_flow.bootstrap import build_context
from kinerja_flow.clock import ManualClock
from kinerja_flow.config import load_settings
from kinerja_flow.lib.db import create_engine
from kinerja_flow.lib.migrate import upgrade
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.step_log import DeadlineStep
from kinerja_flow.scheduler import Scheduler, SchedulerReport

NOW = datetime(2026, 6, 10, 2, 0, tzinfo=UTC)  # 09:00 WIB
MANAGERS = 100
HR_OFFICERS = 3
STATES = ("planning", "self_assessment", "under_review", "reviewed", "appealed")


async def admin(server: str, statement: str) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


SEED = [
    "INSERT INTO units (id, code, name, created_at, updated_at)"
    " VALUES (1, 'BENCH', 'Unit bench', :now, :now)",
    # 1 head, MANAGERS managers under them, everyone else under a manager
    """INSERT INTO employees (id, nip, name, email, unit_id, position, supervisor_id, active,
                              created_at, updated_at)
       SELECT g, '19900101' || lpad(g::text, 10, '0'), 'Pegawai ' || g, 'p' || g || '@bench.go.id',
              1, 'Analis', CASE WHEN g = 1 THEN NULL WHEN g <= :managers + 1 THEN 1
                                ELSE 2 + (g % :managers) END,
              true, :now, :now
       FROM generate_series(1, :n) AS g""",
    "SELECT setval(pg_get_serial_sequence('employees', 'id'), :n)",
    """INSERT INTO accounts (email, employee_id, roles, granted_roles, locale, active,
                             credential_epoch, digest, created_at, updated_at)
       SELECT 'p' || g || '@bench.go.id', g, 'hr', '', 'id', true, 0, false, :now, :now
       FROM generate_series(2, 1 + :hr) AS g""",
    """INSERT INTO cycles (id, name, kind, period_start, period_end, workflow, distribution_policy,
                           targets_due, self_assessment_due, review_due, opened_at,
                           created_at, updated_at)
       VALUES (1, 'SKP 2026 (A)', 'annual', '2026-01-01', '2026-12-31', 'appraisal', 'warn',
               '2026-08-10', '2026-08-10', '2026-08-10', :now, :now, :now),
              (2, 'SKP 2026 (B)', 'annual', '2026-01-01', '2026-12-31', 'appraisal', 'warn',
               '2026-06-17', '2026-06-17', '2026-06-09', :now, :now, :now)""",
    "SELECT setval(pg_get_serial_sequence('cycles', 'id'), 2)",
    # one appraisal each in cycle A, entered 60 days ago; reviewed a day ago, appealed today
    """INSERT INTO appraisals (id, cycle_id, employee_id, evaluator_id, reviewer_id, workflow,
                               state, version, approach, results_rating, behaviour_rating, predikat,
                               reviewed_at, state_changed_at, created_at, updated_at)
       SELECT e.id, 1, e.id, e.supervisor_id, s.supervisor_id, 'appraisal',
              (ARRAY['planning', 'self_assessment', 'under_review', 'reviewed', 'appealed'])
                  [1 + (e.id % 5)],
              1, 'kuantitatif',
              CASE WHEN e.id % 5 >= 3 THEN 'sesuai_ekspektasi' END,
              CASE WHEN e.id % 5 >= 3 THEN 'sesuai_ekspektasi' END,
              CASE WHEN e.id % 5 >= 3 THEN 'baik' END,
              CASE WHEN e.id % 5 >= 3 THEN CAST(:now AS timestamptz) - interval '1 day' END,
              CAST(:now AS timestamptz) - CASE e.id % 5 WHEN 3 THEN interval '1 day'
                                                         WHEN 4 THEN interval '1 hour'
                                                         ELSE interval '60 days' END,
              :now, :now
       FROM employees e LEFT JOIN employees s ON s.id = e.supervisor_id""",
    "SELECT setval(pg_get_serial_sequence('appraisals', 'id'), :n)",
    "ANALYZE",
]


MAKE_DUE = [
    """UPDATE appraisals SET cycle_id = 2 WHERE id IN (
           SELECT id FROM appraisals WHERE state = 'planning' ORDER BY id LIMIT :planning)""",
    """UPDATE appraisals SET cycle_id = 2 WHERE id IN (
           SELECT id FROM appraisals WHERE state = 'under_review' ORDER BY id LIMIT :review)""",
    """UPDATE appraisals SET state_changed_at = CAST(:now AS timestamptz) - interval '15 days',
                              reviewed_at = CAST(:now AS timestamptz) - interval '15 days'
       WHERE id IN (SELECT id FROM appraisals WHERE state = 'reviewed' ORDER BY id LIMIT :lapse)""",
    "ANALYZE",
]
"""Make a share of the appraisals due: half of it planning with targets due in 7 days, a fifth
under review past the review date, the rest reviewed 15 days ago."""


async def execute(ctx: AppContext, statements: list[str], **params: object) -> None:
    async with ctx.engine.begin() as connection:
        for statement in statements:
            wanted = set(re.findall(r"(?<!:):(\w+)", statement))
            names = {key: value for key, value in params.items() if key in wanted}
            await connection.execute(text(statement), names)


async def counts(ctx: AppContext) -> tuple[int, int]:
    async with ctx.sessions() as session:
        steps = await session.scalar(select(func.count()).select_from(DeadlineStep))
        emails = await session.scalar(select(func.count()).select_from(OutboxMessage))
    return steps or 0, emails or 0


async def measured(ctx: AppContext, label: str, trace: bool) -> SchedulerReport:
    steps_before, emails_before = await counts(ctx)
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    report = await Scheduler(ctx).run_once()
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    steps, emails = await counts(ctx)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    traced = f", Python heap peak {peak:6.1f} MiB" if peak is not None else ""
    print(
        f"{label:<34} {elapsed:8.3f} s   steps {steps - steps_before:>6}"
        f"   emails {emails - emails_before:>6}   process RSS peak {rss:6.0f} MiB{traced}"
    )
    print(f"{'':<34} {report}")
    assert not report.failed
    return report


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appraisals", type=int, default=100_000)
    parser.add_argument("--due", type=float, default=0.10)
    parser.add_argument("--server-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also trace the Python heap (slower)"
    )
    args = parser.parse_args()
    server = make_url(args.server_url)
    name = "kinerja_bench_scheduler"
    url = server.set(database=name).render_as_string(hide_password=False)
    server_url = server.render_as_string(hide_password=False)
    await admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        await asyncio.to_thread(upgrade, url)
        clock = ManualClock(NOW)
        ctx = build_context(load_settings({}, database_url=url, smtp_port=1), clock)
        n = args.appraisals
        start = time.perf_counter()
        await execute(ctx, SEED, now=NOW, n=n, managers=MANAGERS, hr=HR_OFFICERS)
        print(f"seeded {n} employees and open appraisals in {time.perf_counter() - start:.1f} s")
        print(f"states: {', '.join(STATES)} (a fifth each); clock {NOW.isoformat()}")
        await measured(ctx, "nothing due (first pass)", args.tracemalloc)
        await measured(ctx, "nothing due (second pass)", args.tracemalloc)
        due = int(n * args.due)
        planning, review = due // 2, due // 5
        await execute(
            ctx, MAKE_DUE, now=NOW, planning=planning, review=review, lapse=due - planning - review
        )
        await measured(ctx, f"{args.due:.0%} due", args.tracemalloc)
        await measured(ctx, "all taken, nothing due again", args.tracemalloc)
        await ctx.engine.dispose()
    finally:
        if not args.keep:
            await admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
