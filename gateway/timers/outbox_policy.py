"""The outbox's bounds in one place: attempt deadline, lease, backoff and when to give up."""

import datetime as dt
from dataclasses import dataclass
from typing import Self

from gateway.settings import Settings

# One attempt is at most a lookup for entries a lost answer may have left, then one post per
# day-portion; two day-portions is the usual worst case (a timer across midnight). An attempt
# with more portions posts what fits in its deadline and the next attempt goes on.
CALLS_PER_ATTEMPT = 3
# The lease outlives the attempt's deadline by this much: the Redis writes that follow the
# last call, and the clocks of two replicas differing by a little.
LEASE_MARGIN = dt.timedelta(seconds=10)
RETRY_FIRST = dt.timedelta(seconds=5)
# How soon an entry is tried again when another entry of its user was being posted.
BUSY_RETRY = dt.timedelta(seconds=1)
# Redmine's clock and ours may differ: an entry made by an unconfirmed post is searched for from
# this long before that post went out.
CLOCK_SKEW = dt.timedelta(minutes=10)
DEFAULT_RECORD_RETENTION = dt.timedelta(days=400)


@dataclass(frozen=True)
class OutboxPolicy:
    attempt_deadline: dt.timedelta
    retry_max: dt.timedelta
    max_attempts: int
    max_age: dt.timedelta
    entry_field_id: int | None = None
    billable_field_id: int | None = None
    # How long a recorded entry's timer is kept once it leaves the outbox.
    record_retention: dt.timedelta = DEFAULT_RECORD_RETENTION

    @classmethod
    def from_settings(cls, settings: Settings) -> Self:
        return cls(
            attempt_deadline=dt.timedelta(seconds=settings.upstream_timeout_s * CALLS_PER_ATTEMPT),
            retry_max=dt.timedelta(seconds=settings.outbox_retry_max_s),
            max_attempts=settings.outbox_max_attempts,
            max_age=dt.timedelta(hours=settings.outbox_max_age_h),
            entry_field_id=settings.entry_field_id,
            billable_field_id=settings.billable_field_id,
            record_retention=dt.timedelta(days=settings.record_retention_days),
        )

    @property
    def lease(self) -> dt.timedelta:
        """How long a claimed item and its user's posting lock stay with one attempt."""
        return self.attempt_deadline + LEASE_MARGIN

    def retry_delay(self, attempts: int) -> dt.timedelta:
        backoff: dt.timedelta = RETRY_FIRST * 2 ** max(attempts - 1, 0)
        return min(self.retry_max, backoff)

    def is_exhausted(self, attempts: int, waiting: dt.timedelta) -> bool:
        return attempts >= self.max_attempts or waiting >= self.max_age
