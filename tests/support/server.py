"""Start the service (the real console script, or a :class:`Command`) and wait until it answers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.cli import Command

CLI = str(Path(sys.executable).parent / "kinerja-flow")


def healthy_within(base: str, seconds: float) -> bool:
    """Poll ``/health`` until it answers 200 (True) or ``seconds`` have passed (False).

    One client for all the polls: each new ``httpx`` client (``httpx.get`` makes one per call)
    loads the CA certificates, some 55 ms of CPU, even for a plain-HTTP address."""
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=1) as client:
        while time.monotonic() < deadline:
            try:
                if client.get(f"{base}/health").status_code == 200:
                    return True
            except httpx.TransportError:
                time.sleep(0.2)
    return False


def wait_until_serving(base: str, command: Command, seconds: float = 60) -> None:
    """:func:`wait_until_healthy` for a ``serve`` started as a :class:`Command`."""
    if not healthy_within(base, seconds):
        command.stop(timeout=0)
        raise AssertionError(command.output() or "the service never became healthy")


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Poll ``/health`` until 200; on timeout, kill the process and show what it printed."""
    if healthy_within(base, seconds):
        return
    stop(process, signal.SIGKILL)
    try:
        output = process.communicate(timeout=10)[0]
    except subprocess.TimeoutExpired:  # its own children (serve --workers) hold the pipe open
        output = b""
    raise AssertionError(output.decode() if output else "the service never became healthy")


def stop(process: subprocess.Popen[bytes], how: signal.Signals = signal.SIGTERM) -> None:
    """Signal the process, and its children too when it leads its own process group
    (started with ``start_new_session=True``, as ``serve --workers`` must be)."""
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, how)
        else:
            process.send_signal(how)
    except ProcessLookupError:
        pass
