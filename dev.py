#!/usr/bin/env python3
"""Bootstrap and run kinerja-flow with nothing but Python 3.11+.

python3 dev.py demo    install into .venv, then start the demo service on SQLite
python3 dev.py test    install into .venv (with test tools), then run the whole test suite in
                       parallel worker processes (pytest arguments pass through)
python3 dev.py lint    ruff, mypy --strict and the import-linter layer contracts
"""

from __future__ import annotations

import ctypes.util
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
POSTGRES = ("127.0.0.1", 5432)
CHROMIUM = "/usr/bin/chromium"


def run(*args: str | Path, **kwargs: object) -> None:
    subprocess.run([str(arg) for arg in args], check=True, cwd=ROOT, **kwargs)  # type: ignore[call-overload]


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project pinned by constraints.txt, once per change."""
    if sys.version_info < (3, 11):
        sys.exit("kinerja-flow needs Python 3.11 or newer")
    if not PYTHON.exists():
        print("creating .venv ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    digest.update(extras.encode())
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    print(f"installing kinerja-flow{f'[{extras}]' if extras else ''} into .venv ...", flush=True)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    target = f".[{extras}]" if extras else "."
    run(PYTHON, "-m", "pip", "install", "--quiet", "-c", "constraints.txt", "-e", target)
    stamp.write_text(digest.hexdigest())


def postgres_up() -> bool:
    try:
        with socket.create_connection(POSTGRES, timeout=2):
            return True
    except OSError:
        return False


def ensure_postgres() -> None:
    """The suite runs on PostgreSQL too; start the local cluster if it is installed but down."""
    if "postgresql" not in os.environ.get("KINERJA_TEST_BACKENDS", "sqlite,postgresql"):
        return
    if os.environ.get("KINERJA_TEST_POSTGRES_URL") or postgres_up():
        return
    clusters = Path("/etc/postgresql")
    if shutil.which("pg_ctlcluster") and clusters.is_dir():
        for version in sorted(p.name for p in clusters.iterdir()):
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "start"],
                check=False,
            )
    if not postgres_up():
        sys.exit(
            "PostgreSQL is not reachable at 127.0.0.1:5432 (user postgres, database test).\n"
            "Start it, point KINERJA_TEST_POSTGRES_URL at another server, or run only SQLite with\n"
            "KINERJA_TEST_BACKENDS=sqlite python3 dev.py test"
        )


def ensure_system_packages() -> None:
    """Browser tests drive Debian's Chromium and PDFs need Pango; install them when we may."""
    missing = [] if Path(CHROMIUM).exists() else ["chromium"]
    if not ctypes.util.find_library("pango-1.0"):
        missing += ["libpango-1.0-0", "libpangoft2-1.0-0"]
    if not missing:
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        print(f"installing {' '.join(missing)} (browser tests, PDF documents) ...", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)
        return
    sys.exit(f"The tests need Debian's packages {', '.join(missing)}: install them first.")


def parallel(args: list[str]) -> list[str]:
    """Spread the suite over worker processes (pytest-xdist), unless the arguments say otherwise.

    Each worker has its own databases; half the time of a test is spent waiting for PostgreSQL
    or the disk, so a worker per core and one more keeps the cores busy. KINERJA_TEST_WORKERS
    sets the number (0: no workers, one process); ``-n``/``-p no:xdist`` in the arguments win.
    """
    if any(a.startswith(("-n", "--numprocesses")) or a in ("no:xdist", "-pno:xdist") for a in args):
        return []
    workers = os.environ.get("KINERJA_TEST_WORKERS") or str((os.cpu_count() or 1) + 1)
    return [] if workers == "0" else ["-n", workers, "--dist", "loadgroup"]


def suite_environment() -> dict[str, str]:
    """This environment, but with Python's bytecode caches written (``__pycache__``, ignored by
    git) even where ``PYTHONDONTWRITEBYTECODE`` is set. Without them every process of the suite
    that imports the project (each xdist worker, its fork server, each ``serve``, ``worker`` and
    ``demo`` started as a command, each process of ``serve --workers``) compiled its two hundred
    modules from source again, and each worker rewrote every test module: about a second of
    CPU per process on a 2-core machine."""
    return {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else "help"
    rest = sys.argv[2:]
    if command == "demo":
        ensure_venv("")
        os.execv(BIN / "kinerja-flow", [str(BIN / "kinerja-flow"), "demo", *rest])
    elif command == "test":
        ensure_venv("test")
        ensure_postgres()
        ensure_system_packages()
        arguments = [str(PYTHON), "-m", "pytest", *parallel(rest), *rest]
        os.execve(PYTHON, arguments, suite_environment())
    elif command == "lint":
        ensure_venv("test")
        run(BIN / "ruff", "check", ".")
        run(BIN / "ruff", "format", "--check", ".")
        run(BIN / "mypy")
        run(BIN / "lint-imports", "--no-cache")
    else:
        print(__doc__)
        sys.exit(0 if command == "help" else 2)


if __name__ == "__main__":
    main()
