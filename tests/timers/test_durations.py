"""Durations as people type them: the parser (pure) and manual entries with `duration` + `date`."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.timers.durations import DURATION_MAX_S, duration_seconds
from tests.timers.conftest import ALICE, Gateway, GatewayFactory, assert_error, posted_entry


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("2h30m", 9000),
        ("2.5h", 9000),
        ("2:30", 9000),
        ("2,5h", 9000),
        (" 2h 30m ", 9000),
        ("2H30M", 9000),
        ("45m", 2700),
        ("90min", 5400),
        ("1h", 3600),
        ("0:05", 300),
        ("0.25h", 900),
        ("24:00", DURATION_MAX_S),
    ],
)
def test_the_forms_people_type(text: str, seconds: int) -> None:
    assert duration_seconds(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", "h", "2.5", "abc", "1:60", "2h30", "-1h", "2m30h", "1:5", "1d", "0:00", "0h", "25h"],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|24 hours|zero"):
        duration_seconds(text)


@given(st.integers(min_value=0, max_value=24), st.integers(min_value=0, max_value=59))
def test_every_form_of_the_same_length_agrees(hours: int, minutes: int) -> None:
    seconds = hours * 3600 + minutes * 60
    if not 0 < seconds <= DURATION_MAX_S:
        with pytest.raises(ValueError):
            duration_seconds(f"{hours}:{minutes:02d}")
        return
    forms = [f"{hours}:{minutes:02d}", f"{hours}h{minutes}m", f"{hours * 60 + minutes}m"]
    if minutes % 15 == 0:
        forms.append(f"{Decimal(seconds) / 3600}h")
    assert {duration_seconds(form) for form in forms} == {seconds}


async def test_a_duration_on_a_date_is_posted_on_that_date(gw: Gateway) -> None:
    mark = gw.mark()
    body = {"task_uuid": "2", "duration": "2h30m", "date": "2026-02-27", "comment": "Review"}
    reply = await gw.request("POST", "/time-trackings", body=body)
    assert reply.status == 201, reply.body
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post) == {
        "issue_id": 2,
        "hours": Decimal("2.5"),
        "spent_on": "2026-02-27",
        "activity_id": 9,
        "comments": "Review",
    }
    data = reply.data
    assert (data["is_manual"], data["status"], data["spent_on"]) == (True, "recorded", "2026-02-27")
    assert (data["duration_seconds"], data["hours"]) == (9000, 2.5)
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}


async def test_a_duration_without_a_date_is_for_today_in_the_gateways_zone(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway(timezone="Pacific/Auckland")  # 09:00 UTC is 22:00 there
    data = await gw.start(duration="2:30")
    assert data["spent_on"] == "2026-03-02"
    # Longer than the day so far: still that day, never split, never "in the future".
    data = await gw.start(task_uuid="2", duration="23h")
    assert (data["spent_on"], data["hours"]) == ("2026-03-02", 23)


async def test_a_duration_is_rounded_like_a_timer(gw: Gateway) -> None:
    assert (await gw.start(duration="40m", date="2026-03-01"))["hours"] == 0.75


async def test_the_same_duration_sent_again_is_answered_with_the_first(gw: Gateway) -> None:
    first = await gw.start(duration="1.5h", date="2026-03-01")
    again = await gw.start(duration="1.5h", date="2026-03-01")
    assert again["id"] == first["id"]
    assert len(gw.redmine.entries_for(ALICE)) == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"duration": "soon"}, "duration"),
        ({"duration": "25h"}, "duration"),
        ({"duration": "0m"}, "duration"),
        ({"duration": "1h", "date": "2026-03-03"}, "date"),
        ({"duration": "1h", "date": "yesterday"}, "date"),
        ({"duration": "1h", "started_at": "2026-03-02T06:00:00Z"}, "started_at"),
        ({"duration": "1h", "end": "2026-03-02T06:00:00Z"}, "ended_at"),
    ],
)
async def test_a_bad_duration_entry_is_422_and_posts_nothing(
    gw: Gateway, fields: dict[str, str], field: str
) -> None:
    mark = gw.mark()
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": "1", **fields})
    assert_error(reply, 422, "VALIDATION_FAILED", field)
    assert gw.entry_posts_since(mark) == []
