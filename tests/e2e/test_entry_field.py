"""GATEWAY_ENTRY_FIELD_ID on the real Redmine: every post carries the timer's id, found by it."""

from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from tests.gateway_process import GatewayProcess

from .cleanup import Cleanup
from .endpoints import Endpoint
from .harness import Harness
from .served_gateway import serve_gateway
from .test_timers import marker, running_timer, stopped_entry
from .time_trackings import RedmineReader, TimeTrackings

pytestmark = pytest.mark.e2e

TIMER_FIELD = "Timer id"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def field_gateway(
    redmine: Harness, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GatewayProcess]:
    field_id = redmine.time_entry_fields[TIMER_FIELD]
    log_path = tmp_path_factory.mktemp("gateway-entry-field") / "gateway.log"
    async with serve_gateway(
        redmine.base_url, log_path, extra_env={"GATEWAY_ENTRY_FIELD_ID": str(field_id)}
    ) as running:
        yield running


async def test_a_recorded_entry_carries_its_timer_id(
    field_gateway: GatewayProcess, redmine: Harness, cleanup: Cleanup
) -> None:
    field_id = redmine.time_entry_fields[TIMER_FIELD]
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        timers = TimeTrackings(Endpoint(session, field_gateway.url))
        direct = RedmineReader(Endpoint(session, redmine.base_url), redmine.admin.api_key)
        payload = {"task_uuid": str(redmine.issues[0].id), "description": marker("field")}
        timer = await running_timer(timers, redmine.alice.api_key, payload)
        recorded = await stopped_entry(timers, redmine.alice.api_key, timer["id"], cleanup)
        entry = await direct.existing_entry(recorded["redmine_time_entry_id"])
        values = {f["id"]: f["value"] for f in entry["custom_fields"]}
        assert values[field_id] == str(timer["id"])
        # Redmine finds it by that value, which is how a lost answer's entry is adopted.
        found = await direct.entries({f"cf_{field_id}": str(timer["id"])})
        assert [e["id"] for e in found] == [entry["id"]]
