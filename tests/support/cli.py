"""Run the ``kinerja-flow`` command as an operator would: a process of its own per command.

Starting the console script costs about a second and a half of imports, and the suite runs
commands a hundred times. So each command runs in a process forked from a server process that
has imported the command's modules once (``multiprocessing``'s fork server, started once per
worker): a fresh process all the same, with the environment, working directory, no standard
input, its own output and its exit code, running the console script's entry point
(``kinerja_flow.cli:main``). The tests of ``serve`` and ``worker`` start the installed script.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_SECONDS = 120
PRELOADED = [
    "kinerja_flow.cli",
    "kinerja_flow.app",  # every domain, and the bootstrap
    "kinerja_flow.lib.migrate",  # alembic
    "kinerja_flow.scheduler",
    "rich.progress",
    "uvicorn.supervisors",  # serve
    "kinerja_flow.lib.listener",
    "tests.support.cli",
]
"""What the fork server imports once: the command and what its subcommands import as they run."""

_forkserver = multiprocessing.get_context("forkserver")
_forkserver.set_forkserver_preload(PRELOADED)


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    @property
    def problems(self) -> list[str]:
        """The non-empty lines written to standard error."""
        return [line for line in self.err.splitlines() if line.strip()]


def cli_environment(database_url: str, env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its ``KINERJA_*`` settings, then the command's."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("KINERJA_") or key.startswith("KINERJA_TEST_")
    }
    environ.update(
        {
            "KINERJA_DATABASE_URL": database_url,
            "KINERJA_DEFAULT_LOCALE": "en",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    environ.update(env or {})
    return environ


def run_cli(
    *args: str, database_url: str, cwd: Path, env: dict[str, str] | None = None
) -> CliResult:
    """Run ``kinerja-flow ARGS`` against ``database_url`` (no stdin: prompts would fail)."""
    return run_command(list(args), cli_environment(database_url, env), cwd)


def run_command(args: list[str], environ: Mapping[str, str], cwd: Path | None = None) -> CliResult:
    """``kinerja-flow ARGS`` in a process of its own with exactly ``environ``, in ``cwd`` (or
    this process's working directory)."""
    with tempfile.TemporaryDirectory(prefix="kinerja-cli-") as folder:
        out, err = Path(folder) / "out", Path(folder) / "err"
        process = _forkserver.Process(
            target=_command, args=(args, dict(environ), str(cwd or Path.cwd()), str(out), str(err))
        )
        process.start()
        process.join(TIMEOUT_SECONDS)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise TimeoutError(f"kinerja-flow {' '.join(args)} ran {TIMEOUT_SECONDS} s")
        return CliResult(
            process.exitcode,
            out.read_text("utf-8", errors="replace"),
            err.read_text("utf-8", errors="replace"),
        )


def create_admin(email: str, password: str, environ: Mapping[str, str]) -> None:
    """``kinerja-flow admin create``: an HR administrator, as the operator makes the first one."""
    made = run_command(["admin", "create", "--email", email, "--password", password], environ)
    assert made.code == 0, made.err


class Command:
    """A long-running command (``serve``) in a process of its own, its output in ``log``."""

    def __init__(self, args: list[str], environ: Mapping[str, str], log: Path) -> None:
        self.log = log
        self.process = _forkserver.Process(
            target=_command, args=(args, dict(environ), str(Path.cwd()), str(log), str(log))
        )
        self.process.start()

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM, as an operator stops it; SIGKILL if it has not ended within ``timeout``."""
        self.process.terminate()
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")


def _command(args: list[str], environ: dict[str, str], cwd: str, out: str, err: str) -> None:
    """In the new process: what the console script does, with its output in files (one file
    for both when ``out == err``)."""
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    for number, path in ((1, out), (2, err)):
        if number == 2 and err == out:
            os.dup2(1, 2)
            continue
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(descriptor, number)
        os.close(descriptor)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False, buffering=1)  # noqa: SIM115
    sys.argv = ["kinerja-flow", *args]
    from kinerja_flow.cli import main

    try:
        main(args, prog_name="kinerja-flow")
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
