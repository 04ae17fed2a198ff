"""Request ids: each log line of a request carries one, a client's X-Request-Id reaches Redmine
unchanged, and the gateway's own calls to Redmine carry the id of what they are made for."""

import logging
import re

import pytest

from gateway.logs import ACCESS_LOGGER, REQUEST_ID_HEADER, request_id_of, request_id_to_log
from tests.conftest import GatewayClient
from tests.fakes.redmine import Canned, FakeRedmine

# The ids the gateway makes itself.
OURS = re.compile(r"[0-9a-f]{16}")


def sent_ids(redmine: FakeRedmine, at: int = -1) -> list[bytes]:
    """The X-Request-Id fields of one request Redmine received, as they came on the wire."""
    return [v for n, v in redmine.calls[at].raw_headers if n.lower() == b"x-request-id"]


def access_ids(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The ids the access lines were logged under ("None" for a line without one)."""
    return [str(request_id_of(r)) for r in caplog.records if r.name == ACCESS_LOGGER]


async def test_a_clients_request_id_reaches_redmine_unchanged_and_names_the_access_line(
    client: GatewayClient, redmine: FakeRedmine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        response = await client.get("/issues.json", headers={"X-Request-Id": "trace-42/a"})
    assert response.status == 200
    assert sent_ids(redmine) == [b"trace-42/a"]
    assert access_ids(caplog) == ["trace-42/a"]


async def test_a_request_without_one_gets_ours_in_redmine_and_in_the_log(
    client: GatewayClient, redmine: FakeRedmine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        for _ in range(2):
            assert (await client.get("/issues.json")).status == 200
    first, second = access_ids(caplog)
    assert OURS.fullmatch(first) and OURS.fullmatch(second) and first != second
    assert [sent_ids(redmine, 0), sent_ids(redmine, 1)] == [[first.encode()], [second.encode()]]


@pytest.mark.parametrize(
    "sent",
    [[("X-Request-Id", "has a space")], [("X-Request-Id", "a"), ("X-Request-Id", "b")]],
    ids=["not plain", "two"],
)
async def test_an_id_not_fit_to_log_is_still_forwarded_as_sent_and_logged_under_ours(
    client: GatewayClient,
    redmine: FakeRedmine,
    caplog: pytest.LogCaptureFixture,
    sent: list[tuple[str, str]],
) -> None:
    with caplog.at_level(logging.INFO, logger=ACCESS_LOGGER):
        assert (await client.get("/issues.json", headers=sent)).status == 200
    assert sent_ids(redmine) == [value.encode() for _, value in sent]
    [logged] = access_ids(caplog)
    assert OURS.fullmatch(logged)


async def test_the_gateways_own_error_answer_names_the_request(
    client: GatewayClient, redmine: FakeRedmine, caplog: pytest.LogCaptureFixture
) -> None:
    redmine.outage = Canned(drop_connection=True)
    with caplog.at_level(logging.INFO):
        response = await client.get("/issues.json", headers={"X-Request-Id": "trace-502"})
    assert response.status == 502
    assert response.headers[REQUEST_ID_HEADER] == "trace-502"
    # The relay's warning about the failed exchange is a line of that request too.
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and {request_id_of(r) for r in warnings} == {"trace-502"}


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("0f8e2b4c-9a1d-4e6f-8b2a-1c3d5e7f9a0b", True),
        ("Root=1-67891233-abcdef012345678912345678", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("", False),
        ('quote"d', False),
        ("back\\slash", False),
        ("tab\there", False),
        ("nön-ascii", False),
        (None, False),
    ],
)
def test_which_client_ids_are_logged_as_given(sent: str | None, kept: bool) -> None:
    logged = request_id_to_log(sent)
    assert (logged == sent) is kept
    if not kept:
        assert OURS.fullmatch(logged)
