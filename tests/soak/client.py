"""One request of a timer app, retried as an app would: on 5xx or a transport error, bounded."""

import asyncio
import json
import random
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.soak.tally import Tally

Json = dict[str, Any]
REQUEST_TIMEOUT_S = 10.0
MAX_ATTEMPTS = 10
OPERATION_DEADLINE_S = 45.0
BACKOFF_FIRST_S = 0.2
BACKOFF_MAX_S = 2.0
RETRY_AFTER_MAX_S = 2.0


@dataclass(frozen=True)
class Answer:
    status: int
    data: Json | None  # the "data" member of a JSON object answer
    body: str
    attempts: int
    retried_after: tuple[str, ...]


@dataclass
class Replicas:
    """The gateways' URLs; each request goes to the next one, as behind a load balancer."""

    urls: tuple[str, ...]
    turn: int = field(default=0)

    def next_url(self) -> str:
        self.turn += 1
        return self.urls[self.turn % len(self.urls)]


@dataclass
class GatewayCaller:
    session: aiohttp.ClientSession
    replicas: Replicas
    api_key: str
    tally: Tally
    rng: random.Random

    async def call(self, method: str, path: str, payload: Json | None = None) -> Answer | None:
        """The first answer that is not a 5xx; None once attempts or the deadline run out."""
        what = f"{method} {path}"
        failures: list[str] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + OPERATION_DEADLINE_S
        backoff = BACKOFF_FIRST_S
        while len(failures) < MAX_ATTEMPTS and loop.time() < deadline:
            try:
                status, body, retry_after = await self._once(method, path, payload)
            except (aiohttp.ClientError, TimeoutError) as exc:
                failures.append("transport")
                self.tally.transport_errors[type(exc).__name__] += 1
                wait = backoff
            else:
                if status < 500:
                    return Answer(status, _data(body), body, len(failures) + 1, tuple(failures))
                failures.append(str(status))
                self.tally.server_error(status, what, body)
                wait = min(retry_after, RETRY_AFTER_MAX_S) if retry_after else backoff
            await asyncio.sleep(min(wait * (0.5 + self.rng.random()), deadline - loop.time()))
            backoff = min(backoff * 2, BACKOFF_MAX_S)
        self.tally.gave_up.append(f"{what} after {failures}")
        return None

    async def _once(self, method: str, path: str, payload: Json | None) -> tuple[int, str, float]:
        url = self.replicas.next_url() + path
        headers = {"Authorization": f"Bearer {self.api_key}"}
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
        async with self.session.request(
            method, url, json=payload, headers=headers, timeout=timeout
        ) as response:
            body = await response.text()
            return response.status, body, _seconds(response.headers.get("Retry-After"))


def _data(body: str) -> Json | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    data = document.get("data") if isinstance(document, dict) else None
    return data if isinstance(data, dict) else None


def _seconds(header: str | None) -> float:
    try:
        return max(0.0, float(header)) if header else 0.0
    except ValueError:
        return 0.0
