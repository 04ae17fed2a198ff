"""Retention benchmark: Redis memory per recorded timer and per user after 1 million timers, and
the key count over simulated years once GATEWAY_RECORD_RETENTION_DAYS applies.

Run from anywhere:  .venv/bin/python tests/bench/retention.py [--timers 1000000] [--users 10000]

A private redis-server on a free loopback port (tests/realredis.py; never a shared one) receives
timers exactly as the gateway leaves them: each is created by the store's CREATE_TIMER script
and recorded by its SAVE_TIMER script, with the keys and arguments RedisStore passes (pipelined,
so a million take a minute rather than an hour), and a record as the gateway writes it (the
Timer model's JSON, one portion, its entry id). Time is simulated on the gateway's clock (a
ManualClock): `--timers` timers are spread evenly over `--days` days (phase 1), then the same
rate goes on for `--more-days` days (phase 2), and after every simulated day the gateway's own
RetentionSweeper prunes what is due on that clock.

It prints, from the same run: after phase 1 (nothing expired yet, retention > --days), Redis's
used_memory per timer and the MEMORY USAGE of each kind of key per timer and per user; then, every
--sample-days, the simulated day, timers written so far, keys, records and used_memory: once the
retention has passed, keys and memory stay flat however many timers are written.
"""

import argparse
import asyncio
import datetime as dt
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from redis.asyncio import Redis

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from gateway.store import scripts  # noqa: E402
from gateway.store.buckets import BUCKETS, bucket_of_user, bucketed_timer_id  # noqa: E402
from gateway.store.keys import Keys  # noqa: E402
from gateway.store.members import score, settled_member  # noqa: E402
from gateway.store.redis import RedisStore  # noqa: E402
from gateway.timers.models import Owner, Portion, Timer  # noqa: E402
from gateway.timers.retention import RetentionSweeper  # noqa: E402
from tests.clock import ManualClock  # noqa: E402
from tests.realredis import running_redis  # noqa: E402

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
BATCH = 2_000
FIRST_ENTRY_ID = 1_000


@dataclass
class Sample:
    day: int
    written: int
    keys: int
    records: int
    used_memory: int


def recorded(timer_id: int, user_id: int, started: dt.datetime, entry_id: int) -> Timer:
    """A 45-minute timer as the gateway leaves it once Redmine took its entry."""
    ended = started + dt.timedelta(minutes=45)
    return Timer(
        id=timer_id,
        user=Owner(id=user_id, username=f"user{user_id}", name=f"User {user_id}"),
        task_uuid=str(1 + timer_id % 500),
        issue_id=1 + timer_id % 500,
        project_id=1,
        project_slug="ecookbook",
        description="code review",
        activity_id=9,
        started_at=started,
        ended_at=ended,
        created_at=started,
        status="recorded",
        duration_seconds=2700,
        portions=(
            Portion(spent_on=started.date(), minutes=45, hours=Decimal("0.75"), entry_id=entry_id),
        ),
        queued_at=ended,
        attempts=1,
    )


class Writer:
    """Queues CREATE_TIMER then SAVE_TIMER with RedisStore's keys and arguments."""

    def __init__(self, redis: Redis, keys: Keys, retention: dt.timedelta) -> None:
        self._redis = redis
        self._keys = keys
        self._retention = retention
        self._create = redis.register_script(scripts.CREATE_TIMER)
        self._save = redis.register_script(scripts.SAVE_TIMER)

    async def write(self, timers: list[Timer]) -> None:
        keys = self._keys
        pipe = self._redis.pipeline(transaction=False)
        for timer in timers:
            # The record CREATE_TIMER writes is overwritten by SAVE_TIMER's: the recorded JSON
            # stands for both (one serialization a timer instead of two).
            record = timer.model_dump_json()
            bucket = bucket_of_user(timer.user.id)
            await self._create(
                keys=[
                    keys.timer(bucket, timer.id),
                    keys.running(timer.user.id),
                    keys.user_timers(timer.user.id),
                    keys.outbox(bucket),
                    keys.outbox_since(bucket),
                    keys.running_timers(bucket),
                    keys.user_unrecorded(timer.user.id),
                ],
                args=[
                    timer.id,
                    record,
                    "running",
                    score(timer.started_at),
                    "1",
                    "",
                    0,
                ],
                client=pipe,
            )
            assert timer.ended_at is not None
            ttl_ms = int(self._retention.total_seconds() * 1000)
            await self._save(
                keys=[
                    keys.timer(bucket, timer.id),
                    keys.running(timer.user.id),
                    keys.outbox(bucket),
                    keys.entry_timers(bucket),
                    keys.outbox_since(bucket),
                    keys.running_timers(bucket),
                    keys.settled(bucket),
                    keys.user_unrecorded(timer.user.id),
                ],
                args=[
                    "1",
                    record,
                    "recorded",
                    timer.id,
                    "1",
                    "-",
                    settled_member(timer),
                    score(timer.ended_at + self._retention),
                    ttl_ms,
                    score(timer.started_at),
                    *timer.redmine_time_entry_ids,
                ],
                client=pipe,
            )
        results = await pipe.execute()
        assert all(r in ("", 1) for r in results), "a script refused a simulated timer"


async def memory_of(redis: Redis, key: str) -> int:
    return int(await redis.memory_usage(key, samples=0) or 0)


async def used_memory(redis: Redis) -> int:
    info = await redis.info("memory")
    return int(info["used_memory"])


def timer_of(written: int, users: int) -> tuple[int, int]:
    """The id and user of the `written`-th simulated timer (ids as the gateway gives them)."""
    user_id = 1 + (written % users)
    return bucketed_timer_id(bucket_of_user(user_id), written + 1), user_id


async def breakdown(redis: Redis, keys: Keys, users: int, timers: int) -> dict[str, float]:
    """MEMORY USAGE of each kind of key, per timer (records: a sample of 1,000)."""
    sample = [timer_of(i * max(1, timers // 1000), users) for i in range(min(1000, timers))]
    records = [await memory_of(redis, keys.timer(bucket_of_user(u), t)) for t, u in sample]
    indexes = [await memory_of(redis, keys.user_timers(u)) for u in range(1, users + 1)]
    entry_maps = [await memory_of(redis, keys.entry_timers(b)) for b in range(BUCKETS)]
    settled = [await memory_of(redis, keys.settled(b)) for b in range(BUCKETS)]
    return {
        "record": sum(records) / len(records),
        "user index": sum(indexes) / timers,
        "entry map": sum(entry_maps) / timers,
        "settled": sum(settled) / timers,
        "user index per user": sum(indexes) / users,
    }


async def check_as_the_gateway_reads(
    store: RedisStore, timer_id: int, user_id: int, entry_id: int
) -> None:
    read = await store.timer(timer_id)
    assert read.timer.status == "recorded"
    assert await store.timer_ids_of_entries({entry_id: user_id}) == {entry_id: timer_id}


async def run(args: argparse.Namespace) -> None:
    retention = dt.timedelta(days=args.retention_days)
    per_day = args.timers / args.days
    async with running_redis() as server:
        redis = Redis.from_url(server.url, decode_responses=True)
        keys = Keys("tg")
        store = RedisStore(redis, keys)
        clock = ManualClock(START)
        sweeper = RetentionSweeper(store, clock)
        writer = Writer(redis, keys, retention)
        baseline = await used_memory(redis)
        written, due_total, samples = 0, 0.0, []
        phase_one: tuple[int, int, dict[str, float], float] | None = None
        started = time.perf_counter()
        total_days = args.days + args.more_days
        print(f"{'day':>6} {'written':>10} {'keys':>9} {'records':>9} {'used MiB':>9}")
        for day in range(total_days):
            due_total += per_day
            today = START + dt.timedelta(days=day)
            batch: list[Timer] = []
            count = int(due_total) - written
            for i in range(count):
                timer_id, user_id = timer_of(written, args.users)
                at = today + dt.timedelta(seconds=(i * 86_400) // max(count, 1))
                batch.append(recorded(timer_id, user_id, at, FIRST_ENTRY_ID + written))
                written += 1
                if len(batch) == BATCH:
                    await writer.write(batch)
                    batch = []
            await writer.write(batch)
            clock.current = today + dt.timedelta(days=1)
            await sweeper.run_once()
            if day + 1 == args.days:
                await check_as_the_gateway_reads(store, *timer_of(0, args.users), FIRST_ENTRY_ID)
                phase_one = (
                    written,
                    await used_memory(redis) - baseline,
                    await breakdown(redis, keys, args.users, written),
                    time.perf_counter() - started,
                )
            if (day + 1) % args.sample_days == 0 or day + 1 == total_days:
                sample = Sample(
                    day + 1,
                    written,
                    int(await redis.dbsize()),
                    await store.walks.settled_count(),
                    await used_memory(redis),
                )
                samples.append(sample)
                print(
                    f"{sample.day:>6} {sample.written:>10,} {sample.keys:>9,} "
                    f"{sample.records:>9,} {sample.used_memory / 2**20:>9.1f}"
                )
        assert phase_one is not None
        timers, memory, parts, took = phase_one
        per_timer = {k: v for k, v in parts.items() if "per" not in k}
        print(
            f"\nafter {timers:,} recorded timers of {args.users:,} users ({args.days} simulated "
            f"days, none expired yet; written in {took:.0f} s):"
        )
        print(f"  used_memory {memory / 2**20:,.1f} MiB: {memory / timers:,.0f} B a timer")
        print(
            "  MEMORY USAGE a timer: "
            + ", ".join(f"{name} {value:,.0f} B" for name, value in per_timer.items())
            + f"; sum {sum(per_timer.values()):,.0f} B"
        )
        print(
            f"  a user: its timer index {parts['user index per user']:,.0f} B "
            f"({timers // args.users} timers), plus its timers"
        )
        flat = [s for s in samples if s.day >= args.retention_days + args.sample_days]
        if flat:
            low, high = min(s.keys for s in flat), max(s.keys for s in flat)
            print(
                f"once retention applies (day >= {args.retention_days + args.sample_days}): "
                f"keys {low:,}..{high:,} ({(high - low) / high:.2%} spread), used_memory "
                f"{min(s.used_memory for s in flat) / 2**20:,.1f}.."
                f"{max(s.used_memory for s in flat) / 2**20:,.1f} MiB, while "
                f"{flat[-1].written - flat[0].written:,} more timers were written; "
                f"{sweeper.pruned:,} pruned in all"
            )
        await redis.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=1_000_000, help="timers of phase 1")
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365, help="simulated days of phase 1")
    parser.add_argument("--more-days", type=int, default=535, help="days of phase 2")
    parser.add_argument("--retention-days", type=int, default=400)
    parser.add_argument("--sample-days", type=int, default=50)
    args = parser.parse_args()
    if args.days >= args.retention_days:
        parser.error("--days must be under --retention-days (phase 1 measures before any expiry)")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
