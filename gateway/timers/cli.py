"""The GitScrum CLI's own shapes (pure): who it is, task codes, its active list and stop-all."""

import datetime as dt
import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.timers.models import JsonHours, Slug, Timer, TimerStatus, TimeTrackingView

# `User-Agent: GitScrum-CLI/1.0` (gitscrum-core/cli, pkg/api/client.go).
CLI_AGENT_PREFIX = "GitScrum-CLI/"
ISSUE_CODE = re.compile(r"#?(\d{1,18})")


def is_cli(headers: Mapping[str, str]) -> bool:
    """Whether the GitScrum CLI sent the request (it reads some answers in shapes of its own)."""
    return headers.get("User-Agent", "").startswith(CLI_AGENT_PREFIX)


def task_code(task_uuid: str) -> str:
    """How a task is named to a person: `#42` for a Redmine issue, else the task field's value."""
    number = ISSUE_CODE.fullmatch(task_uuid)
    return f"#{int(number.group(1))}" if number else task_uuid


def duration_formatted(seconds: int) -> str:
    """As the CLI formats durations itself: `1h 5m`, or `45m` under an hour."""
    minutes = max(seconds, 0) // 60
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


class TaskCodeRef(BaseModel):
    """The path of /time-trackings/resolve-task/{code}: `42`, `%2342` (#42) or a field value."""

    code: str = Field(max_length=255)


class ResolvedTask(BaseModel):
    """A task code resolved: `uuid` is what `task_uuid` takes, `code` how to show it."""

    uuid: str
    code: str
    issue_id: int
    title: str
    project_slug: str


class ResolveTaskAnswer(BaseModel):
    """GET /time-trackings/resolve-task/{code}."""

    data: ResolvedTask


class CliIssue(BaseModel):
    uuid: str
    number: int
    title: str


def cli_issue(timer: Timer, title: str) -> CliIssue | None:
    """The timer's issue; None (JSON null, which Go leaves as the zero value) for time tracked on
    a project without one."""
    if timer.task_uuid is None or timer.issue_id is None:
        return None
    return CliIssue(uuid=timer.task_uuid, number=timer.issue_id, title=title)


class CliActiveTimer(TimeTrackingView):
    """A running timer as the CLI reads it (`uuid`, `start`, `comment`, `issue`), besides every
    field of the documented item."""

    uuid: str
    start: dt.datetime
    comment: str
    issue: CliIssue | None


class CliActiveAnswer(BaseModel):
    """GET /time-trackings/active for `User-Agent: GitScrum-CLI/…`: `data` is a list (empty, or
    the one running timer)."""

    data: list[CliActiveTimer]


def cli_active_timer(view: TimeTrackingView, timer: Timer, title: str) -> CliActiveTimer:
    return CliActiveTimer(
        **view.model_dump(),
        uuid=str(timer.id),
        start=timer.started_at,
        comment=timer.description,
        issue=cli_issue(timer, title),
    )


class StopAllRequest(BaseModel):
    """POST /time-trackings/stop-all."""

    model_config = ConfigDict(extra="ignore")

    company_slug: Slug | None = None

    @field_validator("company_slug", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: object) -> object:
        # The CLI sends its configured workspace, which may be empty.
        return None if isinstance(value, str) and not value.strip() else value


class StoppedTimer(BaseModel):
    """One timer stop-all stopped: the CLI's three fields, then what became of its hours."""

    task_code: str
    task_title: str
    duration_formatted: str
    id: int
    task_uuid: str | None
    duration_seconds: int | None
    hours: JsonHours | None
    status: TimerStatus
    errors: list[str]


class StopAllAnswer(BaseModel):
    """POST /time-trackings/stop-all: every running timer of the caller's, stopped."""

    message: str
    stopped: int
    data: list[StoppedTimer]


def stopped_timer(timer: Timer, title: str) -> StoppedTimer:
    seconds = timer.duration_seconds or 0
    return StoppedTimer(
        # Time on a project without an issue is named by the project.
        task_code=timer.project_slug if timer.task_uuid is None else task_code(timer.task_uuid),
        task_title=title,
        duration_formatted=duration_formatted(seconds),
        id=timer.id,
        task_uuid=timer.task_uuid,
        duration_seconds=timer.duration_seconds,
        hours=timer.hours,
        status=timer.status,
        errors=list(timer.errors),
    )


def stop_all_answer(stopped: list[StoppedTimer]) -> StopAllAnswer:
    if not stopped:
        return StopAllAnswer(message="No timer was running.", stopped=0, data=[])
    refused = [s for s in stopped if s.status == "failed"]
    message = f"Stopped {len(stopped)} timer(s)."
    if refused:
        message += " Redmine refused the entry of: " + ", ".join(s.task_code for s in refused)
        message += "; correct it and stop it again (PUT /time-trackings/{id})."
    return StopAllAnswer(message=message, stopped=len(stopped), data=stopped)
