"""The page's cookie and its checks: same origin, the CSRF token, https behind a proxy."""

import hmac
from urllib.parse import urlsplit

from aiohttp import hdrs, web

from gateway.errors import CsrfRefused, Unauthenticated
from gateway.page.models import SessionRecord

COOKIE = "gateway_session"
CSRF_HEADER = "X-CSRF-Token"
STATE_CHANGING = frozenset({hdrs.METH_POST, hdrs.METH_PUT, hdrs.METH_PATCH, hdrs.METH_DELETE})
# What a browser says of a request's origin relative to the page (Fetch Metadata).
SAME_SITE_FETCH = frozenset({"same-origin", "none"})


def is_https(request: web.Request) -> bool:
    """Whether the browser spoke https to the proxy in front (its X-Forwarded-Proto, the first
    value: the nearest proxy's); the gateway itself listens for plain http only."""
    forwarded = request.headers.get("X-Forwarded-Proto", "")
    return forwarded.split(",")[0].strip().lower() == "https"


def set_session_cookie(response: web.Response, request: web.Request, value: str, path: str) -> None:
    """No Max-Age: the browser forgets it when it closes; the gateway ends it when idle."""
    response.set_cookie(
        COOKIE, value, path=path, httponly=True, samesite="Strict", secure=is_https(request)
    )


def clear_session_cookie(response: web.Response, request: web.Request, path: str) -> None:
    response.del_cookie(
        COOKIE, path=path, httponly=True, samesite="Strict", secure=is_https(request)
    )


def session_id_of(request: web.Request) -> str:
    session_id = request.cookies.get(COOKIE, "")
    if not session_id:
        raise Unauthenticated("Sign in on the page first.")
    return session_id


def check_same_origin(request: web.Request) -> None:
    """Refuses what a browser marks as coming from another site or origin; requests without
    these headers (not from a browser) carry no ambient cookie worth forging."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site.lower() not in SAME_SITE_FETCH:
        raise CsrfRefused("Requests from another site are refused.")
    origin = request.headers.get(hdrs.ORIGIN)
    if origin is None:
        return
    hosts = {request.host.lower(), request.headers.get("X-Forwarded-Host", "").lower()}
    if urlsplit(origin).netloc.lower() not in hosts - {""}:
        raise CsrfRefused("Requests from another origin are refused.")


def check_csrf(request: web.Request, record: SessionRecord) -> None:
    if request.method not in STATE_CHANGING:
        return
    token = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(token.encode(), record.csrf_token.encode()):
        raise CsrfRefused(f"The {CSRF_HEADER} header is missing or wrong; reload the page.")
