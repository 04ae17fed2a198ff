"""The entries an analytics query covers, as Redmine shows them to the caller, plus timer facts."""

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pydantic import TypeAdapter

from gateway.analytics.drafts import PageReader
from gateway.analytics.facts import NO_ISSUE_FACTS, FactFinder, IssueFacts
from gateway.analytics.records import DateRange, Entry, Person
from gateway.clock import Clock
from gateway.errors import NotFound
from gateway.identity import Caller, UserDirectory
from gateway.redmine.client import Params, RedmineClient
from gateway.store.keys import CacheKind
from gateway.store.redis import RedisStore
from gateway.timers.models import Timer
from gateway.timers.segments import worked_seconds

log = logging.getLogger(__name__)

HOURS_PLACES = Decimal("0.01")
# The system's activities: the same for every caller, and renamed rarely.
LOOKUP_TTL_S = 300
_activity_names = TypeAdapter(dict[int, str])


@dataclass(frozen=True)
class Scope:
    """Which entries a query asks for."""

    days: DateRange
    project_slug: str | None  # None: every project the caller can see
    users: tuple[str, ...]  # logins or numeric ids ("me" too); empty: everyone
    # (GATEWAY_BILLABLE_FIELD_ID, whether billable ones or the others); None: both.
    billable: tuple[int, bool] | None = None


class EntrySource:
    def __init__(
        self,
        redmine: RedmineClient,
        store: RedisStore,
        users: UserDirectory,
        clock: Clock,
        zone: dt.tzinfo,
        concurrency: int,
    ) -> None:
        self._redmine = redmine
        self._store = store
        self._users = users
        self._clock = clock
        self._zone = zone
        self._concurrency = concurrency

    async def entries(
        self, caller: Caller, scope: Scope, max_entries: int | None = None
    ) -> list[Entry]:
        """The caller's view of the scope's entries, in Redmine's order, then their running
        timer when it is in scope.

        All of Redmine's pages are read (PAGE_LIMIT entries each, concurrently after the first);
        each page is read as it arrives, while people and issues are looked up alongside. With
        `max_entries`, more entries than that is TooManyEntries (422), raised as pages arrive.
        """
        running = await self._running(caller, scope)
        pages, finder = await self._read(caller, scope, running, max_entries, None)
        # What could not be built while pages arrived is built now, off the event loop.
        entries = await asyncio.to_thread(pages.entries)
        wanted = wanted_user_ids(scope.users, caller, finder.people.values())
        if wanted is not None:
            entries = [e for e in entries if e.user.user_id in wanted]
            if caller.user_id not in wanted:
                running = None
        if running is not None:
            me = finder.people.get(caller.user_id) or person_of(caller)
            facts = NO_ISSUE_FACTS if running.issue_id is None else finder.issues[running.issue_id]
            activity = await self._activity_name(caller, running.activity_id)
            now = self._clock.now()
            entries.append(running_entry(running, me, facts, activity, now, self._zone))
        return entries

    async def fold(self, caller: Caller, scope: Scope, add: Callable[[Entry], None]) -> None:
        """Hands each recorded entry of the scope to `add` once, as its page is read, and keeps
        none: for answers that are aggregates (`add` keeps running totals), so memory does not
        grow with the range. Same entries as `entries` without the running timer, in no
        particular order (every aggregate counts recorded time only)."""
        wanted = user_filter(scope.users, caller)

        def sink(entry: Entry) -> None:
            if wanted(entry.user):
                add(entry)

        pages, _ = await self._read(caller, scope, None, None, sink)
        pages.flush()

    async def _read(
        self,
        caller: Caller,
        scope: Scope,
        running: Timer | None,
        max_entries: int | None,
        sink: Callable[[Entry], None] | None,
    ) -> tuple[PageReader, FactFinder]:
        """Reads every page of the scope into a PageReader, people and issues looked up."""
        started = time.perf_counter()
        finder = FactFinder(self._redmine, self._store, self._users, caller, self._concurrency)
        async with finder:
            if running is not None and running.issue_id is not None:
                finder.see_issues([running.issue_id])
            pages = PageReader(self._store, self._zone, finder, max_entries, sink)
            await self._redmine.time_entry_rows(
                caller.api_key, params(caller, scope), pages.consume
            )
            paged = time.perf_counter()
            await finder.settle()
        log.debug(
            "analytics pages user=%s pages_ms=%.0f facts_ms=%.0f",
            caller.user_id,
            (paged - started) * 1000,
            (time.perf_counter() - paged) * 1000,
        )
        return pages, finder

    async def _running(self, caller: Caller, scope: Scope) -> Timer | None:
        timer_id = await self._store.running_timer_id(caller.user_id)
        if timer_id is None:
            return None
        try:
            timer = (await self._store.timer(timer_id)).timer
        except NotFound:
            return None  # stopped and removed between the two reads
        day = timer.started_at.astimezone(self._zone).date()
        in_scope = (
            timer.status == "running"
            and scope.days.start <= day <= scope.days.end
            and scope.project_slug in (None, timer.project_slug)
            and (scope.billable is None or (timer.billable is True) == scope.billable[1])
        )
        return timer if in_scope else None

    async def _activity_name(self, caller: Caller, activity_id: int | None) -> str:
        if activity_id is None:
            return ""
        cached = await self._store.caches.cached(CacheKind.ACTIVITIES, "names")
        if cached is not None:
            names = _activity_names.validate_json(cached)
        else:
            activities = await self._redmine.activities(caller.api_key)
            names = {a.id: a.name for a in activities}
            await self._store.caches.remember(
                CacheKind.ACTIVITIES,
                "names",
                _activity_names.dump_json(names).decode(),
                LOOKUP_TTL_S,
            )
        return names.get(activity_id, "")


def params(caller: Caller, scope: Scope) -> Params:
    sent: dict[str, str | int] = {
        "from": scope.days.start.isoformat(),
        "to": scope.days.end.isoformat(),
    }
    if scope.project_slug is not None:
        sent["project_id"] = scope.project_slug
    if scope.billable is not None:
        field_id, wanted = scope.billable
        # Redmine's "!1" also matches entries whose field was never set.
        sent[f"cf_{field_id}"] = "1" if wanted else "!1"
    ids = known_user_ids(scope.users, caller)
    if ids is not None:
        sent["user_id"] = "|".join(str(user_id) for user_id in sorted(ids))
    return sent


def known_user_ids(users: Sequence[str], caller: Caller) -> set[int] | None:
    """The ids `users` names when each is an id, "me" or the caller's login; else None (other
    logins are matched once the entries name their users)."""
    if not users:
        return None
    ids: set[int] = set()
    for user in users:
        if user.isdigit():
            ids.add(int(user))
        elif user == "me" or user.casefold() == caller.owner.username.casefold():
            ids.add(caller.user_id)
        else:
            return None
    return ids


def user_filter(users: Sequence[str], caller: Caller) -> Callable[[Person], bool]:
    """Whether an entry's person is one `users` names (logins, ids or "me"); as
    wanted_user_ids, decided per person (their login is known once their entry is built)."""
    if not users:
        return lambda person: True
    ids = {int(u) for u in users if u.isdigit()}
    logins = {u.casefold() for u in users if not u.isdigit() and u != "me"}
    if "me" in users or caller.owner.username.casefold() in logins:
        ids.add(caller.user_id)
    return lambda person: (
        person.user_id in ids
        or (bool(person.username) and str(person.username).casefold() in logins)
    )


def wanted_user_ids(
    users: Sequence[str], caller: Caller, people: Iterable[Person]
) -> set[int] | None:
    """The ids of the people `users` names (logins, ids or "me"); None: everyone."""
    if not users:
        return None
    by_login = {p.username.casefold(): p.user_id for p in people if p.username}
    by_login[caller.owner.username.casefold()] = caller.user_id
    wanted: set[int] = set()
    for user in users:
        if user.isdigit():
            wanted.add(int(user))
        elif user == "me":
            wanted.add(caller.user_id)
        elif (user_id := by_login.get(user.casefold())) is not None:
            wanted.add(user_id)
    return wanted


def person_of(caller: Caller) -> Person:
    owner = caller.owner
    return Person(user_id=owner.id, username=owner.username or None, name=owner.name)


def running_entry(
    timer: Timer,
    person: Person,
    facts: IssueFacts,
    activity: str,
    now: dt.datetime,
    zone: dt.tzinfo,
) -> Entry:
    """The caller's running timer as an entry: its hours so far, not in Redmine yet."""
    # The time worked so far: a paused timer's pauses are not counted.
    seconds = max(0, int(worked_seconds(timer.work(now))))
    return Entry(
        entry_id=timer.id,
        user=person,
        issue_id=timer.issue_id,
        issue_subject=facts.subject,
        tracker=facts.tracker,
        issue_closed=facts.is_closed,
        activity=activity,
        hours=(Decimal(seconds) / 3600).quantize(HOURS_PLACES),
        spent_on=timer.started_at.astimezone(zone).date(),
        comments=timer.description,
        started_at=timer.started_at,
        ended_at=None,
        is_running=True,
    )
