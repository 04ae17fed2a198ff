"""Acknowledged writes: when the master has replicas, a timer's write counts as done only once
one of them has it (WAIT), so a failover cannot lose what a client was told is stored."""

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT, KeyT

log = logging.getLogger(__name__)

# How long the master's count of online replicas is trusted before it is read again (INFO
# replication, at most once per this long, on the next write). A replica that goes away meanwhile
# is noticed at once (WAIT falls short and the count is read again); one that joins is waited for
# from the next read on.
REPLICAS_CHECK_S = 1.0


class ReplicaAckTimeout(RedisTimeoutError):
    """No replica acknowledged a write in time: it is on the master, perhaps on no replica.

    A Redis timeout like any other: the request answers 503 STORE_UNAVAILABLE and is safe to
    repeat (every timer write is compare-and-set or finds its own earlier self)."""


class ReplicaAcks:
    """Runs a timer's write script and, while the master has replicas, WAITs for one of them.

    The script and its WAIT go in one pipeline, on one connection: WAIT covers the writes of the
    connection it is sent on. `wait_ms` 0: never waits.
    """

    def __init__(self, redis: Redis, wait_ms: int) -> None:
        self._redis = redis
        self._wait_ms = wait_ms
        self._replicas = 0
        self._checked_at: float | None = None
        self._is_unreadable = False

    async def run(
        self, script: AsyncScript, *, keys: Sequence[KeyT], args: Sequence[EncodableT]
    ) -> Any:
        if self._wait_ms == 0 or not await self._has_replicas():
            return await script(keys=keys, args=args)
        try:
            result, acknowledged = await self._run_and_wait(script, keys, args)
        except NoScriptError:
            # A master that never ran it (a new one after a failover): nothing was written.
            script.sha = await self._redis.script_load(script.script)
            result, acknowledged = await self._run_and_wait(script, keys, args)
        if int(acknowledged) >= 1:
            return result
        if not await self._has_replicas(fresh=True):
            # Its replica went away (or this is a new master without one yet): nothing to wait for.
            log.warning("redis write not replicated: the master has no online replica")
            return result
        raise ReplicaAckTimeout(
            f"no replica acknowledged the write within {self._wait_ms} ms "
            "(GATEWAY_REDIS_WAIT_REPLICAS_MS)"
        )

    async def _run_and_wait(
        self, script: AsyncScript, keys: Sequence[KeyT], args: Sequence[EncodableT]
    ) -> list[Any]:
        pipe = self._redis.pipeline(transaction=False)
        pipe.evalsha(script.sha, len(keys), *keys, *args)
        pipe.execute_command("WAIT", 1, self._wait_ms)
        answers: list[Any] = await pipe.execute()
        return answers

    async def _has_replicas(self, *, fresh: bool = False) -> bool:
        loop = asyncio.get_running_loop()
        if fresh or self._checked_at is None or loop.time() - self._checked_at >= REPLICAS_CHECK_S:
            # Set first: writes arriving while this read is under way use the last count.
            self._checked_at = loop.time()
            self._replicas = await self._online_replicas()
        return self._replicas > 0

    async def _online_replicas(self) -> int:
        try:
            info = await self._redis.info("replication")
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
