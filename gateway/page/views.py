"""Handlers of the page: its files, signing in and out, the session, the issue picker."""

import logging

from aiohttp import web

from gateway.appkeys import CLOCK, IDENTITY, PAGE, SETTINGS
from gateway.errors import BadRequest, NotFound
from gateway.page.files import INDEX
from gateway.page.guard import (
    COOKIE,
    check_csrf,
    check_same_origin,
    clear_session_cookie,
    session_id_of,
    set_session_cookie,
)
from gateway.page.models import (
    Features,
    IssueChoice,
    IssueQuery,
    IssuesAnswer,
    SessionAnswer,
    SessionInfo,
    SessionRecord,
    SignInRequest,
)
from gateway.page.parts import ISSUE_CHOICES
from gateway.timers.models import Owner
from gateway.timers.views import json_answer, json_object

log = logging.getLogger(__name__)


async def index(request: web.Request) -> web.Response:
    return request.app[PAGE].files.answer(request, INDEX)


async def asset(request: web.Request) -> web.Response:
    return request.app[PAGE].files.answer(request, request.match_info["name"])


async def unknown(request: web.Request) -> web.Response:
    raise NotFound(f"No {request.path} on the page.")


async def to_index(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect(request.app[PAGE].root)


async def session(request: web.Request) -> web.Response:
    """The signed-in user and the CSRF token (a page reloaded finds its session again)."""
    check_same_origin(request)
    resumed = await request.app[PAGE].sessions.resume(session_id_of(request))
    return json_answer(session_answer(request, resumed.record))


async def sign_in(request: web.Request) -> web.Response:
    check_same_origin(request)
    if request.content_type != "application/json":
        # A cross-site form cannot send JSON without asking first (CORS), and is never allowed.
        raise BadRequest("Send the sign-in as application/json.")
    form = SignInRequest.model_validate(await json_object(request))
    page = request.app[PAGE]
    if form.api_key is not None:
        api_key = form.api_key.get_secret_value()
        user = (await request.app[IDENTITY].caller(api_key)).owner
    else:
        assert form.login is not None and form.password is not None
        found = await page.accounts.sign_in(form.login, form.password.get_secret_value())
        api_key, user = found.api_key, Owner(id=found.id, username=found.login, name=found.name)
    previous = request.cookies.get(COOKIE)
    if previous:
        await page.sessions.close(previous)
    session_id, record = await page.sessions.open(api_key, user)
    response = json_answer(session_answer(request, record), 201)
    set_session_cookie(response, request, session_id, page.root)
    return response


async def sign_out(request: web.Request) -> web.Response:
    check_same_origin(request)
    page = request.app[PAGE]
    session_id = session_id_of(request)
    resumed = await page.sessions.resume(session_id)
    check_csrf(request, resumed.record)
    await page.sessions.close(session_id)
    log.info("page session ended user=%s", resumed.record.user.id)
    response = web.Response(status=204)
    clear_session_cookie(response, request, page.root)
    return response


async def issues(request: web.Request) -> web.Response:
    """Open issues the user can see, by number or subject words, asked with the stored key."""
    check_same_origin(request)
    page = request.app[PAGE]
    query = IssueQuery.model_validate(dict(request.query))
    resumed = await page.sessions.resume(session_id_of(request))
    found = await page.accounts.open_issues(resumed.api_key, query.q, ISSUE_CHOICES)
    choices = [
        IssueChoice(
            id=issue.id,
            subject=issue.subject,
            project=issue.project.name,
            tracker=None if issue.tracker is None else issue.tracker.name,
        )
        for issue in found
    ]
    return json_answer(IssuesAnswer(data=choices))


def session_answer(request: web.Request, record: SessionRecord) -> SessionAnswer:
    settings, page = request.app[SETTINGS], request.app[PAGE]
    today = request.app[CLOCK].now().astimezone(settings.zone).date()
    info = SessionInfo(
        user=record.user,
        csrf_token=record.csrf_token,
        idle_minutes=settings.session_idle_min,
        timezone=settings.timezone,
        today=today,
        features=features(request, page.api_root),
    )
    return SessionAnswer(data=info)


def features(request: web.Request, api_root: str) -> Features:
    """What the mounted API has: pause and resume come with another change, and the page
    shows their buttons only once their routes exist."""
    paths = {
        resource.canonical
        for resource in request.app.router.resources()
        if resource.canonical.startswith(api_root)
    }
    return Features(
        pause=any(path.endswith("/pause") for path in paths),
        resume=any(path.endswith("/resume") for path in paths),
    )
