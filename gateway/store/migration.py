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

from gateway.store import scripts
from gateway.store.buckets import bucket_of_user
from gateway.store.failures import STORE_OR_IO_FAILURES
from gateway.store.keys import Keys, LegacyKeys
from gateway.store.members import settled_member
from gateway.store.nodes import StoreClient
from gateway.timers.models import Timer

log = logging.getLogger(__name__)

SCAN_COUNT = 500


async def migrate_legacy_layout(redis: StoreClient, keys: Keys) -> None:
    """Moves what there is and says so in the log; the usual start finds nothing to move."""
    legacy = LegacyKeys(keys.prefix)
    if not await redis.exists(legacy.timer_ids()):
        return
    move = redis.register_script(scripts.MIGRATE_TIMER)
    moved, unreadable = 0, []
    async for name in redis.scan_iter(match=legacy.timer_pattern(), count=SCAN_COUNT):
        timer_id = _timer_id(str(name))
        raw = None if timer_id is None else await redis.hget(name, "json")
        if timer_id is None or raw is None:
            continue  # not a timer record, or expired since the scan saw it
        try:
            timer = Timer.model_validate_json(raw)
        except ValueError:
            unreadable.append(timer_id)
            continue
        moved += await move(keys=_migrate_keys(keys, legacy, timer), args=_migrate_args(timer))
    fingerprints = await _move_fingerprints(redis, keys, legacy)
    # What is left of the old indexes names only records that expired before they could move
    # (and the unreadable ones): nothing would ever prune it.
    await redis.delete(*legacy.global_indexes())
    for pattern in (legacy.user_timers_pattern(), legacy.running_pattern()):
        async for name in redis.scan_iter(match=pattern, count=SCAN_COUNT):
            await redis.delete(name)
    await redis.delete(legacy.timer_ids())
    if unreadable:
        log.error(
            "old timer records this version cannot read were left where they were ids=%s",
            ",".join(str(i) for i in unreadable),
        )
    log.warning(
        "timers moved from the unbucketed layout moved=%s fingerprints=%s unreadable=%s",
        moved,
        fingerprints,
        len(unreadable),
    )


def _timer_id(name: str) -> int | None:
    suffix = name.rpartition(":")[2]
    return int(suffix) if suffix.isdigit() else None


def _migrate_keys(keys: Keys, legacy: LegacyKeys, timer: Timer) -> list[str]:
    user_id, bucket = timer.user.id, bucket_of_user(timer.user.id)
    return [
        legacy.timer(timer.id),
        legacy.running(user_id),
        legacy.user_timers(user_id),
        legacy.outbox(),
        legacy.outbox_since(),
        legacy.running_timers(),
        legacy.unreadable(),
        legacy.entry_timers(),
        legacy.settled(),
        keys.timer(bucket, timer.id),
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
    ]


def _migrate_args(timer: Timer) -> list[str | int]:
    bucket = bucket_of_user(timer.user.id)
    return [timer.id, bucket, settled_member(timer), *timer.redmine_time_entry_ids]


async def _move_fingerprints(redis: StoreClient, keys: Keys, legacy: LegacyKeys) -> int:
    """Manual entries' fingerprints, with the time they have left: an entry sent again across
    the upgrade is still answered with the first one."""
    moved = 0
    async for name in redis.scan_iter(match=legacy.manual_entry_pattern(), count=SCAN_COUNT):
        _, user, fingerprint = str(name).rsplit(":", 2)
        value, ttl_ms = await redis.get(name), int(await redis.pttl(name))
        if user.isdigit() and value is not None and ttl_ms > 0:
            new = keys.manual_entry(int(user), fingerprint)
            moved += bool(await redis.set(new, value, px=ttl_ms, nx=True))
        await redis.delete(name)
    return moved


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
            except Exception:
                log.exception("layout migration failed unexpectedly, timers wait; trying again")
                await asyncio.sleep(retry_s)
            else:
                self.done.set()
                return
