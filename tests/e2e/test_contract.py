"""Schemathesis against a gateway in front of the real Redmine 5.0.4, as in tests/contract.

The same checks and phases as the CI run with a smaller Hypothesis budget; the entries it makes
in Redmine are deleted afterwards.
"""

from collections.abc import AsyncIterator, Iterator

import aiohttp
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
from tests.realredis import running_redis

from .harness import Harness
from .served_gateway import serve_gateway

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 25
PAGE = 100


async def entry_ids(redmine: Harness, user_id: int) -> set[int]:
    """Every time entry of one user, read as admin."""
    found: set[int] = set()
    headers = {"X-Redmine-API-Key": redmine.admin.api_key}
    async with aiohttp.ClientSession(headers=headers) as session:
        offset = 0
        while True:
            params = {"user_id": user_id, "limit": PAGE, "offset": offset}
            url = f"{redmine.base_url}/time_entries.json"
            async with session.get(url, params=params) as response:
                assert response.status == 200, await response.text()
                page = await response.json()
            found.update(entry["id"] for entry in page["time_entries"])
            offset += PAGE
            if offset >= page["total_count"]:
                return found


async def delete_entries(redmine: Harness, ids: set[int]) -> None:
    headers = {"X-Redmine-API-Key": redmine.admin.api_key}
    async with aiohttp.ClientSession(headers=headers) as session:
        for entry_id in sorted(ids):
            url = f"{redmine.base_url}/time_entries/{entry_id}.json"
            async with session.delete(url) as response:
                assert response.status in (204, 404), await response.text()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def live(redmine: Harness, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Live]:
    """bob's gateway with its own Redis; whatever it recorded in Redmine is deleted after."""
    user = redmine.bob
    before = await entry_ids(redmine, user.id)
    log_path = tmp_path_factory.mktemp("gateway-contract") / "gateway.log"
    async with running_redis() as redis:
        settings = {
            "GATEWAY_REDIS_URL": redis.url,
            "GATEWAY_SECRET_KEY": "contract-e2e-secret-key",
            "GATEWAY_ON_START_WHEN_RUNNING": "stop_previous",
        }
        try:
            async with serve_gateway(redmine.base_url, log_path, settings) as gateway:
                task = str(redmine.issues[0].id)
                yield Live(gateway, user.api_key, await seed(gateway.url, user.api_key, task))
                log = await gateway.log_text()
                assert "Traceback" not in log, log[-6000:]
        finally:
            await delete_entries(redmine, await entry_ids(redmine, user.id) - before)


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
def test_the_gateway_answers_as_its_contract_says_in_front_of_redmine(
    operation: str,
    live: Live,
    contract_schema: BaseSchema,
    http: requests.Session,
    tally: Tally,
) -> None:
    check_operation(operation, live, contract_schema, http, tally, MAX_EXAMPLES)
