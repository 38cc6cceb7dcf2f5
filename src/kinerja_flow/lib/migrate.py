"""Run Alembic migrations from code (``kinerja-flow db upgrade``, embedded start-up, tests)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from kinerja_flow.resources import data_dir


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(data_dir("migrations")))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Apply pending migrations; must run outside an event loop (Alembic's env starts one)."""
    command.upgrade(alembic_config(database_url), revision)
