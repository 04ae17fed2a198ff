"""Start, stop, record and delete rules for a caller's timers."""

import hashlib
import logging
from dataclasses import dataclass
from typing import Literal

from gateway.clock import Clock
from gateway.errors import Conflict, NotFound, TimerNotRunning, ValidationFailed
from gateway.identity import Caller
from gateway.redmine.client import RedmineClient
from gateway.secrets import KeyVault
from gateway.store.failures import STORE_FAILURES
from gateway.store.redis import RedisStore, TimerChanged, Versioned
from gateway.timers.billable import checked_billable
from gateway.timers.listing import own_entry
from gateway.timers.manual import is_manual, manual_span
from gateway.timers.models import (
    TIMER_ID_BASE,
    StartRequest,
    StopRequest,
    Timer,
    timer_view,
)
from gateway.timers.ownership import own_timer
from gateway.timers.purpose import PurposeResolver
from gateway.timers.recorder import Recorder
from gateway.timers.rules import (
    EntryPlan,
    keep_posted,
    plan_work,
    timer_work,
)
from gateway.timers.segments import worked_seconds

log = logging.getLogger(__name__)

StartPolicy = Literal["reject", "stop_previous"]


@dataclass(frozen=True)
class Started:
    """What a start made, and the timer it stopped first (stop_previous), as that one stands."""

    timer: Timer
    previous: Timer | None = None


def manual_fingerprint(timer: Timer) -> str:
    what = (
        timer.task_uuid or f"project {timer.project_slug}",
        timer.started_at.isoformat(),
        timer.ended_at.isoformat() if timer.ended_at else "",
        str(timer.activity_id),
        timer.description,
    )
    return hashlib.sha256("\x1f".join(what).encode()).hexdigest()[:32]


class TimerService:
    def __init__(
        self,
        store: RedisStore,
        redmine: RedmineClient,
        purposes: PurposeResolver,
        recorder: Recorder,
        vault: KeyVault,
        clock: Clock,
        plan: EntryPlan,
        when_running: StartPolicy,
    ) -> None:
        self._store = store
        self._redmine = redmine
        self._purposes = purposes
        self._recorder = recorder
        self._vault = vault
        self._clock = clock
        self._plan = plan
        self._when_running = when_running

    async def start(self, caller: Caller, request: StartRequest) -> Started:
        """A running timer, or (with both ends given) a manual entry posted at once."""
        checked_billable(request.billable, self._plan.billable_field_id)
        if is_manual(request):
            return Started(await self._manual(caller, request))
        timer = await self._new_timer(caller, request, manual=False)
        running_id = await self._store.create_timer(timer, exclusive=True)
        if running_id is None:
            await self._store.caches.invalidate_analytics(caller.user_id)
            return Started(timer)
        if self._when_running == "stop_previous" or request.stop_running:
            # The new timer starts whatever became of the previous one's post; the answer
            # carries that one too, so a pending or failed entry is never passed over silently.
            previous = await self.stop(caller, running_id, StopRequest())
            running_id = await self._store.create_timer(timer, exclusive=True)
            if running_id is None:
                await self._store.caches.invalidate_analytics(caller.user_id)
                return Started(timer, previous)
        running = (await self._store.timer(running_id)).timer
        raise Conflict(
            "A timer is already running; stop it first.",
            extra={"data": timer_view(running, self._clock.now()).model_dump(mode="json")},
        )

    async def active(self, caller: Caller) -> Timer | None:
        running_id = await self._store.running_timer_id(caller.user_id)
        return None if running_id is None else (await self._own(caller, running_id)).timer

    async def get(self, caller: Caller, timer_id: int) -> Timer:
        return (await self._own(caller, timer_id)).timer

    async def stop(
        self, caller: Caller, timer_id: int, request: StopRequest, *, tries: int = 5
    ) -> Timer:
        """Stops and posts; a recorded or pending timer is answered as it is (idempotent)."""
        read = await self._own(caller, timer_id)
        timer = read.timer
        if timer.status in ("recorded", "pending"):
            return timer
        checked_billable(request.billable, self._plan.billable_field_id)
        if request.project_slug is not None and request.project_slug != timer.project_slug:
            raise ValidationFailed(
                "The timer belongs to another project.",
                {"project_slug": [f"This timer is in project {timer.project_slug!r}."]},
            )
        now = self._clock.now()
        stopped_work = timer_work(timer, request.ended_at, now, self._plan)
        activity_id = timer.activity_id
        if request.activity_id is not None:
            activity_id = await self._purposes.stop_activity(caller, request.activity_id)
        stopped = timer.model_copy(
            update={
                "status": "pending",
                "ended_at": stopped_work.ended_at,
                "duration_seconds": int(worked_seconds(stopped_work.work)),
                "portions": keep_posted(
                    timer.portions, plan_work(stopped_work.counted, self._plan)
                ),
                "segments": stopped_work.work,
                "resumed_at": None,
                "paused_at": None,
                "capped": stopped_work.is_capped,
                "billable": timer.billable if request.billable is None else request.billable,
                "description": (
                    request.description if request.description is not None else timer.description
                ),
                "activity_id": activity_id,
                "company_slug": request.company_slug or timer.company_slug,
                "errors": (),
                "failure_reason": None,
                "queued_at": now,
                "attempts": 0,
                "sealed_key": self._vault.seal(caller.api_key),
            }
        )
        try:
            await self._store.save_timer(read, stopped, outbox=now)
        except TimerChanged:
            # Stopped meanwhile by another request or replica: answer with what it became.
            current = (await self._own(caller, timer_id)).timer
            if current.status == "running" and tries > 1:
                # Only paused or resumed meanwhile: it still has to stop.
                return await self.stop(caller, timer_id, request, tries=tries - 1)
            return current
        log.info("timer stopped timer=%s user=%s", timer_id, caller.user_id)
        return await self._post_now(caller, stopped)

    async def discard(self, caller: Caller, timer_id: int) -> None:
        """A stop with `discard`: the running timer ends and nothing is posted; once stopped,
        409 TIMER_NOT_RUNNING (its hours are Redmine's or on their way: DELETE removes them)."""
        read = await self._own(caller, timer_id)
        if read.timer.status != "running":
            raise TimerNotRunning("The timer has stopped already; DELETE removes its entry.")
        try:
            await self._store.discard_timer(read)
        except TimerChanged as exc:
            raise Conflict("The timer changed meanwhile; try again.") from exc
        log.info("timer discarded timer=%s user=%s", timer_id, caller.user_id)

    async def delete(self, caller: Caller, timer_id: int) -> None:
        if timer_id < TIMER_ID_BASE:
            await self._delete_redmine_entry(caller, timer_id)
            return
        read = await self._own(caller, timer_id)
        timer = read.timer
        if timer.status == "pending" and await self._store.posting.is_held(
            caller.user_id, timer_id, self._clock.now()
        ):
            raise Conflict("The entry is being posted to Redmine right now; try again.")
        for entry_id in timer.redmine_time_entry_ids:
            try:
                await self._redmine.delete_time_entry(caller.api_key, entry_id)
            except NotFound:
                log.info("entry already gone in redmine entry=%s timer=%s", entry_id, timer_id)
        try:
            await self._store.discard_timer(read)
        except TimerChanged as exc:
            raise Conflict("The timer changed meanwhile; try again.") from exc
        finally:
            await self._store.caches.invalidate_analytics(caller.user_id)
        log.info("timer deleted timer=%s user=%s status=%s", timer_id, caller.user_id, timer.status)

    async def _manual(self, caller: Caller, request: StartRequest) -> Timer:
        now = self._clock.now()
        span = manual_span(request, now, self._plan)
        template = await self._new_timer(caller, request, manual=True)
        timer = template.model_copy(
            update={
                "started_at": span.started_at,
                "ended_at": span.ended_at,
                "is_manual": True,
                "status": "pending",
                "duration_seconds": int((span.ended_at - span.started_at).total_seconds()),
                "portions": span.portions,
                "queued_at": now,
                "sealed_key": self._vault.seal(caller.api_key),
            }
        )
        timer = timer.model_copy(update={"manual_fingerprint": manual_fingerprint(timer)})
        earlier = await self._store.create_timer(timer, exclusive=False)
        if earlier is not None:
            log.info("manual entry sent again timer=%s user=%s", earlier, caller.user_id)
            return (await self._store.timer(earlier)).timer
        return await self._post_now(caller, timer)

    async def _post_now(self, caller: Caller, pending: Timer) -> Timer:
        """The first attempt at posting an entry already safe in the outbox. If Redis fails from
        here on, the entry is still pending there and the worker posts it: the answer says
        pending rather than failing a request whose work is kept."""
        try:
            timer = await self._recorder.attempt(pending.id, caller.api_key)
            # After the post: an answer computed meanwhile must not outlive it in the cache.
            await self._store.caches.invalidate_analytics(caller.user_id)
        except STORE_FAILURES as exc:
            log.warning(
                "entry kept pending after a store error timer=%s error=%s",
                pending.id,
                type(exc).__name__,
            )
            return pending
        except TimerChanged:
            # The record moved under the attempt: a store retry whose first run had applied, or
            # another replica's outbox. Either way the entry is in the outbox, which posts it.
            log.info("entry left to the outbox, its record changed timer=%s", pending.id)
            return pending
        return timer

    async def _new_timer(self, caller: Caller, request: StartRequest, *, manual: bool) -> Timer:
        purpose = await self._purposes.purpose(caller, request, manual=manual)
        now = self._clock.now()
        return Timer(
            id=await self._store.next_timer_id(caller.user_id),
            user=caller.owner,
            task_uuid=request.task_uuid,
            issue_id=purpose.issue_id,
            project_id=purpose.project_id,
            project_slug=purpose.project_slug,
            company_slug=request.company_slug,
            description=request.description or "",
            activity_id=purpose.activity_id,
            billable=request.billable,
            started_at=now,
            created_at=now,
        )

    async def _own(self, caller: Caller, timer_id: int) -> Versioned:
        return await own_timer(self._store, caller, timer_id)

    async def _delete_redmine_entry(self, caller: Caller, entry_id: int) -> None:
        await own_entry(self._redmine, caller, entry_id)
        mapped = await self._store.timer_ids_of_entries({entry_id: caller.user_id})
        timer_id = mapped.get(entry_id)
        if timer_id is not None:
            # Posted by one of the caller's timers: delete the timer, so no record dangles.
            try:
                await self.delete(caller, timer_id)
                return
            except NotFound:
                # Its record expired (retention) before the sweep pruned the mapping.
                log.info("entry's timer expired entry=%s timer=%s", entry_id, timer_id)
        try:
            await self._redmine.delete_time_entry(caller.api_key, entry_id)
        finally:
            await self._store.caches.invalidate_analytics(caller.user_id)
