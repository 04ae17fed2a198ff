"""Simulated users: each loops starting and stopping a timer, with a manual entry now and then."""

import asyncio
import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from tests.soak.client import Answer, GatewayCaller
from tests.soak.tally import Accepted, Tally

ACCEPTED = frozenset({200, 201, 202})
MANUAL_EVERY = 4  # every 4th cycle of a user is a manual entry
MANUAL_MINUTES = (15, 20, 30, 40, 45, 60, 95)
PAUSE_S = (0.05, 0.3)  # a user's think time between requests


@dataclass
class TimerApp:
    """One user's timer app; one running timer per user, so one app per user."""

    login: str
    caller: GatewayCaller
    task_uuid: str
    prefix: str
    tally: Tally
    rng: random.Random

    async def run(self, stopping: asyncio.Event) -> None:
        cycle = 0
        while not stopping.is_set():
            cycle += 1
            description = f"{self.prefix}-{self.login}-{cycle}"
            if cycle % MANUAL_EVERY == 0:
                await self.manual_entry(description)
            else:
                await self.timer(description)
            await self._pause()

    async def timer(self, description: str) -> None:
        payload = {"task_uuid": self.task_uuid, "description": description}
        started = await self.caller.call("POST", "/time-trackings", payload)
        if started is None:
            return
        if started.status == 409:  # a start whose first answer was lost: it runs already
            running = await self.caller.call("GET", "/time-trackings/active")
            if running is None or running.data is None:
                self._unexpected(running, "GET /time-trackings/active")
                return
            timer_id = int(running.data["id"])
        elif started.status == 201 and started.data is not None:
            timer_id = int(started.data["id"])
        else:
            self._unexpected(started, "POST /time-trackings (start)")
            return
        await self._pause()
        stopped = await self.caller.call("PUT", f"/time-trackings/{timer_id}", {})
        self._count(stopped, "PUT /time-trackings/{id}", "timer")

    async def manual_entry(self, description: str) -> None:
        minutes = self.rng.choice(MANUAL_MINUTES)
        started_at = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=3)
        payload = {
            "task_uuid": self.task_uuid,
            "description": description,
            "started_at": started_at.isoformat(),
            "ended_at": (started_at + dt.timedelta(minutes=minutes)).isoformat(),
        }
        answer = await self.caller.call("POST", "/time-trackings", payload)
        self._count(answer, "POST /time-trackings (manual)", "manual")

    def _count(self, answer: Answer | None, what: str, kind: str) -> None:
        if answer is None:
            return  # given up; the tally has it
        if answer.status not in ACCEPTED or answer.data is None:
            self._unexpected(answer, what)
            return
        hours = answer.data.get("hours")
        self.tally.accepted.append(
            Accepted(
                login=self.login,
                timer_id=int(answer.data["id"]),
                description=str(answer.data.get("description")),
                status=answer.status,
                hours=None if hours is None else Decimal(str(hours)),
                kind=kind,
                attempts=answer.attempts,
                retried_after=answer.retried_after,
            )
        )

    def _unexpected(self, answer: Answer | None, what: str) -> None:
        if answer is not None:
            self.tally.other_answer(answer.status, what, answer.body)

    async def _pause(self) -> None:
        await asyncio.sleep(self.rng.uniform(*PAUSE_S))
