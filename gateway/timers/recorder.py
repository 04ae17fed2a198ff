"""Posting stopped timers to Redmine exactly once, with a durable outbox for when it cannot."""

import datetime as dt
import logging
from decimal import Decimal

from gateway.clock import Clock
from gateway.errors import (
    Forbidden,
    GatewayError,
    NotFound,
    RedmineRejected,
    Unauthenticated,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.redmine.client import RedmineClient
from gateway.redmine.models import RedmineTimeEntry, TimeEntryDraft
from gateway.secrets import KeyVault, SealBroken
from gateway.store.redis import RedisStore, TimerChanged, Versioned
from gateway.timers.models import Portion, Timer

log = logging.getLogger(__name__)

RETRY_FIRST_S = 5
RETRY_MAX_S = 300
# How soon an entry is tried again when another entry of its user was being posted.
BUSY_RETRY = dt.timedelta(seconds=1)
# Redmine's clock and ours may differ: an entry made by an earlier attempt is searched for from
# this long before that attempt started.
CLOCK_SKEW = dt.timedelta(minutes=10)
REFUSALS = (RedmineRejected, Forbidden, NotFound, Unauthenticated)
TRANSIENT = (UpstreamUnavailable, UpstreamTimeout)


def retry_delay(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(RETRY_MAX_S, RETRY_FIRST_S * 2 ** max(attempts - 1, 0)))


def draft(timer: Timer, portion: Portion) -> TimeEntryDraft:
    return TimeEntryDraft(
        issue_id=timer.issue_id,
        hours=portion.hours,
        spent_on=portion.spent_on,
        activity_id=timer.activity_id,
        comments=timer.description,
    )


def refusal_messages(exc: GatewayError) -> tuple[str, ...]:
    messages = exc.field_errors.get("redmine")
    return tuple(messages) if messages else (str(exc),)


class Recorder:
    def __init__(
        self,
        store: RedisStore,
        redmine: RedmineClient,
        vault: KeyVault,
        clock: Clock,
        lease: dt.timedelta,
    ) -> None:
        self._store = store
        self._redmine = redmine
        self._vault = vault
        self._clock = clock
        self._lease = lease

    async def attempt(self, timer_id: int, api_key: str | None = None) -> Timer:
        """One attempt to post a pending timer; returns the timer as it then stands.

        Only the holder of the outbox lease posts, so a stop request and the background worker
        (or two replicas) never post the same timer at once.
        """
        now = self._clock.now()
        if not await self._store.claim_outbox_item(timer_id, now, now + self._lease):
            return (await self._store.timer(timer_id)).timer
        read = await self._store.timer(timer_id)
        if read.timer.status != "pending":
            return read.timer
        user_id = read.timer.user.id
        # One post per user at a time: until an entry is recorded, another attempt of the same
        # user would take it for one its own lost answer left behind (_made_earlier).
        if not await self._store.lock_posting(user_id, timer_id, self._lease):
            log.info("timer post waits for another post of its user timer=%s", timer_id)
            return await self._requeue(read, now + BUSY_RETRY)
        try:
            return await self._post_and_settle(read, api_key, now)
        finally:
            await self._store.unlock_posting(user_id, timer_id)

    async def _post_and_settle(
        self, read: Versioned, api_key: str | None, now: dt.datetime
    ) -> Timer:
        timer_id = read.timer.id
        try:
            key = api_key or self._vault.unseal(read.timer.sealed_key or "")
        except SealBroken:
            message = "The API key of this entry cannot be recovered; stop it again to post it."
            return await self._settle(read, "failed", (), (message,))
        earlier_attempt = read.timer.attempted_at
        # Saved before the post goes out, so that if its answer is lost the next attempt knows
        # to look for what it may have created.
        read = await self._store.save_timer(
            read,
            read.timer.model_copy(
                update={"attempted_at": now, "attempts": read.timer.attempts + 1}
            ),
        )
        made: list[int] = []
        try:
            await self._post(key, read.timer, earlier_attempt, made)
        except REFUSALS as exc:
            log.info("redmine refused timer=%s error=%s", timer_id, exc.error_code)
            return await self._settle(read, "failed", made, refusal_messages(exc))
        except TRANSIENT as exc:
            delay = retry_delay(read.timer.attempts)
            log.warning(
                "timer post deferred timer=%s error=%s retry_in_s=%s",
                timer_id,
                exc.error_code,
                int(delay.total_seconds()),
            )
            saved = await self._store.save_timer(
                read,
                read.timer.model_copy(update={"redmine_time_entry_ids": tuple(made)}),
                outbox=self._clock.now() + delay,
            )
            return saved.timer
        log.info("timer recorded timer=%s entries=%s hours=%s", timer_id, made, read.timer.hours)
        return await self._settle(read, "recorded", made, ())

    async def _requeue(self, read: Versioned, due: dt.datetime) -> Timer:
        try:
            return (await self._store.save_timer(read, read.timer, outbox=due)).timer
        except TimerChanged:
            return (await self._store.timer(read.timer.id)).timer

    async def _post(
        self, key: str, timer: Timer, earlier_attempt: dt.datetime | None, made: list[int]
    ) -> None:
        already = await self._made_earlier(key, timer, earlier_attempt) if earlier_attempt else {}
        for portion in timer.portions:
            found = already.get(portion.spent_on)
            if found is None:
                found = (await self._redmine.create_time_entry(key, draft(timer, portion))).id
            made.append(found)

    async def _made_earlier(
        self, key: str, timer: Timer, earlier_attempt: dt.datetime
    ) -> dict[dt.date, int]:
        """Entries an earlier attempt created but whose answer was lost, by spent_on.

        The marker is the entry itself: this user, issue, day, hours, activity and comments,
        created no earlier than that attempt, and not already claimed by another timer.
        """
        days = [p.spent_on for p in timer.portions]
        entries = await self._redmine.time_entries(
            key,
            {
                "user_id": "me",
                "issue_id": timer.issue_id,
                "from": min(days).isoformat(),
                "to": max(days).isoformat(),
            },
        )
        claimed = await self._store.timer_ids_of_entries([e.id for e in entries])
        wanted = {p.spent_on: p.hours for p in timer.portions}
        found: dict[dt.date, int] = {}
        for entry in sorted(entries, key=lambda e: e.id):
            if (
                entry.spent_on in wanted
                and entry.spent_on not in found
                and self._is_ours(entry, timer, wanted[entry.spent_on], earlier_attempt)
                and claimed.get(entry.id, timer.id) == timer.id
            ):
                found[entry.spent_on] = entry.id
        if found:
            log.info("found entries of a lost answer timer=%s entries=%s", timer.id, found)
        return found

    @staticmethod
    def _is_ours(
        entry: RedmineTimeEntry, timer: Timer, hours: Decimal, earlier_attempt: dt.datetime
    ) -> bool:
        return (
            entry.issue is not None
            and entry.issue.id == timer.issue_id
            and entry.user.id == timer.user.id
            and entry.hours.quantize(Decimal("0.01")) == hours
            and (timer.activity_id is None or entry.activity.id == timer.activity_id)
            and (entry.comments or "") == timer.description
            and entry.created_on >= earlier_attempt - CLOCK_SKEW
        )

    async def _settle(
        self,
        read: Versioned,
        status: str,
        made: list[int] | tuple[int, ...],
        errors: tuple[str, ...],
    ) -> Timer:
        settled = read.timer.model_copy(
            update={
                "status": status,
                "redmine_time_entry_ids": tuple(made),
                "errors": errors,
                "sealed_key": None,
            }
        )
        try:
            return (await self._store.save_timer(read, settled, outbox="remove")).timer
        except TimerChanged:
            return (await self._store.timer(read.timer.id)).timer
