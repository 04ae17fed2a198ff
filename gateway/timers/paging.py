"""One page of GET /time-trackings from the Redmine entries of the days it covers (bounded)."""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Protocol

from gateway.redmine.client import Params
from gateway.redmine.models import RedmineTimeEntry
from gateway.timers.models import Timer

# The list's order, newest first: the item's day, when it started (or was logged), its id.
Key = tuple[dt.date, dt.datetime, int]


@dataclass(frozen=True)
class Item:
    """A listed item before its view is built: a timer of the gateway's or a direct entry."""

    key: Key
    source: Timer | RedmineTimeEntry


@dataclass(frozen=True)
class Window:
    """Every Redmine entry of a run of whole days, and where that run sits in Redmine's list.

    `before` entries lie on newer days, `total` is the list's total_count. Redmine sorts by day
    first (spent_on DESC), so a run of whole days is a contiguous stretch of its list.
    """

    entries: list[RedmineTimeEntry]
    before: int
    total: int


class EntryLists(Protocol):
    """The two reads of Redmine's /time_entries.json a page needs (RedmineClient's)."""

    async def time_entry_window(
        self, api_key: str, params: Params, offset: int, count: int
    ) -> tuple[list[RedmineTimeEntry], int]: ...

    async def time_entries(self, api_key: str, params: Params) -> list[RedmineTimeEntry]: ...


def timer_key(timer: Timer, zone: dt.tzinfo) -> Key:
    day = timer.portions[0].spent_on if timer.portions else timer.started_at.astimezone(zone).date()
    return day, timer.started_at, timer.id


def entry_key(entry: RedmineTimeEntry) -> Key:
    return entry.spent_on, entry.created_on, entry.id


async def window(
    redmine: EntryLists, api_key: str, params: Params, start: int, stop: int, loose: int
) -> Window:
    """The whole days of Redmine's list a page of places [start, stop) may show.

    `loose` items (the caller's timers not in Redmine) interleave with Redmine's entries, so an
    entry at Redmine's place k is shown at a place in [k, k + loose]: the page needs Redmine's
    places [start - loose, stop). Within a day the gateway's order differs from Redmine's (a
    timer is placed by when it started, its entry by when it was posted), so the days this
    stretch begins and ends in are read whole. One more entry on each side tells whether a day
    is cut there.
    """
    first = max(0, start - loose - 1)
    fetched, total = await redmine.time_entry_window(api_key, params, first, stop + 1 - first)
    if not fetched:
        return Window([], min(first, total), total)
    kept, before = fetched, first
    whole: set[dt.date] = set()
    if first > 0:
        head = fetched[0].spent_on
        if len(fetched) > 1 and fetched[1].spent_on != head:
            # That day ends just before the stretch: every entry of it is shown before `start`.
            kept, before = fetched[1:], first + 1
        else:
            before = (await redmine.time_entry_window(api_key, after(params, head), 0, 1))[1]
            kept = await whole_day(redmine, api_key, params, head, fetched)
            whole.add(head)
    if first + len(fetched) < total:
        tail = kept[-1].spent_on
        if len(kept) > 1 and kept[-2].spent_on != tail:
            # That day begins at Redmine's place `stop`: it is shown after the page.
            kept = kept[:-1]
        elif tail not in whole:
            kept = await whole_day(redmine, api_key, params, tail, kept)
    return Window(kept, before, total)


async def whole_day(
    redmine: EntryLists,
    api_key: str,
    params: Params,
    day: dt.date,
    entries: list[RedmineTimeEntry],
) -> list[RedmineTimeEntry]:
    """`entries` with every entry of `day` in place of those among them."""
    iso = day.isoformat()
    everything = await redmine.time_entries(api_key, {**params, "from": iso, "to": iso})
    return (
        [e for e in entries if e.spent_on > day]
        + everything
        + [e for e in entries if e.spent_on < day]
    )


def after(params: Params, day: dt.date) -> Params:
    """The query narrowed to the days after `day` (an empty range when `to` is `day`)."""
    return {**params, "from": (day + dt.timedelta(days=1)).isoformat()}


def page_of(
    seen: Window,
    items: list[tuple[dt.date, Item]],
    loose: list[Item],
    start: int,
    stop: int,
    since: dt.date | None = None,
) -> list[Item]:
    """The items at places [start, stop) of the whole list, newest first.

    `items` are the window's entries as shown, each with its entry's day; `loose` are every one
    of the caller's timers not in Redmine. Each day has one place per Redmine entry of that day
    and per loose timer of it, so a day's first place is known from counts alone: Redmine's
    entries on newer days plus the loose timers on newer days. An entry shown under another day
    (the later days of a timer split at midnight, shown once on its first) leaves its place
    empty, at the end of its day. `since` is the query's first day, see `home_day`.
    """
    counts = Counter(day for day, _ in items)
    shown: defaultdict[dt.date, dict[int, Item]] = defaultdict(dict)
    for day, item in items:
        if home_day(item, since) == day:
            shown[day].setdefault(item.key[2], item)
    unposted: defaultdict[dt.date, list[Item]] = defaultdict(list)
    for item in loose:
        unposted[item.key[0]].append(item)
    known = sorted(counts, reverse=True)
    page: list[Item] = []
    redmine_before, loose_before = seen.before, 0
    for day in sorted(counts.keys() | unposted.keys(), reverse=True):
        newer_known = seen.before == 0 or (bool(known) and day <= known[0])
        older_known = redmine_before == seen.total or (bool(known) and day >= known[-1])
        if newer_known and older_known:
            ordered = sorted([*shown[day].values(), *unposted[day]], key=_key, reverse=True)
            first = redmine_before + loose_before
            page.extend(item for place, item in enumerate(ordered, first) if start <= place < stop)
        redmine_before += counts[day]
        loose_before += len(unposted[day])
    return page


def home_day(item: Item, since: dt.date | None) -> dt.date:
    """The day whose places an item takes: its own, or for a timer split at midnight whose
    first day is before the query's `since`, the first of its days the query covers (the
    whole-list merge showed it after every other item instead)."""
    day = item.key[0]
    if since is None or day >= since or not isinstance(item.source, Timer):
        return day
    return min((p.spent_on for p in item.source.portions if p.spent_on >= since), default=day)


def _key(item: Item) -> Key:
    return item.key
