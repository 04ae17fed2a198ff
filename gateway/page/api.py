"""The time-tracking API behind the page's session: the same handlers, the caller from the
session (same origin, CSRF token on changes), the session cookie kept from everything else."""

import functools

from aiohttp import hdrs, web
from multidict import CIMultiDict

from gateway.appkeys import PAGE
from gateway.errors import Handler
from gateway.page.guard import check_csrf, check_same_origin, session_id_of
from gateway.redmine.client import API_KEY_HEADER

# Identity the page's request may not bring itself: only the session's key counts.
DROPPED = (hdrs.COOKIE, hdrs.AUTHORIZATION, API_KEY_HEADER)


def behind_session(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def on_page(request: web.Request) -> web.StreamResponse:
        check_same_origin(request)
        session = await request.app[PAGE].sessions.resume(session_id_of(request))
        check_csrf(request, session.record)
        headers = CIMultiDict(request.headers)
        for name in DROPPED:
            headers.popall(name, None)
        # The handler reads the key as any API client's; it never leaves the process but to
        # Redmine, as that user's own calls.
        headers[API_KEY_HEADER] = session.api_key
        return await handler(request.clone(headers=headers))

    return on_page


def is_behind_session(handler: Handler) -> bool:
    return getattr(handler, "__wrapped__", None) is not None
