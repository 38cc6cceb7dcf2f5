"""``kinerja-flow demo``: migrate, seed, catch mail, serve."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import click
import uvicorn

from kinerja_flow.app import create_app
from kinerja_flow.bootstrap import build_context
from kinerja_flow.clock import SystemClock
from kinerja_flow.config import load_settings
from kinerja_flow.demo.controllers import mail_controller
from kinerja_flow.demo.mailcatcher import MailCatcher
from kinerja_flow.demo.seed import DEMO_PASSWORD, cast, seed
from kinerja_flow.lib import migrate
from kinerja_flow.lib.sockets import free_port


def run_demo(host: str, port: int, employees: int) -> None:
    mail_dir = Path("demo-mail").resolve()
    catcher = MailCatcher(mail_dir, port=free_port())
    base_url = f"http://{host}:{port}"
    settings = load_settings(
        database_url=os.environ.get(
            "KINERJA_DATABASE_URL", "sqlite+aiosqlite:///./kinerja-flow-demo.sqlite3"
        ),
        smtp_host=catcher.host,
        smtp_port=catcher.port,
        smtp_tls="none",
        base_url=base_url,
        embedded_worker=True,
        demo=True,
        worker_poll_seconds=1.0,
    )
    migrate.upgrade(settings.database_url)
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd narrates every command

    async def fill() -> tuple[bool, list[tuple[str, str]]]:
        ctx = build_context(settings, SystemClock())
        try:
            seeded = await seed(ctx, employees)
            return seeded, await cast(ctx)
        finally:
            await ctx.engine.dispose()

    click.echo("Preparing the demo agency ...")
    seeded, people = asyncio.run(fill())
    catcher.start()
    width = max(len(who) for who, _username in people)
    sign_ins = "\n".join(f"   {who:<{width}}  {username}" for who, username in people)
    click.echo(
        f"\n kinerja-flow demo {'(new data)' if seeded else '(existing data)'}\n\n"
        f" Open {base_url}/ in a browser and sign in (password {DEMO_PASSWORD}):\n"
        f"{sign_ins}\n\n"
        f"   Emails sent:     {base_url}/demo/mail/   (also saved as .eml in {mail_dir})\n"
        f"   API docs:        {base_url}/schema/swagger\n"
        f"   API sign-in:     POST {base_url}/api/v1/auth/token\n"
    )
    try:
        uvicorn.run(
            create_app(settings, route_handlers=[mail_controller(mail_dir)]), host=host, port=port
        )
    finally:
        catcher.stop()
