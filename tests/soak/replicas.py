"""Gateway replicas as `python -m gateway serve` subprocesses on fixed ports: kill -9, restart."""

import asyncio
import signal
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.gateway_process import (
    COMMAND,
    REPO_ROOT,
    GatewayProcess,
    gateway_env,
    kill_leftovers,
    wait_until_healthy,
)

SECRET_KEY = "soak-secret-key-0123456789abcdef"
UPSTREAM_TIMEOUT_S = 2.0
OUTBOX_RETRY_MAX_S = 5
TRACEBACK = "Traceback"
CHAINED = ("During handling of the above exception", "The above exception was the direct cause")
TRACEBACK_LINES_SHOWN = 25


def replica_settings(redmine_url: str, redis_url: str) -> dict[str, str]:
    return {
        "GATEWAY_REDMINE_URL": redmine_url,
        "GATEWAY_REDIS_URL": redis_url,
        "GATEWAY_SECRET_KEY": SECRET_KEY,
        "GATEWAY_UPSTREAM_TIMEOUT_S": str(UPSTREAM_TIMEOUT_S),
        # Caps the outbox's back-off so settling is quick; ignored by a gateway without it.
        "GATEWAY_OUTBOX_RETRY_MAX_S": str(OUTBOX_RETRY_MAX_S),
    }


@dataclass
class Replica:
    name: str
    port: int
    log_path: Path  # both lives write here, so a kill -9 does not hide a traceback
    settings: Mapping[str, str]
    gateway: GatewayProcess | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                *COMMAND,
                cwd=REPO_ROOT,
                env=gateway_env(self.settings, self.port),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self.gateway = GatewayProcess(process, self.port, self.log_path)
        await wait_until_healthy(self.gateway)

    async def kill9(self) -> None:
        if self.gateway is not None and self.gateway.is_running:
            self.gateway.send_signal(signal.SIGKILL)
            await self.gateway.wait()

    async def stop(self) -> None:
        """SIGTERM (it drains for up to 60 s), SIGKILL on the deadline, or at once if it hangs."""
        if self.gateway is None:
            return
        try:
            await self.gateway.stop()
        except TimeoutError:
            pass
        finally:
            await kill_leftovers(self.gateway)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


def traceback_count(logs: Mapping[str, str]) -> int:
    return sum(text.count(TRACEBACK) for text in logs.values())


def traceback_kinds(logs: Mapping[str, str]) -> Counter[str]:
    """How often each exception line ends a traceback (the last unindented line after it)."""
    kinds: Counter[str] = Counter()
    for text in logs.values():
        lines = text.splitlines()
        for at, line in enumerate(lines):
            if line.startswith(TRACEBACK):
                kinds[_exception_line(lines, at)] += 1
    return kinds


def _exception_line(lines: list[str], at: int) -> str:
    """The last exception of a (possibly chained) traceback."""
    found = "(cut off)"
    chained = False
    for line in lines[at + 1 :]:
        if not line or line[0].isspace():
            continue
        if line.startswith(CHAINED) or line.startswith(TRACEBACK):
            chained = True
            continue
        if found != "(cut off)" and not chained:
            break
        found, chained = line, False
    return found


def first_traceback(logs: Mapping[str, str]) -> str | None:
    for name, text in logs.items():
        at = text.find(TRACEBACK)
        if at >= 0:
            # From the log line that introduced it to the exception's own line.
            lines = text[text.rfind("\n", 0, max(0, at - 1)) + 1 :].splitlines()
            end = next(
                (i for i, line in enumerate(lines[2:], 2) if line and not line[0].isspace()),
                len(lines) - 1,
            )
            block = lines[: end + 1]
            if len(block) > TRACEBACK_LINES_SHOWN:
                head, tail = TRACEBACK_LINES_SHOWN // 2, TRACEBACK_LINES_SHOWN // 2
                block = [*block[:head], "    ...", *block[-tail:]]
            return f"[replica {name}]\n" + "\n".join(block)
    return None
