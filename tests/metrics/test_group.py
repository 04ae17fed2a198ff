"""The process group's snapshot files: a scrape adds the live workers' counts, not the dead's,
and the writer keeps going through failures."""

import asyncio
import logging
import os
import threading
from pathlib import Path

import pytest

from gateway.metrics import group
from gateway.metrics.group import group_snapshot, keep_snapshot_written, write_snapshot
from gateway.metrics.process import Metrics
from gateway.metrics.snapshot import Snapshot, dump, load

WAIT_S = 5.0


async def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = await asyncio.create_subprocess_exec("true")
    assert await process.wait() == 0
    return process.pid


def counted(requests: int, *, connections: int = 0) -> Snapshot:
    return Snapshot(
        requests={("passthrough", "GET", 200): requests}, client_connections=connections
    )


async def test_a_scrape_adds_the_live_workers_and_skips_the_dead(tmp_path: Path) -> None:
    live, dead = os.getppid(), await dead_pid()  # the test runner's parent outlives the test
    write_snapshot(tmp_path, live, dump(counted(5, connections=2)))
    write_snapshot(tmp_path, dead, dump(counted(100, connections=50)))
    metrics = Metrics(group_dir=tmp_path)
    total = await group_snapshot(metrics)
    assert total.requests == {("passthrough", "GET", 200): 5}
    assert (total.client_connections, total.processes) == (2, 2)
    # Its own counts are left for the others, as of this scrape.
    assert load((tmp_path / f"{os.getpid()}.json").read_bytes()) == metrics.snapshot()


async def test_an_unreadable_snapshot_is_skipped_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / f"{os.getppid()}.json").write_bytes(b'{"requests": "many"}')
    (tmp_path / "notes.json").write_bytes(b"{}")  # not a pid: not a snapshot
    total = await group_snapshot(Metrics(group_dir=tmp_path))
    assert (total.requests, total.processes) == ({}, 1)
    assert "metrics snapshot unreadable" in caplog.text


async def test_a_single_process_scrape_is_its_own_counts() -> None:
    metrics = Metrics()
    metrics.refused(400)
    assert await group_snapshot(metrics) == metrics.snapshot()


async def wait_for(path: Path) -> None:
    async with asyncio.timeout(WAIT_S):
        while not await asyncio.to_thread(path.exists):  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def test_the_writer_survives_failed_writes_and_removes_its_file_at_the_end(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = tmp_path / "group"  # missing at first: every write fails
    own = directory / f"{os.getpid()}.json"
    caplog.set_level(logging.WARNING)
    writer = asyncio.create_task(keep_snapshot_written(Metrics(), directory, interval_s=0.01))
    try:
        async with asyncio.timeout(WAIT_S):
            while caplog.text.count("metrics snapshot not written") < 2:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        await asyncio.to_thread(directory.mkdir)
        await wait_for(own)
        assert load(own.read_bytes()) == Metrics().snapshot()
    finally:
        writer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writer
    assert not own.exists()


async def test_a_write_still_under_way_at_stop_lands_before_the_file_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled mid-write, the writer used to remove its file at once and the write landed
    after it, leaving this process's counts behind for every later scrape."""
    own = tmp_path / f"{os.getpid()}.json"
    write_began, write_may_end = threading.Event(), threading.Event()

    def slow_write(directory: Path, pid: int, data: bytes) -> None:
        write_began.set()
        write_may_end.wait(WAIT_S)
        write_snapshot(directory, pid, data)

    monkeypatch.setattr(group, "write_snapshot", slow_write)
    writer = asyncio.create_task(keep_snapshot_written(Metrics(), tmp_path, interval_s=60))
    assert await asyncio.to_thread(write_began.wait, WAIT_S)
    writer.cancel()
    # The window in which the old writer removed its file while the write was held.
    await asyncio.wait([writer], timeout=0.5)
    write_may_end.set()
    with pytest.raises(asyncio.CancelledError):
        await writer
    assert not own.exists()
