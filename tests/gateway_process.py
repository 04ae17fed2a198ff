"""The gateway as a real `python -m gateway serve` subprocess on a free loopback port.

The one place that starts it: the process tests and the end-to-end suite alike.
"""

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from tests.ports import free_port
from tests.procfs import child_pids, is_alive

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
COMMAND = (sys.executable, "-m", "gateway", "serve")
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 15.0
LOG_WAIT_S = 5.0
POLL_INTERVAL_S = 0.05


@dataclass
class GatewayProcess:
    process: asyncio.subprocess.Process
    port: int
    log_path: Path
    seen_children: set[int] = field(default_factory=set)
    admin_port: int | None = None  # GATEWAY_ADMIN_PORT: where /-/ is served instead

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ops_url(self) -> str:
        """Where /-/ is served: the admin port when there is one."""
        return f"http://{HOST}:{self.admin_port or self.port}"

    @property
    def is_running(self) -> bool:
        return self.process.returncode is None

    async def log_text(self) -> str:
        """Everything the gateway wrote to stdout and stderr so far."""
        return await asyncio.to_thread(self.log_path.read_text, errors="replace")

    async def wait_for_log(self, text: str, timeout_s: float = LOG_WAIT_S) -> str:
        """The log once it contains `text`: an access line is written after its response."""
        deadline = time.monotonic() + timeout_s
        while text not in (log := await self.log_text()):
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged within {timeout_s} s; log:\n{log}")
            await asyncio.sleep(POLL_INTERVAL_S)
        return log

    def children(self) -> list[int]:
        """Pids of its worker processes; remembered, so they can be killed if it dies first."""
        pids = child_pids(self.pid)
        self.seen_children.update(pids)
        return pids

    def send_signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def interrupt_from_terminal(self) -> None:
        """Ctrl-C: the terminal sends SIGINT to the whole foreground process group."""
        os.killpg(self.pid, signal.SIGINT)

    async def wait(self, timeout_s: float = STOP_TIMEOUT_S) -> int:
        async with asyncio.timeout(timeout_s):
            return await self.process.wait()

    async def stop(self, signum: int = signal.SIGTERM, timeout_s: float = STOP_TIMEOUT_S) -> int:
        """Sends `signum` and returns the exit code once the process has exited.

        A gateway that has exited already (it crashed) just gives its exit code.
        """
        if self.is_running:
            self.send_signal(signum)
        return await self.wait(timeout_s)


def gateway_env(settings: Mapping[str, str], port: int) -> dict[str, str]:
    # Inherited GATEWAY_* variables (a developer's shell) must not change what is tested.
    env = {name: value for name, value in os.environ.items() if not name.startswith("GATEWAY_")}
    return env | {"GATEWAY_HOST": HOST, "GATEWAY_PORT": str(port)} | dict(settings)


@asynccontextmanager
async def running_gateway(
    settings: Mapping[str, str],
    log_path: Path,
    *,
    args: Sequence[str] = (),
    source: Path = REPO_ROOT,
) -> AsyncIterator[GatewayProcess]:
    """Starts `python -m gateway serve *args` with GATEWAY_* `settings` on a free port, from the
    checkout `source` (benchmarks compare another one's; tests run this one).

    Yields once GET /-/healthz answers 200. The process gets its own session (so a signal the test
    sends to its group reaches nothing else); on exit anything still running is killed.
    """
    port = free_port()
    env = gateway_env(settings, port)
    if source != REPO_ROOT:
        env["PYTHONPATH"] = str(source)
    log_file = await asyncio.to_thread(log_path.open, "wb")
    try:
        process = await asyncio.create_subprocess_exec(
            *COMMAND,
            *args,
            cwd=source,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
            start_new_session=True,
        )
    finally:
        log_file.close()
    admin_port = settings.get("GATEWAY_ADMIN_PORT")
    gateway = GatewayProcess(
        process, port, log_path, admin_port=int(admin_port) if admin_port else None
    )
    try:
        await wait_until_healthy(gateway)
        yield gateway
    finally:
        await kill_leftovers(gateway)


async def wait_until_healthy(gateway: GatewayProcess, timeout_s: float = START_TIMEOUT_S) -> None:
    async with aiohttp.ClientSession() as session:
        try:
            async with asyncio.timeout(timeout_s):
                while gateway.is_running:
                    try:
                        async with session.get(f"{gateway.ops_url}/-/healthz") as response:
                            if response.status == 200:
                                return
                    except aiohttp.ClientConnectionError:
                        pass  # not listening yet
                    await asyncio.sleep(POLL_INTERVAL_S)
        except TimeoutError:
            raise AssertionError(
                f"gateway not healthy after {timeout_s} s; log:\n{await gateway.log_text()}"
            ) from None
    raise AssertionError(
        f"gateway exited with {gateway.process.returncode} before it was healthy; "
        f"log:\n{await gateway.log_text()}"
    )


async def kill_leftovers(gateway: GatewayProcess) -> None:
    """SIGKILLs the gateway and its workers if a test left them running (normally a no-op)."""
    if gateway.is_running:
        gateway.children()
        _kill(gateway.pid)
    await gateway.process.wait()
    # Workers outlive a parent killed this way; they carry the parent's command line.
    for pid in gateway.seen_children:
        if is_alive(pid) and is_gateway(pid):
            _kill(pid)


def is_gateway(pid: int) -> bool:
    """Whether `pid` runs the gateway's command line (forked workers inherit it)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError):
        return False  # it exited
    return [arg.decode() for arg in argv[: len(COMMAND)]] == list(COMMAND)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
