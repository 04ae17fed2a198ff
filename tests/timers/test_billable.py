"""GATEWAY_BILLABLE_FIELD_ID: `billable` on start, manual and stop; shown, filtered, summed."""

from typing import Any

import pytest

from tests.analytics.wiring import ask
from tests.timers.conftest import ALICE, Gateway, GatewayFactory, assert_error, posted_entry

BILLABLE = 3
TIMER_FIELD = 2


@pytest.fixture
async def gw(make_gateway: GatewayFactory) -> Gateway:
    gateway = await make_gateway(billable_field_id=BILLABLE)
    gateway.redmine.state.time_entry_fields[BILLABLE] = "Billable"
    return gateway


async def test_billable_on_start_is_posted_as_1_and_shown(gw: Gateway) -> None:
    started = await gw.start(billable=True)
    assert started["billable"] is True
    gw.clock.advance(minutes=30)
    mark = gw.mark()
    stopped = await gw.stop(started["id"])
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post)["custom_fields"] == [{"id": BILLABLE, "value": "1"}]
    [entry] = gw.redmine.entries_for(ALICE)
    assert entry.custom_value(BILLABLE) == "1"
    assert stopped["billable"] is True


async def test_billable_on_stop_overrides_the_start(gw: Gateway) -> None:
    started = await gw.start(billable=True)
    gw.clock.advance(minutes=30)
    stopped = await gw.stop(started["id"], billable=False)
    [entry] = gw.redmine.entries_for(ALICE)
    assert (entry.custom_value(BILLABLE), stopped["billable"]) == ("0", False)


async def test_a_manual_entry_takes_billable_too(gw: Gateway) -> None:
    await gw.start(duration="1h", date="2026-03-01", billable=True)
    [entry] = gw.redmine.entries_for(ALICE)
    assert entry.custom_value(BILLABLE) == "1"


async def test_unsaid_billable_posts_no_value(gw: Gateway) -> None:
    mark = gw.mark()
    recorded = await gw.timed(30)
    [post] = gw.entry_posts_since(mark)
    assert "custom_fields" not in posted_entry(post)
    assert recorded["billable"] is None


async def test_billable_goes_with_the_timer_id_field(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway(billable_field_id=BILLABLE, entry_field_id=TIMER_FIELD)
    gw.redmine.state.time_entry_fields.update({BILLABLE: "Billable", TIMER_FIELD: "Timer id"})
    mark = gw.mark()
    recorded = await gw.timed(30, billable=False)
    [post] = gw.entry_posts_since(mark)
    assert posted_entry(post)["custom_fields"] == [
        {"id": TIMER_FIELD, "value": str(recorded["id"])},
        {"id": BILLABLE, "value": "0"},
    ]


async def log_directly(gw: Gateway, hours: float, billable: Any) -> int:
    """An entry alice logs in Redmine herself."""
    entry: dict[str, Any] = {"issue_id": 2, "hours": hours, "spent_on": "2026-03-02"}
    if billable is not None:
        entry["custom_fields"] = [{"id": BILLABLE, "value": billable}]
    url = gw.redmine.url.rstrip("/") + "/time_entries.json"
    headers = {"X-Redmine-API-Key": gw.redmine.api_key_of("alice")}
    async with gw.client.session.post(url, json={"time_entry": entry}, headers=headers) as reply:
        assert reply.status == 201, await reply.text()
        entry_id: int = (await reply.json())["time_entry"]["id"]
        return entry_id


async def test_the_list_shows_filters_and_totals_billable(gw: Gateway) -> None:
    billed = await log_directly(gw, 1, "1")
    unbilled = await log_directly(gw, 2, "0")
    unsaid = await log_directly(gw, 4, None)
    timer = await gw.timed(30, billable=True)
    running = await gw.start(billable=False)
    everything = await gw.listing(project_slug="web-app")
    shown = {item["id"]: item["billable"] for item in everything.data}
    assert shown == {
        billed: True,
        unbilled: False,
        unsaid: None,
        timer["id"]: True,
        running["id"]: False,
    }
    assert (everything.body["meta"]["total_hours"], everything.body["meta"]["billable_hours"]) == (
        7.5,
        1.5,
    )
    billable = await gw.listing(project_slug="web-app", billable="true")
    assert {item["id"] for item in billable.data} == {billed, timer["id"]}
    assert billable.body["meta"]["total_hours"] == billable.body["meta"]["billable_hours"] == 1.5
    others = await gw.listing(project_slug="web-app", billable="false")
    assert {item["id"] for item in others.data} == {unbilled, unsaid, running["id"]}
    assert (others.body["meta"]["total_hours"], others.body["meta"]["billable_hours"]) == (6, 0)


async def test_without_the_field_billable_is_422_and_totals_show_null(
    make_gateway: GatewayFactory,
) -> None:
    gw = await make_gateway()
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": "1", "billable": True})
    assert_error(reply, 422, "VALIDATION_FAILED", "billable")
    assert_error(await gw.listing(billable="true"), 422, "VALIDATION_FAILED", "billable")
    started = await gw.start()
    reply = await gw.request("PUT", f"/time-trackings/{started['id']}", body={"billable": True})
    assert_error(reply, 422, "VALIDATION_FAILED", "billable")
    assert (await gw.request("GET", "/time-trackings/active")).data["id"] == started["id"]
    assert (await gw.listing()).body["meta"]["billable_hours"] is None


async def test_a_billable_that_is_not_a_boolean_is_422(gw: Gateway) -> None:
    reply = await gw.request(
        "POST", "/time-trackings", body={"task_uuid": "1", "billable": "maybe"}
    )
    assert_error(reply, 422, "VALIDATION_FAILED", "billable")
    assert_error(await gw.listing(billable="maybe"), 422, "VALIDATION_FAILED", "billable")


async def test_reports_filter_and_total_by_billable(gw: Gateway) -> None:
    await log_directly(gw, 1, "1")
    await log_directly(gw, 2, "0")
    await log_directly(gw, 4, None)
    await gw.timed(30, billable=True)
    mark = gw.mark()
    query = {"start": "2026-03-01", "end": "2026-03-02"}
    billable = (await ask(gw, "reports", billable="true", **query)).data
    assert billable["totals"]["hours"] == 1.5
    others = (await ask(gw, "reports", billable="false", **query)).data
    assert others["totals"]["hours"] == 6
    everything = (await ask(gw, "reports", **query)).data
    assert everything["totals"]["hours"] == 7.5
    sent = [c.raw_path for c in gw.calls_since(mark) if c.raw_path.startswith("/time_entries")]
    assert any(f"cf_{BILLABLE}=1" in path for path in sent)
    assert any(f"cf_{BILLABLE}=%211" in path or f"cf_{BILLABLE}=!1" in path for path in sent)


async def test_the_running_timer_counts_in_analytics_only_when_its_billable_matches(
    gw: Gateway,
) -> None:
    running = await gw.start(billable=True)
    gw.clock.advance(minutes=30)
    query = {"start": "2026-03-02", "end": "2026-03-02"}

    def ids(reply: Any) -> set[int]:
        return {e["id"] for day in reply.data["days"] for e in day["entries"]}

    assert running["id"] in ids(await ask(gw, "timeline", billable="true", **query))
    assert running["id"] not in ids(await ask(gw, "timeline", billable="false", **query))


async def test_reports_by_billable_without_the_field_are_422(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway()
    assert_error(await ask(gw, "reports", billable="true"), 422, "VALIDATION_FAILED", "billable")
