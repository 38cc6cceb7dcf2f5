"""Run the installed ``kinerja-flow`` console script as an operator would."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

CLI = Path(sys.executable).parent / "kinerja-flow"
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class CliResult:
    code: int
    out: str
    err: str

    @property
    def problems(self) -> list[str]:
        """The non-empty lines written to standard error."""
        return [line for line in self.err.splitlines() if line.strip()]


def run_cli(
    *args: str, database_url: str, cwd: Path, env: dict[str, str] | None = None
) -> CliResult:
    """Run ``kinerja-flow ARGS`` against ``database_url`` (no stdin: prompts would fail)."""
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
    # a fixed executable with arguments chosen by the test itself
    completed = subprocess.run(
        [str(CLI), *args],
        cwd=cwd,
        env=environ,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    return CliResult(completed.returncode, completed.stdout, completed.stderr)
