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
from kinerja_flow.demo.seed import ADMIN_EMAIL, DEMO_PASSWORD, seed
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

    async def fill() -> bool:
        ctx = build_context(settings, SystemClock())
        try:
            return await seed(ctx, employees)
        finally:
            await ctx.engine.dispose()

    click.echo("Preparing the demo agency ...")
    seeded = asyncio.run(fill())
    catcher.start()
    click.echo(
        f"\n kinerja-flow demo {'(new data)' if seeded else '(existing data)'}\n"
        f"   API docs:        {base_url}/schema/swagger\n"
        f"   Emails sent:     {base_url}/demo/mail/   (also saved as .eml in {mail_dir})\n"
        f"   HR admin:        {ADMIN_EMAIL} / {DEMO_PASSWORD}\n"
        f"   Any employee:    their NIP (see GET /api/v1/employees) / {DEMO_PASSWORD}\n"
        f"   Sign in:         POST {base_url}/api/v1/auth/token\n"
    )
    try:
        uvicorn.run(
            create_app(settings, route_handlers=[mail_controller(mail_dir)]), host=host, port=port
        )
    finally:
        catcher.stop()
