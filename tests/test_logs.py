"""Log configuration and the access logger's secret redaction."""

import asyncio
import io
import json
import logging
import re
import time
from types import SimpleNamespace
from typing import cast

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.front.connection import ClientConnection
from gateway.front.request import IncomingRequest
from gateway.logs import (
    ACCESS_LOGGER,
    SECRET_NAME_PARTS,
    SECRET_QUERY_NAMES,
    AccessLineFormat,
    JsonFormatter,
    logging_config,
    redact_query,
)
from gateway.proxy.access_log import AccessLog
from gateway.proxy.answers import Answer
from gateway.relay.headers import Fields
from tests.conftest import GatewayClient


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/issues.json?key=abc123", "/issues.json?key=[REDACTED]"),
        ("/x?limit=2&KEY=abc&offset=1", "/x?limit=2&KEY=[REDACTED]&offset=1"),
        ("/x?api_key=a&token=b", "/x?api_key=[REDACTED]&token=[REDACTED]"),
        ("/x?monkey=1&keys=2", "/x?monkey=1&keys=2"),
        ("/x", "/x"),
    ],
)
def test_redact_query(target: str, expected: str) -> None:
    assert redact_query(target) == expected


def test_json_formatter_writes_one_json_object() -> None:
    record = logging.LogRecord("gateway.x", logging.INFO, __file__, 1, "a=%s", ("b",), None)
    assert json.loads(JsonFormatter().format(record))["message"] == "a=b"


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_logging_config_is_accepted_by_dictconfig(fmt: str) -> None:
    config = logging_config("DEBUG", fmt)
    assert config["root"]["level"] == "DEBUG"
    logging.config.dictConfig({**config, "root": {"level": "WARNING", "handlers": []}})


async def test_access_log_line_never_contains_credentials(
    client: GatewayClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        response = await client.get(
            "/issues.json?key=SECRET1&limit=1",
            headers={
                "X-Redmine-API-Key": "SECRET2",
                "Authorization": "Basic U0VDUkVUMw==",
                "Cookie": "_redmine_session=SECRET4",
            },
        )
        assert response.status == 200
    [line] = [record.getMessage() for record in caplog.records if record.name == ACCESS_LOGGER]
    assert "method=GET target=/issues.json?key=[REDACTED]&limit=1 status=200 bytes=11 " in line
    assert re.search(r" ms=\d+\.\d remote=127\.0\.0\.1$", line), line
    for secret in ("SECRET1", "SECRET2", "U0VDUkVUMw", "SECRET4"):
        assert secret not in line


def test_every_secret_name_contains_a_part_the_quick_check_looks_for() -> None:
    for name in SECRET_QUERY_NAMES:
        assert any(part in name for part in SECRET_NAME_PARTS), name


@pytest.mark.parametrize(
    "target", ["/x?k%65y=SECRET", "/x?API_KEY=SECRET", "/x?a=1&Token=SECRET", "/x?%6Bey=SECRET"]
)
def test_spellings_of_secret_names_are_masked(target: str) -> None:
    assert "SECRET" not in redact_query(target)


ELAPSED = re.compile(r"ms=\d+\.\d")


def access_request(started: float) -> IncomingRequest:
    return IncomingRequest(
        method="GET",
        target=b"/issues.json?key=secret&x=1",
        raw_headers=Fields([]),
        http_version="1.1",
        keeps_alive=True,
        body=None,
        is_chunked=False,
        expects_continue=False,
        started=started,
        request_id="trace-7",
    )


def configured_handler(fmt: str, stream: io.StringIO) -> logging.Handler:
    """A stream handler with the formatter `serve` configures for this format."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging_config("INFO", fmt)["formatters"]["default"]["()"]())
    return handler


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_an_access_line_made_whole_reads_as_its_record_would(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The log writer's lines (made without a record) and the record path, for the same request
    at the same moment, write the same line: one format, whichever way it goes."""
    monkeypatch.setattr(time, "time", lambda: 1_764_000_000.0456)
    stream = io.StringIO()
    logger = logging.getLogger(f"{ACCESS_LOGGER}.{fmt}")
    logger.addHandler(configured_handler(fmt, stream))
    logger.setLevel(logging.INFO)
    logger.propagate = False
    made_whole: list[str] = []
    client = cast(ClientConnection, SimpleNamespace(peer="10.0.0.7"))
    request = access_request(asyncio.get_running_loop().time())
    AccessLog(logger).record(request, client, Answer(200, 2, True))
    line_format = AccessLineFormat(fmt, logger.name)
    AccessLog(logger, made_whole.append, line_format).record(request, client, Answer(200, 2, True))
    [line] = stream.getvalue().splitlines()
    # The two were timed a moment apart: all but the elapsed time is the same.
    assert [ELAPSED.sub("ms=*", made) for made in made_whole] == [ELAPSED.sub("ms=*", line)]
    message = (
        r"request method=GET target=/issues\.json\?key=\[REDACTED\]&x=1 status=200 bytes=2 "
        r"ms=\d+\.\d remote=10\.0\.0\.7"
    )
    if fmt == "json":
        entry = json.loads(line)
        assert (entry["level"], entry["logger"]) == ("INFO", f"{ACCESS_LOGGER}.{fmt}")
        assert (entry["request_id"], entry["time"][:4]) == ("trace-7", "2025")
        assert re.fullmatch(message, entry["message"])
    else:
        stamp = r"2025-\d\d-\d\d \d\d:\d\d:\d\d,045"
        assert re.fullmatch(
            f"{stamp} INFO {ACCESS_LOGGER}.{fmt} {message} request_id=trace-7", line
        )
    assert "secret" not in line


@given(
    created=st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False),
    message=st.text(),
    fmt=st.sampled_from(["text", "json"]),
)
def test_a_line_made_whole_equals_the_formatters_line(
    created: float, message: str, fmt: str
) -> None:
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, __file__, 0, message, None, None)
    record.created = created
    record.msecs = int((created - int(created)) * 1000) + 0.0
    record.request_id = "0123456789abcdef"
    formatter = logging_config("INFO", fmt)["formatters"]["default"]["()"]()
    made = AccessLineFormat(fmt).line(created, message, "0123456789abcdef")
    assert made == formatter.format(record)
