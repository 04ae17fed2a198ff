"""Fixtures for the end-to-end suite: the real Redmine, the gateway process, HTTP endpoints."""

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from tests.gateway_process import GatewayProcess

from .cleanup import Cleanup
from .endpoints import Endpoint, Endpoints
from .harness import Harness
from .served_gateway import serve_gateway

SHARED_DIR = Path(__file__).resolve().parents[2].parent / "shared"
REDMINE_UP = SHARED_DIR / "redmine" / "redmine-up.sh"
# A cold machine installs Redmine from apt first (about 90 s, more on a slow mirror).
REDMINE_UP_TIMEOUT_S = 600
# A gateway that announces more bytes than it sends would otherwise hang a test until keep-alive
# gives up.
REQUEST_TIMEOUT_S = 30


@pytest.fixture(scope="session")
def redmine(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    """The real Redmine, started (or re-seeded, if it runs already) by the shared script."""
    json_path = tmp_path_factory.mktemp("redmine") / "redmine.json"
    try:
        result = subprocess.run(
            ["bash", str(REDMINE_UP), str(json_path)],
            # The "Timer id" and "Billable" time-entry fields: once made they stay, so every run
            # asks for them and every entry in Redmine's answers carries them.
            env={**os.environ, "REDMINE_TIME_ENTRY_FIELDS": "1"},
            capture_output=True,
            text=True,
            timeout=REDMINE_UP_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.fail(f"{REDMINE_UP} did not complete: {exc}")
    if result.returncode != 0:
        # A missing Redmine is a broken environment, not a reason to skip: fail loudly.
        pytest.fail(f"{REDMINE_UP} exited with {result.returncode}:\n{result.stderr[-4000:]}")
    return Harness.load(json_path)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def gateway(
    redmine: Harness, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[GatewayProcess]:
    """One gateway for the session, started and stopped on the session's event loop.

    Tests run on loops of their own: they read its url and log, and never await its process.
    """
    log_path = tmp_path_factory.mktemp("gateway") / "gateway.log"
    async with serve_gateway(redmine.base_url, log_path) as running:
        yield running


@pytest.fixture(scope="session")
def gateway_url(gateway: GatewayProcess) -> str:
    return gateway.url


@pytest.fixture
async def endpoints(gateway_url: str, redmine: Harness) -> AsyncIterator[Endpoints]:
    # No cookie jar: the gateway and Redmine share a host name, so cookies from one would be
    # replayed to the other and the two requests would no longer be the same.
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with aiohttp.ClientSession(
        timeout=timeout, cookie_jar=aiohttp.DummyCookieJar()
    ) as session:
        yield Endpoints(
            gateway=Endpoint(session, gateway_url), redmine=Endpoint(session, redmine.base_url)
        )


@pytest.fixture
def cleanup(redmine: Harness) -> Iterator[Cleanup]:
    pending = Cleanup(redmine.base_url, redmine.admin.api_key)
    yield pending
    pending.run()
