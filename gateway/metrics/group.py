"""The snapshots the workers of one `serve` leave for each other, so any of them answers a scrape
for the whole process group.

The pre-fork parent makes a private directory and removes it at exit; each worker replaces its
own `<pid>.json` (written aside, then renamed: a reader never sees half a file) every
SNAPSHOT_INTERVAL_S and whenever it answers a scrape. The worker answering a scrape adds its
live counts to the others' latest files, skipping those of processes that are gone.
"""

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from gateway.metrics.process import Metrics
from gateway.metrics.snapshot import Snapshot, dump, load

log = logging.getLogger(__name__)

# How stale another worker's counts may be in a scrape: well under Prometheus's usual 15 s.
SNAPSHOT_INTERVAL_S = 1.0
SUFFIX = ".json"
# A snapshot is a few KB on local disk; a write that takes longer is not waited for at exit.
WRITE_TIMEOUT_S = 5.0


def write_snapshot(directory: Path, pid: int, data: bytes) -> None:
    partial = directory / f".{pid}.partial"
    partial.write_bytes(data)
    os.replace(partial, directory / f"{pid}{SUFFIX}")


def remove_snapshot(directory: Path, pid: int) -> None:
    with contextlib.suppress(FileNotFoundError):
        (directory / f"{pid}{SUFFIX}").unlink()


def is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's: alive, though not ours; the parent's directory is private
    return True


def others(directory: Path, own_pid: int) -> list[Snapshot]:
    """The latest snapshots of the other live processes in `directory`."""
    found = []
    for path in directory.glob(f"*{SUFFIX}"):
        if not path.stem.isdigit() or int(path.stem) == own_pid or not is_alive(int(path.stem)):
            continue
        try:
            found.append(load(path.read_bytes()))
        except FileNotFoundError:
            continue  # its worker ended (and removed it) meanwhile
        except ValueError as exc:
            log.warning("metrics snapshot unreadable file=%s error=%s", path.name, exc)
    return found


async def group_snapshot(metrics: Metrics) -> Snapshot:
    """This process's live counts, plus the other workers' latest (files read off the loop)."""
    own = metrics.snapshot()
    directory = metrics.group_dir
    if directory is None:
        return own
    pid = os.getpid()
    try:
        await asyncio.to_thread(write_snapshot, directory, pid, dump(own))
    except OSError as exc:
        log.warning("metrics snapshot not written error=%s", exc)
    for snapshot in await asyncio.to_thread(others, directory, pid):
        own.add(snapshot)
    return own


async def keep_snapshot_written(
    metrics: Metrics, directory: Path, interval_s: float = SNAPSHOT_INTERVAL_S
) -> None:
    """Rewrites this process's snapshot every `interval_s` until cancelled; a failed write is
    logged and tried again at the next tick."""
    pid = os.getpid()
    writing: asyncio.Future[None] | None = None
    try:
        while True:
            writing = asyncio.ensure_future(
                asyncio.to_thread(write_snapshot, directory, pid, dump(metrics.snapshot()))
            )
            try:
                await asyncio.shield(writing)
            except OSError as exc:
                log.warning("metrics snapshot not written error=%s", exc)
            await asyncio.sleep(interval_s)
    finally:
        if writing is not None:
            # A cancelled wait leaves its thread writing: removing the file before that write
            # lands would leave this process's counts behind for every later scrape.
            await asyncio.wait([writing], timeout=WRITE_TIMEOUT_S)
            if writing.done() and not writing.cancelled():
                writing.exception()  # already logged, or the reason we are stopping
        await asyncio.shield(asyncio.to_thread(remove_snapshot, directory, pid))
