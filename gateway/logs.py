"""Logging configuration (text or JSON), request ids on every line of a request, and the
redaction of secrets in logged request targets."""

import contextvars
import json
import logging
import logging.config
import random
import re
import time
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web

# Query parameters that carry credentials in Redmine (key=) or in common token schemes.
SECRET_QUERY_NAMES = frozenset({"key", "api_key", "apikey", "token", "access_token", "password"})
# Every secret name contains one of these: a query with none of them (and no %-escapes, which
# could spell one) has nothing to mask, and most access lines are written without a regex.
SECRET_NAME_PARTS = ("key", "token", "password")
QUERY_PARAM = re.compile(r"([?&;])([^=&;#]*)=([^&;#]*)")
REDACTED = "[REDACTED]"
# One line per request (method, target with secrets masked, status, body bytes, time, peer).
ACCESS_LOGGER = "gateway.access"

REQUEST_ID_HEADER = "X-Request-Id"
# A client's X-Request-Id is logged as given when it is this plain (visible ASCII but space, quote
# and backslash, at most 128 characters: a UUID, a trace id); any other is still forwarded
# unchanged, and its request is logged under an id of the gateway's.
PLAIN_REQUEST_ID = re.compile(r"[!#-\[\]-~]{1,128}")
# The request a line is logged for, if any: set by the front for each request it relays, by the
# app for each request it answers, and by the outbox worker for each entry it posts.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "request_id", default=None
)


@web.middleware
async def request_id_middleware(
    request: web.Request, handler: Callable[[web.Request], Any]
) -> web.StreamResponse:
    """The app's lines for a request carry the id the front gave it (the front sends one on when
    the client sent none), and so do the app's own calls to Redmine; the answer names it too."""
    request_id = request_id_to_log(request.headers.get(REQUEST_ID_HEADER))
    current_request_id.set(request_id)
    response: web.StreamResponse = await handler(request)
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def request_id_header() -> dict[str, str]:
    """For a call of the gateway's own to Redmine: the id of the request (or outbox attempt) it is
    made for, or, made outside any (the preflight), an id of its own."""
    return {REQUEST_ID_HEADER: current_request_id.get() or new_request_id()}


def request_id_of(record: logging.LogRecord) -> str | None:
    """The id of the request `record` was logged for, if any."""
    request_id: str | None = getattr(record, "request_id", None)
    return request_id


def new_request_id() -> str:
    """64 random bits: unique enough to find one request's lines among a fleet's. Not a secret,
    so the `random` generator (reseeded in each forked worker) rather than a system call."""
    return f"{random.getrandbits(64):016x}"


def request_id_to_log(sent: str | None) -> str:
    """The client's id when it is plain enough to log as it is, else a new one of ours."""
    if sent is not None and PLAIN_REQUEST_ID.fullmatch(sent):
        return sent
    return new_request_id()


def redact_query(target: str) -> str:
    """Masks secret parameter values; names are compared decoded, as Redmine (Rack) reads them."""

    def mask(match: re.Match[str]) -> str:
        separator, name, value = match.groups()
        if unquote_plus(name).lower() in SECRET_QUERY_NAMES:
            value = REDACTED
        return f"{separator}{name}={value}"

    path, question, query = target.partition("?")
    if not question:
        return target
    lowered = query.lower()
    if "%" not in query and not any(part in lowered for part in SECRET_NAME_PARTS):
        return target
    return path + QUERY_PARAM.sub(mask, question + query)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
JSON_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


class TextFormatter(logging.Formatter):
    """The text line, ending in ` request_id=…` when it was logged for a request."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        request_id = request_id_of(record)
        return line if request_id is None else f"{line} request_id={request_id}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, JSON_TIME_FORMAT),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_of(record)
        if request_id is not None:
            entry["request_id"] = request_id
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class AccessLineFormat:
    """An access line, whole, as the configured formatter would write its record (the tests hold
    the two equal), without a `LogRecord` or a formatter call per request: the local time's text
    is made once a second."""

    def __init__(self, fmt: str, logger_name: str = ACCESS_LOGGER) -> None:
        self._is_json = fmt == "json"
        self._logger_name = logger_name
        self._second = -1
        self._stamp = ""

    def line(self, created: float, message: str, request_id: str) -> str:
        second = int(created)
        if second != self._second:
            self._second = second
            self._stamp = time.strftime(
                JSON_TIME_FORMAT if self._is_json else "%Y-%m-%d %H:%M:%S", time.localtime(second)
            )
        if self._is_json:
            # A plain request id (PLAIN_REQUEST_ID or ours) needs no escaping in JSON.
            return (
                f'{{"time": "{self._stamp}", "level": "INFO", "logger": "{self._logger_name}", '
                f'"message": {encode_basestring_ascii(message)}, "request_id": "{request_id}"}}'
            )
        millis = int((created - second) * 1000)
        return (
            f"{self._stamp},{millis:03d} INFO {self._logger_name} {message} request_id={request_id}"
        )


def logging_config(level: str, fmt: str) -> dict[str, Any]:
    formatter: dict[str, Any] = {"()": JsonFormatter if fmt == "json" else TextFormatter}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
    }


def configure_logging(level: str, fmt: str) -> None:
    logging.config.dictConfig(logging_config(level, fmt))
    logging.setLogRecordFactory(with_request_id(logging.getLogRecordFactory()))
    # No format shows a record's thread or process; looking them up costs every record (the
    # access log makes one per request).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


RecordFactory = Callable[..., logging.LogRecord]


def with_request_id(make: RecordFactory) -> RecordFactory:
    """Records made while a request is handled carry its id (`record.request_id`), whichever
    thread formats them later."""
    if getattr(make, "adds_request_id", False):
        return make

    def make_with_request_id(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        record.request_id = current_request_id.get()
        return record

    make_with_request_id.adds_request_id = True  # type: ignore[attr-defined]
    return make_with_request_id
