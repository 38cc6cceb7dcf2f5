"""Taking anonymous survey responses (throttled, repeats refused) and reporting a unit's IKM."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from kinerja_flow.feedback import ikm
from kinerja_flow.feedback.models import ANSWER_COLUMNS, SurveyResponse
from kinerja_flow.feedback.questionnaire import (
    CATEGORY_LABELS,
    ELEMENTS,
    INSTRUCTIONS,
    SCALE_LABELS,
    TITLE,
)
from kinerja_flow.feedback.schemas import (
    COMMENT_MAX_LENGTH,
    ElementOut,
    IkmReport,
    Questionnaire,
    ScalePoint,
    SurveyReceipt,
    SurveySubmit,
)
from kinerja_flow.i18n import _, translate
from kinerja_flow.lib.db import begin_write
from kinerja_flow.lib.errors import Conflict, FieldError, Invalid, NotFound, TooManyRequests
from kinerja_flow.lib.rows import fetch_one
from kinerja_flow.org.models import Unit
from kinerja_flow.runtime.context import AppContext
from kinerja_flow.runtime.service import Service

THROTTLE_WINDOW = timedelta(hours=1)
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def client_hash(secret: str, client: str) -> str:
    """A keyed hash (HMAC-SHA256) of the client address, stable enough to throttle by.

    Keyed with the server secret because a plain hash of an IPv4 address is undone by trying
    all 2**32 of them.
    """
    return hmac.new(secret.encode(), f"survey-client:{client}".encode(), hashlib.sha256).hexdigest()


def fingerprint(answers: list[int], comment: str | None) -> str:
    """What makes two responses identical: the same answers and the same comment."""
    content = ",".join(map(str, answers)) + "\n" + (comment or "")
    return hashlib.sha256(content.encode()).hexdigest()


class SurveyService:
    """The public side: no account, so no principal; the client is only known by address."""

    def __init__(self, session: AsyncSession, ctx: AppContext) -> None:
        self.session = session
        self.ctx = ctx

    async def questionnaire(self, code: str, locale: str) -> Questionnaire:
        unit = await self._unit(code)
        return Questionnaire(
            unit=unit.code,
            unit_name=unit.name,
            language=locale,
            title=translate(TITLE, locale),
            instructions=translate(INSTRUCTIONS, locale),
            elements=[ElementOut(code=c, name=translate(name, locale)) for c, name in ELEMENTS],
            scale=[
                ScalePoint(value=value, label=translate(label, locale))
                for value, label in SCALE_LABELS.items()
            ],
            comment_max_length=COMMENT_MAX_LENGTH,
        )

    async def submit(
        self, code: str, data: SurveySubmit, client: str, locale: str
    ) -> SurveyReceipt:
        await begin_write(self.session)
        # On PostgreSQL the row lock queues concurrent responses for one unit, so two requests
        # cannot both pass the count below (SQLite's BEGIN IMMEDIATE already queues writers).
        unit = await self._unit(code, lock=True)
        settings = self.ctx.settings
        now = self.ctx.clock.now()
        hashed = client_hash(settings.secret_key, client)
        comment = (data.comment or "").strip() or None
        printed = fingerprint(data.answers, comment)
        mine = (SurveyResponse.unit_id == unit.id, SurveyResponse.client_hash == hashed)

        count, oldest = (
            await self.session.execute(
                select(func.count(), func.min(SurveyResponse.created_at)).where(
                    *mine, SurveyResponse.created_at > now - THROTTLE_WINDOW
                )
            )
        ).one()
        if count >= settings.survey_max_per_hour:
            retry_after = max(1, math.ceil((oldest + THROTTLE_WINDOW - now).total_seconds()))
            await self.session.rollback()
            raise TooManyRequests(
                _(
                    "Too many responses for this unit from your address; "
                    "try again in {minutes} minute(s)."
                ),
                retry_after=retry_after,
                minutes=str(math.ceil(retry_after / 60)),
            )
        repeated = await self.session.scalar(
            select(SurveyResponse.id)
            .where(
                *mine,
                SurveyResponse.fingerprint == printed,
                SurveyResponse.created_at > now - timedelta(hours=settings.survey_duplicate_hours),
            )
            .limit(1)
        )
        if repeated is not None:
            await self.session.rollback()
            raise Conflict(
                _(
                    "You already sent exactly this response for this unit in the last "
                    "{hours} hours; it was counted once."
                ),
                hours=settings.survey_duplicate_hours,
            )
        self.session.add(
            SurveyResponse(
                unit_id=unit.id,
                **dict(zip(ANSWER_COLUMNS, data.answers, strict=True)),
                comment=comment,
                client_hash=hashed,
                fingerprint=printed,
                created_at=now,
            )
        )
        await self.session.commit()
        return SurveyReceipt(
            unit=unit.code, message=translate(_("Thank you for your feedback."), locale)
        )

    async def _unit(self, code: str, lock: bool = False) -> Unit:
        query = select(Unit).where(Unit.code == code)
        unit = await self.session.scalar(query.with_for_update(key_share=True) if lock else query)
        if unit is None:
            await self.session.rollback()
            raise NotFound(_("Unknown unit code '{code}'."), code=code)
        return unit


class IkmService(Service):
    """The report; any signed-in person may read a unit's index (an input, not a rating)."""

    async def report(
        self, code: str, start_text: str | None, end_text: str | None, locale: str
    ) -> IkmReport:
        start, end = _period(start_text, end_text)
        unit_id = await self.session.scalar(select(Unit.id).where(Unit.code == code))
        if unit_id is None:
            raise NotFound(_("Unknown unit code '{code}'."), code=code)
        result = await measure(self.session, unit_id, start, end)
        means = result.element_means
        return IkmReport(
            unit=code,
            from_=start,
            to=end,
            index=float(result.index) if result.index is not None else None,
            category=result.category,
            category_label=(
                translate(CATEGORY_LABELS[result.category], locale) if result.category else None
            ),
            responses=result.responses,
            elements=[float(m) for m in means] if means else [None] * ikm.ELEMENT_COUNT,
        )


async def measure(
    session: AsyncSession | AsyncConnection, unit_id: int, start: date | None, end: date | None
) -> ikm.Ikm:
    """The IKM of one unit from the responses given on the days ``start`` to ``end``."""
    until = end is not None and end < date.max  # the last day there is has no day after it
    params = {
        "unit_id": unit_id,
        "since": None if start is None else _midnight(start),
        "until": _midnight(end + timedelta(days=1)) if until and end is not None else None,
    }
    row = await fetch_one(session, _sums(start is not None, until), params)
    return ikm.compute([int(total) for total in row[1:]], int(row[0]))


@cache
def _sums(since: bool, until: bool) -> Select[Any]:
    """How many responses unit ``:unit_id`` had (from ``:since``, before ``:until``) and the sum
    of each answer: built once per kind of period, so SQLAlchemy finds it in its cache."""
    columns = [getattr(SurveyResponse, column) for column in ANSWER_COLUMNS]
    totals = [func.count(), *(func.coalesce(func.sum(c), 0) for c in columns)]
    query = select(*totals).where(SurveyResponse.unit_id == bindparam("unit_id"))
    if since:
        query = query.where(SurveyResponse.created_at >= bindparam("since"))
    if until:
        query = query.where(SurveyResponse.created_at < bindparam("until"))
    return query


def _period(start_text: str | None, end_text: str | None) -> tuple[date | None, date | None]:
    """The inclusive dates ``from`` and ``to``, each optional, as ``YYYY-MM-DD``."""
    errors: list[FieldError] = []
    days: list[date | None] = []
    for field, text in (("from", start_text), ("to", end_text)):
        day = None
        if text:
            try:
                day = date.fromisoformat(text) if _DAY.fullmatch(text) else None
            except ValueError:
                day = None
            if day is None:
                errors.append(FieldError(field, _("Give a date as YYYY-MM-DD.")))
        days.append(day)
    start, end = days
    if start is not None and end is not None and start > end:
        errors.append(FieldError("from", _("'from' must not be after 'to'.")))
    if errors:
        raise Invalid(_("The period is not valid."), errors=errors)
    return start, end


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
