"""The soak's disruptions, in a fixed order, one at each sixth of the load's duration."""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tests.soak.fault_proxy import FaultProxy
from tests.soak.redis_aof import AofRedis
from tests.soak.replicas import Replica

SLOTS = 6
LONG_RUN_S = 300.0


@dataclass(frozen=True)
class Outages:
    redis_pause_s: float
    redmine_unreachable_s: float

    @classmethod
    def for_duration(cls, duration_s: float) -> "Outages":
        return cls(
            redis_pause_s=3.0 if duration_s < LONG_RUN_S else 5.0,
            redmine_unreachable_s=max(5.0, duration_s / 40),
        )


async def run_phases(
    duration_s: float,
    replicas: Sequence[Replica],
    redis: AofRedis,
    proxy: FaultProxy,
    say: Callable[[str], None],
) -> None:
    """Load with faults throughout; at 1/6 kill -9 replica A and restart it, at 2/6 restart Redis,
    at 3/6 pause Redis, at 4/6 make Redmine unreachable, then faults only until the end."""
    outages = Outages.for_duration(duration_s)
    loop = asyncio.get_running_loop()
    began = loop.time()
    proxy.epoch = began
    slot_s = duration_s / SLOTS

    def note(text: str) -> None:
        say(f"[{loop.time() - began:6.1f} s] {text}")

    async def until_slot(number: int) -> None:
        # Pacing: the load runs for a set time, nothing is being waited for.
        await asyncio.sleep(max(0.0, began + number * slot_s - loop.time()))

    note("load with faults on POST /time_entries.json")
    await until_slot(1)
    note(f"kill -9 replica {replicas[0].name}, then restart it")
    await replicas[0].kill9()
    await replicas[0].start()
    note(f"replica {replicas[0].name} healthy again")
    await until_slot(2)
    note("restart Redis (same port, AOF)")
    await redis.restart()
    await until_slot(3)
    note(f"pause Redis (SIGSTOP) for {outages.redis_pause_s:g} s")
    await redis.pause_for(outages.redis_pause_s)
    note("Redis resumed (SIGCONT)")
    await until_slot(4)
    note(f"Redmine unreachable for {outages.redmine_unreachable_s:g} s")
    proxy.is_unreachable = True
    try:
        await asyncio.sleep(outages.redmine_unreachable_s)
    finally:
        proxy.is_unreachable = False
    note("Redmine reachable again")
    await until_slot(5)
    note("faults only")
    await until_slot(6)
    note("load stops")
