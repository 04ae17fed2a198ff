"""Redmine unreachable: what it confirmed within the grace stands in, else 503 with Retry-After."""

from typing import Any

import pytest
from fakeredis import FakeAsyncRedis

from gateway.errors import RETRY_AFTER_S
from tests.fakes.redmine import Canned
from tests.timers.conftest import ALICE, Gateway, GatewayFactory, Reply, assert_error

ACTIVE = "/time-trackings/active"
OUTAGES = [Canned(drop_connection=True), Canned(status=503)]
OUTAGE_IDS = ["unreachable", "503"]
MANUAL: dict[str, Any] = {"started_at": "2026-03-02T07:00:00Z", "ended_at": "2026-03-02T08:00:00Z"}


async def expire_identities(redis: FakeAsyncRedis) -> None:
    """As once GATEWAY_IDENTITY_TTL_S is over: the gateway has to ask Redmine who a key is."""
    cached = [key async for key in redis.scan_iter("tg:cache:identity:*")]
    if cached:
        await redis.delete(*cached)


def assert_unavailable(reply: Reply) -> None:
    assert_error(reply, 503, "UPSTREAM_UNAVAILABLE")
    assert reply.headers["Retry-After"] == str(RETRY_AFTER_S)


async def recorded_once(gw: Gateway, timer_id: int) -> None:
    """Redmine is back: the outbox posts the pending entry, once."""
    gw.redmine.outage = None
    gw.clock.advance(seconds=5)
    assert await gw.run_outbox() == 1
    shown = (await gw.show(timer_id)).data
    posted = [e for e in gw.redmine.entries_for(ALICE) if e.id == shown["redmine_time_entry_id"]]
    assert (shown["status"], len(posted)) == ("recorded", 1)
    gw.clock.advance(minutes=10)
    assert await gw.run_outbox() == 0


@pytest.mark.parametrize("outage", OUTAGES, ids=OUTAGE_IDS)
async def test_a_start_confirmed_within_the_grace_starts_while_redmine_is_down(
    gw: Gateway, redis: FakeAsyncRedis, outage: Canned
) -> None:
    await gw.timed(15)  # Redmine confirms alice's key, task 1, its default activity, log_time
    gw.clock.advance(hours=23)
    await expire_identities(redis)
    gw.redmine.outage = outage
    started = await gw.start()
    assert (started["status"], started["project_slug"]) == ("running", "web-app")
    assert (await gw.request("GET", ACTIVE)).data["id"] == started["id"]
    gw.clock.advance(minutes=30)
    pending = await gw.stop(started["id"], expect=202)
    assert (pending["status"], pending["hours"]) == ("pending", 0.5)
    await recorded_once(gw, started["id"])
    assert len(gw.redmine.entries_for(ALICE)) == 2


@pytest.mark.parametrize("identity", ["cached", "expired"])
async def test_beyond_the_grace_a_start_is_503(
    gw: Gateway, redis: FakeAsyncRedis, identity: str
) -> None:
    await gw.timed(15)
    gw.clock.advance(hours=24, minutes=1)  # GATEWAY_IDENTITY_GRACE_H defaults to 24
    if identity == "expired":
        await expire_identities(redis)
    gw.redmine.outage = Canned(drop_connection=True)
    assert_unavailable(await gw.request("POST", "/time-trackings", body={"task_uuid": "1"}))
    gw.redmine.outage = None
    assert (await gw.request("GET", ACTIVE)).body == {"data": None}


@pytest.mark.parametrize(("hours", "status"), [(0.7, 201), (0.8, 503)])
async def test_the_grace_follows_its_setting(
    make_gateway: GatewayFactory, redis: FakeAsyncRedis, hours: float, status: int
) -> None:
    gw = await make_gateway(identity_grace_h=1)
    await gw.timed(15)  # confirmed at its start: 57 minutes ago, or 63
    gw.clock.advance(hours=hours)
    await expire_identities(redis)
    gw.redmine.outage = Canned(drop_connection=True)
    reply = await gw.request("POST", "/time-trackings", body={"task_uuid": "1"})
    assert reply.status == status, reply.body


@pytest.mark.parametrize(
    ("before", "start"),
    [
        ("nothing", {"task_uuid": "1"}),
        ("identity", {"task_uuid": "1"}),
        ("task 1", {"task_uuid": "2"}),
        ("task 1", {"task_uuid": "1", "activity_id": 10}),
        ("task 1", {"task_uuid": "1", **MANUAL, "activity_id": 8}),
    ],
    ids=["nothing", "identity-only", "another-task", "another-activity", "manual"],
)
@pytest.mark.parametrize("outage", [*OUTAGES, Canned(delay_s=0.6)], ids=[*OUTAGE_IDS, "too-slow"])
async def test_a_start_nothing_confirmed_for_is_503_with_retry_after(
    make_gateway: GatewayFactory, before: str, start: dict[str, Any], outage: Canned
) -> None:
    gw = await make_gateway(upstream_timeout_s=0.2)
    if before == "identity":
        assert (await gw.request("GET", ACTIVE)).status == 200
    elif before == "task 1":
        await gw.timed(15)
    gw.redmine.outage = outage
    assert_unavailable(await gw.request("POST", "/time-trackings", body=start))
    gw.redmine.outage = None
    assert (await gw.request("GET", ACTIVE)).body == {"data": None}
    assert len(gw.redmine.entries_for(ALICE)) == (1 if before == "task 1" else 0)


@pytest.mark.parametrize("body", [{}, {"activity_id": 10}], ids=["plain", "new-activity"])
async def test_a_stop_after_the_identity_cache_expired_is_kept_pending(
    gw: Gateway, redis: FakeAsyncRedis, body: dict[str, Any]
) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=30)
    await expire_identities(redis)
    gw.redmine.outage = Canned(drop_connection=True)
    pending = await gw.stop(started["id"], expect=202, **body)
    assert (pending["status"], pending["hours"]) == ("pending", 0.5)
    assert (await gw.show(started["id"])).data["status"] == "pending"
    await recorded_once(gw, started["id"])
    [entry] = gw.redmine.entries_for(ALICE)
    assert entry.activity_id == body.get("activity_id", 9)


async def test_a_key_redmine_refused_is_never_accepted_even_within_the_grace(
    gw: Gateway, redis: FakeAsyncRedis
) -> None:
    old_key = gw.auth("alice")
    started = await gw.start()  # confirms the key and task 1
    gw.redmine.state.users[ALICE].api_key = "revoked-and-replaced"
    await expire_identities(redis)
    refused = await gw.request("GET", ACTIVE, login=None, headers=old_key)
    assert_error(refused, 401, "UNAUTHENTICATED")
    gw.redmine.outage = Canned(drop_connection=True)
    attempts = [
        ("GET", ACTIVE, None),
        ("PUT", f"/time-trackings/{started['id']}", {}),
        ("POST", "/time-trackings", {"task_uuid": "1"}),
        ("DELETE", f"/time-trackings/{started['id']}", None),
    ]
    for method, path, body in attempts:
        reply = await gw.request(method, path, login=None, headers=old_key, body=body)
        assert_unavailable(reply)  # it would have to be asked again, and cannot be
    gw.redmine.outage = None
    assert (await gw.show(started["id"])).data["status"] == "running"


@pytest.mark.parametrize("fault", ["503", "lost"])
async def test_a_manual_entry_whose_dry_run_gets_no_answer_is_posted(
    gw: Gateway, fault: str
) -> None:
    if fault == "lost":
        gw.redmine.lose_answers_to_next_posts(1)
    else:
        gw.redmine.fault_next_posts(Canned(status=503))
    mark = gw.mark()
    manual = await gw.start(**MANUAL)
    assert (manual["status"], manual["hours"]) == ("recorded", 1.0)
    assert gw.paths_since(mark).count("/time_entries.json") == 2  # the dry run, the entry
    [entry] = gw.redmine.entries_for(ALICE)
    assert entry.id == manual["redmine_time_entry_id"]


@pytest.mark.parametrize("fault", ["503", "dropped"])
async def test_a_manual_entry_redmine_cannot_take_now_is_kept_pending(
    gw: Gateway, fault: str
) -> None:
    canned = Canned(status=503) if fault == "503" else Canned(drop_connection=True)
    gw.redmine.fault_next_posts(canned, canned)  # the dry run, then the entry
    manual = await gw.start(expect=202, **MANUAL)
    assert (manual["status"], manual["is_manual"]) == ("pending", True)
    assert gw.redmine.entries_for(ALICE) == []
    await recorded_once(gw, manual["id"])


async def test_a_refusal_a_skipped_dry_run_missed_shows_when_the_entry_is_posted(
    gw: Gateway,
) -> None:
    docs = gw.redmine.state.add_project(
        "docs", members=[ALICE], permissions=frozenset({"view_issues", "view_time_entries"})
    )
    issue = gw.redmine.state.add_issue(docs.id, "Write the manual")
    gw.redmine.fault_next_posts(Canned(status=503))
    body = {"task_uuid": str(issue.id), **MANUAL}
    reply = await gw.request("POST", "/time-trackings", body=body)
    assert_error(reply, 422, "REDMINE_REJECTED", "redmine")
    assert reply.body["data"]["status"] == "failed"
    assert gw.redmine.entries_for(ALICE) == []


@pytest.mark.parametrize("outage", OUTAGES, ids=OUTAGE_IDS)
async def test_a_manual_entry_confirmed_within_the_grace_is_kept_while_redmine_is_down(
    gw: Gateway, redis: FakeAsyncRedis, outage: Canned
) -> None:
    await gw.timed(15)
    await expire_identities(redis)
    gw.redmine.outage = outage
    manual = await gw.start(expect=202, **MANUAL)
    assert (manual["status"], manual["project_slug"]) == ("pending", "web-app")
    await recorded_once(gw, manual["id"])


async def test_an_answer_that_cannot_be_read_is_a_502_saying_so(gw: Gateway) -> None:
    gw.redmine.queue(Canned(body=b"{"))  # the identity check
    reply = await gw.request("GET", ACTIVE)
    assert_error(reply, 502, "UPSTREAM_ANSWER_INVALID")
    assert "invalid" in reply.body["message"]
    assert "Retry-After" not in reply.headers
