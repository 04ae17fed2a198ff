"""Posting stopped timers to Redmine exactly once, with a durable outbox for when it cannot."""

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar

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
from gateway.secrets import KeyVault, SealBroken
from gateway.store.failures import STORE_FAILURES
from gateway.store.redis import RedisStore, Retention, TimerChanged, Versioned
from gateway.timers.adoption import EntryFinder, draft
from gateway.timers.models import FailureReason, PostResult, Timer
from gateway.timers.outbox_policy import BUSY_RETRY, OutboxPolicy

log = logging.getLogger(__name__)

REFUSALS = (RedmineRejected, Forbidden, NotFound, Unauthenticated)
TRANSIENT = (UpstreamUnavailable, UpstreamTimeout)
T = TypeVar("T")


def refusal_messages(exc: GatewayError) -> tuple[str, ...]:
    messages = exc.field_errors.get("redmine")
    return tuple(messages) if messages else (str(exc),)


class PostingObserver(Protocol):
    def entry_posted(self, result: PostResult) -> None: ...


class LeaseLost(Exception):
    """The attempt ran out of its deadline, or another attempt took the timer over."""


@dataclass
class Attempt:
    """One attempt's state: the timer as last written by it, and when it must be done.

    The deadline is read on two clocks: the loop's bounds every wait for Redmine, the gateway's
    (the one leases are written in) decides whether another call may still start.
    """

    read: Versioned
    key: str
    loop_deadline: float
    clock_deadline: dt.datetime


class Recorder:
    def __init__(
        self,
        store: RedisStore,
        redmine: RedmineClient,
        vault: KeyVault,
        clock: Clock,
        policy: OutboxPolicy,
        observer: PostingObserver | None = None,
    ) -> None:
        self._store = store
        self._observer = observer
        self._redmine = redmine
        self._vault = vault
        self._clock = clock
        self._policy = policy
        self._finder = EntryFinder(redmine, store, policy.entry_field_id)

    async def attempt(self, timer_id: int, api_key: str | None = None) -> Timer:
        """One attempt to post a pending timer; returns the timer as it then stands.

        Only the holder of the outbox lease posts, so a stop request and the background worker
        (or two replicas) never post the same timer at once.
        """
        now = self._clock.now()
        until = now + self._policy.lease
        if not await self._store.claim_outbox_item(timer_id, now, until):
            return (await self._store.timer(timer_id)).timer
        read = await self._store.timer(timer_id)
        if read.timer.status != "pending":
            return read.timer
        # One post per user at a time: until an entry is recorded, another attempt of the same
        # user could take it for one that its own lost answer left behind.
        lock = await self._store.posting.lock(read.timer.user.id, timer_id, now, until)
        if lock is None:
            log.info("timer post waits for another post of its user timer=%s", timer_id)
            return await self._requeue(read, now + BUSY_RETRY)
        try:
            return await self._post_and_settle(read, api_key, now)
        finally:
            try:
                await self._store.posting.unlock(lock)
            except STORE_FAILURES as exc:
                # It ends with the lease anyway; the outcome of the post must not be lost.
                log.warning("posting lock left to expire timer=%s error=%s", timer_id, exc)

    async def _post_and_settle(
        self, read: Versioned, api_key: str | None, now: dt.datetime
    ) -> Timer:
        timer = read.timer
        try:
            key = api_key or self._vault.unseal(timer.sealed_key or "")
        except SealBroken:
            message = "The API key of this entry cannot be recovered; stop it again to post it."
            return await self._settle(read, "failed", (message,), "key_lost")
        earlier = timer.unconfirmed_since
        # Written before anything is posted: if an answer is lost from here on, every later
        # attempt searches Redmine from this moment before it posts again.
        read = await self._store.save_timer(
            read,
            timer.model_copy(
                update={"attempts": timer.attempts + 1, "unconfirmed_since": earlier or now}
            ),
        )
        loop = asyncio.get_running_loop()
        attempt = Attempt(
            read,
            key,
            loop.time() + self._policy.attempt_deadline.total_seconds(),
            now + self._policy.attempt_deadline,
        )
        try:
            adopted = await self._post(attempt, earlier)
        except REFUSALS as exc:
            log.info("redmine refused timer=%s error=%s", timer.id, exc.error_code)
            return await self._settle(
                attempt.read, "failed", refusal_messages(exc), "redmine_rejected"
            )
        except TRANSIENT as exc:
            return await self._defer(attempt.read, str(exc), exc.error_code)
        except LeaseLost:
            log.warning("timer post gave up its lease timer=%s", timer.id)
            return await self._defer(attempt.read, "The post ran out of time.", "LEASE_LOST")
        log.info(
            "timer recorded timer=%s entries=%s hours=%s",
            timer.id,
            list(attempt.read.timer.redmine_time_entry_ids),
            timer.hours,
        )
        self._report("adopted" if adopted else "recorded")
        return await self._settle(attempt.read, "recorded", (), None)

    async def _post(self, attempt: Attempt, earlier: dt.datetime | None) -> bool:
        """Posts what is not in Redmine yet; True when an earlier attempt had made some."""
        timer = attempt.read.timer
        found: Mapping[dt.date, int] = {}
        if earlier is not None:
            found = await self._bounded(
                attempt, self._finder.made_earlier(attempt.key, timer, earlier)
            )
            await self._keep_entries(attempt, found)
        for portion in attempt.read.timer.unposted:
            made = await self._bounded(
                attempt,
                self._redmine.create_time_entry(
                    attempt.key,
                    draft(
                        timer,
                        portion,
                        self._policy.entry_field_id,
                        self._policy.billable_field_id,
                    ),
                ),
            )
            await self._keep_entries(attempt, {portion.spent_on: made.id})
        return bool(found)

    async def _bounded(self, attempt: Attempt, call: Awaitable[T]) -> T:
        """A call to Redmine that starts only inside the attempt's deadline and ends by it."""
        if self._clock.now() >= attempt.clock_deadline:
            if asyncio.iscoroutine(call):
                call.close()
            raise LeaseLost
        try:
            async with asyncio.timeout_at(attempt.loop_deadline):
                return await call
        except TimeoutError as exc:
            raise UpstreamTimeout("Redmine did not answer within the attempt's deadline.") from exc

    async def _keep_entries(self, attempt: Attempt, made: Mapping[dt.date, int]) -> None:
        """Writes the entries as they are made, compare-and-set: an attempt that lost its lease
        to another cannot write, and what one attempt posted is never posted by the next."""
        if not made:
            return
        timer = attempt.read.timer
        portions = tuple(
            p.model_copy(update={"entry_id": made[p.spent_on]})
            if p.entry_id is None and p.spent_on in made
            else p
            for p in timer.portions
        )
        try:
            attempt.read = await self._store.save_timer(
                attempt.read, timer.model_copy(update={"portions": portions})
            )
        except TimerChanged as exc:
            raise LeaseLost from exc

    async def _defer(self, read: Versioned, error: str, error_code: str) -> Timer:
        timer = read.timer
        now = self._clock.now()
        waiting = now - (timer.queued_at or timer.created_at)
        if self._policy.is_exhausted(timer.attempts, waiting):
            log.warning(
                "timer post given up timer=%s attempts=%s error=%s",
                timer.id,
                timer.attempts,
                error_code,
            )
            return await self._settle(read, "failed", (error,), "redmine_unavailable")
        self._report("retried")
        delay = self._policy.retry_delay(timer.attempts)
        log.warning(
            "timer post deferred timer=%s error=%s retry_in_s=%s",
            timer.id,
            error_code,
            int(delay.total_seconds()),
        )
        return await self._requeue(read, now + delay)

    def _report(self, result: PostResult) -> None:
        if self._observer is not None:
            self._observer.entry_posted(result)

    async def _requeue(self, read: Versioned, due: dt.datetime) -> Timer:
        try:
            return (await self._store.save_timer(read, read.timer, outbox=due)).timer
        except TimerChanged:
            return (await self._store.timer(read.timer.id)).timer

    async def _settle(
        self,
        read: Versioned,
        status: str,
        errors: tuple[str, ...],
        reason: FailureReason | None,
    ) -> Timer:
        timer = read.timer
        if status == "failed":
            self._report("failed")
        # Recorded, or refused by Redmine after it answered every post: nothing is unconfirmed.
        is_confirmed = status == "recorded" or reason == "redmine_rejected"
        settled = timer.model_copy(
            update={
                "status": status,
                "errors": errors,
                "failure_reason": reason,
                "sealed_key": None,
                "unconfirmed_since": None if is_confirmed else timer.unconfirmed_since,
            }
        )
        retention = Retention(
            self._clock.now() + self._policy.record_retention, self._policy.record_retention
        )
        try:
            saved = (
                await self._store.save_timer(read, settled, outbox="remove", retention=retention)
            ).timer
        except TimerChanged:
            return (await self._store.timer(timer.id)).timer
        if status == "recorded":
            # Whether a request or the worker posted it, the owner's analytics now differ.
            await self._store.caches.invalidate_analytics(timer.user.id)
        return saved
