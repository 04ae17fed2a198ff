"""Log configuration and the access logger's secret redaction."""

import json
import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from gateway.logs import JsonFormatter, RedactingAccessLogger, logging_config, redact_query


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


def test_access_log_line_never_contains_credentials(caplog: pytest.LogCaptureFixture) -> None:
    request = make_mocked_request(
        "GET",
        "/issues.json?key=SECRET1&limit=1",
        headers={
            "X-Redmine-API-Key": "SECRET2",
            "Authorization": "Basic U0VDUkVUMw==",
            "Cookie": "_redmine_session=SECRET4",
        },
    )
    access = RedactingAccessLogger(logging.getLogger("gateway.access.test"), "")
    with caplog.at_level(logging.INFO, logger="gateway.access.test"):
        access.log(request, web.Response(status=201), 0.0125)
    [line] = [record.getMessage() for record in caplog.records]
    assert "method=GET target=/issues.json?key=[REDACTED]&limit=1 status=201" in line
    assert "ms=12.5" in line
    for secret in ("SECRET1", "SECRET2", "U0VDUkVUMw", "SECRET4"):
        assert secret not in line
