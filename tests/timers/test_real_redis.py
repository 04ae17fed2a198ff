"""Two gateway replicas on one real redis-server: atomic starts and stops, the outbox, restarts."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient, AiohttpServer
from redis.asyncio import Redis

from gateway.appkeys import OUTBOX
from gateway.timers.models import Timer
from gateway.timers.outbox_policy import RETRY_FIRST
from tests.clock import ManualClock
from tests.conftest import GatewayClient
from tests.deployments import DEPLOYMENTS, RedisDeployment, running_deployment
from tests.fakes.redmine import Canned
from tests.fakes.redmine_api import FakeRedmineApi
from tests.gateway_process import GatewayProcess, running_gateway
from tests.keyspace import Keyspace
from tests.procfs import TCP_ESTABLISHED, TCP_LISTEN, tcp_sockets
from tests.realredis import BINARY_ENV, RedisServerError, running_redis
from tests.timers.replicas import (
    ALICE_ID,
    BOB_ID,
    POLL_INTERVAL_S,
    SECRET_KEY,
    Cluster,
    HoldingRedmine,
    Json,
    active,
    audit_keys,
    auth,
    delete,
    entry_posts,
    poll_until_recorded,
    shown,
    start,
    started,
    stop,
    unique_prefix,
)

ROUNDS = 20
# Past the first retry's back-off, so the outbox finds the entry due.
PAST_BACKOFF_S = RETRY_FIRST.total_seconds() + 1


@pytest.fixture(params=DEPLOYMENTS)
async def deployment(request: pytest.FixtureRequest) -> AsyncIterator[RedisDeployment]:
    """Throw-away servers: one redis-server, or a master, its replica and a Sentinel; a missing
    binary or a failed start fails the test (no skip)."""
    async with running_deployment(request.param) as deployment:
        yield deployment


@pytest.mark.parametrize("binary", ["no-such-redis-server", "false"])
async def test_a_redis_server_that_cannot_start_fails_the_test(
    monkeypatch: pytest.MonkeyPatch, binary: str
) -> None:
    """What `real_redis` does when redis-server is missing or exits at once: raise, not skip."""
    monkeypatch.setenv(BINARY_ENV, binary)
    with pytest.raises(RedisServerError):
        async with running_redis():
            raise AssertionError("no server should have started")


@pytest.fixture
async def cluster(
    deployment: RedisDeployment,
    redmine_api: FakeRedmineApi,
    clock: ManualClock,
    aiohttp_client: AiohttpClient,
) -> AsyncIterator[Cluster]:
    cluster = Cluster(
        deployment.url,
        redmine_api,
        clock,
        unique_prefix(),
        aiohttp_client,
        deployment.settings,
    )
    yield cluster
    async with Redis.from_url(deployment.url, decode_responses=True) as redis:
        async for name in redis.scan_iter(match=f"{cluster.prefix}:*"):
            await redis.delete(name)


@pytest.fixture
async def holding_redmine(aiohttp_server: AiohttpServer, clock: ManualClock) -> HoldingRedmine:
    fake = HoldingRedmine(clock)
    server = await aiohttp_server(fake.app)
    fake.url = str(server.make_url("/"))
    return fake


@pytest.fixture
def holding_cluster(
    deployment: RedisDeployment,
    holding_redmine: HoldingRedmine,
    clock: ManualClock,
    aiohttp_client: AiohttpClient,
) -> Cluster:
    return Cluster(
        deployment.url,
        holding_redmine,
        clock,
        unique_prefix(),
        aiohttp_client,
        deployment.settings,
    )


def secrets(cluster: Cluster) -> list[str]:
    return [cluster.key_of(login) for login in ("alice", "bob", "admin")]


async def stored_timer(cluster: Cluster, timer_id: int) -> Timer:
    async with cluster.reads() as redis:
        raw = await redis.hget(Keyspace(cluster.prefix).timer(timer_id), "json")
    assert raw is not None
    return Timer.model_validate_json(raw)


async def stopped_pending(cluster: Cluster, client: GatewayClient, key: str, timer_id: int) -> None:
    """Stops a timer while Redmine answers 503: the entry waits in the outbox."""
    cluster.redmine.queue(Canned(status=503))
    status, answer = await stop(client, key, timer_id)
    assert status == 202, answer
    assert answer["data"]["status"] == "pending"


async def test_simultaneous_starts_on_two_replicas_make_one_timer(cluster: Cluster) -> None:
    a, b = await cluster.replica(), await cluster.replica()
    key = cluster.key_of("alice")
    for round_ in range(ROUNDS):
        first, second = await asyncio.gather(start(a, key), start(b, key))
        assert sorted([first[0], second[0]]) == [201, 409], (first, second)
        (_, won), (_, lost) = sorted([first, second], key=lambda answer: answer[0])
        timer_id = won["data"]["id"]
        assert lost["error_code"] == "CONFLICT"
        assert lost["data"]["id"] == timer_id
        seen_by_a, seen_by_b = await asyncio.gather(active(a, key), active(b, key))
        assert seen_by_a is not None and seen_by_a["id"] == timer_id
        assert seen_by_a == seen_by_b
        assert await delete(a if round_ % 2 else b, key, timer_id) == 204
        assert list(await asyncio.gather(active(a, key), active(b, key))) == [None, None]
    ttls = await audit_keys(cluster, secrets(cluster))
    # The losers' timers were never stored, and every winner is gone with its indexes.
    assert not [name for name in ttls if ":timer:" in name or ":running:" in name]


async def test_simultaneous_stops_on_two_replicas_post_one_entry(cluster: Cluster) -> None:
    a, b = await cluster.replica(), await cluster.replica()
    key = cluster.key_of("alice")
    for round_ in range(10):
        timer_id = await started(a if round_ % 2 else b, key)
        cluster.clock.advance(minutes=30)
        mark = len(cluster.redmine.calls)
        answers = await asyncio.gather(stop(a, key, timer_id), stop(b, key, timer_id))
        assert cluster.entry_posts(since=mark) == 1
        entry_ids = cluster.entry_ids(ALICE_ID)
        assert len(entry_ids) == round_ + 1
        entry_id = entry_ids[-1]
        # The request that stopped it posted it (200); the other one either saw the result or
        # lost the race to stop it while the post was on its way (202, still being posted: the
        # entry may be made already, its id written, and the timer not yet settled).
        outcomes = [
            (s, d["data"]["status"], d["data"]["redmine_time_entry_ids"]) for s, d in answers
        ]
        allowed = [
            (200, "recorded", [entry_id]),
            (202, "pending", []),
            (202, "pending", [entry_id]),
        ]
        assert all(o in allowed for o in outcomes), outcomes
        assert (200, "recorded", [entry_id]) in outcomes, outcomes
        assert {d["data"]["id"] for _, d in answers} == {timer_id}
        for replica in (a, b):
            data = await shown(replica, key, timer_id)
            assert (data["status"], data["redmine_time_entry_ids"]) == ("recorded", [entry_id])
            assert data["hours"] == 0.5
    await audit_keys(cluster, secrets(cluster))


async def test_retried_stop_on_the_other_replica_is_answered_without_a_new_post(
    cluster: Cluster,
) -> None:
    a, b = await cluster.replica(), await cluster.replica()
    key = cluster.key_of("alice")
    timer_id = await started(a, key)
    cluster.clock.advance(minutes=45)
    status, first = await stop(a, key, timer_id)
    assert status == 200, first
    [entry_id] = first["data"]["redmine_time_entry_ids"]
    mark = len(cluster.redmine.calls)
    for replica in (b, a, b):
        assert await stop(replica, key, timer_id) == (200, first)
    # A stop whose entry still waits for Redmine is answered as it stands, not posted again.
    pending_id = await started(b, key)
    cluster.clock.advance(minutes=15)
    await stopped_pending(cluster, b, key, pending_id)
    status, retried = await stop(a, key, pending_id)
    assert (status, retried["data"]["status"]) == (202, "pending")
    assert cluster.entry_posts(since=mark) == 1  # the one that Redmine answered with 503
    assert cluster.entry_ids(ALICE_ID) == [entry_id]
    await audit_keys(cluster, secrets(cluster))


async def test_lost_answer_is_recovered_by_the_other_replica_without_a_duplicate(
    cluster: Cluster,
) -> None:
    a, b = await cluster.replica(), await cluster.replica()
    key = cluster.key_of("alice")
    timer_id = await started(a, key)
    cluster.clock.advance(minutes=20)
    cluster.redmine.lose_answers_to_next_posts(1)
    mark = len(cluster.redmine.calls)
    status, answer = await stop(a, key, timer_id)
    assert (status, answer["data"]["status"]) == (202, "pending"), answer
    [made] = cluster.entry_ids(ALICE_ID)  # Redmine stored it; only its answer was lost
    assert await b.app[OUTBOX].run_once() == 0, "not due before its back-off"
    cluster.clock.advance(seconds=PAST_BACKOFF_S)
    assert await b.app[OUTBOX].run_once() == 1
    for replica in (a, b):
        data = await shown(replica, key, timer_id)
        assert (data["status"], data["redmine_time_entry_ids"]) == ("recorded", [made])
    assert cluster.entry_posts(since=mark) == 1
    assert cluster.entry_ids(ALICE_ID) == [made]
    assert await b.app[OUTBOX].run_once() == 0
    await audit_keys(cluster, secrets(cluster))


async def test_running_timer_survives_a_restart(cluster: Cluster) -> None:
    key = cluster.key_of("alice")
    old = await cluster.replica()
    timer_id = await started(old, key)
    await old.close()  # the whole app: its cleanup contexts close its Redis client
    cluster.clock.advance(minutes=50)
    new = await cluster.replica()
    running = await active(new, key)
    assert running is not None
    assert running["id"] == timer_id
    assert (running["status"], running["duration_minutes"]) == ("running", 50)
    mark = len(cluster.redmine.calls)
    status, answer = await stop(new, key, timer_id)
    assert status == 200, answer
    assert cluster.entry_posts(since=mark) == 1
    assert answer["data"]["redmine_time_entry_ids"] == cluster.entry_ids(ALICE_ID)
    assert await active(new, key) is None
    await audit_keys(cluster, secrets(cluster))


async def test_pending_entry_survives_a_restart_and_is_posted_by_the_new_app(
    cluster: Cluster,
) -> None:
    key = cluster.key_of("alice")
    old = await cluster.replica()
    timer_id = await started(old, key)
    cluster.clock.advance(minutes=30)
    await stopped_pending(cluster, old, key, timer_id)
    sealed = (await stored_timer(cluster, timer_id)).sealed_key
    assert sealed is not None and key not in sealed
    await old.close()
    new = await cluster.replica()
    cluster.clock.advance(seconds=PAST_BACKOFF_S)
    mark = len(cluster.redmine.calls)
    assert await new.app[OUTBOX].run_once() == 1
    assert cluster.entry_posts(since=mark) == 1
    [entry] = cluster.redmine.entries_for(ALICE_ID)  # posted as alice: the key was unsealed
    data = await shown(new, key, timer_id)
    assert (data["status"], data["redmine_time_entry_ids"]) == ("recorded", [entry.id])
    assert (await stored_timer(cluster, timer_id)).sealed_key is None
    await audit_keys(cluster, secrets(cluster))


async def test_two_outbox_workers_post_each_pending_entry_once(cluster: Cluster) -> None:
    a, b = await cluster.replica(), await cluster.replica()
    pending: list[tuple[str, int]] = []
    # Alike entries (same user, issue, day, hours and comments), as when Redmine was down.
    for n in range(10):
        key = cluster.key_of("alice" if n < 6 else "bob")
        timer_id = await started(a if n % 2 else b, key)
        cluster.clock.advance(minutes=30)
        await stopped_pending(cluster, b if n % 2 else a, key, timer_id)
        pending.append((key, timer_id))
    cluster.clock.advance(seconds=PAST_BACKOFF_S)
    mark = len(cluster.redmine.calls)
    for _ in range(10):  # bounded: until neither worker finds anything due
        if not any(await asyncio.gather(a.app[OUTBOX].run_once(), b.app[OUTBOX].run_once())):
            break
        cluster.clock.advance(seconds=PAST_BACKOFF_S)
    else:
        raise AssertionError("the outbox did not drain")
    assert cluster.entry_posts(since=mark) == 10
    recorded: list[int] = []
    for key, timer_id in pending:
        data = await shown(a, key, timer_id)
        assert data["status"] == "recorded", data
        recorded.extend(data["redmine_time_entry_ids"])
    assert sorted(recorded) == sorted(cluster.entry_ids(ALICE_ID) + cluster.entry_ids(BOB_ID))
    assert len(set(recorded)) == 10
    await audit_keys(cluster, secrets(cluster))


async def test_an_entry_still_being_posted_is_not_taken_for_an_alike_pending_one(
    holding_cluster: Cluster, holding_redmine: HoldingRedmine
) -> None:
    cluster = holding_cluster
    a, b = await cluster.replica(), await cluster.replica()
    key = cluster.key_of("alice")
    alike: list[int] = []
    for _ in range(2):
        timer_id = await started(a, key)
        cluster.clock.advance(minutes=30)
        await stopped_pending(cluster, a, key, timer_id)
        alike.append(timer_id)
    cluster.clock.advance(seconds=PAST_BACKOFF_S)
    holding_redmine.hold_next_post()
    first_pass = asyncio.create_task(a.app[OUTBOX].run_once())
    try:
        async with asyncio.timeout(5):
            await holding_redmine.stored.wait()
        # Redmine has stored replica A's entry for the first timer; its answer is on its way.
        await b.app[OUTBOX].run_once()
    finally:
        holding_redmine.release.set()
        await first_pass
    for _ in range(3):  # whatever was put back for later (bounded)
        cluster.clock.advance(seconds=PAST_BACKOFF_S)
        await asyncio.gather(a.app[OUTBOX].run_once(), b.app[OUTBOX].run_once())
    recorded = [await shown(a, key, timer_id) for timer_id in alike]
    assert [data["status"] for data in recorded] == ["recorded", "recorded"]
    entry_ids = [entry for data in recorded for entry in data["redmine_time_entry_ids"]]
    assert sorted(entry_ids) == cluster.entry_ids(ALICE_ID)
    assert len(set(entry_ids)) == 2, f"two timers, one Redmine entry: {recorded}"


async def test_background_outbox_worker_posts_a_pending_entry(cluster: Cluster) -> None:
    """The production wiring: the worker runs on its own, no test calls run_once."""
    replica = await cluster.replica(outbox_worker=True)
    key = cluster.key_of("alice")
    timer_id = await started(replica, key)
    cluster.clock.advance(minutes=30)
    await stopped_pending(cluster, replica, key, timer_id)
    cluster.clock.advance(seconds=PAST_BACKOFF_S)
    data = await poll_until_recorded(replica, key, timer_id)
    assert data["redmine_time_entry_ids"] == cluster.entry_ids(ALICE_ID)
    assert len(data["redmine_time_entry_ids"]) == 1
    await audit_keys(cluster, secrets(cluster))


async def test_redis_holds_no_raw_api_key_and_only_timers_are_permanent(cluster: Cluster) -> None:
    a, b = await cluster.replica(), await cluster.replica()
    alice, bob = cluster.key_of("alice"), cluster.key_of("bob")
    recorded = await started(a, alice)
    cluster.clock.advance(minutes=30)
    assert (await stop(b, alice, recorded))[0] == 200
    waiting = await started(b, bob)
    cluster.clock.advance(minutes=30)
    await stopped_pending(cluster, a, bob, waiting)  # holds bob's key, sealed
    await started(a, alice)  # left running
    # An entry alice logged in Redmine directly: bob's listing looks her up (the user cache).
    cluster.redmine.state.add_entry(
        user_id=ALICE_ID, hours="1", spent_on=cluster.clock.now().date(), issue_id=1
    )
    async with b.get("/time-trackings?project_slug=web-app", headers=auth(bob)) as response:
        assert response.status == 200, await response.text()
    ttls = await audit_keys(cluster, secrets(cluster))
    keys = Keyspace(cluster.prefix)
    running, outbox = keys.keys.running(ALICE_ID), keys.outbox(BOB_ID)
    assert ttls[keys.timer(waiting)] == ttls[running] == ttls[outbox] == -1
    caches = {name.split(":")[2] for name, ttl in ttls.items() if ttl > 0}
    assert {"identity", "project", "user"} <= caches, ttls
    assert (await stored_timer(cluster, waiting)).sealed_key is not None


# -- the CLI: two worker processes behind one port ----------------------------------------------

CONNECTIONS = 24  # all on one worker: 2**-23
PROCESS_ROUNDS = 12


async def listening_workers(gateway: GatewayProcess) -> list[int]:
    async with asyncio.timeout(10):
        while True:
            pids = gateway.children()
            if len(pids) == 2 and all(tcp_sockets(p, gateway.port, TCP_LISTEN) for p in pids):
                return pids
            await asyncio.sleep(POLL_INTERVAL_S)


async def call(
    session: aiohttp.ClientSession, method: str, path: str, key: str, body: Json | None = None
) -> tuple[int, Json]:
    async with session.request(method, path, json=body or {}, headers=auth(key)) as response:
        answer: Json = await response.json()
        return response.status, answer


async def test_two_worker_processes_keep_one_timer_and_post_each_entry_once(
    tmp_path: Path, redmine_api: FakeRedmineApi, deployment: RedisDeployment
) -> None:
    settings = {
        "GATEWAY_REDMINE_URL": redmine_api.url,
        "GATEWAY_WORKERS": "2",
        **deployment.env,
        "GATEWAY_SECRET_KEY": SECRET_KEY,
        "GATEWAY_KEY_PREFIX": unique_prefix(),
    }
    key = redmine_api.api_key_of("alice")
    async with (
        running_gateway(settings, tmp_path / "gateway.log") as gateway,
        AsyncExitStack() as stack,
    ):
        workers = await listening_workers(gateway)
        sessions = [
            await stack.enter_async_context(aiohttp.ClientSession(base_url=gateway.url))
            for _ in range(CONNECTIONS)
        ]
        posted: list[int] = []
        for n in range(PROCESS_ROUNDS):
            via = [sessions[(n * 6 + i) % CONNECTIONS] for i in range(6)]
            body: Json = {"task_uuid": "1"}
            answers = await asyncio.gather(
                *(call(session, "POST", "/time-trackings", key, body) for session in via[:2])
            )
            assert sorted(status for status, _ in answers) == [201, 409], answers
            timer_id = next(answer["data"]["id"] for status, answer in answers if status == 201)
            status, running = await call(via[2], "GET", "/time-trackings/active", key)
            assert (status, running["data"]["id"]) == (200, timer_id)
            status, stopped = await call(via[3], "PUT", f"/time-trackings/{timer_id}", key)
            assert status == 200, stopped
            assert await call(via[4], "PUT", f"/time-trackings/{timer_id}", key) == (200, stopped)
            assert await call(via[5], "GET", "/time-trackings/active", key) == (200, {"data": None})
            posted.extend(stopped["data"]["redmine_time_entry_ids"])
        served = {pid: tcp_sockets(pid, gateway.port, TCP_ESTABLISHED) for pid in workers}
        assert all(served.values()), f"a worker served no connection: {served}"
        assert await gateway.stop() == 0, await gateway.log_text()
    assert len(posted) == len(set(posted)) == PROCESS_ROUNDS
    assert entry_posts(redmine_api) == PROCESS_ROUNDS
    assert posted == [entry.id for entry in redmine_api.entries_for(ALICE_ID)]
    assert "Traceback" not in await gateway.log_text()


async def change(client: GatewayClient, api_key: str, timer_id: int, what: str) -> tuple[int, Json]:
    path = f"/time-trackings/{timer_id}/{what}"
    async with client.post(path, headers=auth(api_key)) as response:
        answer: Json = await response.json()
        return response.status, answer


async def test_pause_and_resume_hold_across_replicas_and_a_restart(cluster: Cluster) -> None:
    key = cluster.key_of("alice")
    first, second = await cluster.replica(), await cluster.replica()
    timer_id = await started(first, key)
    cluster.clock.advance(minutes=20)
    assert (await change(first, key, timer_id, "pause"))[0] == 200
    await first.close()
    cluster.clock.advance(hours=1)
    status, answer = await change(second, key, timer_id, "pause")
    assert (status, answer["error_code"]) == (409, "TIMER_ALREADY_PAUSED")
    paused = await active(second, key)
    assert paused is not None
    assert (paused["is_paused"], paused["duration_minutes"]) == (True, 20)
    assert (await change(second, key, timer_id, "resume"))[0] == 200
    cluster.clock.advance(minutes=25)
    third = await cluster.replica()
    mark = len(cluster.redmine.calls)
    status, answer = await stop(third, key, timer_id)
    assert status == 200, answer
    assert (answer["data"]["hours"], answer["data"]["duration_seconds"]) == (0.75, 45 * 60)
    assert cluster.entry_posts(since=mark) == 1
    await audit_keys(cluster, secrets(cluster))


async def test_simultaneous_pauses_on_two_replicas_pause_once(cluster: Cluster) -> None:
    key = cluster.key_of("alice")
    first, second = await cluster.replica(), await cluster.replica()
    for _ in range(ROUNDS):
        timer_id = await started(first, key)
        cluster.clock.advance(minutes=5)
        answers = await asyncio.gather(
            change(first, key, timer_id, "pause"), change(second, key, timer_id, "pause")
        )
        codes = sorted(
            "ok" if status == 200 else str(answer["error_code"]) for status, answer in answers
        )
        assert codes == ["TIMER_ALREADY_PAUSED", "ok"]
        paused = await shown(second, key, timer_id)
        assert len(paused["segments"]) == 1
        assert (await stop(second, key, timer_id))[0] == 200
