"""An event loop's clock and timers moved by hand, for code that arms timers with `call_at`:
futures still resolve on the real loop, but no test waits for real time to pass."""

import asyncio
from collections.abc import Callable


class ManualTimer:
    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class ManualLoopClock:
    """Stands in for the loop where the code under test keeps one (`self._loop`)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.now = 0.0
        self.timers: list[ManualTimer] = []

    def time(self) -> float:
        return self.now

    def create_future(self) -> "asyncio.Future[None]":
        return self._loop.create_future()

    def call_at(self, when: float, callback: Callable[[], None]) -> ManualTimer:
        timer = ManualTimer(when, callback)
        self.timers.append(timer)
        return timer

    def armed(self) -> list[float]:
        return sorted(timer.when for timer in self.timers if not timer.cancelled)

    def advance_to(self, moment: float) -> None:
        """Moves the clock, running every timer due by then in order (as the loop would)."""
        while due := sorted(
            (t for t in self.timers if not t.cancelled and t.when <= moment), key=lambda t: t.when
        ):
            timer = due[0]
            self.timers.remove(timer)
            self.now = max(self.now, timer.when)
            timer.callback()
        self.now = moment


async def settle(condition: Callable[[], bool], turns: int = 100) -> None:
    """Lets the loop run until `condition` holds (tasks reaching their waits), a bounded number
    of turns: no real time passes."""
    for _ in range(turns):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("the condition did not come about")
