"""Follow-up items through the public API, as their people would use it."""

from __future__ import annotations

from typing import Any

from httpx import Response

from tests.support.api import Api

ITEMS = "/api/v1/followups"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def training(**details: Any) -> dict[str, Any]:
    return {"kind": "training", **details}


async def propose(
    api: Api,
    who: str,
    employee_nip: str,
    title: str = "Pelatihan analisis kebijakan",
    details: dict[str, Any] | None = None,
    **extra: Any,
) -> Response:
    body = {
        "employee_nip": employee_nip,
        "title": title,
        "details": details or training(provider="LAN RI", hours=24),
        **extra,
    }
    return await api.post(ITEMS, who, body)


async def proposed(api: Api, who: str, employee_nip: str, **kwargs: Any) -> dict[str, Any]:
    response = await propose(api, who, employee_nip, **kwargs)
    assert response.status_code == 201, response.text
    item: dict[str, Any] = response.json()
    return item


async def act(api: Api, item: dict[str, Any], trigger: str, who: str, **payload: Any) -> Response:
    body = {"version": item["version"], **payload}
    return await api.post(f"{ITEMS}/{item['id']}/actions/{trigger}", who, body)


async def acted(
    api: Api, item: dict[str, Any], trigger: str, who: str, **payload: Any
) -> dict[str, Any]:
    response = await act(api, item, trigger, who, **payload)
    assert response.status_code == 200, (trigger, response.text)
    result: dict[str, Any] = response.json()
    return result


async def upload_certificate(
    api: Api, item: dict[str, Any], who: str, content: bytes = PDF, name: str = "sertifikat.pdf"
) -> Response:
    return await api.post(
        f"{ITEMS}/{item['id']}/certificate",
        who,
        files={"file": (name, content, "application/pdf")},
        data={"version": str(item["version"])},
    )


async def trail(api: Api, item: dict[str, Any], who: str) -> list[dict[str, Any]]:
    response = await api.get(f"{ITEMS}/{item['id']}/audit", who)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()
    return events


async def end_followups(api: Api, appraisal: dict[str, Any], who: str) -> None:
    """End every open follow-up item of ``appraisal`` (rejected or cancelled by ``who``)."""
    page = await api.get(ITEMS, who, params={"cycle_id": appraisal["cycle_id"], "limit": 1000})
    assert page.status_code == 200, page.text
    for item in page.json()["items"]:
        if item["appraisal_id"] != appraisal["id"]:
            continue
        trigger = {"proposed": "reject", "approved": "cancel", "in_progress": "cancel"}.get(
            item["state"]
        )
        if trigger is not None:
            await acted(api, item, trigger, who, reason="Tidak diperlukan pada siklus ini.")
