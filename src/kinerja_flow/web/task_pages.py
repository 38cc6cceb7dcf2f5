"""Tugas saya: what awaits the signed-in person, the most urgent first."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from kinerja_flow.appraisals.service import AppraisalService
from kinerja_flow.peers.service import PeerService
from kinerja_flow.runtime.deps import service_provider
from kinerja_flow.web.guards import signed_in_only
from kinerja_flow.web.render import page, page_locale


class TaskPages(Controller):
    guards = [signed_in_only]
    dependencies = {
        "appraisals": service_provider(AppraisalService),
        "peers": service_provider(PeerService),
    }

    @get("/tasks")
    async def tasks(
        self,
        request: Request[Any, Any, Any],
        appraisals: NamedDependency[AppraisalService],
        peers: NamedDependency[PeerService],
    ) -> Template:
        tasks = await appraisals.tasks()
        asked = [one for one in await peers.mine(page_locale(request)) if one.open]
        return page(request, "tasks.html", tasks=tasks, peer_requests=asked)
