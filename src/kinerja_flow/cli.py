"""The ``kinerja-flow`` command.

Each subcommand imports what it needs when it runs: ``kinerja-flow --help`` and the light
commands start without loading the whole application (about a second saved per start).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import click
import msgspec

from kinerja_flow.config import Settings, load_settings

if TYPE_CHECKING:
    from kinerja_flow.accounts.lifecycle import AccountLifecycle
    from kinerja_flow.operations.schemas import OutboxState
    from kinerja_flow.runtime.context import AppContext

T = TypeVar("T")


def _with_context(settings: Settings, work: Callable[[AppContext], Awaitable[T]]) -> T:
    from kinerja_flow.bootstrap import build_context
    from kinerja_flow.clock import SystemClock

    async def run() -> T:
        ctx = build_context(settings, SystemClock())
        try:
            return await work(ctx)
        finally:
            await ctx.engine.dispose()

    return asyncio.run(run())


@click.group()
def main() -> None:
    """kinerja-flow: performance appraisal workflows for the Indonesian civil service."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes serving requests on the one port; use the number of CPU cores.",
)
def serve(host: str, port: int, workers: int) -> None:
    """Start the web service (on SQLite it applies pending migrations first)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from kinerja_flow.app import create_app
    from kinerja_flow.lib import migrate
    from kinerja_flow.lib.listener import shared_listener
    from kinerja_flow.lib.logs import install_request_ids, logging_dict

    settings = load_settings()
    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)
    install_request_ids()  # this process logs too, before (or instead of) building the app
    log_config = logging_dict(settings.log_format)
    if workers == 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_config=log_config)
        return
    # Each process builds its own application from the same KINERJA_* settings.
    config = uvicorn.Config(
        "kinerja_flow.app:create_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_config=log_config,
    )
    Multiprocess(config, sockets=[shared_listener(config)]).run()


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply pending migrations."""
    from kinerja_flow.lib import migrate

    migrate.upgrade(load_settings().database_url, revision)
    click.echo("database is up to date")


@main.group()
def admin() -> None:
    """Administrator accounts."""


@admin.command("create")
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
def admin_create(email: str, password: str) -> None:
    """Create an HR administrator who can sign in with EMAIL."""
    from kinerja_flow.accounts.service import AccountService
    from kinerja_flow.i18n import translate
    from kinerja_flow.lib import migrate
    from kinerja_flow.lib.errors import AppError

    settings = load_settings()
    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)

    async def create(ctx: AppContext) -> None:
        async with ctx.sessions() as session:
            await AccountService(session, ctx).create_admin(email, password)

    try:
        _with_context(settings, create)
    except AppError as exc:
        raise click.ClickException(
            translate(exc.message, settings.default_locale, **exc.params)
        ) from exc
    click.echo(f"HR administrator {email.strip().lower()} created")


@main.group()
def accounts() -> None:
    """Sign-in accounts: deactivate, reactivate, invite again (audited as the system)."""


def _account_step(
    username: str, done: str, step: Callable[[AccountLifecycle, int], Awaitable[None]]
) -> None:
    """Run ``step`` on the account USERNAME names, then list the open appraisals of its person."""
    from kinerja_flow.accounts.lifecycle import AccountLifecycle
    from kinerja_flow.accounts.service import find_account, normalise
    from kinerja_flow.appraisals.workload import OpenAppraisal, open_appraisals
    from kinerja_flow.i18n import translate
    from kinerja_flow.lib.actor import SYSTEM
    from kinerja_flow.lib.errors import AppError

    settings = load_settings()

    async def run(ctx: AppContext) -> list[OpenAppraisal]:
        async with ctx.sessions() as session:
            account = await find_account(session, normalise(username))
            if account is None:
                raise click.ClickException(f"no account has the NIP or email {username!r}")
            account_id, employee_id = account.id, account.employee_id
            await session.rollback()
            await step(AccountLifecycle(session, ctx, SYSTEM), account_id)
            if employee_id is None:
                return []
            return await open_appraisals(session, ctx.workflows, [employee_id])

    try:
        work = _with_context(settings, run)
    except AppError as exc:
        raise click.ClickException(
            translate(exc.message, settings.default_locale, **exc.params)
        ) from exc
    click.echo(f"{username}: {done}")
    if work:
        click.echo("open appraisals to see to (nothing was reassigned):")
    for row in work:
        click.echo(
            f"  appraisal {row.appraisal_id} ({row.cycle_name}, {row.state}):"
            f" {row.part} of {row.employee_name} ({row.employee_nip})"
        )


_REASON = click.option("--reason", required=True, help="Why; kept in the audit trail.")


@accounts.command("deactivate")
@click.argument("username")
@_REASON
def accounts_deactivate(username: str, reason: str) -> None:
    """Stop USERNAME (NIP or email) from signing in; every session ends at once."""
    _account_step(username, "deactivated", lambda steps, id_: steps.deactivate(id_, reason))


@accounts.command("reactivate")
@click.argument("username")
@_REASON
def accounts_reactivate(username: str, reason: str) -> None:
    """Let USERNAME (NIP or email) sign in again."""
    _account_step(username, "reactivated", lambda steps, id_: steps.reactivate(id_, reason))


@accounts.command("reinvite")
@click.argument("username")
def accounts_reinvite(username: str) -> None:
    """Email USERNAME (NIP or email) a new invitation link; the earlier one stops working."""
    _account_step(username, "invited again", lambda steps, id_: steps.reinvite(id_))


@main.group()
def employees() -> None:
    """The staff roster."""


@employees.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Only check the file and count what would change.")
def employees_import(file: Path, dry_run: bool) -> None:
    """Import employees from FILE (CSV in UTF-8, or XLSX), as the system, all-or-nothing:
    the same background job as the API's import (any worker or ``serve`` may run it; this
    command runs it itself if none took it first), with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from kinerja_flow.bootstrap import job_runner
    from kinerja_flow.jobs.access import job_out
    from kinerja_flow.jobs.files import copy_in
    from kinerja_flow.jobs.models import ENDED, Job
    from kinerja_flow.jobs.queue import submit
    from kinerja_flow.jobs.schemas import JobOut
    from kinerja_flow.lib import migrate
    from kinerja_flow.lib.principal import SYSTEM
    from kinerja_flow.roster.bulk_import import KIND

    settings = load_settings()
    if settings.is_sqlite:
        migrate.upgrade(settings.database_url)
    file_format = "xlsx" if file.suffix.lower() == ".xlsx" else "csv"

    async def run(ctx: AppContext) -> JobOut:
        path = copy_in(file, settings.evidence_path, f".{file_format}")
        async with ctx.sessions() as session:
            params = {"format": file_format, "dry_run": dry_run}
            job = await submit(session, ctx.clock.now(), KIND, SYSTEM, params, input_path=path)
            await session.commit()
        work = asyncio.create_task(job_runner(ctx).run_once(job.id))
        columns = (*Progress.get_default_columns()[:2], MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, BarColumn(bar_width=None), transient=True) as bar:
            task = bar.add_task("queued", total=None)
            while True:
                async with ctx.sessions() as session:
                    row = await session.get(Job, job.id)
                    assert row is not None
                    if work.done():
                        work.result()  # a crash of the job itself is raised here
                    bar.update(
                        task,
                        description=row.phase or row.state,
                        total=row.total,
                        completed=row.done,
                    )
                    if row.state in ENDED:
                        return job_out(row, settings.default_locale)
                await asyncio.sleep(0.3)

    outcome = _with_context(settings, run)
    if outcome.state == "done":
        click.echo(msgspec.json.format(msgspec.json.encode(outcome.result)).decode())
        return
    assert outcome.error is not None
    for item in outcome.error.errors or []:
        click.echo(f"line {item.line}: {item.field}: {item.message}", err=True)
    raise click.ClickException(outcome.error.detail)


@main.group()
def workflows() -> None:
    """Workflow definition files."""


@workflows.command("check")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
def workflows_check(files: tuple[Path, ...]) -> None:
    """Check workflow files (default: every file in workflows/, and the follow-up rules); list
    each problem with its line."""
    from kinerja_flow.bootstrap import REGISTRIES
    from kinerja_flow.i18n import LOCALES
    from kinerja_flow.workflow.loader import MessageCheck, check_file

    settings = load_settings()
    directory = settings.workflows_path
    paths = list(files) or sorted(directory.glob("*.toml"))
    if not paths:
        raise click.ClickException(f"no workflow files in {directory}")
    messages = MessageCheck(settings.templates_path, LOCALES)
    failed = False
    for path in paths:
        definition, problems = check_file(path, REGISTRIES, messages)
        for problem in problems:
            click.echo(str(problem), err=True)
        if problems:
            failed = True
        elif definition is not None:
            size = f"{len(definition.states)} states, {len(definition.transitions)} transitions"
            click.echo(f"{path}: ok ({size})")
    if not files:  # the follow-up rules are checked with the shipped workflows
        from kinerja_flow.policies.followup_rules import FollowUpRulesError, load_rules

        try:
            rules = load_rules(settings.followup_rules_path)
        except FollowUpRulesError as exc:
            click.echo(str(exc), err=True)
            failed = True
        else:
            click.echo(f"{settings.followup_rules_path}: ok ({len(rules.rules)} rules)")
    sys.exit(1 if failed else 0)


@workflows.command("graph")
@click.argument("name", default="appraisal")
def workflows_graph(name: str) -> None:
    """Print the workflow NAME as a Mermaid state diagram."""
    from kinerja_flow.bootstrap import REGISTRIES
    from kinerja_flow.workflow.graph import mermaid
    from kinerja_flow.workflow.loader import check_file

    settings = load_settings()
    path = settings.workflows_path / f"{name}.toml"
    definition, problems = check_file(path, REGISTRIES)
    if definition is None:
        raise click.ClickException("\n".join(str(problem) for problem in problems))
    click.echo(mermaid(definition), nl=False)


@main.group()
def audit() -> None:
    """The tamper-evident audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the whole hash chain; exit 1 if any event was changed, removed or inserted."""
    from kinerja_flow.audit.verify import VerifyResult, verify

    async def check(ctx: AppContext) -> VerifyResult:
        async with ctx.sessions() as session:
            return await verify(session, ctx.audit_key)

    result = _with_context(load_settings(), check)
    if result.ok:
        click.echo(f"ok: {result.events} events, chain intact")
    else:
        click.echo(
            f"BROKEN at event {result.first_bad_event} ({result.events} events read)", err=True
        )
        sys.exit(1)


@main.group()
def outbox() -> None:
    """Queued email: see what failed, send it again."""


@outbox.command("list")
@click.option(
    "--state", type=click.Choice(["pending", "sent", "failed"]), help="Only messages in this state."
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 1000))
def outbox_list(state: OutboxState | None, limit: int) -> None:
    """List messages, newest first: id, state, attempts, recipient, kind and the last error."""
    from kinerja_flow.operations.outbox import page
    from kinerja_flow.operations.schemas import OutboxPage

    async def read(ctx: AppContext) -> OutboxPage:
        async with ctx.sessions() as session:
            return await page(session, state, limit, 0)

    result = _with_context(load_settings(), read)
    for item in result.items:
        error = f"  {item.last_error}" if item.last_error else ""
        click.echo(
            f"{item.id}\t{item.state}\t{item.attempts}\t{item.to_address!r}\t{item.kind}{error}"
        )
    click.echo(f"{len(result.items)} of {result.total} message(s)", err=True)


@outbox.command("retry")
@click.argument("ids", nargs=-1, required=True, type=click.IntRange(1, 2**63 - 1))
def outbox_retry(ids: tuple[int, ...]) -> None:
    """Put failed messages IDS back in the queue, due now (audited as the system)."""
    from kinerja_flow.i18n import translate
    from kinerja_flow.lib.actor import SYSTEM
    from kinerja_flow.lib.errors import AppError
    from kinerja_flow.operations.outbox import retry

    settings = load_settings()

    async def requeue(ctx: AppContext) -> list[str]:
        problems = []
        for message_id in ids:
            async with ctx.sessions() as session:
                try:
                    await retry(session, ctx, SYSTEM, message_id)
                except AppError as exc:
                    problems.append(translate(exc.message, settings.default_locale, **exc.params))
                else:
                    click.echo(f"message {message_id} queued again")
        return problems

    if problems := _with_context(settings, requeue):
        raise click.ClickException("\n".join(problems))


@main.command()
def worker() -> None:
    """Deliver queued email, run the scheduler (reminders, escalations, automatic steps,
    daily digests) and background jobs (imports) until interrupted; run one or more next to
    the web service."""
    import signal

    from kinerja_flow.bootstrap import job_runner
    from kinerja_flow.notifications.worker import OutboxWorker
    from kinerja_flow.scheduler import Scheduler

    async def run(ctx: AppContext) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        click.echo(f"delivering mail through {ctx.settings.smtp_host}:{ctx.settings.smtp_port}")
        click.echo(f"looking for due deadlines every {ctx.settings.scheduler_seconds:g} s")
        await asyncio.gather(
            OutboxWorker(ctx.sessions, ctx.settings, ctx.clock, ctx.outbox).run(stop),
            Scheduler(ctx).run(stop),
            job_runner(ctx).run(stop),
        )

    _with_context(load_settings(), run)


@main.group()
def deadlines() -> None:
    """Reminders, escalations and automatic steps (the scheduler inside ``worker``)."""


@deadlines.command("run")
def deadlines_run() -> None:
    """Make one scheduler pass now and exit (catching up, cron, tests); exit 1 on a failure."""
    from kinerja_flow.scheduler import Scheduler, SchedulerReport

    async def run(ctx: AppContext) -> SchedulerReport:
        return await Scheduler(ctx).run_once()

    report = _with_context(load_settings(), run)
    click.echo(str(report))
    if report.failed:
        raise click.ClickException("some steps failed (see the log); run again to retry them")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--employees", default=60, show_default=True, type=int, help="Size of the demo agency."
)
def demo(host: str, port: int, employees: int) -> None:
    """Start on a demo SQLite database with a demo agency, catching the emails it sends."""
    from kinerja_flow.demo.run import run_demo

    run_demo(host, port, employees)
