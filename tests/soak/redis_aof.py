"""One real redis-server with AOF (fsync always) on a fixed loopback port: restart, pause, stop."""

import asyncio
import signal
from dataclasses import dataclass, field
from pathlib import Path

from tests.realredis import redis_server_binary
from tests.soak.waiting import answers_tcp, kill_process

HOST = "127.0.0.1"
START_TIMEOUT_S = 15.0


@dataclass
class AofRedis:
    port: int
    workdir: Path
    process: asyncio.subprocess.Process | None = None
    lives: int = field(default=0)

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    async def start(self) -> None:
        """Starts it (again) on the same port and directory, so the AOF is replayed."""
        self.lives += 1
        log_path = self.workdir / f"redis-{self.lives}.log"
        self.process = await asyncio.create_subprocess_exec(
            redis_server_binary(),
            *("--port", str(self.port), "--bind", HOST, "--dir", str(self.workdir)),
            *("--appendonly", "yes", "--appendfsync", "always", "--save", ""),
            *("--logfile", str(log_path)),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        if not await answers_tcp(HOST, self.port, START_TIMEOUT_S, self.process):
            raise RuntimeError(f"redis-server did not start on {self.port}: see {log_path}")

    async def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process is not None:
            await kill_process(self.process, signum)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def pause_for(self, seconds: float) -> None:
        """SIGSTOP, then SIGCONT after `seconds` (the outage's length, not a wait for anything)."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.process.send_signal(signal.SIGCONT)
