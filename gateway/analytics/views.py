"""Handlers of the analytics endpoints: parse the query, read the entries, compute, serialize."""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from zoneinfo import ZoneInfo

from aiohttp import hdrs, web
from pydantic import BaseModel

from gateway.analytics import compute
from gateway.analytics import productivity as focus
from gateway.analytics import reports as reporting
from gateway.analytics import timeline as chronology
from gateway.analytics.answers import (
    ProductivityAnswer,
    ReportAnswer,
    SummaryAnswer,
    TeamAnswer,
    TimelineAnswer,
)
from gateway.analytics.cache import Answer
from gateway.analytics.cli_report import CliReportAnswer, cli_report
from gateway.analytics.query import AnalyticsQuery, date_range
from gateway.analytics.records import DateRange, Entry
from gateway.analytics.source import Scope
from gateway.appkeys import ANALYTICS_CACHE, ANALYTICS_GATE, CLOCK, ENTRY_SOURCE, SETTINGS
from gateway.identity import Caller
from gateway.timers.billable import checked_billable_filter
from gateway.timers.cli import is_cli
from gateway.timers.views import caller_of

log = logging.getLogger(__name__)

JSON_TYPE = "application/json"
CSV_TYPE = "text/csv"


@dataclass(frozen=True)
class Ask:
    """One analytics request, parsed: what every endpoint's formula may read."""

    query: AnalyticsQuery
    days: DateRange
    zone: ZoneInfo
    focus_min_min: int
    as_csv: bool

    def fingerprint(self) -> str:
        """The request as the result cache tells requests apart: the range as dates (a named
        period means other days tomorrow), the users in any order, every other parameter."""
        fields = self.query.model_dump(mode="json", exclude={"period", "start", "end", "format"})
        fields |= {
            "start": self.days.start.isoformat(),
            "end": self.days.end.isoformat(),
            "users": sorted(self.query.users),
            "csv": self.as_csv,
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":"))


class Tally(Protocol):
    """A running aggregate: entries are added one by one and not kept."""

    def add(self, entry: Entry) -> None: ...


# An aggregate's tally for one request, and how its answer is made once every entry is in.
Count = Callable[[Ask], tuple[Tally, Callable[[], Answer]]]
# How an endpoint computes its answer from the scope's entries.
Compute = Callable[[web.Request, Caller, Scope, Ask], Awaitable[Answer]]


def aggregate(count: Count) -> Compute:
    """An answer summed page by page as Redmine's pages arrive: no entry is kept, so memory
    grows with the answer (people, issues, days), not with the range's entries."""

    async def compute(request: web.Request, caller: Caller, scope: Scope, ask: Ask) -> Answer:
        tally, finish = count(ask)
        await request.app[ENTRY_SOURCE].fold(caller, scope, tally.add)
        return finish()

    return compute


async def analytics(request: web.Request) -> web.Response:
    return await answer(request, "analytics", aggregate(count_summary))


async def team(request: web.Request) -> web.Response:
    return await answer(request, "team", aggregate(count_team))


async def reports(request: web.Request) -> web.Response:
    if is_cli(request.headers):
        # The CLI decodes its own report shape (total_seconds, entries, by_user): it lists
        # entries, so it is bounded like the timeline.
        return await answer(request, "reports-cli", listed(render_cli_report))
    return await answer(request, "reports", aggregate(count_report), csv_allowed=True)


async def productivity(request: web.Request) -> web.Response:
    return await answer(request, "productivity", aggregate(count_productivity))


async def timeline(request: web.Request) -> web.Response:
    return await answer(request, "timeline", listed(render_timeline))


async def answer(
    request: web.Request, endpoint: str, compute: Compute, *, csv_allowed: bool = False
) -> web.Response:
    """Cached when the same caller asked the same thing moments ago; computed otherwise."""
    caller = await caller_of(request)
    settings = request.app[SETTINGS]
    query = AnalyticsQuery.model_validate(request.query)
    checked_billable_filter(query.billable, settings.billable_field_id)
    today = request.app[CLOCK].now().astimezone(settings.zone).date()
    ask = Ask(
        query=query,
        days=date_range(query, today),
        zone=settings.zone,
        focus_min_min=settings.focus_min_min,
        as_csv=csv_allowed and wants_csv(request, query),
    )
    cache = request.app[ANALYTICS_CACHE]
    slot = await cache.slot(caller, endpoint, ask.fingerprint())
    found = await cache.get(slot)
    if found is None:
        # A bounded number of computations at once; the others wait their turn, within the
        # request's own deadline (GATEWAY_APP_TIMEOUT_S).
        async with request.app[ANALYTICS_GATE]:
            # The same question may have been answered while this one waited.
            found = await cache.get(slot)
            if found is None:
                scope = scope_of(ask, settings.billable_field_id)
                started = time.perf_counter()
                found = await compute(request, caller, scope, ask)
                log.debug(
                    "analytics computed endpoint=%s ms=%.0f",
                    endpoint,
                    (time.perf_counter() - started) * 1000,
                )
                await cache.put(slot, found)
    return response_of(found)


def scope_of(ask: Ask, billable_field_id: int | None) -> Scope:
    query = ask.query
    billable = (
        None
        if query.billable is None or billable_field_id is None
        else (billable_field_id, query.billable)
    )
    return Scope(
        days=ask.days, project_slug=query.project_slug, users=query.users, billable=billable
    )


def listed(render: Callable[[Sequence[Entry], Ask], Answer]) -> Compute:
    """An answer that shows every entry (the timeline, the CLI's report): at most
    GATEWAY_ANALYTICS_TIMELINE_MAX_ENTRIES of them, 422 beyond."""

    async def compute(request: web.Request, caller: Caller, scope: Scope, ask: Ask) -> Answer:
        limit = request.app[SETTINGS].analytics_timeline_max_entries
        entries = await request.app[ENTRY_SOURCE].entries(caller, scope, limit)
        # Thousands of entries take a while to sort and build: off the event loop.
        return await asyncio.to_thread(render, entries, ask)

    return compute


def wants_csv(request: web.Request, query: AnalyticsQuery) -> bool:
    """`format` decides; without it, an Accept header that takes text/csv (q > 0) does."""
    if query.format is not None:
        return query.format == "csv"
    for header in request.headers.getall(hdrs.ACCEPT, ()):
        for media_range in header.split(","):
            media_type, _, parameters = media_range.partition(";")
            if media_type.strip().lower() == CSV_TYPE and quality(parameters) > 0:
                return True
    return False


def quality(parameters: str) -> float:
    """The q of a media range's parameters (`q=0.5; level=1`); 1 when absent, 0 when unreadable."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def count_summary(ask: Ask) -> tuple[Tally, Callable[[], Answer]]:
    tally = compute.SummaryTally(ask.days)
    return tally, lambda: json_answer(SummaryAnswer(data=tally.result()))


def count_team(ask: Ask) -> tuple[Tally, Callable[[], Answer]]:
    tally = compute.TeamTally()
    return tally, lambda: json_answer(TeamAnswer(data=tally.result()))


def count_report(ask: Ask) -> tuple[Tally, Callable[[], Answer]]:
    tally = reporting.ReportTally(ask.days, ask.query.report_type, ask.query.hourly_rate)

    def finish() -> Answer:
        report = tally.result()
        if not ask.as_csv:
            return json_answer(ReportAnswer(data=report))
        return Answer(
            content_type=CSV_TYPE,
            body=reporting.report_csv(report),
            filename=f"time-report-{report.report_type}-{ask.days.start}-{ask.days.end}.csv",
        )

    return tally, finish


def count_productivity(ask: Ask) -> tuple[Tally, Callable[[], Answer]]:
    tally = focus.ProductivityTally(ask.days, ask.focus_min_min, ask.zone)
    return tally, lambda: json_answer(ProductivityAnswer(data=tally.result()))


def render_cli_report(entries: Sequence[Entry], ask: Ask) -> Answer:
    return json_answer(CliReportAnswer(data=cli_report(entries, ask.days)))


def render_timeline(entries: Sequence[Entry], ask: Ask) -> Answer:
    return json_answer(TimelineAnswer(data=chronology.timeline(entries, ask.zone)))


def json_answer(answer: BaseModel) -> Answer:
    # Serialized by pydantic-core in one pass, envelope and all.
    return Answer(content_type=JSON_TYPE, body=answer.model_dump_json())


def response_of(found: Answer) -> web.Response:
    headers = {}
    if found.filename is not None:
        headers[hdrs.CONTENT_DISPOSITION] = f'attachment; filename="{found.filename}"'
    return web.Response(
        text=found.body, content_type=found.content_type, charset="utf-8", headers=headers
    )
