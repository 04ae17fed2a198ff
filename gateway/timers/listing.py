"""GET /time-trackings: a project's Redmine entries merged with the gateway's timers, paginated."""

import datetime as dt
import math
from decimal import Decimal

from gateway.clock import Clock
from gateway.errors import Forbidden, NotFound
from gateway.identity import Caller, UserDirectory
from gateway.redmine.client import RedmineClient
from gateway.redmine.models import RedmineProject, RedmineTimeEntry
from gateway.store.redis import RedisStore
from gateway.timers import paging
from gateway.timers.adoption import is_on_its_target
from gateway.timers.billable import billable_of, checked_billable_filter
from gateway.timers.list_query import (
    ListMeta,
    ListQuery,
    Scope,
    TimeTrackingPage,
)
from gateway.timers.models import (
    Owner,
    Timer,
    TimeTrackingView,
    UserView,
    timer_view,
)
from gateway.timers.tasks import TaskResolver


def is_owned_by(timer: Timer, entry: RedmineTimeEntry) -> bool:
    """Whether a mapped entry really is this timer's (Redmine reuses deleted entries' ids)."""
    return (
        timer.user.id == entry.user.id
        and is_on_its_target(entry, timer)
        and entry.spent_on in {p.spent_on for p in timer.portions}
    )


async def own_entry(redmine: RedmineClient, caller: Caller, entry_id: int) -> RedmineTimeEntry:
    """A Redmine entry of the caller's; anything else is answered as if it did not exist."""
    try:
        entry = await redmine.time_entry(caller.api_key, entry_id)
    except Forbidden as exc:
        # Redmine says 403 for an entry in a project hidden from the caller: that is not theirs.
        raise NotFound("No such time tracking.") from exc
    if entry.user.id != caller.user_id:
        raise NotFound("No such time tracking.")
    return entry


class TimeTrackingLister:
    def __init__(
        self,
        redmine: RedmineClient,
        store: RedisStore,
        tasks: TaskResolver,
        users: UserDirectory,
        clock: Clock,
        zone: dt.tzinfo,
        limit_s: int = 0,
        billable_field_id: int | None = None,
    ) -> None:
        self._redmine = redmine
        self._store = store
        self._tasks = tasks
        self._users = users
        self._clock = clock
        self._zone = zone
        # GATEWAY_MAX_TIMER_HOURS in seconds: a running timer past it is listed over_limit.
        self._limit_s = limit_s
        self._billable_field_id = billable_field_id

    async def page(self, caller: Caller, query: ListQuery) -> TimeTrackingPage:
        """The page asked for, from only the Redmine entries of the days it covers.

        Its cost does not grow with the history: Redmine's entries around the page's places
        (`paging.window`) and the caller's timers not in Redmine yet. Other users named by
        login are the exception: Redmine filters by id only, so that list is read whole.
        """
        checked_billable_filter(query.billable, self._billable_field_id)
        scope = await self._scope(caller, query)
        if scope.logins:
            return await self._whole_page(caller, query, scope)
        now = self._clock.now()
        loose = [
            paging.Item(paging.timer_key(t, self._zone), t)
            for t in await self._unrecorded(caller, query, scope)
            if not t.redmine_time_entry_ids
        ]
        start = (query.page - 1) * query.per_page
        stop = start + query.per_page
        seen = await paging.window(
            self._redmine, caller.api_key, self._params(query, scope), start, stop, len(loose)
        )
        shown = await self._shown(seen.entries)
        chosen = paging.page_of(seen, shown, loose, start, stop, query.from_)
        views = await self._views(caller, chosen, now)
        return self._page_answer(views, seen.total + len(loose), query)

    async def _whole_page(self, caller: Caller, query: ListQuery, scope: Scope) -> TimeTrackingPage:
        """Every entry of the query merged with the caller's timers, then the page cut out."""
        entries = await self._redmine.time_entries(caller.api_key, self._params(query, scope))
        now = self._clock.now()
        items = await self._items(caller, entries, query, scope, now)
        items.sort(key=lambda v: (local_day(v, self._zone), v.started_at or v.created_at, v.id))
        items.reverse()
        start = (query.page - 1) * query.per_page
        return self._page_answer(items[start : start + query.per_page], len(items), query)

    def _page_answer(
        self, items: list[TimeTrackingView], total: int, query: ListQuery
    ) -> TimeTrackingPage:
        """The page, its place among the pages and its hours (the page's own: the range's
        totals are the reports', which read every page)."""
        return TimeTrackingPage(
            data=items,
            meta=ListMeta(
                total=total,
                per_page=query.per_page,
                current_page=query.page,
                last_page=max(1, math.ceil(total / query.per_page)),
                total_hours=sum((v.hours or Decimal(0) for v in items), Decimal(0)),
                billable_hours=(
                    None
                    if self._billable_field_id is None
                    else sum((v.hours or Decimal(0) for v in items if v.billable), Decimal(0))
                ),
            ),
        )

    async def _shown(self, entries: list[RedmineTimeEntry]) -> list[tuple[dt.date, paging.Item]]:
        """Each entry with its day, as listed: its timer's when a gateway timer made it."""
        mapped = await self._store.timer_ids_of_entries({e.id: e.user.id for e in entries})
        timers = {t.id: t for t in await self._store.timers(sorted(set(mapped.values())))}
        shown = []
        for entry in entries:
            timer = timers.get(mapped.get(entry.id, 0))
            if timer is not None and is_owned_by(timer, entry):
                shown.append(
                    (entry.spent_on, paging.Item(paging.timer_key(timer, self._zone), timer))
                )
            else:
                shown.append((entry.spent_on, paging.Item(paging.entry_key(entry), entry)))
        return shown

    async def _views(
        self, caller: Caller, items: list[paging.Item], now: dt.datetime
    ) -> list[TimeTrackingView]:
        direct = [i.source for i in items if isinstance(i.source, RedmineTimeEntry)]
        views = {v.id: v for v in await self._direct_views(caller, direct)}
        return [
            timer_view(i.source, now, self._limit_s)
            if isinstance(i.source, Timer)
            else views[i.source.id]
            for i in items
        ]

    async def entry(self, caller: Caller, entry_id: int) -> TimeTrackingView:
        """An entry logged in Redmine directly, by its Redmine id; only the caller's own."""
        [view] = await self._direct_views(
            caller, [await own_entry(self._redmine, caller, entry_id)]
        )
        return view

    async def _scope(self, caller: Caller, query: ListQuery) -> Scope:
        issue_id = await self._tasks.issue_id(caller, query.task_uuid) if query.task_uuid else None
        if not query.named_users:
            return Scope(issue_id)
        ids: set[int] = set()
        logins: set[str] = set()
        for user in query.named_users:
            if user == "me" or user.casefold() == caller.owner.username.casefold():
                ids.add(caller.user_id)
            elif user.isdigit():
                ids.add(int(user))
            else:
                logins.add(user.casefold())
        return Scope(issue_id, frozenset(ids), frozenset(logins))

    def _params(self, query: ListQuery, scope: Scope) -> dict[str, str | int]:
        params: dict[str, str | int] = {}
        if query.project_slug:
            params["project_id"] = query.project_slug
        if query.from_:
            params["from"] = query.from_.isoformat()
        if query.to:
            params["to"] = query.to.isoformat()
        # Redmine filters by ids (`|` between several); logins are matched on the entries.
        if scope.user_ids and not scope.logins:
            params["user_id"] = "|".join(str(i) for i in sorted(scope.user_ids))
        if scope.issue_id is not None:
            params["issue_id"] = scope.issue_id
        if query.billable is not None and self._billable_field_id is not None:
            # Redmine's "!1" also matches entries whose field was never set.
            params[f"cf_{self._billable_field_id}"] = "1" if query.billable else "!1"
        return params

    async def _items(
        self,
        caller: Caller,
        entries: list[RedmineTimeEntry],
        query: ListQuery,
        scope: Scope,
        now: dt.datetime,
    ) -> list[TimeTrackingView]:
        mapped = await self._store.timer_ids_of_entries({e.id: e.user.id for e in entries})
        timers = {t.id: t for t in await self._store.timers(sorted(set(mapped.values())))}
        direct: list[RedmineTimeEntry] = []
        shown: dict[int, Timer] = {}
        for entry in entries:
            timer = timers.get(mapped.get(entry.id, 0))
            if timer is not None and is_owned_by(timer, entry):
                shown[timer.id] = timer
            else:
                direct.append(entry)
        for timer in await self._unrecorded(caller, query, scope):
            shown.setdefault(timer.id, timer)
        views = [
            timer_view(timer, now, self._limit_s)
            for timer in shown.values()
            if scope.keeps(timer.user.id, timer.user.username)
        ]
        direct_views = await self._direct_views(caller, direct)
        views.extend(
            view
            for entry, view in zip(direct, direct_views, strict=True)
            if scope.keeps(entry.user.id, view.user.username)
        )
        return views

    async def _unrecorded(self, caller: Caller, query: ListQuery, scope: Scope) -> list[Timer]:
        """The caller's timers not (yet) in Redmine, so that their ids show before and after."""
        if not scope.may_include(caller):
            return []
        timers = await self._store.timers(await self._store.unrecorded_timer_ids(caller.user_id))
        return [t for t in timers if t.status != "recorded" and self._in_query(t, query, scope)]

    def _in_query(self, timer: Timer, query: ListQuery, scope: Scope) -> bool:
        day = timer.started_at.astimezone(self._zone).date()
        return (
            (query.project_slug is None or timer.project_slug == query.project_slug)
            and (scope.issue_id is None or timer.issue_id == scope.issue_id)
            and (query.from_ is None or day >= query.from_)
            and (query.to is None or day <= query.to)
            and (query.billable is None or (timer.billable is True) == query.billable)
        )

    async def _direct_views(
        self, caller: Caller, entries: list[RedmineTimeEntry]
    ) -> list[TimeTrackingView]:
        """Views of entries logged in Redmine directly.

        Each user and project is looked up once, in turn: a lookup per entry of a long list
        would open hundreds of Redis and Redmine connections at once.
        """
        owners: dict[int, Owner] = {}
        projects: dict[int, RedmineProject] = {}
        for entry in entries:
            if entry.user.id not in owners:
                owners[entry.user.id] = await self._users.user(
                    caller, entry.user.id, entry.user.name
                )
            if entry.project.id not in projects:
                projects[entry.project.id] = await self._tasks.project(caller, entry.project.id)
        return [
            entry_view(
                entry,
                owners[entry.user.id],
                projects[entry.project.id].identifier,
                self._billable_field_id,
            )
            for entry in entries
        ]


def local_day(view: TimeTrackingView, zone: dt.tzinfo) -> dt.date:
    """The day an item counts for; a running timer's is the day it started."""
    return view.spent_on or (view.started_at or view.created_at).astimezone(zone).date()


def entry_view(
    entry: RedmineTimeEntry,
    owner: Owner,
    project_slug: str,
    billable_field_id: int | None = None,
) -> TimeTrackingView:
    return TimeTrackingView(
        id=entry.id,
        task_uuid=str(entry.issue.id) if entry.issue else None,
        user=UserView(username=owner.username or None, name=owner.name),
        started_at=None,
        ended_at=None,
        duration_minutes=int(entry.hours * 60),
        duration_seconds=None,
        description=entry.comments or "",
        is_manual=True,
        created_at=entry.created_on,
        hours=entry.hours,
        spent_on=entry.spent_on,
        activity_id=entry.activity.id,
        redmine_time_entry_id=entry.id,
        redmine_time_entry_ids=[entry.id],
        project_slug=project_slug,
        company_slug=None,
        status="recorded",
        errors=[],
        failure_reason=None,
        billable=billable_of(entry, billable_field_id),
    )
