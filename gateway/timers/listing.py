"""GET /time-trackings: a project's Redmine entries merged with the gateway's timers, paginated."""

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.clock import Clock
from gateway.errors import Forbidden, NotFound, ValidationFailed
from gateway.identity import Caller, UserDirectory
from gateway.redmine.client import RedmineClient
from gateway.redmine.models import RedmineProject, RedmineTimeEntry
from gateway.store.redis import RedisStore
from gateway.timers.adoption import is_on_its_target
from gateway.timers.billable import billable_of, checked_billable_filter
from gateway.timers.models import (
    JsonHours,
    Owner,
    Slug,
    Timer,
    TimeTrackingView,
    UserView,
    timer_view,
)
from gateway.timers.tasks import TaskResolver

PER_PAGE_MAX = 100


class ListQuery(BaseModel):
    """`start`/`end` (GitScrum's names) are `from`/`to`; `users` is a comma-separated list of
    logins, ids or `me`, like `user` (which names one)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    project_slug: Slug | None = None
    company_slug: Slug | None = None
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    user: Slug | None = None
    users: tuple[str, ...] = ()
    task_uuid: Slug | None = None
    # GATEWAY_BILLABLE_FIELD_ID: true, only billable entries; false, the others (unset too).
    billable: bool | None = None
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=25, ge=1, le=PER_PAGE_MAX)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: object) -> object:
        # Clients fill a query template (`?project_slug=&from=...`) and leave unused ones empty.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("users", mode="before")
    @classmethod
    def _split_users(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        return tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))

    @model_validator(mode="after")
    def _one_range(self) -> "ListQuery":
        for name, given, alias in (("start", self.start, self.from_), ("end", self.end, self.to)):
            if given is not None and alias is not None and given != alias:
                raise ValidationFailed(
                    "The given data was invalid.",
                    {name: [f"{name} and {'from' if name == 'start' else 'to'} differ."]},
                )
        self.from_ = self.from_ or self.start
        self.to = self.to or self.end
        return self

    @property
    def named_users(self) -> tuple[str, ...]:
        return (*((self.user,) if self.user else ()), *self.users)


class PageMeta(BaseModel):
    total: int
    per_page: int
    current_page: int
    last_page: int


class ListMeta(PageMeta):
    # The hours of every page, and of those billable (null without GATEWAY_BILLABLE_FIELD_ID).
    total_hours: JsonHours = Decimal(0)
    billable_hours: JsonHours | None = None


class TimeTrackingPage(BaseModel):
    data: list[TimeTrackingView]
    meta: ListMeta


@dataclass(frozen=True)
class Scope:
    """Whose entries: `user_ids` and `logins` (casefolded) named; both None: everyone's."""

    issue_id: int | None
    user_ids: frozenset[int] | None = None
    logins: frozenset[str] | None = None

    def keeps(self, user_id: int, login: str | None) -> bool:
        if self.user_ids is None and self.logins is None:
            return True
        return user_id in (self.user_ids or ()) or (
            login is not None and login.casefold() in (self.logins or ())
        )

    def may_include(self, caller: Caller) -> bool:
        return self.keeps(caller.user_id, caller.owner.username)


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
        checked_billable_filter(query.billable, self._billable_field_id)
        scope = await self._scope(caller, query)
        params = self._params(query, scope)
        if query.billable is not None and self._billable_field_id is not None:
            # Redmine's "!1" also matches entries whose field was never set.
            params[f"cf_{self._billable_field_id}"] = "1" if query.billable else "!1"
        entries = await self._redmine.time_entries(caller.api_key, params)
        now = self._clock.now()
        items = await self._items(caller, entries, query, scope, now)
        items.sort(key=lambda v: (local_day(v, self._zone), v.started_at or v.created_at, v.id))
        items.reverse()
        total = len(items)
        start = (query.page - 1) * query.per_page
        return TimeTrackingPage(
            data=items[start : start + query.per_page],
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

    @staticmethod
    def _params(query: ListQuery, scope: Scope) -> dict[str, str | int]:
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
        timers = await self._store.timers(await self._store.user_timer_ids(caller.user_id))
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
