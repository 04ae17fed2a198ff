"""RedisStore: domain-named methods over redis.asyncio."""

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError

from gateway.errors import NotFound
from gateway.store import scripts
from gateway.store.buckets import bucket_of_timer, bucket_of_user, bucketed_timer_id
from gateway.store.caches import Caches
from gateway.store.keys import Keys
from gateway.store.members import score, settled_member
from gateway.store.nodes import StoreClient
from gateway.store.posting import PostingLocks
from gateway.store.replication import ReplicaAcks
from gateway.store.walks import BucketWalks
from gateway.timers.models import Timer

OutboxChange = Literal["keep", "remove"] | dt.datetime


@dataclass(frozen=True)
class Versioned:
    """A timer as read, with the version a later save must still find."""

    timer: Timer
    version: str


@dataclass(frozen=True)
class Retention:
    """How long a recorded timer's record is kept: until a moment on the gateway's clock (when
    the sweep prunes it with its indexes), and as a TTL on the record itself (Redis's clock)."""

    until: dt.datetime
    ttl: dt.timedelta


class TimerChanged(Exception):
    """Someone else changed the timer between our read and our write."""


class UnreadableTimer(Exception):
    """A stored timer record that this version of the gateway cannot read."""


# A manual entry sent again within this long (a client retrying after a lost answer) is answered
# with the first one instead of becoming a second.
MANUAL_RETRY_WINDOW_S = 86_400


class RedisStore:
    def __init__(self, redis: StoreClient, keys: Keys, acks: ReplicaAcks | None = None) -> None:
        self._redis = redis
        self._keys = keys
        # A timer's writes (create, save, discard) are acknowledged by a replica when there is one.
        self._acks = acks or ReplicaAcks(redis, wait_ms=0)
        self._create = redis.register_script(scripts.CREATE_TIMER)
        self._save = redis.register_script(scripts.SAVE_TIMER)
        self._discard = redis.register_script(scripts.DISCARD_TIMER)
        self._claim = redis.register_script(scripts.CLAIM_OUTBOX_ITEM)
        self._set_aside = redis.register_script(scripts.SET_ASIDE)
        # Reads and sweeps over every bucket (the outbox worker, retention, metrics).
        self.walks = BucketWalks(redis, keys)
        # What the gateway remembers of Redmine for a while, and analytics' generations.
        self.caches = Caches(redis, keys)
        # Each user's lock on posting to Redmine (one post of a user at a time).
        self.posting = PostingLocks(redis, keys)

    async def is_reachable(self) -> bool:
        return bool(await self._redis.ping())

    async def next_timer_id(self, user_id: int) -> int:
        """A new id in the user's bucket (where the timer will live)."""
        bucket = bucket_of_user(user_id)
        counter: int = await self._redis.incr(self._keys.timer_ids(bucket))
        return bucketed_timer_id(bucket, counter)

    async def _buckets_of(self, timer_ids: Sequence[int]) -> dict[int, int]:
        """Each id's bucket: named by the id, or (an id from before buckets) as the migration
        recorded it; an id with neither is left out (no such timer)."""
        found = {i: b for i in timer_ids if (b := bucket_of_timer(i)) is not None}
        legacy = [i for i in timer_ids if i not in found]
        if legacy:
            recorded = await self._redis.hmget(
                self._keys.legacy_buckets(), [str(i) for i in legacy]
            )
            found.update(
                {i: int(b) for i, b in zip(legacy, recorded, strict=True) if b is not None}
            )
        return found

    async def _bucket_of(self, timer_id: int) -> int | None:
        return (await self._buckets_of([timer_id])).get(timer_id)

    async def create_timer(self, timer: Timer, *, exclusive: bool) -> int | None:
        """Stores a new timer; with `exclusive`, only if its user has none running; a manual
        entry (with a fingerprint) only if the same one was not made just before.

        Returns None when stored, else the id of the user's running timer or of that entry.
        """
        outbox_score = "" if timer.status == "running" else str(score(timer.created_at))
        bucket = bucket_of_user(timer.user.id)
        running: str = await self._acks.run(
            self._create,
            keys=[
                self._keys.timer(bucket, timer.id),
                self._keys.running(timer.user.id),
                self._keys.user_timers(timer.user.id),
                self._keys.outbox(bucket),
                self._keys.outbox_since(bucket),
                self._keys.running_timers(bucket),
                self._keys.user_unrecorded(timer.user.id),
                *self._fingerprint_key(timer),
            ],
            args=[
                timer.id,
                timer.model_dump_json(),
                timer.status,
                score(timer.started_at),
                "1" if exclusive else "0",
                outbox_score,
                MANUAL_RETRY_WINDOW_S,
            ],
        )
        # A retried script (its first answer lost to a timeout) finds the timer it stored itself.
        return int(running) if running and int(running) != timer.id else None

    def _fingerprint_key(self, timer: Timer) -> list[str]:
        if timer.manual_fingerprint is None:
            return []
        return [self._keys.manual_entry(timer.user.id, timer.manual_fingerprint)]

    async def timer(self, timer_id: int) -> Versioned:
        bucket = await self._bucket_of(timer_id)
        if bucket is None:
            raise NotFound("No such time tracking.")
        fields = await self._redis.hmget(self._keys.timer(bucket, timer_id), ["json", "version"])
        if fields[0] is None:
            raise NotFound("No such time tracking.")
        try:
            return Versioned(Timer.model_validate_json(fields[0]), str(fields[1]))
        except ValidationError as exc:
            raise UnreadableTimer(timer_id) from exc

    async def running_timer_id(self, user_id: int) -> int | None:
        value = await self._redis.get(self._keys.running(user_id))
        return int(value) if value else None

    async def unrecorded_timer_ids(self, user_id: int) -> list[int]:
        """The user's timers not (yet) in Redmine: running, pending or failed."""
        members = await self._redis.zrange(self._keys.user_unrecorded(user_id), 0, -1)
        return [int(v) for v in members if isinstance(v, str)]

    async def timers(self, timer_ids: list[int]) -> list[Timer]:
        buckets = await self._buckets_of(timer_ids)
        if not buckets:
            return []
        pipe = self._redis.pipeline(transaction=False)
        for timer_id, bucket in buckets.items():
            pipe.hget(self._keys.timer(bucket, timer_id), "json")
        return [Timer.model_validate_json(raw) for raw in await pipe.execute() if raw]

    async def save_timer(
        self,
        read: Versioned,
        timer: Timer,
        *,
        outbox: OutboxChange = "keep",
        retention: Retention | None = None,
    ) -> Versioned:
        """Writes `timer` if nobody changed it since `read`; raises TimerChanged otherwise.

        A recorded timer is written with its `retention`: its record expires then, and the
        sweep prunes its indexes with it. Any other status keeps the record for good.
        """
        if outbox == "keep":
            outbox_arg = ""
        elif outbox == "remove":
            outbox_arg = "-"
        else:
            outbox_arg = str(score(outbox))
        settled: list[str | int | float] = ["", "", ""]
        if timer.status == "recorded":
            if retention is None:
                raise ValueError("a recorded timer is saved with its retention")
            ttl_ms = max(1, int(retention.ttl.total_seconds() * 1000))
            settled = [settled_member(timer), score(retention.until), ttl_ms]
        bucket = bucket_of_user(timer.user.id)
        written: int = await self._acks.run(
            self._save,
            keys=[
                self._keys.timer(bucket, timer.id),
                self._keys.running(timer.user.id),
                self._keys.outbox(bucket),
                self._keys.entry_timers(bucket),
                self._keys.outbox_since(bucket),
                self._keys.running_timers(bucket),
                self._keys.settled(bucket),
                self._keys.user_unrecorded(timer.user.id),
            ],
            args=[
                read.version,
                timer.model_dump_json(),
                timer.status,
                timer.id,
                "1" if timer.status != "running" else "0",
                outbox_arg,
                *settled,
                score(timer.started_at),
                *timer.redmine_time_entry_ids,
            ],
        )
        if not written:
            raise TimerChanged(timer.id)
        return Versioned(timer, str(int(read.version) + 1))

    async def discard_timer(self, read: Versioned) -> None:
        timer = read.timer
        bucket = bucket_of_user(timer.user.id)
        discarded: int = await self._acks.run(
            self._discard,
            keys=[
                self._keys.timer(bucket, timer.id),
                self._keys.running(timer.user.id),
                self._keys.user_timers(timer.user.id),
                self._keys.outbox(bucket),
                self._keys.entry_timers(bucket),
                self._keys.outbox_since(bucket),
                self._keys.running_timers(bucket),
                self._keys.settled(bucket),
                self._keys.user_unrecorded(timer.user.id),
                *self._fingerprint_key(timer),
            ],
            args=[read.version, timer.id, settled_member(timer), *timer.redmine_time_entry_ids],
        )
        if not discarded:
            raise TimerChanged(timer.id)
        if bucket_of_timer(timer.id) is None:
            await self._redis.hdel(self._keys.legacy_buckets(), str(timer.id))

    async def users_with_timers(self, user_ids: Sequence[int]) -> set[int]:
        """Those of `user_ids` who have any timer at all (running, or recorded long ago)."""
        if not user_ids:
            return set()
        pipe = self._redis.pipeline(transaction=False)
        for user_id in user_ids:
            pipe.exists(self._keys.user_timers(user_id))
        found = await pipe.execute()
        return {user_id for user_id, n in zip(user_ids, found, strict=True) if n}

    async def timer_ids_of_entries(self, entry_users: Mapping[int, int]) -> dict[int, int]:
        """The timers that posted these Redmine entries, given as entry id -> its user's id (an
        entry's mapping lives in its user's bucket); entries no timer posted are left out."""
        if not entry_users:
            return {}
        by_bucket: dict[int, list[int]] = {}
        for entry_id, user_id in entry_users.items():
            by_bucket.setdefault(bucket_of_user(user_id), []).append(entry_id)
        pipe = self._redis.pipeline(transaction=False)
        for bucket, entry_ids in by_bucket.items():
            pipe.hmget(self._keys.entry_timers(bucket), [str(e) for e in entry_ids])
        mapped: dict[int, int] = {}
        for entry_ids, values in zip(by_bucket.values(), await pipe.execute(), strict=True):
            mapped.update(
                {e: int(v) for e, v in zip(entry_ids, values, strict=True) if v is not None}
            )
        return mapped

    async def claim_outbox_item(self, timer_id: int, now: dt.datetime, until: dt.datetime) -> bool:
        bucket = await self._bucket_of(timer_id)
        if bucket is None:
            return False
        claimed: int = await self._claim(
            keys=[self._keys.outbox(bucket)], args=[timer_id, score(now), score(until)]
        )
        return bool(claimed)

    async def set_aside(self, timer_id: int) -> bool:
        """Takes an unreadable item out of the outbox into a set operators can inspect."""
        bucket = await self._bucket_of(timer_id)
        if bucket is None:
            return False
        moved: int = await self._set_aside(
            keys=[
                self._keys.outbox(bucket),
                self._keys.unreadable(bucket),
                self._keys.outbox_since(bucket),
            ],
            args=[timer_id],
        )
        return bool(moved)
