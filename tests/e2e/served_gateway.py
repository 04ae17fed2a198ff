"""The gateway as a real `python -m gateway serve` subprocess on a free loopback port."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
LOG_WAIT_S = 5.0


@dataclass(frozen=True)
class RunningGateway:
    url: str
    log_path: Path

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout_s: float = LOG_WAIT_S) -> str:
        """The log once it contains `text`: aiohttp writes the access line after the response."""
        deadline = time.monotonic() + timeout_s
        while text not in (log := self.log_text()):
            if time.monotonic() > deadline:
                pytest.fail(f"{text!r} not logged within {timeout_s} s; log:\n{log}")
            time.sleep(0.05)
        return log


@contextmanager
def serve_gateway(
    redmine_url: str, log_path: Path, extra_env: Mapping[str, str] | None = None
) -> Iterator[RunningGateway]:
    """Starts the gateway, waits until it is healthy, and on exit demands a clean SIGTERM stop.

    `extra_env` adds settings (GATEWAY_TASK_FIELD_ID=...) on top of the defaults tested here.
    """
    port = free_port()
    gateway = RunningGateway(url=f"http://{HOST}:{port}", log_path=log_path)
    # Inherited GATEWAY_* variables (a developer's shell) must not change what is tested.
    env = {name: value for name, value in os.environ.items() if not name.startswith("GATEWAY_")}
    env |= {
        "GATEWAY_REDMINE_URL": redmine_url,
        "GATEWAY_HOST": HOST,
        "GATEWAY_PORT": str(port),
        "GATEWAY_LOG_LEVEL": "INFO",
    }
    env |= extra_env or {}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "serve"],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_healthy(gateway, process)
        yield gateway
    finally:
        exit_code = _stop(process)
    if exit_code != 0:
        pytest.fail(f"gateway exited with {exit_code} on SIGTERM; its log:\n{gateway.log_text()}")


def _wait_until_healthy(gateway: RunningGateway, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gateway exited with {process.returncode}; log:\n{gateway.log_text()}")
        try:
            with urllib.request.urlopen(f"{gateway.url}/-/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:  # URLError and refused connections while it binds
            pass
        time.sleep(0.1)
    pytest.fail(f"gateway not healthy after {START_TIMEOUT_S} s; log:\n{gateway.log_text()}")


def _stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return -signal.SIGKILL
