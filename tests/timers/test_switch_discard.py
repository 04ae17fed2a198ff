"""A start with `stop_running` (switch task) and a stop with `discard` (nothing posted)."""

from tests.timers.conftest import ALICE, Gateway, GatewayFactory, assert_error


async def test_stop_running_records_the_running_timer_and_starts_even_when_starts_reject(
    gw: Gateway,
) -> None:
    first = await gw.start()
    gw.clock.advance(minutes=45)
    # The default GATEWAY_ON_START_WHEN_RUNNING=reject refuses a plain second start.
    await gw.start(task_uuid="2", expect=409)
    reply = await gw.request(
        "POST", "/time-trackings", body={"task_uuid": "2", "stop_running": True}
    )
    assert (reply.status, reply.data["status"]) == (201, "running")
    previous = reply.body["previous"]
    assert (previous["id"], previous["status"], previous["hours"]) == (
        first["id"],
        "recorded",
        0.75,
    )
    [entry] = gw.redmine.entries_for(ALICE)
    assert entry.id == previous["redmine_time_entry_id"]
    assert (await gw.request("GET", "/time-trackings/active")).data["id"] == reply.data["id"]


async def test_stop_running_says_when_the_running_timer_was_not_recorded(gw: Gateway) -> None:
    first = await gw.start()
    gw.clock.advance(minutes=45)
    gw.redmine.state.add_entry(user_id=ALICE, hours=999, spent_on=gw.clock.now().date(), issue_id=3)
    reply = await gw.request(
        "POST", "/time-trackings", body={"task_uuid": "2", "stop_running": True}
    )
    assert (reply.status, reply.data["status"]) == (201, "running")
    previous = reply.body["previous"]
    assert (previous["id"], previous["status"]) == (first["id"], "failed")
    assert previous["failure_reason"] == "redmine_rejected"
    assert previous["errors"][0].startswith("Cannot log more than 999")


async def test_stop_running_without_a_running_timer_just_starts(gw: Gateway) -> None:
    reply = await gw.request(
        "POST", "/time-trackings", body={"task_uuid": "2", "stop_running": True}
    )
    assert (reply.status, reply.data["status"]) == (201, "running")
    assert "previous" not in reply.body


async def test_discard_ends_a_running_timer_without_posting(gw: Gateway) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=45)
    mark = gw.mark()
    reply = await gw.request("PUT", f"/time-trackings/{started['id']}", body={"discard": True})
    assert (reply.status, reply.body) == (204, None)
    assert gw.entry_posts_since(mark) == []
    assert gw.redmine.entries_for(ALICE) == []
    assert (await gw.request("GET", "/time-trackings/active")).body == {"data": None}
    assert (await gw.show(started["id"])).status == 404
    # Nothing is left behind: a new timer starts.
    await gw.start()


async def test_discard_of_a_paused_timer_works_too(gw: Gateway) -> None:
    started = await gw.start()
    await gw.request("POST", f"/time-trackings/{started['id']}/pause")
    reply = await gw.request("PUT", f"/time-trackings/{started['id']}", body={"discard": True})
    assert reply.status == 204
    assert gw.redmine.entries_for(ALICE) == []


async def test_discard_of_a_stopped_timer_is_409_and_keeps_its_entry(gw: Gateway) -> None:
    stopped = await gw.timed(30)
    reply = await gw.request("PUT", f"/time-trackings/{stopped['id']}", body={"discard": True})
    assert_error(reply, 409, "TIMER_NOT_RUNNING")
    assert (await gw.show(stopped["id"])).data["status"] == "recorded"
    assert len(gw.redmine.entries_for(ALICE)) == 1


async def test_discard_false_is_an_ordinary_stop(make_gateway: GatewayFactory) -> None:
    gw = await make_gateway()
    started = await gw.start()
    gw.clock.advance(minutes=30)
    stopped = await gw.stop(started["id"], discard=False)
    assert stopped["status"] == "recorded"


async def test_a_switch_to_a_task_that_cannot_be_timed_leaves_the_running_timer(
    gw: Gateway,
) -> None:
    first = await gw.start()
    gw.clock.advance(minutes=45)
    mark = gw.mark()
    reply = await gw.request(
        "POST", "/time-trackings", body={"task_uuid": "999", "stop_running": True}
    )
    assert_error(reply, 404, "NOT_FOUND")
    assert gw.entry_posts_since(mark) == []
    running = (await gw.request("GET", "/time-trackings/active")).data
    assert (running["id"], running["status"]) == (first["id"], "running")
