"""The fake Redmine in a process of its own, so the gateways and the load do not share its loop.

`python -m tests.soak.fake_redmine --port N --users N` serves FakeRedmineApi on 127.0.0.1 with
the harness's users plus soak3, soak4, ... (members of web-app) until it is signalled.
"""

import argparse
import asyncio
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

from aiohttp import web

from tests.fakes.redmine import RecordedRequest
from tests.fakes.redmine_api import FakeRedmineApi
from tests.fakes.redmine_state import TIME_LOGGER
from tests.gateway_process import REPO_ROOT
from tests.soak.target import fake_logins
from tests.soak.waiting import answers_tcp, kill_process

HOST = "127.0.0.1"
WEB_APP_PROJECT_ID = 1
START_TIMEOUT_S = 15.0


def build_fake(user_count: int) -> FakeRedmineApi:
    fake = FakeRedmineApi()
    # Every request is recorded by default; a long soak would keep them all in memory.
    fake.calls = _Discarding()
    project = fake.state.projects[WEB_APP_PROJECT_ID]
    for login in fake_logins(user_count):
        if fake.state.user_with_login(login) is None:
            user = fake.state.add_user(login)
            project.members[user.id] = TIME_LOGGER
    return fake


class _Discarding(list[RecordedRequest]):
    def append(self, _item: RecordedRequest) -> None:
        pass


async def serve(port: int, user_count: int) -> None:
    runner = web.AppRunner(build_fake(user_count).app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, HOST, port).start()
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    try:
        await stopped.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.soak.fake_redmine")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(serve(args.port, args.users))


@asynccontextmanager
async def fake_redmine_process(port: int, user_count: int, log_path: Path) -> AsyncIterator[str]:
    """Starts the fake on `port`; yields its URL once it accepts connections; kills it after."""
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "tests.soak.fake_redmine"),
            *("--port", str(port), "--users", str(user_count)),
            cwd=REPO_ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        if not await answers_tcp(HOST, port, START_TIMEOUT_S, process):
            log_text = await asyncio.to_thread(log_path.read_text, errors="replace")
            raise RuntimeError(f"fake Redmine did not start; log:\n{log_text}")
        yield f"http://{HOST}:{port}"
    finally:
        await kill_process(process, signal.SIGTERM)


if __name__ == "__main__":
    with suppress(KeyboardInterrupt):
        main()
