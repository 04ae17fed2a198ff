"""One soak run: start every process, load through the phases, settle, and compute the figures."""

import asyncio
import random
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from tests.ports import free_port
from tests.soak.client import OPERATION_DEADLINE_S, GatewayCaller, Replicas
from tests.soak.fake_redmine import fake_redmine_process
from tests.soak.fault_proxy import FaultProxy, FaultRates
from tests.soak.figures import Figures, compute, counts, details
from tests.soak.load import TimerApp
from tests.soak.phases import run_phases
from tests.soak.redis_aof import AofRedis
from tests.soak.redmine_entries import delete_entries, entries_with_prefix
from tests.soak.replicas import UPSTREAM_TIMEOUT_S, Replica, replica_settings
from tests.soak.settle import settle
from tests.soak.tally import Tally
from tests.soak.target import Target, fake_target, real_target

HOST = "127.0.0.1"
LOAD_STOP_TIMEOUT_S = OPERATION_DEADLINE_S * 2


@dataclass(frozen=True)
class SoakConfig:
    workdir: Path  # logs and Redis's AOF
    duration_s: float = 45.0
    users: int = 4
    seed: int = 1
    settle_s: float = 40.0
    redmine_json: Path | None = None
    rates: FaultRates = field(default_factory=FaultRates)


@dataclass(frozen=True)
class SoakResult:
    figures: Figures
    injected: dict[str, int]  # faults the proxy injected, by kind
    lines: list[str]  # everything printed: figures first, then context and details


async def run_soak(config: SoakConfig, say: Callable[[str], None] = print) -> SoakResult:
    prefix = f"soak-{uuid.uuid4().hex[:8]}"
    say(f"soak {prefix}: workdir {config.workdir}, seed {config.seed}")
    async with AsyncExitStack() as stack:
        target = await stack.enter_async_context(_redmine(config))
        proxy = FaultProxy(target.url, config.rates, config.seed, UPSTREAM_TIMEOUT_S)
        proxy_url = await stack.enter_async_context(_serving(proxy.app))
        redis = AofRedis(free_port(), config.workdir / "redis")
        redis.workdir.mkdir(parents=True, exist_ok=True)
        stack.push_async_callback(redis.stop)
        await redis.start()
        settings = replica_settings(proxy_url, redis.url)
        replicas = [
            Replica(name, free_port(), config.workdir / f"replica-{name}.log", settings)
            for name in ("A", "B")
        ]
        for replica in replicas:
            stack.push_async_callback(replica.stop)
            await replica.start()
        session = await stack.enter_async_context(aiohttp.ClientSession())
        if not target.is_fake:  # runs on the way out, whatever happened
            stack.push_async_callback(_delete_run_entries, session, target, prefix, say)
        tally = Tally()
        rng = random.Random(config.seed)
        urls = Replicas(tuple(r.url for r in replicas))
        callers = {
            u.login: GatewayCaller(session, urls, u.api_key, tally, random.Random(rng.random()))
            for u in target.users
        }
        apps = [
            TimerApp(
                login, caller, str(target.issue_id), prefix, tally, random.Random(rng.random())
            )
            for login, caller in callers.items()
        ]
        stopping = asyncio.Event()
        load = [asyncio.create_task(app.run(stopping)) for app in apps]
        try:
            await run_phases(config.duration_s, replicas, redis, proxy, say)
        finally:
            stopping.set()
            await _finish(load)
        proxy.is_faulty = False
        say(f"faults injected: {dict(sorted(proxy.injected.items()))}; settling")
        settled = await settle(tally.accepted, callers, config.settle_s)
        say(f"settled for {settled.seconds:.1f} s")
        entries = await entries_with_prefix(session, target.url, target.admin_key, prefix)
        logs = {replica.name: replica.log_text() for replica in replicas}
        figures = compute(tally, entries, settled, logs)
        lines = figures.lines() + counts(tally, figures)
        if not figures.passed:
            lines += ["FAILED; details:", *details(figures, tally, logs, proxy.posts)]
        return SoakResult(figures, dict(proxy.injected), lines)
    raise AssertionError("unreachable")  # pragma: no cover


async def _delete_run_entries(
    session: aiohttp.ClientSession, target: Target, prefix: str, say: Callable[[str], None]
) -> None:
    """The real Redmine is shared: the run's entries go, as admin, straight in Redmine."""
    entries = await entries_with_prefix(session, target.url, target.admin_key, prefix)
    deleted = await delete_entries(session, target.url, target.admin_key, entries)
    say(f"deleted {deleted} of {len(entries)} entries of this run from Redmine")


async def _finish(load: list[asyncio.Task[None]]) -> None:
    """Lets each user finish its current operation (so every accepted answer is counted)."""
    done, pending = await asyncio.wait(load, timeout=LOAD_STOP_TIMEOUT_S)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        task.result()  # a bug in the load itself must not pass silently


@asynccontextmanager
async def _redmine(config: SoakConfig) -> AsyncIterator[Target]:
    if config.redmine_json is not None:
        yield real_target(config.redmine_json, config.users)
        return
    log_path = config.workdir / "fake-redmine.log"
    async with fake_redmine_process(free_port(), config.users, log_path) as url:
        yield fake_target(url, config.users)


@asynccontextmanager
async def _serving(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        port = free_port()
        await web.TCPSite(runner, HOST, port).start()
        yield f"http://{HOST}:{port}"
    finally:
        await runner.cleanup()
