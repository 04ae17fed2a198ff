"""Where a timer's keys live: one of a fixed number of buckets, each a Redis Cluster hash tag.

Every key one script touches is in one bucket, so no script crosses a cluster slot: a user's
keys are in their bucket, a timer's in its user's, and what used to be global (the outbox, the
running timers, the entry-to-timer map, the settled records, the id counter) is one per bucket.
The same layout serves a standalone Redis and a Sentinel set, so there is one code path.

A timer id names its bucket, so a timer is found by its id in one read. Ids below
BUCKETED_ID_BASE were given before buckets existed; the migration records their buckets.
"""

from gateway.timers.models import TIMER_ID_BASE

# Fixed for good: changing it moves every user to another bucket (a migration). 64 spreads over
# the masters of any cluster of a sensible size, and keeps a walk of every bucket (the outbox
# worker's poll, a metrics scrape) to one pipelined round trip per master.
BUCKETS = 64
# Ids given by the per-bucket counters start here: above every id the single counter of the
# unbucketed layout gave (TIMER_ID_BASE + its count), so old and new never meet.
BUCKETED_ID_BASE = 2 * TIMER_ID_BASE


def bucket_of_user(user_id: int) -> int:
    return user_id % BUCKETS


def bucketed_timer_id(bucket: int, counter: int) -> int:
    """The `counter`-th id of `bucket` (counters start at 1)."""
    return BUCKETED_ID_BASE + counter * BUCKETS + bucket


def bucket_of_timer(timer_id: int) -> int | None:
    """The bucket an id names; None for an id from before buckets (looked up instead)."""
    if timer_id < BUCKETED_ID_BASE:
        return None
    return (timer_id - BUCKETED_ID_BASE) % BUCKETS
