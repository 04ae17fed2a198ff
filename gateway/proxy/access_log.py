"""The access log: one redacted line for each request the front answered."""

import asyncio
import logging
import time
from collections.abc import Callable

from gateway.front.connection import ClientConnection
from gateway.front.request import IncomingRequest
from gateway.logs import AccessLineFormat, redact_query
from gateway.proxy.answers import Answer

# Logged for a request whose client left before its answer was written (as nginx does).
CLIENT_GONE_STATUS = 499
LINE = "request method=%s target=%s status=%s bytes=%s ms=%.1f remote=%s"


class AccessLog:
    """With `write_line` (the serving process's log writer), each line is made whole here and
    queued as text: a `LogRecord`, its handler calls and its formatting cost a request about as
    much as the rest of the access log together. Without one (the gateway embedded in tests),
    each line is a record handed to the logger's handlers, formatted as they format it.
    """

    def __init__(
        self,
        logger: logging.Logger,
        write_line: Callable[[str], None] | None = None,
        line_format: AccessLineFormat | None = None,
    ) -> None:
        self._logger = logger
        self._write_line = write_line
        self._line_format = line_format or AccessLineFormat("text", logger.name)

    def record(self, request: IncomingRequest, client: ClientConnection, answer: Answer) -> None:
        if not self._logger.isEnabledFor(logging.INFO):
            return
        elapsed_ms = (asyncio.get_running_loop().time() - request.started) * 1000
        message = LINE % (
            request.method,
            redact_query(request.target.decode("latin-1")),
            answer.status,
            answer.body_bytes,
            elapsed_ms,
            client.peer,
        )
        if self._write_line is not None:
            self._write_line(self._line_format.line(time.time(), message, request.request_id))
            return
        # Made directly: `Logger.info` would also look up the calling frame for each request.
        record = logging.LogRecord(
            self._logger.name, logging.INFO, __file__, 0, message, None, None
        )
        record.request_id = request.request_id
        self._logger.handle(record)

    def record_client_gone(self, request: IncomingRequest, client: ClientConnection) -> None:
        self.record(request, client, Answer(CLIENT_GONE_STATUS, 0, False))
