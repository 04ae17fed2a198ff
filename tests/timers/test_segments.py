"""Working segments: the open one, clipping to an end, the cap, and planning entries from them."""

import datetime as dt
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.rounding import RoundingPolicy, hours_for, rounded_minutes
from gateway.timers.rules import EntryPlan, plan_portions, plan_work
from gateway.timers.segments import (
    Segment,
    capped,
    clipped,
    day_seconds,
    is_over,
    running_work,
    worked_seconds,
)

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BERLIN = ZoneInfo("Europe/Berlin")
PLAN = EntryPlan(RoundingPolicy(15, "nearest", 15), ZoneInfo("UTC"), split_at_midnight=False)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def seg(start_min: float, end_min: float) -> Segment:
    return Segment(started_at=at(start_min), ended_at=at(end_min))


def test_a_timer_never_paused_has_one_open_segment_from_its_start() -> None:
    assert running_work(T0, (), None, None, at(40)) == (seg(0, 40),)


def test_a_paused_timer_has_only_its_closed_segments() -> None:
    assert running_work(T0, (seg(0, 30),), None, at(30), at(90)) == (seg(0, 30),)


def test_a_resumed_timer_has_its_closed_segments_and_the_open_one_since_the_resume() -> None:
    work = running_work(T0, (seg(0, 30),), at(60), None, at(75))
    assert work == (seg(0, 30), seg(60, 75))
    assert worked_seconds(work) == 45 * 60


def test_clipping_drops_later_segments_and_cuts_the_one_across_the_end() -> None:
    work = (seg(0, 30), seg(60, 90), seg(120, 150))
    assert clipped(work, at(75)) == (seg(0, 30), seg(60, 75))
    assert clipped(work, at(45)) == (seg(0, 30),)
    assert clipped(work, at(0)) == (seg(0, 0),)


def test_the_cap_keeps_the_first_segments_up_to_the_limit() -> None:
    work = (seg(0, 60), seg(120, 240))
    assert capped(work, 90 * 60) == (seg(0, 60), seg(120, 150))
    assert capped(work, 60 * 60) == (seg(0, 60),)
    assert capped(work, 10 * 3600) == work


@pytest.mark.parametrize(
    ("limit_s", "over"), [(0, False), (3 * 3600, False), (3 * 3600 - 1, True), (3600, True)]
)
def test_over_the_limit_only_when_longer_and_never_when_off(limit_s: int, over: bool) -> None:
    assert is_over((seg(0, 120), seg(150, 210)), limit_s) is over


def test_paused_work_posts_the_rounded_sum_of_its_segments() -> None:
    # 20 + 20 minutes: 40 rounds to 45, where each rounded alone would post 30.
    [portion] = plan_work((seg(0, 20), seg(300, 320)), PLAN)
    assert (portion.spent_on, portion.minutes, portion.hours) == (T0.date(), 45, hours_for(45))


def test_split_at_midnight_allocates_by_the_time_worked_on_each_day() -> None:
    plan = EntryPlan(RoundingPolicy(15, "nearest", 15), BERLIN, split_at_midnight=True)
    evening = dt.datetime(2026, 3, 2, 21, 0, tzinfo=dt.UTC)  # 22:00 in Berlin
    work = (
        Segment(started_at=evening, ended_at=evening + dt.timedelta(hours=1)),
        # Paused over midnight; resumed 01:00 Berlin for 2 hours.
        Segment(
            started_at=evening + dt.timedelta(hours=3),
            ended_at=evening + dt.timedelta(hours=5),
        ),
    )
    days = [(p.spent_on, p.minutes) for p in plan_work(work, plan)]
    assert days == [(dt.date(2026, 3, 2), 60), (dt.date(2026, 3, 3), 120)]


def test_work_of_no_length_counts_for_the_day_it_started() -> None:
    assert day_seconds((seg(0, 0),), BERLIN) == [(T0.date(), Fraction(0))]


starts = st.integers(min_value=0, max_value=6 * 60)
lengths = st.integers(min_value=0, max_value=4 * 3600)
segment_lists = st.lists(st.tuples(starts, lengths), min_size=1, max_size=6).map(
    lambda pairs: tuple(
        Segment(
            started_at=T0 + dt.timedelta(hours=i * 5, minutes=gap),
            ended_at=T0 + dt.timedelta(hours=i * 5, minutes=gap, seconds=length),
        )
        for i, (gap, length) in enumerate(pairs)
    )
)


@given(segment_lists)
def test_the_posted_minutes_are_the_rounded_sum_of_the_segments(work: tuple[Segment, ...]) -> None:
    for split in (False, True):
        plan = EntryPlan(RoundingPolicy(15, "nearest", 15), BERLIN, split_at_midnight=split)
        portions = plan_work(work, plan)
        expected = rounded_minutes(sum(s.seconds for s in work), plan.rounding)
        assert sum(p.minutes for p in portions) == expected


@given(segment_lists, st.integers(min_value=1, max_value=20 * 3600))
def test_capped_work_is_at_most_the_limit_and_a_prefix_of_the_work(
    work: tuple[Segment, ...], limit_s: int
) -> None:
    kept = capped(work, limit_s)
    assert worked_seconds(kept) == min(worked_seconds(work), limit_s)
    assert all(k.started_at == w.started_at for k, w in zip(kept, work, strict=False))
    assert kept[:-1] == work[: len(kept) - 1]


@given(starts, lengths)
def test_one_segment_plans_exactly_like_its_start_and_end(gap: int, length: int) -> None:
    start = T0 + dt.timedelta(hours=20, minutes=gap)
    end = start + dt.timedelta(seconds=length)
    for split in (False, True):
        plan = EntryPlan(RoundingPolicy(15, "up", 15), BERLIN, split_at_midnight=split)
        segment = Segment(started_at=start, ended_at=end)
        assert plan_work((segment,), plan) == plan_portions(start, end, plan)
