"""GET /time-trackings' bounded paging against the whole-history merge it replaced (the oracle)."""

import asyncio
import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.redmine.client import PAGE_LIMIT, Params
from gateway.redmine.models import RedmineTimeEntry
from gateway.timers import paging
from gateway.timers.models import Owner, Portion, Timer, TimerStatus

UTC = dt.UTC
FIRST_DAY = dt.date(2026, 3, 1)
DAYS = 6
ALICE = Owner(id=5, username="alice", name="Alice Tester")


@dataclass
class StubRedmine:
    """/time_entries.json over a list, in Redmine's order (spent_on DESC, created_on DESC, id),
    with its `from`/`to` filter; counts the requests a real one would have answered."""

    entries: list[RedmineTimeEntry]
    requests: int = 0
    rows: list[RedmineTimeEntry] = field(init=False)

    def __post_init__(self) -> None:
        self.rows = sorted(self.entries, key=lambda e: e.id)
        self.rows.sort(key=lambda e: (e.spent_on, e.created_on), reverse=True)

    def matching(self, params: Params) -> list[RedmineTimeEntry]:
        low = dt.date.fromisoformat(str(params.get("from", dt.date.min.isoformat())))
        high = dt.date.fromisoformat(str(params.get("to", dt.date.max.isoformat())))
        return [e for e in self.rows if low <= e.spent_on <= high]

    async def time_entry_window(
        self, api_key: str, params: Params, offset: int, count: int
    ) -> tuple[list[RedmineTimeEntry], int]:
        rows = self.matching(params)
        shown = rows[offset : offset + count]
        self.requests += max(1, math.ceil(len(shown) / PAGE_LIMIT))
        return shown, len(rows)

    async def time_entries(self, api_key: str, params: Params) -> list[RedmineTimeEntry]:
        rows = self.matching(params)
        self.requests += max(1, math.ceil(len(rows) / PAGE_LIMIT))
        return rows


@dataclass(frozen=True)
class History:
    entries: list[RedmineTimeEntry]  # in Redmine, each maybe made by a timer
    made_by: dict[int, Timer]  # entry id -> the recorded timer that made it
    loose: list[Timer]  # the caller's timers not in Redmine: running, pending, failed


def moment(day: dt.date, second: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), UTC) + dt.timedelta(seconds=second)


def entry(entry_id: int, day: dt.date, created_on: dt.datetime) -> RedmineTimeEntry:
    return RedmineTimeEntry.model_validate(
        {
            "id": entry_id,
            "project": {"id": 1, "name": "Web App"},
            "issue": {"id": 1},
            "user": {"id": ALICE.id, "name": ALICE.name},
            "activity": {"id": 9, "name": "Development"},
            "hours": "0.5",
            "spent_on": day.isoformat(),
            "created_on": created_on.isoformat(),
        }
    )


def timer(
    timer_id: int, started_at: dt.datetime, status: TimerStatus, days: tuple[dt.date, ...] = ()
) -> Timer:
    return Timer(
        id=timer_id,
        user=ALICE,
        task_uuid="1",
        issue_id=1,
        project_id=1,
        project_slug="web-app",
        started_at=started_at,
        ended_at=None if status == "running" else started_at + dt.timedelta(minutes=30),
        created_at=started_at,
        status=status,
        portions=tuple(
            Portion(spent_on=d, minutes=30, hours=Decimal("0.5"), entry_id=None) for d in days
        ),
    )


# Few distinct seconds, so that times tie and the ids' order is exercised too.
seconds = st.integers(0, 5).map(lambda n: n * 3600)
days = st.integers(0, DAYS - 1).map(lambda n: FIRST_DAY + dt.timedelta(days=n))


@st.composite
def histories(draw: st.DrawFn, *, split: bool = False) -> History:
    """Entries made in Redmine directly, recorded timers with their entries (posted after they
    started; with `split`, some cross midnight into two entries) and loose timers."""
    entries: list[RedmineTimeEntry] = []
    made_by: dict[int, Timer] = {}
    timer_ids = iter(range(1_000_000_000_001, 1_000_000_001_000))
    for _ in range(draw(st.integers(0, 60))):
        day = draw(days)
        created_on = moment(day, draw(seconds))
        if draw(st.integers(0, 2)) == 0:
            started = created_on - dt.timedelta(seconds=draw(seconds))
            spanned: tuple[dt.date, ...] = (day,)
            if split and draw(st.booleans()) and day > FIRST_DAY:
                spanned = (day - dt.timedelta(days=1), day)
            made = timer(next(timer_ids), started, "recorded", spanned)
            for portion_day in spanned:
                entries.append(entry(len(entries) + 1, portion_day, created_on))
                made_by[entries[-1].id] = made
        else:
            entries.append(entry(len(entries) + 1, day, created_on))
    unposted: list[TimerStatus] = draw(st.lists(st.sampled_from(["pending", "failed"]), max_size=4))
    loose = [timer(next(timer_ids), moment(draw(days), draw(seconds)), s) for s in unposted]
    if draw(st.booleans()):
        loose.append(timer(next(timer_ids), moment(draw(days), draw(seconds)), "running"))
    return History(entries, made_by, loose)


def shown(history: History, entries: list[RedmineTimeEntry]) -> list[tuple[dt.date, paging.Item]]:
    """As TimeTrackingLister._shown: an entry a timer made is shown as that timer."""
    items = []
    for e in entries:
        made = history.made_by.get(e.id)
        item = (
            paging.Item(paging.timer_key(made, UTC), made)
            if made is not None
            else paging.Item(paging.entry_key(e), e)
        )
        items.append((e.spent_on, item))
    return items


def whole_list(history: History, params: Params) -> list[int]:
    """The oracle: the merge GET /time-trackings made before paging was bounded. Every entry
    of the query, each timer once (setdefault), every loose timer, sorted newest first."""
    everything = StubRedmine(history.entries).matching(params)
    merged: dict[int, paging.Item] = {}
    for _, item in shown(history, everything):
        merged.setdefault(item.key[2], item)
    for loose in history.loose:
        merged.setdefault(loose.id, paging.Item(paging.timer_key(loose, UTC), loose))
    return [item.key[2] for item in sorted(merged.values(), key=lambda i: i.key, reverse=True)]


async def bounded_page(
    history: History, params: Params, page: int, per_page: int
) -> tuple[list[int], int, int]:
    """The page's ids, the total and the requests Redmine answered."""
    redmine = StubRedmine(history.entries)
    loose = [paging.Item(paging.timer_key(t, UTC), t) for t in history.loose]
    start = (page - 1) * per_page
    seen = await paging.window(redmine, "key", params, start, start + per_page, len(loose))
    since = params.get("from")
    chosen = paging.page_of(
        seen,
        shown(history, seen.entries),
        loose,
        start,
        start + per_page,
        None if since is None else dt.date.fromisoformat(str(since)),
    )
    return [item.key[2] for item in chosen], seen.total + len(loose), redmine.requests


def every_page(history: History, params: Params, per_page: int) -> tuple[list[int], list[int]]:
    """Every page's ids in order until the total's last page, and each page's total."""
    ids: list[int] = []
    totals: list[int] = []
    page = 1
    while True:
        found, total, _ = asyncio.run(bounded_page(history, params, page, per_page))
        ids += found
        totals.append(total)
        if page >= max(1, math.ceil(total / per_page)):
            return ids, totals
        page += 1


ranges: st.SearchStrategy[dict[str, str]] = st.one_of(
    st.just({}),
    st.tuples(days, days).map(lambda ends: {"from": min(ends).isoformat()}),
    st.tuples(days, days).map(
        lambda ends: {"from": min(ends).isoformat(), "to": max(ends).isoformat()}
    ),
)


@settings(max_examples=120, deadline=None)
@given(histories(), ranges, st.integers(1, 7))
def test_pages_are_the_whole_lists_pages(history: History, params: Params, per_page: int) -> None:
    expected = whole_list(history, params)
    ids, totals = every_page(history, params, per_page)
    assert ids == expected
    assert set(totals) == {len(expected)}


@settings(max_examples=80, deadline=None)
@given(histories(split=True), ranges, st.integers(1, 7))
def test_with_split_timers_every_item_is_on_one_page_in_order(
    history: History, params: Params, per_page: int
) -> None:
    """A timer split at midnight is one item but two of Redmine's entries: the total counts
    places, so a page may be short by its second entry, yet no item is missed or repeated.
    (One whose first day the range leaves out shows on its first day in range, where the
    whole-list merge showed it last.)"""
    expected = whole_list(history, params)
    ids, totals = every_page(history, params, per_page)
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(expected)
    if "from" not in params:
        assert ids == expected
    places = len(StubRedmine(history.entries).matching(params)) + len(history.loose)
    assert set(totals) == {places}


def test_a_page_needs_the_same_requests_however_long_the_history() -> None:
    def history(days_back: int) -> History:
        rows = [
            entry(n + 1, FIRST_DAY - dt.timedelta(days=n // 20), moment(FIRST_DAY, n))
            for n in range(days_back * 20)
        ]
        return History(rows, {}, [timer(1_000_000_000_001, moment(FIRST_DAY, 7), "running")])

    counts = {
        length: [asyncio.run(bounded_page(history(length), {}, page, 25))[2] for page in (1, 3)]
        for length in (10, 100, 1000)
    }
    assert counts[10] == counts[100] == counts[1000]
    assert max(counts[1000]) <= 4
