"""The cluster client's own failures (no node reachable, a slot no master serves mid-failover)
are not RedisErrors: they are answered 503 like any store failure, and the outbox worker counts
them and goes on."""

import asyncio
import contextlib

import pytest
from redis.exceptions import RedisClusterUnreachableError, SlotNotCoveredError

from gateway.appkeys import OUTBOX
from gateway.store.redis import RedisStore
from gateway.store.walks import BucketWalks
from tests.timers.conftest import Gateway, assert_error


@pytest.mark.parametrize(
    "failure",
    [SlotNotCoveredError("slot 866 is not covered"), RedisClusterUnreachableError("none")],
    ids=["slot-not-covered", "unreachable"],
)
async def test_a_request_meeting_a_cluster_failure_answers_503(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    started = await gw.start()

    async def fails(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(RedisStore, "timer", fails)
    reply = await gw.show(started["id"])
    assert_error(reply, 503, "STORE_UNAVAILABLE")
    assert reply.headers["Retry-After"]
    stopped = await gw.request("PUT", f"/time-trackings/{started['id']}", body={})
    assert_error(stopped, 503, "STORE_UNAVAILABLE")


async def test_the_outbox_counts_a_cluster_failure_and_goes_on(
    gw: Gateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    passes = asyncio.Semaphore(0)

    async def unreachable(*args: object, **kwargs: object) -> list[int]:
        passes.release()
        raise RedisClusterUnreachableError("no node answered")

    monkeypatch.setattr(BucketWalks, "due_outbox_ids", unreachable)
    worker = gw.app[OUTBOX]
    task = asyncio.create_task(worker.run_forever(poll_s=0.001))
    try:
        async with asyncio.timeout(5):
            for _ in range(3):  # the worker survives a failing pass and runs the next
                await passes.acquire()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert worker.counts.pass_errors >= 2
    # Counted as the store failing (a warning), not as an unexpected error (a traceback).
    assert worker.counts.redis_errors == worker.counts.pass_errors
    assert "outbox pass failed error=RedisClusterUnreachableError" in caplog.text
    assert "unexpectedly" not in caplog.text
