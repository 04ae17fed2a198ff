"""Request ids in the app: its answers name them, its calls to Redmine and its log lines carry
them, and each outbox attempt has one of its own."""

import logging
import re

import pytest

from gateway.logs import REQUEST_ID_HEADER as REQUEST_ID
from gateway.logs import request_id_of
from tests.fakes.redmine import Canned
from tests.timers.conftest import Gateway
from tests.timers.test_outbox import stop_pending

# The ids the gateway makes itself.
OURS = re.compile(r"[0-9a-f]{16}")


async def test_an_app_answer_and_every_call_it_makes_to_redmine_carry_the_request_id(
    gw: Gateway,
) -> None:
    mark = gw.mark()
    reply = await gw.request(
        "POST", "/time-trackings", body={"task_uuid": "1"}, headers={REQUEST_ID: "start-1"}
    )
    assert reply.status == 201
    assert reply.headers[REQUEST_ID] == "start-1"
    calls = gw.calls_since(mark)
    assert calls and {c.headers[REQUEST_ID] for c in calls} == {"start-1"}


async def test_an_app_answer_names_the_id_it_logged_when_the_client_sent_none(gw: Gateway) -> None:
    mark = gw.mark()
    reply = await gw.request("GET", "/time-trackings/active")
    logged = reply.headers[REQUEST_ID]
    assert OURS.fullmatch(logged)
    assert {c.headers[REQUEST_ID] for c in gw.calls_since(mark)} <= {logged}


def lines_saying(caplog: pytest.LogCaptureFixture, start: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(start)]


async def test_a_stop_that_redmine_turns_away_logs_under_its_request_id(
    gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    started = await gw.start()
    gw.clock.advance(minutes=30)
    gw.redmine.queue(Canned(status=503))
    with caplog.at_level(logging.INFO):
        reply = await gw.request(
            "PUT", f"/time-trackings/{started['id']}", body={}, headers={REQUEST_ID: "stop-9"}
        )
    assert reply.status == 202
    [deferred] = lines_saying(caplog, "timer post deferred")
    assert request_id_of(deferred) == "stop-9"


async def test_each_outbox_attempt_has_an_id_its_lines_and_its_calls_share(
    gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    await stop_pending(gw, Canned(status=503))
    gw.clock.advance(seconds=5)
    mark = gw.mark()
    with caplog.at_level(logging.INFO):
        assert await gw.run_outbox() == 1
    [recorded] = lines_saying(caplog, "timer recorded")
    attempt_id = request_id_of(recorded)
    assert attempt_id is not None and OURS.fullmatch(attempt_id)
    calls = gw.calls_since(mark)
    assert calls and {c.headers[REQUEST_ID] for c in calls} == {attempt_id}
