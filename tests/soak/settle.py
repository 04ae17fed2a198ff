"""Settling: with faults off, poll each accepted entry through the gateway until it is recorded."""

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal

from tests.soak.client import GatewayCaller
from tests.soak.tally import Accepted

POLL_INTERVAL_S = 0.5
CONCURRENCY = 8
FINAL = frozenset({"recorded", "failed"})  # failed waits for a corrected stop, not for time


@dataclass
class Settled:
    status: dict[int, str] = field(default_factory=dict)  # timer id -> status last seen
    hours: dict[int, Decimal] = field(default_factory=dict)  # as the settled view reports them
    seconds: float = 0.0

    def unsettled(self) -> list[int]:
        """Not recorded (yet): pending, failed, or not seen at all."""
        return [timer_id for timer_id, status in self.status.items() if status != "recorded"]

    def still_moving(self) -> list[int]:
        return [timer_id for timer_id, status in self.status.items() if status not in FINAL]


async def settle(
    accepted: list[Accepted], callers: dict[str, GatewayCaller], timeout_s: float
) -> Settled:
    """Polls until every accepted entry shows `recorded`, or the deadline passes."""
    settled = Settled({item.timer_id: "unknown" for item in accepted})
    owners = {item.timer_id: item.login for item in accepted}
    limit = asyncio.Semaphore(CONCURRENCY)
    loop = asyncio.get_running_loop()
    began = loop.time()

    async def look(timer_id: int) -> None:
        async with limit:
            answer = await callers[owners[timer_id]].call("GET", f"/time-trackings/{timer_id}")
        if answer is not None and answer.status == 200 and answer.data is not None:
            settled.status[timer_id] = str(answer.data.get("status"))
            if answer.data.get("hours") is not None:
                settled.hours[timer_id] = Decimal(str(answer.data["hours"]))

    try:
        async with asyncio.timeout(timeout_s):
            while waiting := settled.still_moving():
                await asyncio.gather(*(look(timer_id) for timer_id in waiting))
                if settled.still_moving():
                    await asyncio.sleep(POLL_INTERVAL_S)
    except TimeoutError:
        pass  # what is still unsettled is reported
    settled.seconds = loop.time() - began
    return settled
