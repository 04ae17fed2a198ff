"""Handlers of the GitScrum CLI's paths: resolve-task, start, stop-all, its list-shaped active."""

import logging

from aiohttp import web

from gateway.appkeys import CLOCK, REDMINE, SETTINGS, TASKS, TIMERS
from gateway.errors import (
    REDMINE_UNREACHABLE,
    Forbidden,
    NotFound,
    RedmineAnswerInvalid,
    Unauthenticated,
)
from gateway.identity import Caller
from gateway.timers import views
from gateway.timers.cli import (
    ISSUE_CODE,
    CliActiveAnswer,
    ResolvedTask,
    ResolveTaskAnswer,
    StopAllRequest,
    TaskCodeRef,
    cli_active_timer,
    is_cli,
    stop_all_answer,
    stopped_timer,
    task_code,
)
from gateway.timers.models import StopRequest, Timer, timer_view

log = logging.getLogger(__name__)


async def resolve_task(request: web.Request) -> web.Response:
    """A task code to the `task_uuid` a start takes; 404 for any code naming no issue the caller
    may see (hidden ones too: existence is not leaked)."""
    caller = await views.caller_of(request)
    code = TaskCodeRef.model_validate(request.match_info).code.strip()
    if not code:
        # Go's URL parser reads `#42` in a path as a fragment: `timer start #42` arrives here.
        raise NotFound("No task code was given; write the issue number without '#' (42).")
    number = ISSUE_CODE.fullmatch(code)
    if number is None and request.app[SETTINGS].task_field_id is None:
        raise NotFound(
            f"No task {code!r}: without GATEWAY_TASK_FIELD_ID a code is an issue number."
        )
    tasks = request.app[TASKS]
    try:
        issue_id = await tasks.issue_id(caller, code)
        issue = await request.app[REDMINE].issue(caller.api_key, issue_id)
    except (Forbidden, NotFound) as exc:
        raise NotFound(f"No task {code!r} is visible to you.") from exc
    project = await tasks.project(caller, issue.project.id)
    uuid = str(issue.id) if number else code
    resolved = ResolvedTask(
        uuid=uuid,
        code=task_code(uuid),
        issue_id=issue.id,
        title=issue.subject,
        project_slug=project.identifier,
    )
    return views.json_answer(ResolveTaskAnswer(data=resolved))


async def start_timer(request: web.Request) -> web.Response:
    """POST /time-trackings/start: the CLI's name for POST /time-trackings."""
    return await views.start(request)


async def stop_all(request: web.Request) -> web.Response:
    """Stops the caller's running timer (there is at most one) and posts its hours."""
    caller = await views.caller_of(request, own_timers=True)
    body = StopAllRequest.model_validate(await views.json_object(request))
    service = request.app[TIMERS]
    running = await service.active(caller)
    stopped = []
    if running is not None:
        timer = await service.stop(caller, running.id, StopRequest(company_slug=body.company_slug))
        stopped.append(stopped_timer(timer, await issue_title(request, caller, timer)))
    return views.json_answer(stop_all_answer(stopped))


async def active(request: web.Request) -> web.Response:
    """GET /time-trackings/active: for the CLI a list, for everyone else as documented."""
    if not is_cli(request.headers):
        return await views.active(request)
    caller = await views.caller_of(request, own_timers=True)
    timer = await request.app[TIMERS].active(caller)
    items = []
    if timer is not None:
        view = timer_view(timer, request.app[CLOCK].now(), views.limit_of(request))
        items.append(cli_active_timer(view, timer, await issue_title(request, caller, timer)))
    return views.json_answer(CliActiveAnswer(data=items))


async def issue_title(request: web.Request, caller: Caller, timer: Timer) -> str:
    """The subject of a timer's issue, or "" when Redmine cannot say: the timer was stopped (or
    is shown) either way, and a missing title must not turn that into an error. Time on a
    project without an issue has none."""
    if timer.issue_id is None:
        return ""
    try:
        issue = await request.app[REDMINE].issue(caller.api_key, timer.issue_id)
    except (
        *REDMINE_UNREACHABLE,
        RedmineAnswerInvalid,
        Unauthenticated,
        Forbidden,
        NotFound,
    ) as exc:
        log.info("issue title unavailable timer=%s error=%s", timer.id, type(exc).__name__)
        return ""
    return issue.subject
