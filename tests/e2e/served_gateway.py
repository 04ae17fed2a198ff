"""The gateway the end-to-end suite talks to: tests/gateway_process.py's, set up for Redmine."""

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.gateway_process import STOP_TIMEOUT_S, GatewayProcess, running_gateway


@asynccontextmanager
async def serve_gateway(
    redmine_url: str, log_path: Path, extra_env: Mapping[str, str] | None = None
) -> AsyncIterator[GatewayProcess]:
    """Starts the gateway, waits until it is healthy, and on exit demands a clean SIGTERM stop.

    `extra_env` adds settings (GATEWAY_TASK_FIELD_ID=...) on top of the defaults tested here.
    """
    settings = {"GATEWAY_REDMINE_URL": redmine_url, "GATEWAY_LOG_LEVEL": "INFO"}
    async with running_gateway(settings | dict(extra_env or {}), log_path) as gateway:
        yield gateway
        try:
            exit_code = await gateway.stop()
        except TimeoutError:  # running_gateway kills it on the way out
            pytest.fail(
                f"gateway still running {STOP_TIMEOUT_S} s after SIGTERM; its log:\n"
                f"{await gateway.log_text()}"
            )
    if exit_code != 0:
        pytest.fail(
            f"gateway exited with {exit_code} on SIGTERM; its log:\n{await gateway.log_text()}"
        )
