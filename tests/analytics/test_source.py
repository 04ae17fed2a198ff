"""EntrySource over the fake Redmine: every page once and concurrently, issues in cached batches,
timer facts only for entries their timers really made."""

import asyncio
import datetime as dt
import math
from collections.abc import Awaitable, Callable
from decimal import Decimal

import pytest
from aiohttp import web
from yarl import URL

from gateway.analytics.drafts import span_on
from gateway.analytics.facts import HIDDEN_ISSUE
from gateway.analytics.records import NO_ISSUE, DateRange, Entry
from gateway.analytics.source import Scope
from gateway.appkeys import ENTRY_SOURCE
from gateway.errors import RETRY_AFTER_S
from gateway.identity import Caller
from gateway.timers.models import Owner, Portion, Timer
from tests.analytics.wiring import TODAY, ask, day, seed
from tests.fakes.redmine import RecordedRequest
from tests.fakes.redmine_api import FakeRedmineApi
from tests.timers.conftest import ALICE, BOB, Gateway, GatewayFactory, assert_error

MONTH = DateRange(day(-29), TODAY)
ENTRIES = "/time_entries.json"


@pytest.fixture
async def gw(make_gateway: GatewayFactory) -> Gateway:
    return await make_gateway()


def caller(gw: Gateway, login: str = "alice") -> Caller:
    user = gw.redmine.state.user_with_login(login)
    assert user is not None
    return Caller(user.api_key, Owner(id=user.id, username=user.login, name=user.name))


async def read(
    gw: Gateway, login: str = "alice", *, days: DateRange = MONTH, **scope: str
) -> list[Entry]:
    users = tuple(scope.pop("users").split(",")) if "users" in scope else ()
    wanted = Scope(days=days, project_slug=scope.get("project_slug"), users=users)
    return await gw.app[ENTRY_SOURCE].entries(caller(gw, login), wanted)


def add_entries(gw: Gateway, count: int, *, issues: int = 3) -> list[int]:
    """`count` entries of alice over the last ten days, on issues 1.. `issues`; their ids."""
    state = gw.redmine.state
    for number in range(4, issues + 1):
        state.add_issue(1, f"issue {number}", tracker_id=1 + number % 3, id=number)
    rows = state.add_entries(
        {
            "user_id": ALICE,
            "hours": Decimal("0.25"),
            "spent_on": day(-(n % 10)),
            "issue_id": 1 + n % issues,
        }
        for n in range(count)
    )
    return [row.id for row in rows]


def calls_to(gw: Gateway, mark: int, path: str) -> list[RecordedRequest]:
    return [c for c in gw.calls_since(mark) if URL(c.raw_path).path == path]


Recorder = Callable[[web.Request], Awaitable[bytes]]


def hold(monkeypatch: pytest.MonkeyPatch, fake: FakeRedmineApi, path: str) -> list[int]:
    """Keeps each request for `path` open a moment; the returned list holds the most that were
    open at once, as it grows."""
    original: Recorder = fake._record
    in_flight = 0
    most: list[int] = [0]

    async def record(request: web.Request) -> bytes:
        nonlocal in_flight
        body = await original(request)
        if request.path == path:
            in_flight += 1
            most[0] = max(most[0], in_flight)
            await asyncio.sleep(0.02)
            in_flight -= 1
        return body

    monkeypatch.setattr(fake, "_record", record)
    return most


# -- pages ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "pages"), [(100, 1), (101, 2), (200, 2), (201, 3)])
async def test_every_entry_once_at_page_edges(gw: Gateway, count: int, pages: int) -> None:
    ids = add_entries(gw, count)
    mark = gw.mark()
    entries = await read(gw)
    assert sorted(e.entry_id for e in entries) == ids
    offsets = [URL(c.raw_path).query["offset"] for c in calls_to(gw, mark, ENTRIES)]
    assert sorted(offsets, key=int) == [str(100 * n) for n in range(pages)]


async def test_pages_are_fetched_concurrently_within_the_bound(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = await make_gateway(upstream_page_concurrency=3)
    ids = add_entries(gw, 1000)
    most = hold(monkeypatch, gw.redmine, ENTRIES)
    entries = await read(gw)
    assert sorted(e.entry_id for e in entries) == ids
    assert 1 < most[0] <= 3


def add_an_entry_once_the_first_page_is_read(gw: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    """Newest first: every entry after the new one moves one place down, across page edges."""
    state = gw.redmine.state
    original: Recorder = gw.redmine._record

    async def record(request: web.Request) -> bytes:
        body = await original(request)
        if request.path == ENTRIES and request.query.get("offset") == "0":
            state.add_entry(user_id=ALICE, hours="1", spent_on=TODAY, issue_id=1)
        return body

    monkeypatch.setattr(gw.redmine, "_record", record)


async def test_an_entry_added_while_paging_does_not_repeat_another(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = add_entries(gw, 250)
    add_an_entry_once_the_first_page_is_read(gw, monkeypatch)
    read_ids = [e.entry_id for e in await read(gw)]
    assert len(read_ids) == len(set(read_ids))
    assert set(ids) <= set(read_ids)


async def test_entries_come_in_redmines_order(gw: Gateway) -> None:
    add_entries(gw, 250)
    days = [e.spent_on for e in await read(gw)]
    assert days == sorted(days, reverse=True)


async def test_a_failing_page_fails_the_request_in_the_gateways_shape(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_entries(gw, 450)
    original = gw.redmine._respond

    def respond(request: web.Request, body: bytes) -> web.Response:
        if request.path == ENTRIES and request.query.get("offset") == "200":
            return web.Response(status=503)
        return original(request, body)

    monkeypatch.setattr(gw.redmine, "_respond", respond)
    mark = gw.mark()
    reply = await ask(gw, "team")
    assert_error(reply, 503, "UPSTREAM_UNAVAILABLE")
    assert reply.headers["Retry-After"] == str(RETRY_AFTER_S)
    assert len(calls_to(gw, mark, ENTRIES)) > 1  # the first page was fine


# -- issues ---------------------------------------------------------------------------------------


async def test_issues_are_read_in_batches_of_a_hundred_and_cached(gw: Gateway) -> None:
    add_entries(gw, 600, issues=250)
    mark = gw.mark()
    entries = await read(gw)
    batches = calls_to(gw, mark, "/issues.json")
    assert 1 <= len(batches) <= math.ceil(250 / 100)
    assert not [c for c in gw.calls_since(mark) if c.raw_path.startswith("/issues/")]
    asked = [URL(c.raw_path).query for c in batches]
    assert all(q["status_id"] == "*" and q["limit"] == "100" for q in asked)
    assert sorted(int(i) for q in asked for i in q["issue_id"].split(",")) == list(range(1, 251))
    by_issue = {e.issue_id: e for e in entries}
    assert by_issue[1].tracker == "Bug" and by_issue[1].issue_subject == "Login page returns 500"
    assert by_issue[4].tracker == "Feature" and by_issue[5].tracker == "Support"
    mark = gw.mark()
    await read(gw, days=DateRange(day(-3), TODAY))
    assert calls_to(gw, mark, "/issues.json") == []


async def test_issue_batches_run_concurrently_within_the_bound(
    make_gateway: GatewayFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    gw = await make_gateway(upstream_page_concurrency=2)
    add_entries(gw, 900, issues=450)
    most = hold(monkeypatch, gw.redmine, "/issues.json")
    mark = gw.mark()
    entries = await read(gw)
    assert len(calls_to(gw, mark, "/issues.json")) == 5
    assert {e.issue_id for e in entries} == set(range(1, 451))
    assert 1 < most[0] <= 2


async def test_issue_facts_closed_and_without_issue(gw: Gateway) -> None:
    seed(gw.redmine.state)
    by_id = {e.entry_id: e for e in await read(gw)}
    assert by_id[3].issue_closed is True and by_id[3].tracker == "Support"
    assert by_id[1].issue_closed is False
    assert by_id[5].issue_id is None and by_id[5].tracker == NO_ISSUE
    assert by_id[5].issue_subject is None


async def test_an_issue_redmine_hides_from_the_caller_is_marked_hidden(gw: Gateway) -> None:
    state = gw.redmine.state
    audit = state.add_project("audit", members=(ALICE,))
    audit.members[BOB] = frozenset({"view_time_entries"})  # bob may see the hours, not issues
    issue = state.add_issue(audit.id, "Quarterly audit")
    entry = state.add_entry(user_id=ALICE, hours="2", spent_on=TODAY, issue_id=issue.id)
    [seen] = [e for e in await read(gw, "bob") if e.entry_id == entry.id]
    assert (seen.tracker, seen.issue_subject) == (HIDDEN_ISSUE, None)
    [alices] = [e for e in await read(gw) if e.entry_id == entry.id]
    assert (alices.tracker, alices.issue_subject) == ("Bug", "Quarterly audit")
    mark = gw.mark()
    await read(gw, "bob", days=DateRange(TODAY, TODAY))
    assert calls_to(gw, mark, "/issues.json") == []


# -- people ---------------------------------------------------------------------------------------


async def test_people_carry_their_logins(gw: Gateway) -> None:
    seed(gw.redmine.state)
    people = {e.user.user_id: e.user for e in await read(gw)}
    assert people[ALICE].username == "alice" and people[BOB].username == "bob"
    assert people[BOB].name == "Bob Tester"


async def test_users_filter_by_login_is_applied_after_the_fetch(gw: Gateway) -> None:
    seed(gw.redmine.state)
    mark = gw.mark()
    entries = await read(gw, users="bob")
    assert {e.user.user_id for e in entries} == {BOB}
    [listed] = calls_to(gw, mark, ENTRIES)
    assert "user_id" not in URL(listed.raw_path).query


# -- timers ---------------------------------------------------------------------------------------


async def test_a_reused_entry_id_gets_no_timer_facts(gw: Gateway) -> None:
    recorded = await gw.timed(30)
    entry_id = recorded["redmine_time_entry_id"]
    [mine] = [e for e in await read(gw) if e.entry_id == entry_id]
    assert mine.started_at is not None
    # Deleted in Redmine directly, then Redmine gives its id to bob's next entry.
    gw.redmine.state.delete_entry(entry_id)
    reused = gw.redmine.state.add_entry(user_id=BOB, hours="1", spent_on=TODAY, issue_id=2)
    assert reused.id == entry_id
    [theirs] = [e for e in await read(gw) if e.entry_id == entry_id]
    assert theirs.user.user_id == BOB
    assert theirs.started_at is None and theirs.ended_at is None


async def test_a_timer_split_at_midnight_gives_each_day_its_part(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(split_at_midnight=True)
    gw.clock.advance(hours=14, minutes=30)  # 23:30
    started = gw.clock.now()
    recorded = await gw.timed(60)
    assert len(recorded["redmine_time_entry_ids"]) == 2
    midnight = dt.datetime(2026, 3, 3, tzinfo=dt.UTC)
    entries = sorted(await read(gw, days=DateRange(TODAY, day(1))), key=lambda e: e.spent_on)
    assert [(e.started_at, e.ended_at) for e in entries] == [
        (started, midnight),
        (midnight, started + dt.timedelta(hours=1)),
    ]


def test_span_on_an_unsplit_timer_is_the_whole_timer() -> None:
    start = dt.datetime(2026, 3, 2, 23, 30, tzinfo=dt.UTC)
    timer = Timer(
        id=1_000_000_000_001,
        user=Owner(id=ALICE, username="alice", name="Alice"),
        task_uuid="1",
        issue_id=1,
        project_id=1,
        project_slug="web-app",
        started_at=start,
        ended_at=start + dt.timedelta(hours=1),
        created_at=start,
        status="recorded",
        portions=(Portion(spent_on=TODAY, minutes=60, hours=Decimal(1)),),
    )
    assert span_on(timer, TODAY, dt.UTC) == (start, start + dt.timedelta(hours=1))


async def test_the_running_timer_counts_its_hours_so_far(gw: Gateway) -> None:
    running = await gw.start(task_uuid="2", description="reviewing")
    gw.clock.advance(minutes=20)
    [entry] = [e for e in await read(gw) if e.is_running]
    assert entry.entry_id == running["id"]
    assert entry.hours == Decimal("0.33")
    assert entry.started_at == gw.clock.now() - dt.timedelta(minutes=20)
    assert entry.ended_at is None
    assert (entry.tracker, entry.issue_subject) == ("Bug", "Add CSV export")
    assert entry.user.username == "alice" and entry.comments == "reviewing"


# -- fold: the aggregates' read -------------------------------------------------------------------


async def fold(gw: Gateway, login: str = "alice", **scope: str) -> list[Entry]:
    users = tuple(scope.pop("users").split(",")) if "users" in scope else ()
    wanted = Scope(days=MONTH, project_slug=scope.get("project_slug"), users=users)
    handed: list[Entry] = []
    await gw.app[ENTRY_SOURCE].fold(caller(gw, login), wanted, handed.append)
    return handed


async def test_fold_hands_on_each_page_before_the_next_is_asked_for(
    make_gateway: GatewayFactory,
) -> None:
    """Entries are handed on as their pages arrive, not once every page is in (so the
    aggregates need not keep them): one page at a time, people and issues cached already."""
    gw = await make_gateway(upstream_page_concurrency=1)
    ids = add_entries(gw, 1000)
    await fold(gw)  # people and issues are cached now
    mark = gw.mark()
    asked_when_handed: list[int] = []

    def add(entry: Entry) -> None:
        asked_when_handed.append(len(calls_to(gw, mark, ENTRIES)))

    wanted = Scope(days=MONTH, project_slug=None, users=())
    await gw.app[ENTRY_SOURCE].fold(caller(gw), wanted, add)
    assert len(asked_when_handed) == len(ids)
    # All but the last page or so were handed on before the last page was asked for.
    assert sum(asked < 10 for asked in asked_when_handed) >= 800


@pytest.mark.parametrize(
    "scope",
    [{}, {"users": "bob"}, {"users": "me,bob"}, {"users": str(BOB)}, {"project_slug": "web-app"}],
)
async def test_fold_hands_on_the_entries_as_listed_without_the_running_timer(
    gw: Gateway, scope: dict[str, str]
) -> None:
    seed(gw.redmine.state)
    await gw.start(task_uuid="2")
    users = tuple(scope["users"].split(",")) if "users" in scope else ()
    wanted = Scope(days=MONTH, project_slug=scope.get("project_slug"), users=users)
    listed = await gw.app[ENTRY_SOURCE].entries(caller(gw), wanted)
    handed: list[Entry] = []
    await gw.app[ENTRY_SOURCE].fold(caller(gw), wanted, handed.append)
    assert sorted(e.entry_id for e in handed) == sorted(
        e.entry_id for e in listed if not e.is_running
    )
    assert {e.entry_id: e for e in handed} == {e.entry_id: e for e in listed if not e.is_running}


async def test_fold_hands_on_an_entry_repeated_by_a_shifted_page_once(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = add_entries(gw, 250)
    add_an_entry_once_the_first_page_is_read(gw, monkeypatch)
    handed = [e.entry_id for e in await fold(gw)]
    assert len(handed) == len(set(handed))
    assert set(ids) <= set(handed)
