"""Handlers of /time-trackings: parse the request, call the service, serialize its answer."""

import json
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from gateway.appkeys import CLOCK, IDENTITY, LISTER, PAUSER, SETTINGS, TIMERS
from gateway.errors import (
    BadRequest,
    NotFound,
    RedmineRejected,
    ValidationFailed,
)
from gateway.identity import Caller, api_key_of
from gateway.timers.list_query import ListQuery
from gateway.timers.models import (
    TIMER_ID_BASE,
    ActiveAnswer,
    StartAnswer,
    StartRequest,
    StopRequest,
    Timer,
    TimerRef,
    TrackingAnswer,
    timer_view,
)

# The answer to a stop or a manual entry says how far the hours got.
STATUS_OF = {"running": 201, "recorded": 200, "pending": 202}


async def caller_of(request: web.Request, *, own_timers: bool = False) -> Caller:
    """The caller; for their own timers, also as Redmine confirmed them within the grace."""
    return await request.app[IDENTITY].caller(api_key_of(request), grace=own_timers)


async def json_object(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadRequest("The request body is not valid JSON.", {"body": [str(exc)]}) from exc
    if not isinstance(body, dict):
        raise ValidationFailed(
            "The request body must be a JSON object.", {"body": ["Not an object."]}
        )
    return body


def timer_id_of(request: web.Request) -> int:
    return TimerRef.model_validate(request.match_info).timer_id


def respond(
    request: web.Request, timer: Timer, *, created: bool, previous: Timer | None = None
) -> web.Response:
    now = request.app[CLOCK].now()
    view = timer_view(timer, now, limit_of(request))
    if timer.status == "failed":
        # Answered as a TimerError: the error shape with the refused entry as `data`.
        raise RedmineRejected(
            "Redmine refused the time entry; correct it and stop the timer again.",
            {"redmine": list(timer.errors)},
            extra={"data": view.model_dump(mode="json")},
        )
    status = STATUS_OF[timer.status]
    if created and status == 200:
        status = 201
    # The timer a start stopped first: its status says whether its hours reached Redmine.
    shown = None if previous is None else timer_view(previous, now)
    return json_answer(StartAnswer(data=view, previous=shown), status)


def limit_of(request: web.Request) -> int:
    """GATEWAY_MAX_TIMER_HOURS in seconds, which running timers are shown against."""
    return request.app[SETTINGS].max_timer_s


def json_answer(answer: BaseModel, status: int = 200) -> web.Response:
    return web.Response(
        text=answer.model_dump_json(), status=status, content_type="application/json"
    )


async def start(request: web.Request) -> web.Response:
    caller = await caller_of(request, own_timers=True)
    start_request = StartRequest.model_validate(await json_object(request))
    started = await request.app[TIMERS].start(caller, start_request)
    return respond(request, started.timer, created=True, previous=started.previous)


async def stop(request: web.Request) -> web.Response:
    caller = await caller_of(request, own_timers=True)
    stop_request = StopRequest.model_validate(await json_object(request))
    if stop_request.discard:
        await request.app[TIMERS].discard(caller, timer_id_of(request))
        return web.Response(status=204)
    timer = await request.app[TIMERS].stop(caller, timer_id_of(request), stop_request)
    return respond(request, timer, created=False)


async def active(request: web.Request) -> web.Response:
    caller = await caller_of(request, own_timers=True)
    timer = await request.app[TIMERS].active(caller)
    data = None if timer is None else timer_view(timer, request.app[CLOCK].now(), limit_of(request))
    return json_answer(ActiveAnswer(data=data))


async def show(request: web.Request) -> web.Response:
    caller = await caller_of(request, own_timers=True)
    timer_id = timer_id_of(request)
    if timer_id < TIMER_ID_BASE:
        view = await request.app[LISTER].entry(caller, timer_id)
    else:
        timer = await request.app[TIMERS].get(caller, timer_id)
        view = timer_view(timer, request.app[CLOCK].now(), limit_of(request))
    return json_answer(TrackingAnswer(data=view))


async def delete(request: web.Request) -> web.Response:
    caller = await caller_of(request, own_timers=True)
    await request.app[TIMERS].delete(caller, timer_id_of(request))
    return web.Response(status=204)


async def index(request: web.Request) -> web.Response:
    caller = await caller_of(request)
    query = ListQuery.model_validate(dict(request.query))
    page = await request.app[LISTER].page(caller, query)
    return json_answer(page)


async def pause(request: web.Request) -> web.Response:
    caller = await caller_of(request, own_timers=True)
    timer = await request.app[PAUSER].pause(caller, timer_id_of(request))
    return json_answer(
        TrackingAnswer(data=timer_view(timer, request.app[CLOCK].now(), limit_of(request)))
    )


async def resume(request: web.Request) -> web.Response:
    caller = await caller_of(request, own_timers=True)
    timer = await request.app[PAUSER].resume(caller, timer_id_of(request))
    return json_answer(
        TrackingAnswer(data=timer_view(timer, request.app[CLOCK].now(), limit_of(request)))
    )


async def unknown(request: web.Request) -> web.Response:
    raise NotFound(f"No {request.path} on the time-tracking API.")
