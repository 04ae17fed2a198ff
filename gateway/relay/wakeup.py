"""One task's bounded wait for news on an upstream connection, within the exchange's budget."""

import asyncio
from collections.abc import Callable


class Wakeup:
    """The task waiting on a connection (one at a time) sleeps in `wait` until `wake`; its waits
    together take at most the budget `start` gave (None: unbounded), after which `on_expiry`
    runs.

    Time the task spends elsewhere (on its own client, say) does not count against the budget.
    Arming a timer costs about as much as the rest of a wait, so one timer serves all waits:
    the true end of the budget never comes before the time it was armed for (waits only ever
    begin later, with less budget left), so when it fires early it is armed again.
    """

    def __init__(self, on_expiry: Callable[[], None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_expiry = on_expiry
        self._waiter: asyncio.Future[None] | None = None
        self._budget_s: float | None = None
        self._wait_began = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0

    def start(self, budget_s: float | None) -> None:
        """A new exchange with this much time for its waits."""
        self._budget_s = budget_s
        if self._timer is not None and (
            budget_s is None or self._loop.time() + budget_s < self._timer_at
        ):
            self._cancel_timer()

    async def wait(self) -> None:
        waiter = self._waiter = self._loop.create_future()
        budget_s = self._budget_s
        self._wait_began = self._loop.time()
        if budget_s is not None and self._timer is None:
            self._arm(self._wait_began + budget_s)
        try:
            await waiter
        finally:
            self._waiter = None
            if budget_s is not None and self._budget_s is not None:
                self._budget_s = budget_s - (self._loop.time() - self._wait_began)

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self) -> None:
        """No more waits: the timer goes (it would keep the connection alive until it fired)."""
        self._cancel_timer()

    def _arm(self, at: float) -> None:
        self._timer = self._loop.call_at(at, self._on_timer)
        self._timer_at = at

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_timer(self) -> None:
        self._timer = None
        budget_s = self._budget_s
        if self._waiter is None or budget_s is None:
            return  # nothing waits on a budget: the next wait arms it again
        ends = self._wait_began + budget_s
        if self._loop.time() < ends:
            self._arm(ends)
            return
        self._on_expiry()
        self.wake()
