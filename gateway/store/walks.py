"""Reads and sweeps over every bucket: the outbox's due items, the timer counts metrics show,
the items set aside, and pruning settled timers whose retention ended.

Each walk is one pipeline of a command or two per bucket: on a cluster the pipeline is split by
node, so one round trip per master finds what is due on every shard.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import NoScriptError

from gateway.store import scripts
from gateway.store.buckets import BUCKETS, bucket_of_timer, bucket_of_user
from gateway.store.keys import Keys
from gateway.store.members import parsed_member, score
from gateway.store.nodes import StoreClient


@dataclass(frozen=True)
class Pruned:
    seen: int
    pruned: int


@dataclass(frozen=True)
class TimerCounts:
    running: int
    outbox_depth: int
    oldest_queued_at: dt.datetime | None


class BucketWalks:
    def __init__(self, redis: StoreClient, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._prune = redis.register_script(scripts.PRUNE_SETTLED)

    async def _each_bucket(self, *commands: Callable[[Any, int], object]) -> list[list[Any]]:
        """Runs the commands for every bucket in one pipeline; their answers, bucket by bucket."""
        pipe = self._redis.pipeline(transaction=False)
        for bucket in range(BUCKETS):
            for command in commands:
                command(pipe, bucket)
        answers = await pipe.execute()
        width = len(commands)
        return [answers[i : i + width] for i in range(0, len(answers), width)]

    async def due_outbox_ids(self, now: dt.datetime, limit: int) -> list[int]:
        """Up to `limit` outbox items due by `now`, the longest due first, from every bucket."""
        per_bucket = await self._each_bucket(
            lambda pipe, b: pipe.zrangebyscore(
                self._keys.outbox(b), "-inf", score(now), start=0, num=limit, withscores=True
            )
        )
        due = sorted((due_at, int(member)) for (items,) in per_bucket for member, due_at in items)
        return [timer_id for _, timer_id in due[:limit]]

    async def timer_counts(self) -> TimerCounts:
        """Timers running, entries in the outbox and when the oldest of them entered it: three
        O(1) reads per bucket in one round trip (metrics)."""
        per_bucket = await self._each_bucket(
            lambda pipe, b: pipe.scard(self._keys.running_timers(b)),
            lambda pipe, b: pipe.zcard(self._keys.outbox(b)),
            lambda pipe, b: pipe.zrange(self._keys.outbox_since(b), 0, 0, withscores=True),
        )
        oldest = [items[0][1] for _, _, items in per_bucket if items]
        return TimerCounts(
            running=sum(int(running) for running, _, _ in per_bucket),
            outbox_depth=sum(int(depth) for _, depth, _ in per_bucket),
            oldest_queued_at=dt.datetime.fromtimestamp(min(oldest), dt.UTC) if oldest else None,
        )

    async def unreadable_ids(self) -> list[int]:
        per_bucket = await self._each_bucket(
            lambda pipe, b: pipe.smembers(self._keys.unreadable(b))
        )
        return sorted(int(m) for (members,) in per_bucket for m in members)

    async def settled_count(self) -> int:
        per_bucket = await self._each_bucket(lambda pipe, b: pipe.zcard(self._keys.settled(b)))
        return sum(int(count) for (count,) in per_bucket)

    async def prune_settled(self, now: dt.datetime, limit: int) -> Pruned:
        """Removes up to `limit` recorded timers whose retention ended by `now`, each with its
        place in its user's timers and its entries' mappings (one script each, one round trip)."""
        per_bucket = await self._each_bucket(
            lambda pipe, b: pipe.zrangebyscore(
                self._keys.settled(b), "-inf", score(now), start=0, num=limit
            )
        )
        members = [str(m) for (found,) in per_bucket for m in found][:limit]
        if not members:
            return Pruned(0, 0)
        try:
            pruned = await self._prune_members(members, now)
        except NoScriptError:
            # A master that never ran it (new, or after a failover); pruning is idempotent.
            self._prune.sha = await self._redis.script_load(self._prune.script)
            pruned = await self._prune_members(members, now)
        return Pruned(len(members), pruned)

    async def _prune_members(self, members: list[str], now: dt.datetime) -> int:
        pipe = self._redis.pipeline(transaction=False)
        timer_ids: list[int] = []
        for member in members:
            timer_id, user_id, entry_ids = parsed_member(member)
            bucket = bucket_of_user(user_id)
            timer_ids.append(timer_id)
            pipe.evalsha(
                self._prune.sha,
                4,
                self._keys.settled(bucket),
                self._keys.timer(bucket, timer_id),
                self._keys.user_timers(user_id),
                self._keys.entry_timers(bucket),
                member,
                score(now),
                timer_id,
                *entry_ids,
            )
        done = [int(n) for n in await pipe.execute()]
        # An id from before buckets also leaves the map the migration wrote (not atomically with
        # its record: a mapping left behind only points at a timer that no longer exists).
        legacy = [
            str(timer_id)
            for timer_id, n in zip(timer_ids, done, strict=True)
            if n and bucket_of_timer(timer_id) is None
        ]
        if legacy:
            await self._redis.hdel(self._keys.legacy_buckets(), *legacy)
        return sum(done)
