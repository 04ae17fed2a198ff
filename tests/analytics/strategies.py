"""Hypothesis strategies for time entries around a date range."""

import datetime as dt
from decimal import Decimal

from hypothesis import strategies as st

from gateway.analytics.records import NO_ISSUE, DateRange, Entry, Person

PEOPLE = [
    Person(user_id=1, username="alice", name="Alice Archer"),
    Person(user_id=2, username="bob", name="Bob Baker"),
    Person(user_id=3, username=None, name="Carol Clark"),
    Person(user_id=4, username=None, name="Carol Clark"),
]
TRACKERS = {101: "Feature", 102: "Bug", 103: "Support", 104: "Bug"}
ACTIVITIES = ["Development", "Design", "Meeting"]


@st.composite
def _entry(draw: st.DrawFn, entry_id: int, days: DateRange) -> Entry:
    # Days a little outside the range too, so filtering is exercised.
    spent_on = draw(st.dates(days.start - dt.timedelta(days=2), days.end + dt.timedelta(days=2)))
    issue_id = draw(st.sampled_from([None, *TRACKERS]))
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    if draw(st.booleans()):
        midnight = dt.datetime.combine(spent_on, dt.time(), tzinfo=dt.UTC)
        started_at = midnight + dt.timedelta(seconds=draw(st.integers(0, 86_399)))
        ended_at = started_at + dt.timedelta(seconds=draw(st.integers(0, 4 * 3600)))
    is_running = started_at is not None and draw(st.integers(0, 9)) == 0
    return Entry(
        entry_id=entry_id,
        user=draw(st.sampled_from(PEOPLE)),
        issue_id=issue_id,
        issue_subject=None if issue_id is None else f"Issue {issue_id}",
        tracker=NO_ISSUE if issue_id is None else TRACKERS[issue_id],
        issue_closed=issue_id is not None and draw(st.booleans()),
        activity=draw(st.sampled_from(ACTIVITIES)),
        hours=Decimal(draw(st.integers(0, 1200))).scaleb(-2),
        spent_on=spent_on,
        comments="",
        started_at=started_at,
        ended_at=None if is_running else ended_at,
        is_running=is_running,
    )


@st.composite
def entries_in(draw: st.DrawFn, days: DateRange) -> list[Entry]:
    """Up to 30 entries with distinct ids, some outside `days`, some timed, maybe one running."""
    count = draw(st.integers(0, 30))
    return [draw(_entry(n + 1, days)) for n in range(count)]
