"""Schemathesis against a live gateway process with a real Redis and the fake Redmine (~1 min).

The cases come from the document the gateway serves; every answer is checked against it.
"""

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
import requests
from schemathesis import BaseSchema

from tests.contract.live import (
    Live,
    Tally,
    check_operation,
    operation_labels,
    report,
    schema_of,
    seed,
)
from tests.fakes.redmine_state import harness_api_key
from tests.gateway_process import running_gateway
from tests.ports import free_port
from tests.realredis import running_redis
from tests.soak.fake_redmine import fake_redmine_process

MAX_EXAMPLES = 100
# Issue 1 of the fake's seed (web-app, alice is a member): the seeded timers' task.
SEEDED_TASK = "1"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    workdir: Path = tmp_path_factory.mktemp("contract")
    async with (
        running_redis() as redis,
        fake_redmine_process(free_port(), 2, workdir / "redmine.log") as redmine_url,
    ):
        settings = {
            "GATEWAY_REDMINE_URL": redmine_url,
            "GATEWAY_REDIS_URL": redis.url,
            "GATEWAY_SECRET_KEY": "contract-test-secret-key",
            "GATEWAY_UPSTREAM_TIMEOUT_S": "5",
            # A start while one runs stops it first: the answer then carries `previous`.
            "GATEWAY_ON_START_WHEN_RUNNING": "stop_previous",
        }
        async with running_gateway(settings, workdir / "gateway.log") as gateway:
            api_key = harness_api_key("alice")
            yield Live(gateway, api_key, await seed(gateway.url, api_key, SEEDED_TASK))
            log = await gateway.log_text()
            assert re.search(r"Traceback|unhandled error", log) is None, log[-6000:]


@pytest.fixture(scope="module")
def tally(live: Live, request: pytest.FixtureRequest) -> Iterator[Tally]:
    found = Tally()
    yield found
    report(request.config, found)


@pytest.fixture(scope="module")
def http(live: Live) -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="module")
def contract_schema(live: Live) -> BaseSchema:
    return schema_of(live)


@pytest.mark.parametrize("operation", operation_labels())
def test_the_gateway_answers_as_its_contract_says(
    operation: str,
    live: Live,
    contract_schema: BaseSchema,
    http: requests.Session,
    tally: Tally,
) -> None:
    check_operation(operation, live, contract_schema, http, tally, MAX_EXAMPLES)
