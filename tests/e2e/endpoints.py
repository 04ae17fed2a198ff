"""Raw HTTP calls sent to the gateway and to Redmine itself, and the answers they get."""

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL


@dataclass(frozen=True)
class Call:
    """One request, spelled exactly as it goes on the wire (target = raw path and query)."""

    method: str
    target: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def with_headers(self, extra: Mapping[str, str]) -> "Call":
        return replace(self, headers={**self.headers, **extra})


@dataclass(frozen=True)
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")

    def json(self) -> Any:
        return json.loads(self.body)

    def xml(self) -> ET.Element:
        return ET.fromstring(self.body)


@dataclass(frozen=True)
class Endpoint:
    """A base URL (the gateway's or Redmine's) that calls are sent to."""

    session: aiohttp.ClientSession
    base_url: str

    async def send(self, call: Call) -> Answer:
        # encoded=True: percent-escapes and '|' must reach the server as written.
        url = URL(self.base_url + call.target, encoded=True)
        async with self.session.request(
            call.method, url, headers=call.headers, data=call.body, allow_redirects=False
        ) as response:
            return Answer(response.status, response.headers, await response.read())


@dataclass(frozen=True)
class Endpoints:
    gateway: Endpoint
    redmine: Endpoint

    async def send_both(self, call: Call) -> tuple[Answer, Answer]:
        """The answers through the gateway and straight from Redmine, in that order."""
        return await self.gateway.send(call), await self.redmine.send(call)


def api_key(key: str) -> dict[str, str]:
    return {"X-Redmine-API-Key": key}


def json_call(method: str, target: str, key: str, payload: Any) -> Call:
    headers = {**api_key(key), "Content-Type": "application/json"}
    return Call(method, target, headers, json.dumps(payload).encode())


def xml_call(method: str, target: str, key: str, document: str) -> Call:
    headers = {**api_key(key), "Content-Type": "application/xml"}
    return Call(method, target, headers, document.encode())
