"""Exception hierarchy and the middleware that turns it into the gateway's one JSON error shape."""

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import ClassVar

from aiohttp import hdrs, web
from pydantic import ValidationError
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FieldErrors = Mapping[str, Sequence[str]]
# What a 503 tells the client to wait before trying again.
RETRY_AFTER_S = 30


class GatewayError(Exception):
    status: ClassVar[int] = 500
    error_code: ClassVar[str] = "INTERNAL_ERROR"

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


class NotFound(GatewayError):
    status = 404
    error_code = "NOT_FOUND"


class Conflict(GatewayError):
    status = 409
    error_code = "CONFLICT"


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
    """Redmine answered a call of the gateway's own with something it cannot use."""

    status = 502
    error_code = "UPSTREAM_ANSWER_INVALID"


class StoreUnavailable(GatewayError):
    """Redis did not answer (down, restarting, paused, or too slow): nothing was half-written."""

    status = 503
    error_code = "STORE_UNAVAILABLE"


# Redmine cannot be asked now: what it confirmed recently may stand in (GATEWAY_IDENTITY_GRACE_H).
REDMINE_UNREACHABLE = (RedmineUnreachable, RedmineTooSlow)


def error_response(
    status: int,
    error_code: str,
    message: str,
    field_errors: FieldErrors,
    extra: Mapping[str, object] | None = None,
) -> web.Response:
    return web.json_response(
        error_document(error_code, message, field_errors, extra), status=status
    )


def error_document(
    error_code: str,
    message: str,
    field_errors: FieldErrors,
    extra: Mapping[str, object] | None = None,
) -> dict[str, object]:
    errors = {name: list(messages) for name, messages in field_errors.items()}
    return {"message": message, "error_code": error_code, "errors": errors, **(extra or {})}


def field_errors_from(exc: ValidationError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for item in exc.errors():
        name = ".".join(str(part) for part in item["loc"]) or "body"
        errors.setdefault(name, []).append(item["msg"])
    return errors


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except GatewayError as exc:
        response = error_response(exc.status, exc.error_code, str(exc), exc.field_errors, exc.extra)
        if exc.status == 503:
            response.headers[hdrs.RETRY_AFTER] = str(RETRY_AFTER_S)
        return response
    except ValidationError as exc:
        return error_response(
            422, "VALIDATION_FAILED", "The given data was invalid.", field_errors_from(exc)
        )
    except RedisError as exc:
        # An outage, not a bug: one line, no traceback. Every write is one script or one
        # transaction, so the request either happened whole or not at all; repeating it is safe.
        log.warning(
            "store unavailable method=%s path=%s error=%s",
            request.method,
            request.path,
            type(exc).__name__,
        )
        response = error_response(
            StoreUnavailable.status,
            StoreUnavailable.error_code,
            "The timer store (Redis) is unavailable; try again shortly.",
            {},
        )
        response.headers[hdrs.RETRY_AFTER] = str(RETRY_AFTER_S)
        return response
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error method=%s path=%s", request.method, request.path)
        return error_response(500, "INTERNAL_ERROR", "unexpected error", {})
