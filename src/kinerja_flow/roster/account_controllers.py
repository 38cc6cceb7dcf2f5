"""HTTP endpoints for HR's account administration."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from kinerja_flow.roster.accounts import AccountAdminService
from kinerja_flow.roster.schemas import AccountDetail, AccountPage, StatusChange
from kinerja_flow.runtime.deps import service_provider

AccountId = Annotated[int, PathParameter(ge=1)]
"""Ids beyond 64 bits and control characters are refused for every route in ``lib/requests``."""
Search = Annotated[
    str | None,
    QueryParameter(name="q", max_length=320, description="part of a NIP, email or name"),
]


class AccountController(Controller):
    path = "/api/v1/accounts"
    tags = ["accounts"]
    dependencies = {"account_admin": service_provider(AccountAdminService)}

    @get("/", summary="Find accounts by NIP, email or name, active or not (HR, auditors)")
    async def list_accounts(
        self,
        account_admin: NamedDependency[AccountAdminService],
        search: Search = None,
        active: FromQuery[bool | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> AccountPage:
        return await account_admin.list_accounts(search, active, limit, offset)

    @get("/{account_id:int}", summary="One account and its person's open appraisals")
    async def get_account(
        self, account_admin: NamedDependency[AccountAdminService], account_id: AccountId
    ) -> AccountDetail:
        return await account_admin.get(account_id)

    @post("/{account_id:int}/deactivate", status_code=200, summary="Deactivate an account (HR)")
    async def deactivate(
        self,
        account_admin: NamedDependency[AccountAdminService],
        account_id: AccountId,
        data: JSONBody[StatusChange],
    ) -> AccountDetail:
        return await account_admin.deactivate(account_id, data.reason)

    @post("/{account_id:int}/reactivate", status_code=200, summary="Reactivate an account (HR)")
    async def reactivate(
        self,
        account_admin: NamedDependency[AccountAdminService],
        account_id: AccountId,
        data: JSONBody[StatusChange],
    ) -> AccountDetail:
        return await account_admin.reactivate(account_id, data.reason)

    @post(
        "/{account_id:int}/reinvite",
        status_code=200,
        summary="Email a new invitation link; the earlier one stops working (HR)",
    )
    async def reinvite(
        self, account_admin: NamedDependency[AccountAdminService], account_id: AccountId
    ) -> AccountDetail:
        return await account_admin.reinvite(account_id)
