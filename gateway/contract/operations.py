"""What each handler of routes.TABLE takes and answers: its models and statuses, by handler."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel

from gateway import health
from gateway.analytics import views as analytics
from gateway.analytics.answers import (
    ProductivityAnswer,
    ReportAnswer,
    SummaryAnswer,
    TeamAnswer,
    TimelineAnswer,
)
from gateway.analytics.cli_report import CliReportAnswer
from gateway.analytics.query import AnalyticsQuery
from gateway.contract import views as contract
from gateway.errors import ErrorBody, Handler
from gateway.metrics import views as metrics
from gateway.page import views as page
from gateway.page.models import IssueQuery, IssuesAnswer, SessionAnswer, SignInRequest
from gateway.timers import cli_views as cli
from gateway.timers import views as timers
from gateway.timers.cli import (
    CliActiveAnswer,
    ResolveTaskAnswer,
    StopAllAnswer,
    StopAllRequest,
    TaskCodeRef,
)
from gateway.timers.list_query import ListQuery, TimeTrackingPage
from gateway.timers.models import (
    ActiveAnswer,
    StartAnswer,
    StartRequest,
    StopRequest,
    TimerError,
    TimerRef,
    TrackingAnswer,
)
from gateway.workspace import views as workspace
from gateway.workspace.models import (
    SearchAnswer,
    SearchQuery,
    WorkspacesAnswer,
    WorkspacesQuery,
)


class OpenApiDocument(BaseModel):
    """GET /-/openapi.json: an OpenAPI 3.1 document (this one)."""

    model_config = ConfigDict(extra="allow")

    openapi: str
    info: dict[str, Any]
    paths: dict[str, Any]


class ActiveAnswers(RootModel[ActiveAnswer | CliActiveAnswer]):
    """GET /time-trackings/active: the running timer or null; for `User-Agent: GitScrum-CLI/…`,
    a list of it (empty when none runs)."""


class ReportAnswers(RootModel[ReportAnswer | CliReportAnswer]):
    """GET /time-trackings/reports as JSON; for `User-Agent: GitScrum-CLI/…` the CLI's shape."""


@dataclass(frozen=True)
class Reply:
    """One status of an operation: its JSON body's model, and/or a text body of `text` type."""

    description: str
    model: type[BaseModel] | None = None
    text: str | None = None
    # A 503 from errors.gateway_error_response carries Retry-After.
    retry_after: bool = False


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    replies: Mapping[int, Reply]
    query: type[BaseModel] | None = None
    path: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    # Whether the caller's Redmine API key is required (every /time-trackings operation).
    secured: bool = True
    # Whether the page's session cookie is required instead (the page's own API).
    session: bool = False


BAD_JSON = Reply("The body is not valid JSON (BAD_REQUEST).", ErrorBody)
INVALID = Reply("A parameter or member is invalid (VALIDATION_FAILED).", ErrorBody)
NOT_FOUND = Reply("No such time tracking, task or project visible to the caller.", ErrorBody)
BUSY = Reply("The timer is being posted or changed right now; try again (CONFLICT).", ErrorBody)
REJECTED = Reply(
    "Invalid (VALIDATION_FAILED), or Redmine refused the entry (REDMINE_REJECTED, with the "
    "timer as `data`).",
    TimerError,
)
# What every /time-trackings operation may answer: each asks Redmine (the caller's key at least).
ASKS_REDMINE: Mapping[int, Reply] = {
    401: Reply("No API key, or one Redmine does not accept (UNAUTHENTICATED).", ErrorBody),
    403: Reply("Redmine does not allow this for the caller's account (FORBIDDEN).", ErrorBody),
    404: NOT_FOUND,
    502: Reply("Redmine answered something unusable (UPSTREAM_ANSWER_INVALID).", ErrorBody),
    503: Reply(
        "Redmine or the timer store cannot be reached now (UPSTREAM_UNAVAILABLE, "
        "STORE_UNAVAILABLE); retry after Retry-After seconds.",
        ErrorBody,
        retry_after=True,
    ),
    504: Reply("The gateway did not answer in time (GATEWAY_TIMEOUT).", ErrorBody),
}


PAGE_REFUSALS: Mapping[int, Reply] = {
    401: Reply("No session, or it ended (UNAUTHENTICATED, SESSION_EXPIRED).", ErrorBody),
    403: Reply(
        "From another origin, or a change without the X-CSRF-Token (CSRF_FAILED).", ErrorBody
    ),
    503: ASKS_REDMINE[503],
}


def own(replies: Mapping[int, Reply]) -> dict[int, Reply]:
    return {**ASKS_REDMINE, **replies}


def analytics_operation(
    summary: str, answer: type[BaseModel], text: str | None = None
) -> Operation:
    ok = Reply("The figures for the range asked.", answer, text)
    return Operation(summary, "analytics", own({200: ok, 422: INVALID}), query=AnalyticsQuery)


OPERATIONS: Mapping[Handler, Operation] = {
    timers.index: Operation(
        "List time trackings (Redmine entries and the gateway's timers), newest first",
        "timers",
        own({200: Reply("One page of time trackings.", TimeTrackingPage), 422: INVALID}),
        query=ListQuery,
    ),
    timers.start: Operation(
        "Start a timer, or add a manual entry when both ends are given",
        "timers",
        own(
            {
                201: Reply("Started (running), or a manual entry recorded.", StartAnswer),
                202: Reply("A manual entry accepted; its post to Redmine is pending.", StartAnswer),
                400: BAD_JSON,
                409: Reply("A timer is already running (CONFLICT; it is `data`).", TimerError),
                422: REJECTED,
            }
        ),
        body=StartRequest,
    ),
    cli.active: Operation(
        "The caller's running timer (a list of it for the GitScrum CLI)",
        "timers",
        own({200: Reply("The running timer, or null (the CLI: a list).", ActiveAnswers)}),
    ),
    cli.start_timer: Operation(
        "Start a timer: the GitScrum CLI's name for POST /time-trackings",
        "timers",
        own(
            {
                201: Reply("Started (running), or a manual entry recorded.", StartAnswer),
                202: Reply("A manual entry accepted; its post to Redmine is pending.", StartAnswer),
                400: BAD_JSON,
                409: Reply("A timer is already running (CONFLICT; it is `data`).", TimerError),
                422: REJECTED,
            }
        ),
        body=StartRequest,
    ),
    cli.stop_all: Operation(
        "Stop the caller's running timers and post their hours",
        "timers",
        own(
            {
                200: Reply(
                    "What was stopped (`stopped`: how many; 0 when none ran).", StopAllAnswer
                ),
                400: BAD_JSON,
                409: BUSY,
                422: INVALID,
            }
        ),
        body=StopAllRequest,
    ),
    cli.resolve_task: Operation(
        "The task_uuid of a task code (an issue number, or the task field's value)",
        "timers",
        own({200: Reply("The task.", ResolveTaskAnswer), 422: INVALID}),
        path=TaskCodeRef,
    ),
    analytics.analytics: analytics_operation(
        "Hours by person, task type, activity and day", SummaryAnswer
    ),
    analytics.team: analytics_operation("Hours per team member", TeamAnswer),
    analytics.reports: analytics_operation(
        "A time report (JSON, or CSV with format=csv or Accept: text/csv; the CLI's own shape)",
        ReportAnswers,
        text="text/csv",
    ),
    analytics.productivity: analytics_operation(
        "Focus, context switches and score", ProductivityAnswer
    ),
    analytics.timeline: analytics_operation("Entries by day, in order", TimelineAnswer),
    timers.show: Operation(
        "One time tracking: a timer's id, or a Redmine entry's",
        "timers",
        own({200: Reply("The time tracking.", TrackingAnswer)}),
        path=TimerRef,
    ),
    timers.stop: Operation(
        "Stop a timer and post its hours (again, for a failed one)",
        "timers",
        own(
            {
                200: Reply("Stopped and recorded in Redmine.", TrackingAnswer),
                202: Reply("Stopped; the post to Redmine is pending.", TrackingAnswer),
                204: Reply("Discarded (`discard: true`): ended, nothing posted."),
                400: BAD_JSON,
                409: Reply(
                    "Being posted or changed right now (CONFLICT), or `discard` on a stopped "
                    "timer (TIMER_NOT_RUNNING).",
                    ErrorBody,
                ),
                422: REJECTED,
            }
        ),
        path=TimerRef,
        body=StopRequest,
    ),
    timers.delete: Operation(
        "Delete a timer (and its Redmine entries), or a Redmine entry",
        "timers",
        own({204: Reply("Deleted."), 409: BUSY}),
        path=TimerRef,
    ),
    workspace.workspaces: Operation(
        "GitScrum's workspaces: the one GATEWAY_COMPANY_SLUG names",
        "workspaces",
        own({200: Reply("One page of workspaces.", WorkspacesAnswer), 422: INVALID}),
        query=WorkspacesQuery,
    ),
    workspace.search: Operation(
        "GitScrum's search (only with `categories`; any other /search is Redmine's): projects",
        "workspaces",
        own({200: Reply("What was found, by category asked.", SearchAnswer), 422: INVALID}),
        query=SearchQuery,
    ),
    timers.pause: Operation(
        "Pause a running timer: its open working segment closes",
        "timers",
        own(
            {
                200: Reply("Paused (is_paused; duration_minutes stops growing).", TrackingAnswer),
                409: Reply(
                    "Paused already (TIMER_ALREADY_PAUSED), stopped (TIMER_NOT_RUNNING) or "
                    "paused too often (TIMER_TOO_MANY_PAUSES).",
                    ErrorBody,
                ),
            }
        ),
        path=TimerRef,
    ),
    timers.resume: Operation(
        "Resume a paused timer: a new working segment opens",
        "timers",
        own(
            {
                200: Reply("Running again.", TrackingAnswer),
                409: Reply(
                    "Not paused (TIMER_NOT_PAUSED) or stopped (TIMER_NOT_RUNNING).", ErrorBody
                ),
            }
        ),
        path=TimerRef,
    ),
    health.healthz: Operation(
        "Liveness", "ops", {200: Reply("The process serves.", health.Liveness)}, secured=False
    ),
    health.readyz: Operation(
        "Readiness: Redis and Redmine answer",
        "ops",
        {
            200: Reply("Ready.", health.Readiness),
            503: Reply("Not ready (NOT_READY; the failing parts under `errors`).", ErrorBody),
        },
        secured=False,
    ),
    metrics.metrics: Operation(
        "Metrics of the process group, in Prometheus text format",
        "ops",
        {
            200: Reply("The scrape.", text="text/plain"),
            404: Reply("Metrics are off (GATEWAY_METRICS_ENABLED=false).", ErrorBody),
        },
        secured=False,
    ),
    page.session: Operation(
        "The page's session: its user and CSRF token",
        "page",
        {200: Reply("Signed in.", SessionAnswer), **PAGE_REFUSALS},
        secured=False,
        session=True,
    ),
    page.sign_in: Operation(
        "Sign in on the page (Redmine login and password, or API key); sets the session cookie",
        "page",
        {
            201: Reply("Signed in; the cookie is set.", SessionAnswer),
            400: Reply("Not JSON (BAD_REQUEST).", ErrorBody),
            401: Reply("Redmine refused the login, password or key (UNAUTHENTICATED).", ErrorBody),
            403: PAGE_REFUSALS[403],
            422: INVALID,
            503: ASKS_REDMINE[503],
            504: ASKS_REDMINE[504],
            502: ASKS_REDMINE[502],
        },
        body=SignInRequest,
        secured=False,
    ),
    page.sign_out: Operation(
        "Sign out: the session ends in Redis and the cookie is cleared",
        "page",
        {204: Reply("Signed out."), **PAGE_REFUSALS},
        secured=False,
        session=True,
    ),
    page.issues: Operation(
        "Open issues the user can see, by number or subject words (the issue picker)",
        "page",
        {
            200: Reply("Up to 20 issues, newest first.", IssuesAnswer),
            422: INVALID,
            **PAGE_REFUSALS,
            **{status: ASKS_REDMINE[status] for status in (502, 503, 504)},
        },
        query=IssueQuery,
        secured=False,
        session=True,
    ),
    contract.openapi: Operation(
        "This document", "ops", {200: Reply("OpenAPI 3.1.", OpenApiDocument)}, secured=False
    ),
}
