"""A real `redis-server` on a free loopback port, started and stopped around a test."""

import asyncio
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.ports import free_port

HOST = "127.0.0.1"
# The developer's own Redis usually listens here; a test server must never touch it.
# Overrides the binary, e.g. a redis-server built from source.
BINARY_ENV = "REDIS_SERVER"
START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0
PING_TIMEOUT_S = 0.5
# Another process may take a free port between our probe and redis-server's bind.
START_ATTEMPTS = 3


class RedisServerError(RuntimeError):
    """redis-server is missing or did not come up; real-Redis tests fail rather than skip."""


class RedisServer:
    """One redis-server on a fixed loopback port, which a test may stop and start again there."""

    def __init__(
        self,
        binary: str,
        workdir: Path,
        port: int,
        *,
        append_only: bool,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.port = port
        self._binary = binary
        self._workdir = workdir
        self._append_only = append_only
        self._extra_args = extra_args  # e.g. --replicaof host port
        self._process: asyncio.subprocess.Process | None = None
        self._starts = 0
        self.log_path = workdir / "redis-0.log"

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @property
    def pid(self) -> int:
        """The running process (e.g. for SIGSTOP); it changes with every start."""
        assert self._process is not None, "redis-server is not running"
        return self._process.pid

    async def start(self) -> bool:
        """Starts it on its port; True once it answers PING, False if it exited first (e.g. the
        port was taken)."""
        assert self._process is None, "redis-server is already running"
        self._starts += 1
        self.log_path = self._workdir / f"redis-{self._starts}.log"
        # With AOF every write is fsynced before it is acknowledged, so a restart (or a kill)
        # keeps every acknowledged write; without, nothing is ever written to disk.
        persistence = ("--appendonly", "yes", "--appendfsync", "always")
        self._process = await asyncio.create_subprocess_exec(
            self._binary,
            *("--port", str(self.port), "--bind", HOST, "--save", ""),
            *(persistence if self._append_only else ("--appendonly", "no")),
            *("--dir", str(self._workdir), "--logfile", str(self.log_path)),
            *self._extra_args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        if await _answers_ping(self._process, self.port):
            return True
        await self.stop()
        return False

    async def stop(self) -> None:
        """SIGTERM (a SIGSTOPped server is continued first), then waits for it to exit."""
        if self._process is not None:
            if self._process.returncode is None:
                self._process.send_signal(signal.SIGCONT)
            await _stop(self._process)
            self._process = None

    async def kill(self) -> None:
        """SIGKILL (kill -9): no shutdown, no goodbye to its clients or replicas."""
        if self._process is not None:
            if self._process.returncode is None:
                self._process.kill()
            await self._process.wait()
            self._process = None

    async def restart(self) -> None:
        await self.stop()
        if not await self.start():
            log = await asyncio.to_thread(_read, self.log_path)
            raise RedisServerError(f"redis-server did not restart on port {self.port}; log:\n{log}")


def redis_server_binary() -> str:
    name = os.environ.get(BINARY_ENV, "redis-server")
    path = shutil.which(name)
    if path is None:
        raise RedisServerError(
            f"{name!r} is not on PATH: install redis-server (e.g. apt-get install redis-server) "
            f"or set {BINARY_ENV}; real-Redis tests do not skip"
        )
    return path


@asynccontextmanager
async def running_redis(*, append_only: bool = False) -> AsyncIterator[RedisServer]:
    """Starts a throw-away redis-server, yields it once it answers PING and stops it after.

    No persistence by default; `append_only` keeps the data over a restart (`restart()`).
    """
    binary = redis_server_binary()
    workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="realredis-"))
    try:
        for _ in range(START_ATTEMPTS):
            server = RedisServer(binary, workdir, free_port(), append_only=append_only)
            try:
                if await server.start():
                    yield server
                    return
            finally:
                await server.stop()
            log = await asyncio.to_thread(_read, server.log_path)
            if "Address already in use" not in log:
                raise RedisServerError(
                    f"redis-server did not start on port {server.port}; log:\n{log}"
                )
        raise RedisServerError(f"no free port for redis-server after {START_ATTEMPTS} attempts")
    finally:
        await asyncio.to_thread(shutil.rmtree, workdir, True)


async def _answers_ping(process: asyncio.subprocess.Process, port: int) -> bool:
    """True once the server answers; False if it exited first (e.g. the port was taken)."""
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while process.returncode is None:
                if await _pong(port):
                    return True
                await asyncio.sleep(0.02)  # poll interval while it binds
    except TimeoutError as exc:
        raise RedisServerError(f"redis-server did not answer PING on port {port}") from exc
    return False


async def _pong(port: int) -> bool:
    try:
        # Short: if another program took the port, its listener may never answer.
        async with asyncio.timeout(PING_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(HOST, port)
            try:
                writer.write(b"PING\r\n")
                return await reader.readline() == b"+PONG\r\n"
            finally:
                writer.close()
                await writer.wait_closed()
    except (OSError, TimeoutError):
        return False


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(STOP_TIMEOUT_S):
                await process.wait()
                return
        except TimeoutError:
            process.kill()
    await process.wait()


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
