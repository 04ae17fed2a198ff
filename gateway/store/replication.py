"""Acknowledged writes: when the master has replicas, a timer's write counts as done only once
one of them has it (WAIT), so a failover cannot lose what a client was told is stored."""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import AskError, MovedError, NoScriptError, ResponseError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT, KeyT

from gateway.store.nodes import StoreClient, write_nodes

log = logging.getLogger(__name__)

# How long the master's count of online replicas is trusted before it is read again (INFO
# replication, at most once per this long, on the next write). A replica that goes away meanwhile
# is noticed at once (WAIT falls short and the count is read again); one that joins is waited for
# from the next read on.
REPLICAS_CHECK_S = 1.0
# While a write's slot is moving (MOVED, TRYAGAIN) it is sent again, TRYAGAIN after a pause
# growing from the first to the last of these, until the store's timeout has passed; then it is
# answered 503, safe to repeat.
TRY_AGAIN_FIRST_S = 0.02
TRY_AGAIN_MAX_S = 0.2


class ReplicaAckTimeout(RedisTimeoutError):
    """No replica acknowledged a write in time: it is on the master, perhaps on no replica.

    A Redis timeout like any other: the request answers 503 STORE_UNAVAILABLE and is safe to
    repeat (every timer write is compare-and-set or finds its own earlier self)."""


class SlotKeptMoving(RedisTimeoutError):
    """The slot of a write kept moving (MOVED, TRYAGAIN) past GATEWAY_REDIS_TIMEOUT_S; the write
    was not made (a redirect always comes before a script runs): 503, safe to repeat."""


class ReplicaAcks:
    """Runs a timer's write script and, while its master has replicas, WAITs for one of them.

    The script and its WAIT go in one pipeline, on one connection to the master that holds the
    script's keys: WAIT covers the writes of the connection it is sent on. On a cluster a slot
    that moved is followed (MOVED: learn the new master; ASK: ask the importing one). `wait_ms`
    0: never waits.
    """

    def __init__(self, redis: StoreClient, wait_ms: int, moving_s: float = 2.0) -> None:
        self._nodes = write_nodes(redis, moving_s)
        self._wait_ms = wait_ms
        self._moving_s = moving_s  # GATEWAY_REDIS_TIMEOUT_S
        # Per node: its count of online replicas and when it was read.
        self._replicas: dict[str, tuple[float, int]] = {}
        self._is_unreadable = False

    async def aclose(self) -> None:
        await self._nodes.aclose()

    async def run(
        self, script: AsyncScript, *, keys: Sequence[KeyT], args: Sequence[EncodableT]
    ) -> Any:
        if self._wait_ms == 0:
            return await script(keys=keys, args=args)
        key = str(keys[0])
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + self._moving_s, TRY_AGAIN_FIRST_S
        while loop.time() < deadline:
            try:
                return await self._at_the_slots_master(script, keys, args, key)
            except MovedError:
                await self._nodes.moved(key)
            except TryAgainError:
                # Its slot is being moved and only some of its keys have arrived yet.
                await asyncio.sleep(pause)
                pause = min(2 * pause, TRY_AGAIN_MAX_S)
            except ReplicaAckTimeout:
                raise
            except (RedisConnectionError, RedisTimeoutError):
                # Its master may be gone: the next request asks for the one that took over.
                await self._nodes.moved(key)
                raise
        raise SlotKeptMoving(f"the slot of {key} kept moving; the write was not made")

    async def _at_the_slots_master(
        self, script: AsyncScript, keys: Sequence[KeyT], args: Sequence[EncodableT], key: str
    ) -> Any:
        """One try; a redirect (MOVED, ASK, TRYAGAIN) always comes before the script runs."""
        name, node = await self._nodes.node_for(key)
        if not await self._has_replicas(name, node):
            return await script(keys=keys, args=args)
        try:
            return await self._acknowledged(script, keys, args, name, node)
        except MovedError:
            raise  # a kind of AskError in redis-py, but the slot has a new owner for good
        except AskError as redirect:
            # Its slot is moving and all its keys have gone: ask the importing master. (On a
            # script that also names a key that does not exist yet, it answers TRYAGAIN until
            # the move ends: a slot's move must end within GATEWAY_REDIS_TIMEOUT_S.)
            name, node = self._nodes.node_at(redirect.host, int(redirect.port))
            return await self._acknowledged(script, keys, args, name, node, asking=True)

    async def _acknowledged(
        self,
        script: AsyncScript,
        keys: Sequence[KeyT],
        args: Sequence[EncodableT],
        name: str,
        node: Redis,
        *,
        asking: bool = False,
    ) -> Any:
        try:
            result, acknowledged = await self._run_and_wait(node, script, keys, args, asking)
        except NoScriptError:
            # A master that never ran it (a new one after a failover): nothing was written.
            script.sha = await node.script_load(script.script)
            result, acknowledged = await self._run_and_wait(node, script, keys, args, asking)
        if int(acknowledged) >= 1:
            return result
        if not await self._has_replicas(name, node, fresh=True):
            # Its replica went away (said once, by _has_replicas): nothing could acknowledge it.
            return result
        raise ReplicaAckTimeout(
            f"no replica acknowledged the write within {self._wait_ms} ms "
            "(GATEWAY_REDIS_WAIT_REPLICAS_MS)"
        )

    async def _run_and_wait(
        self,
        node: Redis,
        script: AsyncScript,
        keys: Sequence[KeyT],
        args: Sequence[EncodableT],
        asking: bool,
    ) -> list[Any]:
        pipe = node.pipeline(transaction=False)
        if asking:
            pipe.execute_command("ASKING")
        pipe.evalsha(script.sha, len(keys), *keys, *args)
        pipe.execute_command("WAIT", 1, self._wait_ms)
        answers: list[Any] = await pipe.execute()
        return answers[-2:]

    async def _has_replicas(self, name: str, node: Redis, *, fresh: bool = False) -> bool:
        now = asyncio.get_running_loop().time()
        checked_at, replicas = self._replicas.get(name, (None, 0))
        if fresh or checked_at is None or now - checked_at >= REPLICAS_CHECK_S:
            # Set first: writes arriving while this read is under way use the last count.
            self._replicas[name] = (now, replicas)
            before, replicas = replicas, await self._online_replicas(node)
            self._replicas[name] = (now, replicas)
            if before > 0 and replicas == 0:
                # A replica lost, or a master just promoted: a failover now would lose writes.
                log.warning("redis master has no online replica, writes not waited node=%s", name)
            elif checked_at is None and replicas == 0:
                log.info("redis master has no online replica, writes not waited node=%s", name)
            elif before == 0 and replicas > 0:
                log.info("redis master has an online replica, writes waited node=%s", name)
        return replicas > 0

    async def _online_replicas(self, node: Redis) -> int:
        try:
            info = await node.info("replication")
        except ResponseError as exc:
            # INFO refused (a managed Redis may rename it; the embedded store has none).
            if not self._is_unreadable:
                self._is_unreadable = True
                log.warning("redis replicas unknown, writes are not waited on error=%s", exc)
            return 0
        return online_replicas(info)


def online_replicas(replication: Mapping[str, Any]) -> int:
    """Replicas an `INFO replication` answer lists as online (those WAIT can count on)."""
    return sum(
        1
        for name, value in replication.items()
        if name.startswith("slave") and isinstance(value, dict) and value.get("state") == "online"
    )
