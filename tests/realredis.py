"""A real `redis-server` on a free loopback port, started and stopped around a test."""

import asyncio
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
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


@dataclass(frozen=True)
class RedisServer:
    port: int
    pid: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"


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
async def running_redis() -> AsyncIterator[RedisServer]:
    """Starts a throw-away redis-server (no persistence), yields it once it answers PING."""
    binary = redis_server_binary()
    workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="realredis-"))
    try:
        for attempt in range(1, START_ATTEMPTS + 1):
            log_path = workdir / f"redis-{attempt}.log"
            port = free_port()
            process = await asyncio.create_subprocess_exec(
                binary,
                *("--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"),
                *("--dir", str(workdir), "--logfile", str(log_path)),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.DEVNULL,
            )
            try:
                if await _answers_ping(process, port):
                    yield RedisServer(port=port, pid=process.pid, log_path=log_path)
                    return
            finally:
                await _stop(process)
            log = await asyncio.to_thread(_read, log_path)
            if "Address already in use" not in log:
                raise RedisServerError(f"redis-server did not start on port {port}; log:\n{log}")
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


@dataclass
class ControlledRedis:
    """A redis-server with AOF on one port that a test can restart, pause and resume."""

    binary: str
    port: int
    workdir: Path
    process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    async def start(self) -> None:
        # Every write is on disk before it is acknowledged, so a restart loses nothing.
        self.process = await asyncio.create_subprocess_exec(
            self.binary,
            *("--port", str(self.port), "--bind", HOST, "--save", ""),
            *("--appendonly", "yes", "--appendfsync", "always"),
            *("--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        if not await _answers_ping(self.process, self.port):
            log = await asyncio.to_thread(_read, self.workdir / "redis.log")
            raise RedisServerError(f"redis-server did not start on port {self.port}; log:\n{log}")

    async def stop(self) -> None:
        if self.process is not None:
            self.resume()
            await _stop(self.process)

    def pause(self) -> None:
        """SIGSTOP: the server keeps its connections but answers nothing (a hung Redis)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGCONT)


@asynccontextmanager
async def controlled_redis() -> AsyncIterator[ControlledRedis]:
    workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="realredis-aof-"))
    server = ControlledRedis(redis_server_binary(), free_port(), workdir)
    try:
        await server.start()
        yield server
    finally:
        await server.stop()
        await asyncio.to_thread(shutil.rmtree, workdir, True)
