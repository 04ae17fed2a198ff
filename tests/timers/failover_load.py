"""The load the failover tests put on two gateway processes while Redis fails over under them:
four simulated timer apps, the fake Redmine in a process of its own, and the figures after."""

import asyncio
import random
from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.ports import free_port
from tests.realsentinel import eventually
from tests.soak.client import GatewayCaller, Replicas
from tests.soak.fake_redmine import fake_redmine_process
from tests.soak.figures import Figures, compute
from tests.soak.load import TimerApp
from tests.soak.redmine_entries import entries_with_prefix
from tests.soak.replicas import SECRET_KEY, Replica
from tests.soak.settle import settle
from tests.soak.tally import Tally
from tests.soak.target import fake_target

USERS = 4
# Acknowledged stops and manual entries the load must reach in each phase.
PER_PHASE = 12
PHASE_TIMEOUT_S = 30.0
SETTLE_S = 40.0


@dataclass
class Timeline:
    """When things happened (loop time) and how much load each phase had acknowledged."""

    marks: dict[str, float] = field(default_factory=dict)
    accepted_at: dict[str, int] = field(default_factory=dict)

    def mark(self, name: str, accepted: int) -> None:
        self.marks[name] = asyncio.get_running_loop().time()
        self.accepted_at[name] = accepted

    def seconds(self, since: str, until: str) -> float:
        return self.marks[until] - self.marks[since]


@dataclass
class Load:
    """The running load: what it acknowledged so far, and the gateways it goes through."""

    tally: Tally
    replicas: list[Replica]
    timeline: Timeline = field(default_factory=Timeline)

    async def reaches(self, count: int, what: str) -> None:
        async def reached() -> bool:
            return len(self.tally.accepted) >= count

        await eventually(reached, PHASE_TIMEOUT_S, f"{count} acknowledged entries ({what})")

    def mark(self, name: str) -> None:
        self.timeline.mark(name, len(self.tally.accepted))

    async def another_phase(self, after: str, what: str) -> None:
        """Waits for PER_PHASE more acknowledged entries than at the mark `after`."""
        await self.reaches(self.timeline.accepted_at[after] + PER_PHASE, what)


@dataclass
class Outcome:
    figures: Figures
    tally: Tally
    logs: dict[str, str]


def gateway_settings(redis_env: Mapping[str, str], redmine_url: str) -> dict[str, str]:
    return {
        "GATEWAY_REDMINE_URL": redmine_url,
        **redis_env,
        "GATEWAY_SECRET_KEY": SECRET_KEY,
        "GATEWAY_UPSTREAM_TIMEOUT_S": "1",  # an interrupted post's lease: 3 x 1 s + 10 s
        "GATEWAY_OUTBOX_RETRY_MAX_S": "2",
        "GATEWAY_REDIS_TIMEOUT_S": "1",
        "GATEWAY_ACCESS_LOG": "false",
    }


@asynccontextmanager
async def loaded_gateways(
    redis_env: Mapping[str, str], workdir: Path, prefix: str, outcome: list[Outcome]
) -> AsyncIterator[Load]:
    """Two gateways over `redis_env` under the load until the block ends; then the load stops,
    every acknowledged entry settles, and the figures are appended to `outcome`."""
    async with AsyncExitStack() as stack:
        redmine_url = await stack.enter_async_context(
            fake_redmine_process(free_port(), USERS, workdir / "fake-redmine.log")
        )
        settings = gateway_settings(redis_env, redmine_url)
        replicas = [
            Replica(name, free_port(), workdir / f"gateway-{name}.log", settings) for name in "AB"
        ]
        for replica in replicas:
            stack.push_async_callback(replica.stop)
            await replica.start()
        session = await stack.enter_async_context(aiohttp.ClientSession())
        target = fake_target(redmine_url, USERS)
        tally, rng = Tally(), random.Random(11)
        urls = Replicas(tuple(r.url for r in replicas))
        callers = {
            u.login: GatewayCaller(session, urls, u.api_key, tally, random.Random(rng.random()))
            for u in target.users
        }
        stopping = asyncio.Event()
        tasks = [
            asyncio.create_task(
                TimerApp(
                    login, caller, str(target.issue_id), prefix, tally, random.Random(rng.random())
                ).run(stopping)
            )
            for login, caller in callers.items()
        ]
        load = Load(tally, replicas)
        try:
            yield load
        finally:
            stopping.set()
            await asyncio.gather(*tasks)
        load.mark("load stopped")
        settled = await settle(tally.accepted, callers, SETTLE_S)
        entries = await entries_with_prefix(session, target.url, target.admin_key, prefix)
        logs = {replica.name: replica.log_text() for replica in replicas}
        outcome.append(Outcome(compute(tally, entries, settled, logs), tally, logs))
        load.mark("settled")


def assert_nothing_lost(outcome: Outcome, report: list[str]) -> None:
    """Prints the figures (the README quotes them, pytest -s) and asserts what must be zero
    after a failover: every acknowledged entry exactly once in Redmine, over three phases."""
    text = "\n".join(report)
    print(text)
    assert outcome.figures.accepted >= 3 * PER_PHASE, text
    observed = {
        **outcome.figures.failures(),
        "operations given up": len(outcome.tally.gave_up),
        # A start that was answered 201 and then vanished would make its stop a 404.
        "other answers than 2xx and 409": sum(outcome.tally.other_answers.values()),
    }
    assert observed == dict.fromkeys(observed, 0), text
