"""Logging configuration (text or JSON) and an access logger that never writes secrets."""

import json
import logging
import logging.config
import re
from typing import Any
from urllib.parse import unquote_plus

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

# Query parameters that carry credentials in Redmine (key=) or in common token schemes.
SECRET_QUERY_NAMES = frozenset({"key", "api_key", "apikey", "token", "access_token", "password"})
QUERY_PARAM = re.compile(r"([?&;])([^=&;#]*)=([^&;#]*)")
REDACTED = "[REDACTED]"


def redact_query(target: str) -> str:
    """Masks secret parameter values; names are compared decoded, as Redmine (Rack) reads them."""

    def mask(match: re.Match[str]) -> str:
        separator, name, value = match.groups()
        if unquote_plus(name).lower() in SECRET_QUERY_NAMES:
            value = REDACTED
        return f"{separator}{name}={value}"

    path, question, query = target.partition("?")
    return path + QUERY_PARAM.sub(mask, question + query) if question else target


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class RedactingAccessLogger(AbstractAccessLogger):
    """One line per request: method, path with secret query values masked, status, size, time."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        self.logger.info(
            "request method=%s target=%s status=%s bytes=%s ms=%.1f remote=%s",
            request.method,
            redact_query(request.raw_path),
            response.status,
            response.body_length,
            time * 1000,
            request.remote,
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def logging_config(level: str, fmt: str) -> dict[str, Any]:
    formatter: dict[str, Any] = (
        {"()": JsonFormatter}
        if fmt == "json"
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
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
