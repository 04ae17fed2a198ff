"""Logging configuration (text or JSON), and the redaction of secrets in logged request targets."""

import contextlib
import json
import logging
import logging.config
import logging.handlers
import queue
import re
import threading
from collections.abc import Iterator
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
# Log lines reach stderr at most this late; one write pass per interval instead of per line.
WRITE_INTERVAL_S = 0.05


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


@contextlib.contextmanager
def written_off_the_loop(interval_s: float = WRITE_INTERVAL_S) -> Iterator[None]:
    """Log records are formatted where they are made but written by a thread of their own, in
    batches every `interval_s`, so a slow reader of stderr (a pipe to journald or docker) never
    stalls the event loop, and the loop is not interrupted by a write for every request.

    Entered in each serving process (threads do not survive the pre-fork); on exit, everything
    queued is written and the direct handlers come back.
    """
    root = logging.getLogger()
    direct = root.handlers[:]
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    writer = BatchWriter(records, direct, interval_s)
    root.handlers = [logging.handlers.QueueHandler(records)]
    writer.start()
    try:
        yield
    finally:
        writer.stop()
        root.handlers = direct


class BatchWriter:
    """Hands what has queued up to the real handlers every `interval_s`, from its own thread."""

    def __init__(
        self,
        records: queue.SimpleQueue[logging.LogRecord],
        handlers: list[logging.Handler],
        interval_s: float,
    ) -> None:
        self._records = records
        self._handlers = handlers
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval_s):
            self._write_queued()
        self._write_queued()

    def _write_queued(self) -> None:
        while True:
            try:
                record = self._records.get_nowait()
            except queue.Empty:
                return
            for handler in self._handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
