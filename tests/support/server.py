"""Start the real console script and wait until it answers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = str(Path(sys.executable).parent / "kinerja-flow")


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    """Poll ``/health`` until 200; on timeout, kill the process and show what it printed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    try:
        output = process.communicate(timeout=10)[0]
    except subprocess.TimeoutExpired:  # its own children (serve --workers) hold the pipe open
        output = b""
    raise AssertionError(output.decode() if output else "the service never became healthy")
