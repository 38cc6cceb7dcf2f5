"""Following a background job over HTTP from a synchronous client (a real ``serve``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def finished(
    started: httpx.Response, get: Callable[[str], httpx.Response], seconds: float = 120
) -> dict[str, Any]:
    """The job ``started`` answered with (202), polled with ``get`` until it ended."""
    assert started.status_code == 202, started.text
    location = started.headers["location"]
    deadline = time.monotonic() + seconds
    while True:
        answer = get(location)
        assert answer.status_code == 200, answer.text
        job: dict[str, Any] = answer.json()
        if job["state"] in ("done", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.1)
