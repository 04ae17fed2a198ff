"""A timer's write, and the WAIT for its replica, while its bucket's slot moves between masters
of a real cluster: TRYAGAIN while its keys are split between them, then the new owner; each
write lands once, and a replica of the master holding it has it when the store answers."""

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from redis.asyncio import Redis
from redis.crc import key_slot
from redis.exceptions import AuthenticationError

from gateway.settings import Settings
from gateway.store.buckets import bucket_of_user
from gateway.store.connection import connected_redis
from gateway.store.keys import Keys
from gateway.store.nodes import StoreClient
from gateway.store.redis import RedisStore
from gateway.store.replication import ReplicaAcks
from gateway.timers.models import Timer
from tests.realredis import HOST
from tests.redis_cluster import (
    NodeLine,
    RedisClusterServers,
    ask,
    commands_run,
    errors_answered,
    running_cluster,
)
from tests.timers.records import a_timer

USER = 5
PASSWORD = "cluster-secret"
WAIT_MS = 2000
SETTLED_S = 1.0  # the split state is held this long before the move completes


@pytest.fixture
async def cluster() -> AsyncIterator[RedisClusterServers]:
    async with running_cluster() as servers:
        yield servers


@asynccontextmanager
async def acks_closed(client: StoreClient) -> AsyncIterator[ReplicaAcks]:
    # The split state is held for SETTLED_S: well within the store's timeout, as a slot's move
    # normally is.
    acks = ReplicaAcks(client, WAIT_MS, moving_s=3 * SETTLED_S)
    try:
        yield acks
    finally:
        await acks.aclose()


def running_timer(timer_id: int, user_id: int = USER) -> Timer:
    return a_timer(timer_id, user_id, dt.datetime.now(dt.UTC))


async def replica_of(cluster: RedisClusterServers, master: NodeLine) -> int:
    [replica] = [n.port for n in await cluster.nodes() if n.master_id == master.node_id]
    return replica


async def held_by_replica(port: int, key: str) -> str | None:
    async with Redis(host=HOST, port=port, decode_responses=True) as client:
        # A replica answers for its master's slots only when asked READONLY first.
        pipe = client.pipeline(transaction=False)
        pipe.execute_command("READONLY")
        pipe.hget(key, "json")
        _, value = await pipe.execute()
    return None if value is None else str(value)


async def test_writes_follow_their_slot_as_it_moves(cluster: RedisClusterServers) -> None:
    keys = Keys(f"cr-{uuid.uuid4().hex[:8]}")
    bucket = bucket_of_user(USER)
    slot = key_slot(keys.timer_ids(bucket).encode())
    settings = Settings(
        redmine_url="http://127.0.0.1:1/",
        secret_key="x" * 32,
        **cluster.settings(),
    )
    async with connected_redis(settings) as client, acks_closed(client) as acks:
        store = RedisStore(client, keys, acks)
        source = await cluster.master_of_slot(slot)
        target = next(m for m in await cluster.masters() if m.port != source.port)
        first = running_timer(await store.next_timer_id(USER))
        assert await store.create_timer(first, exclusive=True) is None

        # Split: the slot migrates and only the timer's record has moved yet. A script that
        # needs it and the keys still on the source is refused with TRYAGAIN until the rest
        # follows (a second later), then lands on the target.
        await ask(target.port, "CLUSTER", "SETSLOT", slot, "IMPORTING", source.node_id)
        await ask(source.port, "CLUSTER", "SETSLOT", slot, "MIGRATING", target.node_id)
        record = keys.timer(bucket, first.id)
        await ask(source.port, "MIGRATE", HOST, target.port, "", 0, 5000, "KEYS", record)

        async def move_the_rest() -> None:
            await asyncio.sleep(SETTLED_S)  # the split state, held while the write retries
            await cluster.reshard([slot], target.port)

        mover = asyncio.create_task(move_the_rest())
        read = await store.timer(first.id)
        await store.save_timer(read, first.model_copy(update={"status": "failed"}))
        # It landed on the target (the client followed MOVED once the move was final), and the
        # target's replica had it when the store answered (read at once, never polled).
        assert await held_by_replica(await replica_of(cluster, target), record) is not None
        await mover
        assert await errors_answered(source.port, "TRYAGAIN") > 0

        # The slot moves back whole (no write meanwhile); unless the client refreshed its map of
        # slots meanwhile, the next write meets MOVED and follows it.
        await cluster.reshard([slot], source.port)
        second = running_timer(await store.next_timer_id(USER))
        assert await store.create_timer(second, exclusive=False) is None
        assert (
            await held_by_replica(await replica_of(cluster, source), keys.timer(bucket, second.id))
            is not None
        )
        assert (await store.timer(first.id)).timer.status == "failed"


async def test_a_cluster_with_a_password_takes_writes_waited_for_on_every_master(
    cluster: RedisClusterServers,
) -> None:
    """The password in GATEWAY_REDIS_URL reaches every node the gateway writes to directly (the
    masters its WAITs go to), not only the cluster client's own connections."""
    await cluster.require_password(PASSWORD)
    keys = Keys(f"pw-{uuid.uuid4().hex[:8]}")
    settings = Settings(
        redmine_url="http://127.0.0.1:1/", secret_key="x" * 32, **cluster.settings()
    )
    masters_written: set[int] = set()
    async with connected_redis(settings) as client, acks_closed(client) as acks:
        store = RedisStore(client, keys, acks)
        for user in range(1, 65):  # a user in every bucket: every master is written to
            timer = running_timer(await store.next_timer_id(user), user)
            assert await store.create_timer(timer, exclusive=True) is None
            slot = key_slot(keys.timer_ids(bucket_of_user(user)).encode())
            masters_written.add((await cluster.master_of_slot(slot)).port)
    assert len(masters_written) == 3
    for master in await cluster.masters():
        assert await commands_run(master.port, "wait", password=PASSWORD) > 0
    with pytest.raises(AuthenticationError):  # and without it, a node refuses
        await ask(cluster.live_ports()[0], "PING")
