"""Tugas saya: what awaits the signed-in person, the most urgent first."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from kinerja_flow.appraisals.schemas import TaskOut
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
        waiting = {task.appraisal_id for task in tasks}
        own = [mine for mine in await appraisals.own() if mine.appraisal_id not in waiting]
        asked = [one for one in await peers.mine(page_locale(request)) if one.open]
        return page(request, "tasks.html", tasks=tasks, own=own, peer_requests=asked)

    @get("/team")
    async def team(
        self, request: Request[Any, Any, Any], appraisals: NamedDependency[AppraisalService]
    ) -> Template:
        """The appraisals the caller evaluates or reviews: first those waiting for them,
        grouped by what they need (the state) and by deadline, then all the others."""
        waiting = [t for t in await appraisals.tasks() if set(t.roles) - {"employee"}]
        groups: dict[str, list[TaskOut]] = {}
        for task in waiting:
            groups.setdefault(task.state, []).append(task)
        waiting_ids = {task.appraisal_id for task in waiting}
        others = [
            item
            for role in ("evaluator", "reviewer")
            for item in (await appraisals.list(None, None, role, 1000, 0)).items
            if item.id not in waiting_ids
        ]
        return page(request, "team.html", groups=groups, others=others)
