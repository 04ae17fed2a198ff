"""The short soak against the fake Redmine: a stopped timer is one entry, whatever fails."""

import asyncio
from pathlib import Path

from tests.soak.scenario import SoakConfig, run_soak

DURATION_S = 45.0
SETTLE_S = 30.0
DEADLINE_S = DURATION_S + SETTLE_S + 240.0
FAULT_KINDS = ("503", "lost", "slow_over", "slow_under", "drop", "unreachable")


async def test_a_short_soak_loses_and_doubles_nothing(tmp_path: Path) -> None:
    progress: list[str] = []
    config = SoakConfig(workdir=tmp_path, duration_s=DURATION_S, settle_s=SETTLE_S, users=4)
    async with asyncio.timeout(DEADLINE_S):
        result = await run_soak(config, progress.append)
    report = "\n".join([*progress, *result.lines])
    figures = result.figures
    assert all(result.injected.get(kind) for kind in FAULT_KINDS), report
    assert figures.accepted > 0, report
    observed = figures.failures()
    assert observed == dict.fromkeys(observed, 0), report
