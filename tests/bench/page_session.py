"""What the page's session costs a request: GET /time-trackings/active with the API key, against
GET /-/app/api/time-trackings/active with the page's cookie (the session read from Redis, its
key decrypted, its idle time renewed with a write), and how much the page weighs.

Run from the repository:  .venv/bin/python tests/bench/page_session.py [--rounds 6] [--requests 500]

A gateway process (`python -m gateway serve`, embedded store) over the fake Redmine in a process
of its own; one keep-alive client sends the requests one after another. Rounds alternate
(A B B A ...) so drift hits both alike; the median latency of each side and the difference are
printed. The identity of the key is cached (GATEWAY_IDENTITY_TTL_S) on both sides, so Redmine is
asked once per side at most: what differs is the session's own work.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from gateway.page.files import PageFiles  # noqa: E402
from gateway.page.guard import COOKIE  # noqa: E402
from tests.fakes.redmine_state import harness_api_key  # noqa: E402
from tests.gateway_process import running_gateway  # noqa: E402
from tests.ports import free_port  # noqa: E402
from tests.soak.fake_redmine import fake_redmine_process  # noqa: E402


async def timed(session: aiohttp.ClientSession, url: str, headers: dict[str, str], n: int) -> float:
    """Seconds per request, over `n` sequential requests."""
    started = time.perf_counter()
    for _ in range(n):
        async with session.get(url, headers=headers) as response:
            await response.read()
            assert response.status == 200, response.status
    return (time.perf_counter() - started) / n


async def main(rounds: int, requests: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="page-bench-"))
    api_key = harness_api_key("alice")
    async with fake_redmine_process(free_port(), 2, workdir / "redmine.log") as redmine_url:
        settings = {"GATEWAY_REDMINE_URL": redmine_url, "GATEWAY_ACCESS_LOG": "false"}
        async with (
            running_gateway(settings, workdir / "gateway.log") as gateway,
            aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session,
        ):
            async with session.post(
                f"{gateway.url}/-/app/api/session", json={"api_key": api_key}
            ) as signed_in:
                cookie = signed_in.cookies[COOKIE].value
            sides = {
                "key": (f"{gateway.url}/time-trackings/active", {"X-Redmine-API-Key": api_key}),
                "page": (
                    f"{gateway.url}/-/app/api/time-trackings/active",
                    {"Cookie": f"{COOKIE}={cookie}"},
                ),
            }
            for url, headers in sides.values():  # warm: caches, pool, imports
                await timed(session, url, headers, 50)
            results: dict[str, list[float]] = {name: [] for name in sides}
            for index in range(rounds):
                order = list(sides) if index % 2 == 0 else list(reversed(sides))
                for name in order:
                    url, headers = sides[name]
                    results[name].append(await timed(session, url, headers, requests))
    for name, values in results.items():
        print(
            f"{name:>5}: median {statistics.median(values) * 1e3:.3f} ms/request, "
            f"min {min(values) * 1e3:.3f} ms ({rounds} rounds x {requests})"
        )
    extra = statistics.median(results["page"]) - statistics.median(results["key"])
    print(f"the session's cost: {extra * 1e3:+.3f} ms/request (medians)")
    files = PageFiles.load()
    sizes = {name: len(files.answer_body(name)) for name in files.names()}
    print(f"the page: {len(sizes)} files, {sum(sizes.values())} bytes uncompressed: {sizes}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--requests", type=int, default=500)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rounds, arguments.requests))
