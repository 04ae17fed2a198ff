"""Logging configuration (text or JSON), and the redaction of secrets in logged request targets."""

import json
import logging
import logging.config
import re
from typing import Any
from urllib.parse import unquote_plus

# Query parameters that carry credentials in Redmine (key=) or in common token schemes.
SECRET_QUERY_NAMES = frozenset({"key", "api_key", "apikey", "token", "access_token", "password"})
# Every secret name contains one of these: a query with none of them (and no %-escapes, which
# could spell one) has nothing to mask, and most access lines are written without a regex.
SECRET_NAME_PARTS = ("key", "token", "password")
QUERY_PARAM = re.compile(r"([?&;])([^=&;#]*)=([^&;#]*)")
REDACTED = "[REDACTED]"
# One line per request (method, target with secrets masked, status, body bytes, time, peer).
ACCESS_LOGGER = "gateway.access"


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
    # No format shows a record's thread or process; looking them up costs every record (the
    # access log makes one per request).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
