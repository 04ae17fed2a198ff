"""The one timer a client connection's waits share (RequestQueue) and the one an upstream
connection's exchange shares (Wakeup): moved only when a deadline comes before it, armed again
when it fires early, and never late."""

import asyncio

from gateway.front.reading import ReadingPauses
from gateway.front.request_queue import RequestQueue
from gateway.relay.wakeup import Wakeup
from tests.loop_clock import ManualLoopClock, settle


def manual_queue() -> tuple[RequestQueue, ManualLoopClock]:
    queue = RequestQueue(ReadingPauses(), max_queued=8)
    clock = ManualLoopClock(asyncio.get_running_loop())
    queue._loop = clock  # type: ignore[assignment]
    return queue, clock


def manual_wakeup(expired: list[float]) -> tuple[Wakeup, ManualLoopClock]:
    clock = ManualLoopClock(asyncio.get_running_loop())
    wakeup = Wakeup(lambda: expired.append(clock.now))
    wakeup._loop = clock  # type: ignore[assignment]
    return wakeup, clock


async def test_a_wait_ends_at_its_deadline_not_before() -> None:
    queue, clock = manual_queue()
    expired: list[float] = []
    waiting = asyncio.create_task(queue.wait(75.0, lambda: expired.append(clock.now)))
    await settle(lambda: queue._waiter is not None)
    clock.advance_to(74.9)
    assert expired == []
    clock.advance_to(75.0)
    assert expired == [75.0]
    queue.wake()
    await waiting


async def test_later_deadlines_reuse_the_timer_and_it_is_armed_again_when_early() -> None:
    queue, clock = manual_queue()
    expired: list[float] = []
    for began in (0.0, 10.0, 20.0):  # three waits in a row, each woken by a request
        clock.advance_to(began)
        waiting = asyncio.create_task(queue.wait(began + 60.0, lambda: expired.append(clock.now)))
        await settle(lambda: queue._waiter is not None)
        queue.wake()
        await waiting
    assert clock.armed() == [60.0]  # one timer for all three
    waiting = asyncio.create_task(queue.wait(90.0, lambda: expired.append(clock.now)))
    await settle(lambda: queue._waiter is not None)
    clock.advance_to(60.0)
    assert expired == [] and clock.armed() == [90.0]  # fired early: armed for the real one
    clock.advance_to(90.0)
    assert expired == [90.0]
    queue.wake()
    await waiting


async def test_a_deadline_moved_earlier_moves_the_timer() -> None:
    queue, clock = manual_queue()
    expired: list[float] = []
    waiting = asyncio.create_task(queue.wait(75.0, lambda: expired.append(clock.now)))
    await settle(lambda: queue._waiter is not None)
    clock.advance_to(5.0)
    queue.move_deadline(65.0)  # a head began: the head timeout is shorter than the idle one
    assert clock.armed() == [65.0]
    clock.advance_to(65.0)
    assert expired == [65.0]
    queue.wake()
    await waiting


async def test_a_timer_firing_while_nothing_waits_expires_nothing() -> None:
    queue, clock = manual_queue()
    expired: list[float] = []
    waiting = asyncio.create_task(queue.wait(60.0, lambda: expired.append(clock.now)))
    await settle(lambda: queue._waiter is not None)
    queue.wake()
    await waiting
    clock.advance_to(61.0)  # the connection was busy answering
    assert expired == []
    queue.close()
    assert clock.armed() == []


async def test_time_spent_outside_waits_does_not_count_against_the_budget() -> None:
    expired: list[float] = []
    wakeup, clock = manual_wakeup(expired)
    wakeup.start(10.0)
    waiting = asyncio.create_task(wakeup.wait())
    await settle(lambda: wakeup._waiter is not None)
    clock.advance_to(4.0)
    wakeup.wake()
    await waiting  # 6 s of budget left
    clock.advance_to(20.0)  # the timer fires at 10 with nothing waiting: nothing expires
    assert expired == []
    waiting = asyncio.create_task(wakeup.wait())
    await settle(lambda: wakeup._waiter is not None)
    clock.advance_to(25.9)
    assert expired == []
    clock.advance_to(26.0)
    assert expired == [26.0]
    await waiting


async def test_a_timer_armed_for_an_earlier_wait_is_armed_again_for_the_rest() -> None:
    expired: list[float] = []
    wakeup, clock = manual_wakeup(expired)
    wakeup.start(10.0)
    waiting = asyncio.create_task(wakeup.wait())
    await settle(lambda: wakeup._waiter is not None)
    clock.advance_to(4.0)
    wakeup.wake()
    await waiting
    clock.advance_to(5.0)
    waiting = asyncio.create_task(wakeup.wait())  # 6 s left: it ends at 11, not 10
    await settle(lambda: wakeup._waiter is not None)
    clock.advance_to(10.0)
    assert expired == [] and clock.armed() == [11.0]
    clock.advance_to(11.0)
    assert expired == [11.0]
    await waiting


async def test_a_new_exchange_with_less_time_moves_the_timer_earlier() -> None:
    expired: list[float] = []
    wakeup, clock = manual_wakeup(expired)
    wakeup.start(30.0)
    waiting = asyncio.create_task(wakeup.wait())
    await settle(lambda: wakeup._waiter is not None)
    wakeup.wake()
    await waiting
    wakeup.start(5.0)  # a retry with what is left of the request's time
    waiting = asyncio.create_task(wakeup.wait())
    await settle(lambda: wakeup._waiter is not None)
    assert clock.armed() == [5.0]
    clock.advance_to(5.0)
    assert expired == [5.0]
    await waiting
    wakeup.close()
    assert clock.armed() == []
