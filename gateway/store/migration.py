"""Moves timers stored by earlier versions (one unbucketed layout, `tg:timer:<id>` and global
indexes) into the buckets, keeping their ids, before the gateway serves.

It runs at every start while the old id counter exists and deletes the counter once every old
timer has moved, so later starts cost one EXISTS. Each timer moves in one script (old places
cleared, new ones written, its bucket recorded under its id): a migration cut short is resumed
by the next start, and two replicas starting at once move each timer once. The old layout can
only exist on one Redis (earlier versions never ran on a cluster), so it is never run there.

Replicas of an earlier version must be stopped before the first replica of this one starts:
they would go on writing the old layout.
"""

import asyncio
import logging
from dataclasses import dataclass

from gateway.store import scripts
from gateway.store.buckets import bucket_of_user
from gateway.store.failures import STORE_OR_IO_FAILURES
from gateway.store.keys import Keys, LegacyKeys
from gateway.store.members import settled_member
from gateway.store.nodes import StoreClient
from gateway.timers.models import Timer

log = logging.getLogger(__name__)

SCAN_COUNT = 500


@dataclass(frozen=True)
class Migrated:
    moved: int
    unreadable: int


async def migrate_legacy_layout(redis: StoreClient, keys: Keys) -> Migrated | None:
    """None when there was nothing to move (the usual start)."""
    legacy = LegacyKeys(keys.prefix)
    if not await redis.exists(legacy.timer_ids()):
        return None
    move = redis.register_script(scripts.MIGRATE_TIMER)
    moved = unreadable = 0
    async for name in redis.scan_iter(match=legacy.timer_pattern(), count=SCAN_COUNT):
        timer_id = int(str(name).rpartition(":")[2])
        raw = await redis.hget(name, "json")
        if raw is None:
            continue  # expired since the scan saw it
        try:
            timer = Timer.model_validate_json(raw)
        except ValueError:
            unreadable += 1
            log.error("old timer record unreadable, left in place timer=%s", timer_id)
            continue
        user_id, bucket = timer.user.id, bucket_of_user(timer.user.id)
        moved += await move(
            keys=[
                legacy.timer(timer_id),
                legacy.running(user_id),
                legacy.user_timers(user_id),
                legacy.outbox(),
                legacy.outbox_since(),
                legacy.running_timers(),
                legacy.unreadable(),
                legacy.entry_timers(),
                legacy.settled(),
                keys.timer(bucket, timer_id),
                keys.running(user_id),
                keys.user_timers(user_id),
                keys.outbox(bucket),
                keys.outbox_since(bucket),
                keys.running_timers(bucket),
                keys.unreadable(bucket),
                keys.entry_timers(bucket),
                keys.settled(bucket),
                keys.user_unrecorded(user_id),
                keys.legacy_buckets(),
            ],
            args=[timer_id, bucket, settled_member(timer), *timer.redmine_time_entry_ids],
        )
    if unreadable == 0:
        await redis.delete(legacy.timer_ids())
    log.warning(
        "timers moved from the unbucketed layout moved=%s left_unreadable=%s", moved, unreadable
    )
    return Migrated(moved, unreadable)


class LayoutMigration:
    """The migration as a background task that tries until it has run once (Redis may be down
    at start). Until it is done, timer requests answer 503 STORE_UNAVAILABLE: a timer served
    half-moved could be started twice or not found."""

    def __init__(self, redis: StoreClient, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self.done = asyncio.Event()

    async def run_until_done(self, retry_s: float) -> None:
        while True:
            try:
                await migrate_legacy_layout(self._redis, self._keys)
            except STORE_OR_IO_FAILURES as exc:
                log.warning(
                    "layout check failed, timers wait retry_s=%s error=%s",
                    retry_s,
                    type(exc).__name__,
                )
                await asyncio.sleep(retry_s)
            else:
                self.done.set()
                return
