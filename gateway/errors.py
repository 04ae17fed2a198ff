"""Exception hierarchy and the middleware that turns it into the gateway's one JSON error shape."""

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import ClassVar

from aiohttp import web
from aiohttp.typedefs import Middleware
from pydantic import BaseModel, ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.store.failures import STORE_FAILURES

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FieldErrors = Mapping[str, Sequence[str]]
# Sent as Retry-After with every 503: long enough for a Redis or app restart to finish.
RETRY_AFTER_S = 5


class GatewayError(Exception):
    status: ClassVar[int] = 500
    error_code: ClassVar[str] = "INTERNAL_ERROR"
    # Seconds a client is asked to wait (Retry-After) when the status is 503.
    retry_after_s: ClassVar[int] = RETRY_AFTER_S

    def __init__(
        self,
        message: str,
        field_errors: FieldErrors | None = None,
        *,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.field_errors: FieldErrors = field_errors or {}
        # Members added beside the error shape, e.g. the running timer on a 409.
        self.extra: Mapping[str, object] = extra or {}


class BadRequest(GatewayError):
    status = 400
    error_code = "BAD_REQUEST"


class Unauthenticated(GatewayError):
    status = 401
    error_code = "UNAUTHENTICATED"


class Forbidden(GatewayError):
    status = 403
    error_code = "FORBIDDEN"


class SessionExpired(Unauthenticated):
    """A page session that ended (idle too long, signed out) or never existed."""

    error_code = "SESSION_EXPIRED"


class CsrfRefused(Forbidden):
    """A call with the page's session cookie that did not come from the page."""

    error_code = "CSRF_FAILED"


class NotFound(GatewayError):
    status = 404
    error_code = "NOT_FOUND"


class Conflict(GatewayError):
    status = 409
    error_code = "CONFLICT"


class TimerNotRunning(Conflict):
    """Pause, resume or discard of a timer that already stopped."""

    error_code = "TIMER_NOT_RUNNING"


class TimerAlreadyPaused(Conflict):
    error_code = "TIMER_ALREADY_PAUSED"


class TimerNotPaused(Conflict):
    """Resume of a timer that is running (not paused)."""

    error_code = "TIMER_NOT_PAUSED"


class TooManyPauses(Conflict):
    error_code = "TIMER_TOO_MANY_PAUSES"


class ValidationFailed(GatewayError):
    status = 422
    error_code = "VALIDATION_FAILED"


class RedmineRejected(GatewayError):
    """Redmine refused a call the gateway made (its own messages are kept)."""

    status = 422
    error_code = "REDMINE_REJECTED"


class MethodNotAllowed(GatewayError):
    status = 405
    error_code = "METHOD_NOT_ALLOWED"

    def __init__(self, message: str, *, allowed: Sequence[str] = ()) -> None:
        super().__init__(message)
        # The methods the target has, sent as Allow (RFC 9110 §15.5.6); empty when unknown.
        self.allowed = tuple(allowed)


class HeaderTooLarge(GatewayError):
    status = 431
    error_code = "REQUEST_HEADER_FIELDS_TOO_LARGE"


class RequestTimeout(GatewayError):
    status = 408
    error_code = "REQUEST_TIMEOUT"


class VersionNotSupported(GatewayError):
    status = 505
    error_code = "HTTP_VERSION_NOT_SUPPORTED"


class UpstreamUnavailable(GatewayError):
    """Redmine could not be reached (the pass-through's 502)."""

    status = 502
    error_code = "UPSTREAM_UNAVAILABLE"


class UpstreamTimeout(GatewayError):
    status = 504
    error_code = "UPSTREAM_TIMEOUT"


class RedmineUnreachable(UpstreamUnavailable):
    """A call of the gateway's own got no answer (connection failed or lost) or a 5xx."""

    status = 503


class RedmineTooSlow(UpstreamTimeout):
    """A call of the gateway's own outlasted GATEWAY_UPSTREAM_TIMEOUT_S: as unreachable."""

    status = 503
    error_code = "UPSTREAM_UNAVAILABLE"


class RedmineAnswerInvalid(UpstreamUnavailable):
    """Redmine answered with something the gateway cannot use or relay (a malformed answer,
    one over the relay's limits, or an unexpected one to a call of the gateway's own)."""

    status = 502
    error_code = "UPSTREAM_ANSWER_INVALID"


class StoreUnavailable(GatewayError):
    """Redis is down, restarting or too slow to answer."""

    status = 503
    error_code = "STORE_UNAVAILABLE"


# Redmine cannot be asked now: what it confirmed recently may stand in (GATEWAY_IDENTITY_GRACE_H).
REDMINE_UNREACHABLE = (RedmineUnreachable, RedmineTooSlow)


class AppTimeout(GatewayError):
    """The gateway's own app (timers, analytics, readiness) did not answer the front in time."""

    status = 504
    error_code = "GATEWAY_TIMEOUT"


class TooManyConnections(GatewayError):
    """A connection beyond GATEWAY_MAX_CLIENT_CONNECTIONS."""

    status = 503
    error_code = "SERVICE_UNAVAILABLE"


class AppUnavailable(GatewayError):
    """The front could not reach the gateway's own app."""

    status = 503
    error_code = "SERVICE_UNAVAILABLE"


def error_response(
    status: int,
    error_code: str,
    message: str,
    field_errors: FieldErrors,
    extra: Mapping[str, object] | None = None,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    return web.json_response(
        error_document(error_code, message, field_errors, extra), status=status, headers=headers
    )


def gateway_error_response(exc: GatewayError) -> web.Response:
    return error_response(
        exc.status, exc.error_code, str(exc), exc.field_errors, exc.extra, error_headers(exc)
    )


def error_headers(exc: GatewayError) -> dict[str, str]:
    """Retry-After for every 503 the gateway gives, whichever error it comes from; Allow for
    every 405 whose target's methods are known."""
    if exc.status == 503:
        return {"Retry-After": str(exc.retry_after_s)}
    if isinstance(exc, MethodNotAllowed) and exc.allowed:
        return {"Allow": ", ".join(exc.allowed)}
    return {}


class ErrorBody(BaseModel):
    """The one shape of every error the gateway itself answers (GitScrum's); some errors add
    members beside these (e.g. the running timer on a 409)."""

    message: str
    error_code: str
    errors: dict[str, list[str]]


def error_document(
    error_code: str,
    message: str,
    field_errors: FieldErrors,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    errors = {name: list(messages) for name, messages in field_errors.items()}
    body = ErrorBody(message=message, error_code=error_code, errors=errors)
    return {**body.model_dump(mode="json"), **(extra or {})}


def field_errors_from(exc: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for item in exc.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        errors.setdefault(name, []).append(item["msg"])
    return errors


def error_middleware_counting(on_store_error: Callable[[], None]) -> Middleware:
    """The error middleware, calling `on_store_error` for each answer that is 503
    STORE_UNAVAILABLE (the app's metrics count Redis failures there)."""

    @web.middleware
    async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except GatewayError as exc:
            return gateway_error_response(exc)
        except STORE_FAILURES as exc:
            on_store_error()
            return gateway_error_response(store_unavailable(request, exc))
        except ValidationError as exc:
            return error_response(
                422, "VALIDATION_FAILED", "The given data was invalid.", field_errors_from(exc)
            )
        except web.HTTPException:
            raise
        except Exception:
            log.exception("unhandled error method=%s path=%s", request.method, request.path)
            return error_response(500, "INTERNAL_ERROR", "unexpected error", {})

    return error_middleware


def uncounted() -> None:
    pass


# For an app without metrics (tests of the error shape alone).
error_middleware = error_middleware_counting(uncounted)


def store_unavailable(request: web.Request, exc: Exception) -> StoreUnavailable:
    """Every Redis failure is answered 503; an outage (no connection, a timeout) is expected and
    gets one warning line, anything else Redis refused also names its message."""
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        log.warning(
            "store unavailable method=%s path=%s error=%s",
            request.method,
            request.path,
            type(exc).__name__,
        )
    else:
        log.error(
            "store refused method=%s path=%s error=%s detail=%s",
            request.method,
            request.path,
            type(exc).__name__,
            exc,
        )
    return StoreUnavailable("The timer store (Redis) is unavailable; try again shortly.")
