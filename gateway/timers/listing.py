"""GET /time-trackings: a project's Redmine entries merged with the gateway's timers, paginated."""

import datetime as dt
import math
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gateway.clock import Clock
from gateway.errors import Forbidden, NotFound
from gateway.identity import Caller, UserDirectory
from gateway.redmine.client import RedmineClient
from gateway.redmine.models import RedmineProject, RedmineTimeEntry
from gateway.store.redis import RedisStore
from gateway.timers import paging
from gateway.timers.models import Owner, Slug, Timer, TimeTrackingView, UserView, timer_view
from gateway.timers.tasks import TaskResolver

PER_PAGE_MAX = 100


class ListQuery(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    project_slug: Slug | None = None
    company_slug: Slug | None = None
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None
    user: Slug | None = None
    task_uuid: Slug | None = None
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=25, ge=1, le=PER_PAGE_MAX)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: object) -> object:
        # Clients fill a query template (`?project_slug=&from=...`) and leave unused ones empty.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data


class PageMeta(BaseModel):
    total: int
    per_page: int
    current_page: int
    last_page: int


class TimeTrackingPage(BaseModel):
    data: list[TimeTrackingView]
    meta: PageMeta


@dataclass(frozen=True)
class Scope:
    issue_id: int | None
    user_id: int | None
    login: str | None


def is_owned_by(timer: Timer, entry: RedmineTimeEntry) -> bool:
    """Whether a mapped entry really is this timer's (Redmine reuses deleted entries' ids)."""
    return (
        timer.user.id == entry.user.id
        and entry.issue is not None
        and entry.issue.id == timer.issue_id
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
    ) -> None:
        self._redmine = redmine
        self._store = store
        self._tasks = tasks
        self._users = users
        self._clock = clock
        self._zone = zone

    async def page(self, caller: Caller, query: ListQuery) -> TimeTrackingPage:
        """The page asked for, from only the Redmine entries of the days it covers.

        Its cost does not grow with the history: Redmine's entries around the page's places
        (`paging.window`) and the caller's timers not in Redmine yet. Another user named by
        login is the exception: Redmine filters by id only, so that list is read whole.
        """
        scope = await self._scope(caller, query)
        if scope.login is not None and scope.login != caller.owner.username:
            return await self._whole_page(caller, query, scope)
        if scope.login is not None:
            scope = Scope(scope.issue_id, caller.user_id, None)
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
        return page_answer(await self._views(caller, chosen, now), seen.total + len(loose), query)

    async def _whole_page(self, caller: Caller, query: ListQuery, scope: Scope) -> TimeTrackingPage:
        """Every entry of the query merged with the caller's timers, then the page cut out."""
        entries = await self._redmine.time_entries(caller.api_key, self._params(query, scope))
        now = self._clock.now()
        items = await self._items(caller, entries, query, scope, now)
        items.sort(key=lambda v: (local_day(v, self._zone), v.started_at or v.created_at, v.id))
        items.reverse()
        start = (query.page - 1) * query.per_page
        return page_answer(items[start : start + query.per_page], len(items), query)

    async def _shown(self, entries: list[RedmineTimeEntry]) -> list[tuple[dt.date, paging.Item]]:
        """Each entry with its day, as listed: its timer's when a gateway timer made it."""
        mapped = await self._store.timer_ids_of_entries([e.id for e in entries])
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
            timer_view(i.source, now) if isinstance(i.source, Timer) else views[i.source.id]
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
        user = query.user
        if user is None:
            return Scope(issue_id, None, None)
        if user == "me":
            return Scope(issue_id, caller.user_id, None)
        if user.isdigit():
            return Scope(issue_id, int(user), None)
        return Scope(issue_id, None, user)

    @staticmethod
    def _params(query: ListQuery, scope: Scope) -> dict[str, str | int]:
        params: dict[str, str | int] = {}
        if query.project_slug:
            params["project_id"] = query.project_slug
        if query.from_:
            params["from"] = query.from_.isoformat()
        if query.to:
            params["to"] = query.to.isoformat()
        if scope.user_id is not None:
            params["user_id"] = scope.user_id
        if scope.issue_id is not None:
            params["issue_id"] = scope.issue_id
        return params

    async def _items(
        self,
        caller: Caller,
        entries: list[RedmineTimeEntry],
        query: ListQuery,
        scope: Scope,
        now: dt.datetime,
    ) -> list[TimeTrackingView]:
        mapped = await self._store.timer_ids_of_entries([e.id for e in entries])
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
        views = [timer_view(timer, now) for timer in shown.values()]
        views.extend(await self._direct_views(caller, direct))
        if scope.login is not None:
            views = [v for v in views if v.user.username == scope.login]
        return views

    async def _unrecorded(self, caller: Caller, query: ListQuery, scope: Scope) -> list[Timer]:
        """The caller's timers not (yet) in Redmine, so that their ids show before and after."""
        if scope.user_id not in (None, caller.user_id) or scope.login not in (
            None,
            caller.owner.username,
        ):
            return []
        timers = await self._store.timers(await self._store.user_timer_ids(caller.user_id))
        return [t for t in timers if t.status != "recorded" and self._in_query(t, query, scope)]

    def _in_query(self, timer: Timer, query: ListQuery, scope: Scope) -> bool:
        day = timer.started_at.astimezone(self._zone).date()
        return (
            (query.project_slug is None or timer.project_slug == query.project_slug)
            and (scope.issue_id is None or timer.issue_id == scope.issue_id)
            and (query.from_ is None or day >= query.from_)
            and (query.to is None or day <= query.to)
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
            entry_view(entry, owners[entry.user.id], projects[entry.project.id].identifier)
            for entry in entries
        ]


def page_answer(items: list[TimeTrackingView], total: int, query: ListQuery) -> TimeTrackingPage:
    return TimeTrackingPage(
        data=items,
        meta=PageMeta(
            total=total,
            per_page=query.per_page,
            current_page=query.page,
            last_page=max(1, math.ceil(total / query.per_page)),
        ),
    )


def local_day(view: TimeTrackingView, zone: dt.tzinfo) -> dt.date:
    """The day an item counts for; a running timer's is the day it started."""
    return view.spent_on or (view.started_at or view.created_at).astimezone(zone).date()


def entry_view(entry: RedmineTimeEntry, owner: Owner, project_slug: str) -> TimeTrackingView:
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
    )
