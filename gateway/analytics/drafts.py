"""Pages of Redmine time entries as analytics records, with the times of the timers behind them."""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import NamedTuple

from gateway.analytics.facts import NO_ISSUE_FACTS, FactFinder, IssueFacts
from gateway.analytics.records import Entry, Person
from gateway.errors import ValidationFailed
from gateway.redmine.models import TimeEntryRow
from gateway.store.redis import RedisStore
from gateway.timers.listing import is_owned_by
from gateway.timers.models import Timer


class TooManyEntries(ValidationFailed):
    def __init__(self, limit: int) -> None:
        message = f"The range covers more than {limit} entries, the most one answer shows."
        hint = "Ask for a shorter range (start/end or period), one project_slug or fewer users."
        super().__init__(message, {"period": [hint]})


class Draft(NamedTuple):
    """An entry as read from its page, until its person and its issue are known."""

    entry_id: int
    user_id: int
    user_name: str
    issue_id: int | None
    activity: str
    hours: Decimal
    spent_on: dt.date
    comments: str
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    timer_id: int | None


class PageReader:
    """Reads each page as it arrives: the FactFinder is told about its people and issues, and
    each row becomes an entry at once when its person and issue are known already (so little is
    left to do once the last page is in), else a draft until then. Rows are not kept.

    With a `sink`, entries are not kept either: each is handed to it once, as soon as it is
    built (drafts once `flush` builds them), so memory does not grow with the range."""

    def __init__(
        self,
        store: RedisStore,
        zone: dt.tzinfo,
        facts: FactFinder,
        max_entries: int | None = None,
        sink: Callable[[Entry], None] | None = None,
    ) -> None:
        self._store = store
        self._sink = sink
        self._waiting: list[Draft] = []
        # One bit per entry id handed on: an entry added meanwhile may shift a page, so that
        # the next one repeats an entry; a few MB even for ids in the tens of millions.
        self._handed = bytearray()
        self._max_entries = max_entries
        self._count = 0
        self._zone = zone
        self._facts = facts
        # By page offset: the entries built, and the drafts with the place each goes in.
        self._built: dict[int, list[Entry]] = {}
        self._drafts: dict[int, list[tuple[int, Draft]]] = {}
        self._hours: dict[float, Decimal] = {}
        self._timed_users: dict[int, bool] = {}

    async def consume(self, offset: int, rows: list[TimeEntryRow]) -> None:
        self._count += len(rows)
        if self._max_entries is not None and self._count > self._max_entries:
            # Raised while pages still arrive: the rest are cancelled, none is kept.
            raise TooManyEntries(self._max_entries)
        timers = await self._timers_behind(rows)
        facts = self._facts
        for user_id, name in {row.user_id: row.user_name for row in rows}.items():
            facts.see_person(user_id, name)
        facts.see_issues(row.issue_id for row in rows if row.issue_id is not None)
        built: list[Entry] = []
        drafts: list[tuple[int, Draft]] = []
        for place, row in enumerate(rows):
            item = self._read(row, timers.get(row.id))
            if isinstance(item, Entry):
                built.append(item)
            else:
                drafts.append((place, item))
        if self._sink is not None:
            for entry in built:
                self._hand_on(entry, self._sink)
            # Drafts wait only for lookups already under way, not for a full batch of issues
            # nor for the last page: those of earlier pages whose facts came are built now.
            self._waiting.extend(draft for _, draft in drafts)
            if self._waiting:
                facts.look_up_waiting()
                self._build_ready(self._sink)
            return
        self._built[offset] = built
        if drafts:
            self._drafts[offset] = drafts

    def flush(self) -> None:
        """Hands the drafts still waiting to the sink; call once the FactFinder has settled."""
        if self._sink is None:
            raise ValueError("flush is for a PageReader with a sink")
        people, issue = self._facts.people, self._facts.issue
        for draft in self._waiting:
            entry = entry_of(draft, people[draft.user_id], issue(draft.issue_id))
            self._hand_on(entry, self._sink)
        self._waiting.clear()

    def _build_ready(self, sink: Callable[[Entry], None]) -> None:
        people, issues = self._facts.people, self._facts.issue
        still: list[Draft] = []
        for draft in self._waiting:
            person, facts = people.get(draft.user_id), issues(draft.issue_id)
            if person is None or facts is None:
                still.append(draft)
            else:
                self._hand_on(entry_of(draft, person, facts), sink)
        self._waiting = still

    def _hand_on(self, entry: Entry, sink: Callable[[Entry], None]) -> None:
        byte, bit = divmod(entry.entry_id, 8)
        if byte >= len(self._handed):
            self._handed.extend(bytes(max(byte + 1, 2 * len(self._handed)) - len(self._handed)))
        if self._handed[byte] >> bit & 1:
            return
        self._handed[byte] |= 1 << bit
        sink(entry)

    def entries(self) -> list[Entry]:
        """Every entry once, in Redmine's order (an entry added meanwhile may shift a page);
        call once the FactFinder has settled: what is still a draft is built now."""
        people, issue = self._facts.people, self._facts.issue
        ordered: list[Entry] = []
        for offset in sorted(self._built):
            page = self._built.pop(offset)
            for place, draft in self._drafts.pop(offset, ()):
                page.insert(place, entry_of(draft, people[draft.user_id], issue(draft.issue_id)))
            ordered.extend(page)
        if len({entry.entry_id for entry in ordered}) < len(ordered):
            return first_of_each(ordered)
        return ordered

    async def _timers_behind(self, rows: list[TimeEntryRow]) -> dict[int, Timer]:
        """The timers that may have made these entries, by entry id.

        A timer only ever owns its own user's entries (is_owned_by), so the entries of users
        without any timer, often all of them, are not looked up one by one.
        """
        unknown = list({row.user_id for row in rows} - self._timed_users.keys())
        if unknown:
            timed = await self._store.users_with_timers(unknown)
            self._timed_users.update((user_id, user_id in timed) for user_id in unknown)
        candidates = {row.id: row.user_id for row in rows if self._timed_users[row.user_id]}
        mapped = await self._store.timer_ids_of_entries(candidates)
        if not mapped:
            return {}
        timers = {t.id: t for t in await self._store.timers(sorted(set(mapped.values())))}
        return {
            entry_id: timers[timer_id]
            for entry_id, timer_id in mapped.items()
            if timer_id in timers
        }

    def _read(self, row: TimeEntryRow, timer: Timer | None) -> Entry | Draft:
        """The row as an entry, or as a draft while its person or issue is still unknown.

        Runs for every entry of the range (tens of thousands): kept to plain lookups.
        """
        started_at = ended_at = None
        timer_id = None
        if timer is not None and is_owned_by(timer, row.time_entry()):
            started_at, ended_at = span_on(timer, row.spent_on, self._zone)
            timer_id = timer.id
        hours = self._hours.get(row.hours) or self._decimal(row.hours)
        person = self._facts.people.get(row.user_id)
        issue_id = row.issue_id
        facts = NO_ISSUE_FACTS if issue_id is None else self._facts.issues.get(issue_id)
        if person is not None and facts is not None:
            return Entry(
                row.id,
                person,
                issue_id,
                facts.subject,
                facts.tracker,
                facts.is_closed,
                row.activity,
                hours,
                row.spent_on,
                row.comments or "",
                started_at,
                ended_at,
                timer_id=timer_id,
            )
        return Draft(
            row.id,
            row.user_id,
            row.user_name,
            issue_id,
            row.activity,
            hours,
            row.spent_on,
            row.comments or "",
            started_at,
            ended_at,
            timer_id,
        )

    def _decimal(self, hours: float) -> Decimal:
        # Redmine shows two decimals: a few distinct values, so each is converted once.
        exact = self._hours[hours] = Decimal(repr(hours))
        return exact


def first_of_each(entries: list[Entry]) -> list[Entry]:
    seen: set[int] = set()
    unique = []
    for entry in entries:
        if entry.entry_id not in seen:
            seen.add(entry.entry_id)
            unique.append(entry)
    return unique


def entry_of(draft: Draft, person: Person, facts: IssueFacts | None) -> Entry:
    assert facts is not None, "entries are built once their issue is known"
    return Entry(
        draft.entry_id,
        person,
        draft.issue_id,
        facts.subject,
        facts.tracker,
        facts.is_closed,
        draft.activity,
        draft.hours,
        draft.spent_on,
        draft.comments,
        draft.started_at,
        draft.ended_at,
        timer_id=draft.timer_id,
    )


def span_on(timer: Timer, day: dt.date, zone: dt.tzinfo) -> tuple[dt.datetime, dt.datetime | None]:
    """When the timer ran on `day`: all of it, or (split at midnight) that day's part."""
    if len(timer.portions) < 2:
        return timer.started_at, timer.ended_at
    start_of_day = dt.datetime.combine(day, dt.time(), zone)
    end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    ended_at = timer.ended_at or end_of_day
    return max(timer.started_at, start_of_day), min(ended_at, end_of_day)
