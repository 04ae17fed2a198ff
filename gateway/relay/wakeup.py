"""One task's bounded wait for news on an upstream connection, within the exchange's budget."""

import asyncio
from collections.abc import Callable


class Wakeup:
    """The task waiting on a connection (one at a time) sleeps in `wait` until `wake`; its waits
    together take at most `budget_s` (None: unbounded), after which `on_expiry` runs.

    Time the task spends elsewhere (on its own client, say) does not count against the budget.
    """

    def __init__(self, on_expiry: Callable[[], None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_expiry = on_expiry
        self._waiter: asyncio.Future[None] | None = None
        self.budget_s: float | None = None

    async def wait(self) -> None:
        waiter = self._waiter = self._loop.create_future()
        budget_s = self.budget_s
        timer = None if budget_s is None else self._loop.call_later(budget_s, self._expire)
        started = self._loop.time()
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None and budget_s is not None:
                timer.cancel()
                self.budget_s = budget_s - (self._loop.time() - started)

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _expire(self) -> None:
        self._on_expiry()
        self.wake()
