"""A thin client for the public API, as a real caller would use it."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from kinerja_flow.accounts.service import AccountService
from kinerja_flow.clock import ManualClock
from kinerja_flow.config import Settings
from kinerja_flow.notifications.models import OutboxMessage
from kinerja_flow.notifications.render import RenderedEmail
from kinerja_flow.notifications.worker import OutboxWorker
from kinerja_flow.runtime.context import AppContext
from tests.support.mailserver import MailServer
from tests.support.seed import seeded


@dataclass(frozen=True)
class Mail:
    """An outbox row (its columns read through) and what it says, rendered as the worker
    renders it at delivery."""

    row: OutboxMessage
    content: RenderedEmail

    @property
    def body_text(self) -> str:
        return self.content.text

    @property
    def body_html(self) -> str:
        return self.content.html

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


PASSWORD = "kopi-tubruk-sawah-hijau-42"
ADMIN_EMAIL = "admin@bkpsdm.example.go.id"
TOKEN_IN_LINK = re.compile(r"/set-password\?token=([A-Za-z0-9_\-]+)")

ORG_CSV = """nip,name,email,unit_code,position,supervisor_nip,roles
197001011995031001,Hendra Wijaya,hendra@example.go.id,DINAS,Kepala Dinas,,
198002022005012002,Siti Rahmawati,siti@example.go.id,BID1,Kepala Bidang,197001011995031001,
199003032015031003,Budi Santoso,budi@example.go.id,BID1,Analis Kebijakan,198002022005012002,
199104042016022004,Dewi Lestari,dewi@example.go.id,BID1,Pranata Komputer,198002022005012002,
198505052010011005,Rina Hartati,rina@example.go.id,DINAS,Analis SDM,197001011995031001,hr
198606062011061006,Agus Pratama,agus@example.go.id,DINAS,Auditor,197001011995031001,auditor
"""
HEAD, EVALUATOR, EMPLOYEE, PEER, HR, AUDITOR = (
    "197001011995031001",
    "198002022005012002",
    "199003032015031003",
    "199104042016022004",
    "198505052010011005",
    "198606062011061006",
)


@dataclass
class Outcome:
    """What a long job came to, as its caller sees it: a refusal of the request that would have
    started it (403, 415, ...), or the job's end: 200 with its result once ``done``, or the
    status and body of its error once ``failed`` (e.g. 422 listing every bad line)."""

    status_code: int
    body: Any
    job: dict[str, Any] | None

    def json(self) -> Any:
        return self.body

    @property
    def text(self) -> str:
        return json.dumps(self.body)


CYCLE_2026: dict[str, Any] = {
    "name": "SKP Tahunan 2026",
    "period_start": "2026-01-01",
    "period_end": "2026-12-31",
    "kind": "annual",
    "deadlines": {
        "targets_due": "2026-01-31",
        "self_assessment_due": "2026-12-15",
        "review_due": "2026-12-31",
    },
}
"""The annual cycle most tests open (as the API takes it)."""


@dataclass
class Api:
    client: AsyncTestClient[Litestar]
    app: Litestar
    settings: Settings
    clock: ManualClock
    mail: MailServer
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def ctx(self) -> AppContext:
        ctx: AppContext = self.app.state.ctx
        return ctx

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def get(self, path: str, who: str, **kwargs: Any) -> Response:
        return await self.client.get(path, headers=self.auth(who), **kwargs)

    async def post(self, path: str, who: str, json: Any = None, **kwargs: Any) -> Response:
        return await self.client.post(path, headers=self.auth(who), json=json, **kwargs)

    async def patch(self, path: str, who: str, json: Any = None) -> Response:
        return await self.client.patch(path, headers=self.auth(who), json=json)

    async def put(self, path: str, who: str, json: Any = None) -> Response:
        return await self.client.put(path, headers=self.auth(who), json=json)

    async def deliver(self) -> int:
        """Run the outbox worker until nothing due is left; return how many were sent."""
        worker = OutboxWorker(self.ctx.sessions, self.settings, self.clock, self.ctx.outbox)
        total = 0
        while sent := await worker.deliver_once():
            total += sent
        return total

    async def outbox(self, to: str | None = None, kind: str | None = None) -> list[Mail]:
        """The outbox's messages, oldest first, each with the bodies the worker sends."""
        async with self.ctx.sessions() as session:
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            if to is not None:
                query = query.where(OutboxMessage.to_address == to)
            if kind is not None:
                query = query.where(OutboxMessage.kind == kind)
            rows = (await session.scalars(query)).all()
        return [Mail(row, self.ctx.outbox.content(row)) for row in rows]

    async def login(self, username: str, password: str = PASSWORD) -> Response:
        return await self.client.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )

    async def sign_in(self, who: str, username: str, password: str = PASSWORD) -> None:
        response = await self.login(username, password)
        assert response.status_code == 200, response.text
        self.tokens[who] = response.json()["access_token"]

    async def create_admin(self) -> None:
        async with self.ctx.sessions() as session:
            await AccountService(session, self.ctx).create_admin(ADMIN_EMAIL, PASSWORD)
        await self.sign_in("admin", ADMIN_EMAIL)

    async def invitation_token(self, email: str) -> str:
        rows = await self.outbox(to=email, kind="invitation")
        assert rows, f"no invitation for {email}"
        found = TOKEN_IN_LINK.search(rows[-1].body_text)
        assert found, rows[-1].body_text
        return found.group(1)

    async def accept_invitation(self, email: str, password: str = PASSWORD) -> Response:
        token = await self.invitation_token(email)
        return await self.client.post(
            "/api/v1/auth/set-password", json={"token": token, "password": password}
        )

    async def import_csv(self, csv_text: str, who: str = "admin", **kwargs: Any) -> Outcome:
        return await self.import_file(csv_text.encode(), "text/csv", who, **kwargs)

    async def import_file(
        self,
        content: bytes,
        content_type: str,
        who: str = "admin",
        *,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Outcome:
        """Upload an employee file and follow its job to the end (see :class:`Outcome`)."""
        headers = {**self.auth(who), "Content-Type": content_type, **(headers or {})}
        started = await self.client.post(
            "/api/v1/employees/import", content=content, headers=headers, params=params
        )
        return await self.follow(started, headers)

    async def run(self, path: str, who: str, json: Any = None) -> Outcome:
        """POST to a route that starts a background job, and follow the job to its end."""
        return await self.follow(await self.post(path, who, json), self.auth(who))

    async def follow(self, started: Response, headers: dict[str, str]) -> Outcome:
        """The end of the job ``started`` answered (202) with; any other answer as it is."""
        if started.status_code != 202:
            return Outcome(started.status_code, started.json(), None)
        job = started.json()
        assert job["state"] == "queued", job
        assert started.headers["location"] == f"/api/v1/jobs/{job['id']}"
        seen = {job["state"]}
        for _attempt in range(3000):
            answer = await self.client.get(started.headers["location"], headers=headers)
            assert answer.status_code == 200, answer.text
            job = answer.json()
            seen.add(job["state"])
            if job["state"] in ("done", "failed"):
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError(f"job {job['id']} did not end: {job}")
        assert seen <= {"queued", "running", job["state"]}, seen
        if job["state"] == "done":
            return Outcome(200, job["result"], job)
        return Outcome(job["error"]["status_code"], job["error"], job)

    async def export(
        self, cycle_id: int, table: str, who: str, params: dict[str, Any] | None = None
    ) -> Response:
        """Start the export of one of the cycle's tables, follow its job and download the file
        it wrote (``GET /api/v1/jobs/{id}/file``); a refused start as it was answered."""
        started = await self.client.post(
            f"/api/v1/cycles/{cycle_id}/exports/{table}", headers=self.auth(who), params=params
        )
        outcome = await self.follow(started, self.auth(who))
        if outcome.job is None:
            return started
        assert outcome.status_code == 200, outcome.text
        assert outcome.body["file"] == f"/api/v1/jobs/{outcome.job['id']}/file"
        return await self.get(outcome.body["file"], who)

    async def seeded(self, step: str, build: Callable[[], Awaitable[None]]) -> None:
        """Run the setup ``step`` over HTTP, or replay its recording (tests/support/seed.py)."""
        await seeded(step, self.settings, self.clock, self.tokens, build)

    async def setup_org(self) -> None:
        """The standard agency: a head, an evaluator, two staff, an HR officer, an auditor."""
        await self.seeded("setup_org", self._setup_org)

    async def _setup_org(self) -> None:
        await self.create_admin()
        for code, name, parent in (
            ("DINAS", "Dinas Kominfo", None),
            ("BID1", "Bidang Aplikasi", "DINAS"),
        ):
            response = await self.post(
                "/api/v1/units", "admin", {"code": code, "name": name, "parent_code": parent}
            )
            assert response.status_code == 201, response.text
        imported = await self.import_csv(ORG_CSV)
        assert imported.status_code == 200, imported.text

    async def sign_in_staff(self, *nips: str) -> None:
        """Each accepts their invitation (sets the password) and signs in, in this order."""
        await self.seeded(f"sign_in_staff:{','.join(nips)}", lambda: self._sign_in_staff(nips))

    async def _sign_in_staff(self, nips: tuple[str, ...]) -> None:
        for nip in nips:
            email = {
                HEAD: "hendra",
                EVALUATOR: "siti",
                EMPLOYEE: "budi",
                PEER: "dewi",
                HR: "rina",
                AUDITOR: "agus",
            }[nip] + "@example.go.id"
            response = await self.accept_invitation(email)
            assert response.status_code == 204, response.text
            await self.sign_in(nip, nip)

    async def open_cycle(self, **overrides: Any) -> dict[str, Any]:
        body = {**CYCLE_2026, **overrides}
        created = await self.post("/api/v1/cycles", "admin", body)
        assert created.status_code == 201, created.text
        opened = await self.run(f"/api/v1/cycles/{created.json()['id']}/open", "admin")
        assert opened.status_code == 200, opened.text
        result: dict[str, Any] = opened.json()
        return result

    async def appraisal_of(self, nip: str, who: str = "admin") -> dict[str, Any]:
        page = await self.get("/api/v1/appraisals", who, params={"limit": 1000})
        assert page.status_code == 200, page.text
        match = [item for item in page.json()["items"] if item["employee"]["nip"] == nip]
        assert len(match) == 1
        detail = await self.get(f"/api/v1/appraisals/{match[0]['id']}", who)
        result: dict[str, Any] = detail.json()
        return result

    async def act(
        self, appraisal: dict[str, Any], trigger: str, who: str, **payload: Any
    ) -> Response:
        body = {"version": appraisal["version"], **payload}
        return await self.post(f"/api/v1/appraisals/{appraisal['id']}/actions/{trigger}", who, body)
