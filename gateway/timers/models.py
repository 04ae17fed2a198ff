"""Timer, its requests and its public view (pydantic)."""

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    model_validator,
)

from gateway.errors import ErrorBody
from gateway.timers.durations import TypedDuration
from gateway.timers.segments import Segment, Work, is_over, running_work, worked_seconds

TimerStatus = Literal["running", "pending", "recorded", "failed"]
# Why a failed entry failed: Redmine refused it, Redmine could not be reached for too long, or
# the API key it waited with cannot be recovered. Each is fixed by stopping the timer again.
FailureReason = Literal["redmine_rejected", "redmine_unavailable", "key_lost"]
# How one attempt to post an entry ended: posted, or found already made by an earlier attempt
# whose answer was lost (adopted), given up (failed), or put back for a later try (retried).
PostResult = Literal["recorded", "adopted", "failed", "retried"]
# Redmine's own limit for a time entry's comments.
COMMENTS_MAX_CHARS = 1024
# A timer id in a path: at most 18 digits (the route's pattern), so it always fits an int64.
TIMER_ID_MAX = 10**18 - 1
# Ids the gateway gives its timers start here, above any realistic Redmine time entry id, so one
# id space serves both: an entry logged in Redmine directly keeps its Redmine id.
TIMER_ID_BASE = 1_000_000_000_000

# Hours are exact decimals inside, and plain JSON numbers (0.25) outside.
JsonHours = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Slug = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
Description = Annotated[str, StringConstraints(max_length=COMMENTS_MAX_CHARS)]


class Owner(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    username: str
    name: str


class Portion(BaseModel):
    """One time entry a stopped timer becomes (several when split at midnight)."""

    model_config = ConfigDict(frozen=True)

    spent_on: dt.date
    minutes: int
    hours: Decimal
    # The Redmine entry this portion became; once known it is never posted again nor forgotten.
    entry_id: int | None = None


class Timer(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    user: Owner
    task_uuid: str | None = None  # both None: time on the project itself
    issue_id: int | None = None
    project_id: int
    project_slug: str
    company_slug: str | None = None
    description: str = ""
    activity_id: int | None = None
    started_at: dt.datetime
    ended_at: dt.datetime | None = None
    created_at: dt.datetime
    is_manual: bool = False
    # A manual entry's task, times, activity and description, digested: the same entry sent
    # again (a retry) is answered with this one.
    manual_fingerprint: str | None = None
    status: TimerStatus = "running"
    duration_seconds: int | None = None
    portions: tuple[Portion, ...] = ()
    errors: tuple[str, ...] = ()
    failure_reason: FailureReason | None = None
    # When it last went pending (a stop, a manual entry, a re-post): the outbox gives up on an
    # entry that has waited GATEWAY_OUTBOX_MAX_AGE_H since then.
    queued_at: dt.datetime | None = None
    attempts: int = 0
    # When the first post whose outcome is still unknown went out (a lost answer, a timeout):
    # every later attempt looks for entries made since then before posting again.
    unconfirmed_since: dt.datetime | None = None
    # The owner's API key, encrypted, while the entry waits in the outbox; dropped once settled.
    sealed_key: str | None = None
    # Pausing: the closed working segments (every one once stopped), when the open one began
    # after a resume, and since when it is paused. A record without them ran unpaused.
    segments: tuple[Segment, ...] = ()
    resumed_at: dt.datetime | None = None
    paused_at: dt.datetime | None = None
    # Stopped past GATEWAY_MAX_TIMER_HOURS without an explicit end: the limit was posted.
    capped: bool = False
    # GATEWAY_BILLABLE_FIELD_ID's value as asked on start, manual entry or stop (None: unsaid).
    billable: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _portions_own_their_entries(cls, data: object) -> object:
        """Reads records written before entries were kept per portion: the ids were a list in
        portion order, and the time of the latest attempt stood for the unconfirmed one."""
        if not isinstance(data, dict) or "redmine_time_entry_ids" not in data:
            return data
        data = dict(data)
        ids = list(data.pop("redmine_time_entry_ids") or ())
        portions = [dict(p) if isinstance(p, dict) else p for p in data.get("portions") or ()]
        for portion, entry_id in zip(portions, ids, strict=False):
            if isinstance(portion, dict):
                portion.setdefault("entry_id", entry_id)
        data["portions"] = portions
        if data.get("status") == "pending" and "unconfirmed_since" not in data:
            data["unconfirmed_since"] = data.get("attempted_at")
        return data

    @property
    def hours(self) -> Decimal | None:
        return sum((p.hours for p in self.portions), Decimal(0)) if self.portions else None

    @property
    def redmine_time_entry_ids(self) -> tuple[int, ...]:
        return tuple(p.entry_id for p in self.portions if p.entry_id is not None)

    @property
    def unposted(self) -> tuple[Portion, ...]:
        return tuple(p for p in self.portions if p.entry_id is None)

    def work(self, now: dt.datetime) -> Work:
        """Its working segments: until `now` while it runs, as stopped otherwise."""
        if self.status == "running":
            return running_work(
                self.started_at, self.segments, self.resumed_at, self.paused_at, now
            )
        if self.segments:
            return self.segments
        return (Segment(started_at=self.started_at, ended_at=self.ended_at or self.started_at),)


class StartRequest(BaseModel):
    """POST /time-trackings: a timer, or a manual entry when both ends are given."""

    model_config = ConfigDict(extra="ignore")

    task_uuid: (  # without one, `project_slug` names the project the time is on
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
        | None
    ) = None
    company_slug: Slug | None = None
    project_slug: Slug | None = None
    description: Description | None = Field(
        default=None, validation_alias=AliasChoices("description", "work_description", "comment")
    )
    activity_id: int | None = Field(default=None, ge=1)
    started_at: dt.datetime | None = Field(
        default=None, validation_alias=AliasChoices("started_at", "start")
    )
    ended_at: dt.datetime | None = Field(
        default=None, validation_alias=AliasChoices("ended_at", "end")
    )
    # A manual entry's length as typed (2h30m, 2.5h, 2:30) on `date`, instead of both ends.
    duration: TypedDuration | None = None
    date: dt.date | None = None
    stop_running: bool = False  # "switch task", whatever GATEWAY_ON_START_WHEN_RUNNING says
    billable: bool | None = None


class StopRequest(BaseModel):
    """PUT /time-trackings/{id}: stop (or re-post a failed entry with corrected fields)."""

    model_config = ConfigDict(extra="ignore")

    company_slug: Slug | None = None
    project_slug: Slug | None = None
    ended_at: dt.datetime | None = Field(
        default=None, validation_alias=AliasChoices("ended_at", "end")
    )
    description: Description | None = Field(
        default=None, validation_alias=AliasChoices("description", "work_description", "comment")
    )
    activity_id: int | None = Field(default=None, ge=1)
    # End a running timer without posting anything (what DELETE does).
    discard: bool = False
    billable: bool | None = None


class TimerRef(BaseModel):
    """The path of /time-trackings/{timer_id}: a timer's id, or a Redmine entry's."""

    timer_id: int = Field(ge=0, le=TIMER_ID_MAX)


class UserView(BaseModel):
    username: str | None
    name: str


class TimeTrackingView(BaseModel):
    """The GitScrum-style time-tracking item every endpoint answers with."""

    id: int
    task_uuid: str | None
    user: UserView
    started_at: dt.datetime | None
    ended_at: dt.datetime | None
    duration_minutes: int | None
    duration_seconds: int | None
    description: str
    is_manual: bool
    created_at: dt.datetime
    hours: JsonHours | None
    spent_on: dt.date | None
    activity_id: int | None
    redmine_time_entry_id: int | None
    redmine_time_entry_ids: list[int]
    project_slug: str | None
    company_slug: str | None
    status: TimerStatus
    errors: list[str]
    failure_reason: FailureReason | None
    is_paused: bool = False
    paused_at: dt.datetime | None = None
    # Its working segments (duration_minutes is their sum): one unless it was paused.
    segments: list[Segment] = []
    # Running past GATEWAY_MAX_TIMER_HOURS (limit_hours); `capped`: stopped so, the limit posted.
    over_limit: bool = False
    limit_hours: JsonHours | None = None
    capped: bool = False
    # GATEWAY_BILLABLE_FIELD_ID's value: null when never set (not billable for the filters).
    billable: bool | None = None


def timer_view(timer: Timer, now: dt.datetime, limit_s: int = 0) -> TimeTrackingView:
    """Its view at `now`; a running timer over `limit_s` (0: no limit) shows over_limit."""
    work = timer.work(now)
    seconds = timer.duration_seconds
    elapsed = seconds if seconds is not None else int(worked_seconds(work))
    is_running = timer.status == "running"
    return TimeTrackingView(
        id=timer.id,
        task_uuid=timer.task_uuid,
        user=UserView(username=timer.user.username, name=timer.user.name),
        started_at=timer.started_at,
        ended_at=timer.ended_at,
        duration_minutes=max(elapsed, 0) // 60,
        duration_seconds=seconds,
        description=timer.description,
        is_manual=timer.is_manual,
        created_at=timer.created_at,
        hours=timer.hours,
        spent_on=timer.portions[0].spent_on if timer.portions else None,
        activity_id=timer.activity_id,
        redmine_time_entry_id=(
            timer.redmine_time_entry_ids[0] if timer.redmine_time_entry_ids else None
        ),
        redmine_time_entry_ids=list(timer.redmine_time_entry_ids),
        project_slug=timer.project_slug,
        company_slug=timer.company_slug,
        status=timer.status,
        errors=list(timer.errors),
        failure_reason=timer.failure_reason,
        is_paused=timer.paused_at is not None,
        paused_at=timer.paused_at,
        segments=list(work),
        over_limit=is_running and is_over(work, limit_s),
        limit_hours=Decimal(limit_s) / 3600 if is_running and limit_s else None,
        capped=timer.capped,
        billable=timer.billable,
    )


class TrackingAnswer(BaseModel):
    """One time tracking: GET or PUT /time-trackings/{timer_id}."""

    data: TimeTrackingView


class StartAnswer(TrackingAnswer):
    """POST /time-trackings; `previous` is the timer this start stopped first (only when
    GATEWAY_ON_START_WHEN_RUNNING=stop_previous or the start asked `stop_running`, and one was
    running): its status says whether its hours reached Redmine."""

    previous: TimeTrackingView | None = Field(default=None, exclude_if=lambda v: v is None)


class ActiveAnswer(BaseModel):
    """GET /time-trackings/active: the caller's running timer, null when none runs."""

    data: TimeTrackingView | None


class TimerError(ErrorBody):
    """The error shape, with the timer concerned as `data` where there is one: the running timer
    on a 409 to a start, the refused entry on a 422 REDMINE_REJECTED."""

    data: TimeTrackingView | None = Field(default=None, exclude_if=lambda v: v is None)
