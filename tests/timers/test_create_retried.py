"""A create script sent again after its first run applied (redis-py retries a command whose answer
a timeout lost) finds the timer it made and changes nothing: a manual entry recorded meanwhile
must not become pending again, or the outbox would post it a second time."""

import datetime as dt
from decimal import Decimal

from fakeredis import FakeAsyncRedis

from gateway.store.keys import Keys
from gateway.store.redis import RedisStore, Retention
from gateway.timers.models import Portion, Timer
from tests.keyspace import Keyspace
from tests.timers.records import a_timer

USER = 5
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def manual_entry(timer_id: int) -> Timer:
    return a_timer(
        timer_id,
        USER,
        NOW - dt.timedelta(hours=1),
        ended_at=NOW,
        created_at=NOW,
        is_manual=True,
        manual_fingerprint="f" * 32,
        status="pending",
        duration_seconds=3600,
        queued_at=NOW,
    )


async def test_a_retried_create_of_a_manual_entry_recorded_meanwhile_changes_nothing(
    redis: FakeAsyncRedis,
) -> None:
    keys = Keys("tg")
    store = RedisStore(redis, keys)
    pending = manual_entry(await store.next_timer_id(USER))
    assert await store.create_timer(pending, exclusive=False) is None
    # Another replica's outbox posted it and recorded it.
    read = await store.timer(pending.id)
    recorded = pending.model_copy(
        update={
            "status": "recorded",
            "portions": (Portion(spent_on=NOW.date(), minutes=60, hours=Decimal(1), entry_id=9),),
        }
    )
    retention = Retention(until=NOW + dt.timedelta(days=400), ttl=dt.timedelta(days=400))
    saved = await store.save_timer(read, recorded, outbox="remove", retention=retention)

    # The first create's answer was lost; the same script runs again.
    assert await store.create_timer(pending, exclusive=False) is None

    again = await store.timer(pending.id)
    assert (again.timer.status, again.version) == ("recorded", saved.version)
    assert await redis.zscore(Keyspace("tg").outbox(USER), str(pending.id)) is None
    assert await store.unrecorded_timer_ids(USER) == []
    assert await redis.ttl(Keyspace("tg").timer(pending.id)) > 0
