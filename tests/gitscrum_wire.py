"""The GitScrum clients' requests byte for byte, and their readers' rules for the answers.

- The CLI (gitscrum-core/cli, Go): pkg/api/client.go sets Content-Type, Accept, User-Agent
  `GitScrum-CLI/1.0` and `Authorization: Bearer <token>`; Go's net/http writes Host, User-Agent,
  Content-Length (a body), the other fields sorted by name, then the transport's
  `Accept-Encoding: gzip`. Bodies are json.Marshal of a map: keys sorted, no spaces, no newline.
  The path is written into the URL as is (`fmt.Sprintf`), query order as in the source.
- The MCP server (gitscrum-core/mcp-server, Node): src/client/GitScrumClient.ts sends
  Authorization, Accept, Content-Type, X-Client-Type and X-Client-Source through fetch (undici:
  lower-case names, its own accept-language, sec-fetch-mode, user-agent and accept-encoding);
  queries are URLSearchParams (form encoding) in the order the source adds them.
"""

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

READ_TIMEOUT_S = 10.0
CLI_AGENT = "GitScrum-CLI/1.0"
# What the CLI's Go structs read; a list in brackets is a Go slice of that struct.
GoSpec = Any


def go_cli_request(
    host: str, method: str, path: str, token: str, body: Mapping[str, object] | None = None
) -> bytes:
    payload = b"" if body is None else json.dumps(body, sort_keys=True, separators=(",", ":"))
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"User-Agent: {CLI_AGENT}"]
    if body is not None:
        lines.append(f"Content-Length: {len(payload)}")
    lines += [
        "Accept: application/json",
        f"Authorization: Bearer {token}",
        "Content-Type: application/json",
        "Accept-Encoding: gzip",
    ]
    encoded = payload.encode() if isinstance(payload, str) else payload
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + encoded


def search_params(params: Sequence[tuple[str, str | int]]) -> str:
    """URLSearchParams.toString(): application/x-www-form-urlencoded, `*-._` and alphanumerics
    kept, a space as `+`."""

    def encode(text: str) -> str:
        out = []
        for byte in text.encode():
            char = chr(byte)
            if char.isascii() and (char.isalnum() or char in "*-._"):
                out.append(char)
            elif char == " ":
                out.append("+")
            else:
                out.append(f"%{byte:02X}")
        return "".join(out)

    return "&".join(f"{encode(k)}={encode(str(v))}" for k, v in params)


def mcp_request(
    host: str,
    method: str,
    endpoint: str,
    token: str,
    params: Sequence[tuple[str, str | int]] = (),
    body: Mapping[str, object] | None = None,
) -> bytes:
    """GitScrumClient.request(): `${baseUrl}/${endpoint}`, the query from get()'s params."""
    target = "/" + endpoint.lstrip("/")
    if params:
        target += "?" + search_params(params)
    payload = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
    lines = [
        f"{method} {target} HTTP/1.1",
        f"host: {host}",
        "connection: keep-alive",
        f"authorization: Bearer {token}",
        "accept: application/json",
        "content-type: application/json",
        "x-client-type: mcp",
        "x-client-source: mcp-server",
        "accept-language: *",
        "sec-fetch-mode: cors",
        "user-agent: node",
        "accept-encoding: gzip, deflate",
    ]
    if body is not None:
        lines.append(f"content-length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def exchange(host: str, port: int, request: bytes) -> Answer:
    """One request on its own connection; the answer read as its framing says."""
    async with asyncio.timeout(READ_TIMEOUT_S):
        reader, writer = await asyncio.open_connection(host, port)
    try:
        async with asyncio.timeout(READ_TIMEOUT_S):
            writer.write(request)
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
            status_line, *fields = head.decode("latin-1").split("\r\n")[:-2]
            headers = {}
            for line in fields:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "content-length" in headers:
                body = await reader.readexactly(int(headers["content-length"]))
            else:
                body = await chunked(reader)
    finally:
        writer.close()
    return Answer(int(status_line.split(" ")[1]), headers, body)


async def chunked(reader: asyncio.StreamReader) -> bytes:
    body = b""
    while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
        body += await reader.readexactly(size)
        await reader.readexactly(2)
    await reader.readexactly(2)
    return body


def go_decode(value: object, spec: GoSpec, where: str = "$") -> None:
    """Fails as Go's encoding/json would when decoding `value` into the struct `spec`.

    `spec` is a Go type: `str`, `int` (an integer literal only: 3.0 fails), `float`, `bool`,
    `[elem]` (a slice) or `{name: type}` (a struct; names match case-insensitively, unknown
    members are skipped). `null` decodes into anything, leaving the zero value.
    """
    if value is None:
        return
    if isinstance(spec, dict):
        assert isinstance(value, dict), f"{where}: an object was needed, got {value!r}"
        members = {k.casefold(): v for k, v in value.items()}
        for name, inner in spec.items():
            if name.casefold() in members:
                go_decode(members[name.casefold()], inner, f"{where}.{name}")
    elif isinstance(spec, list):
        assert isinstance(value, list), f"{where}: an array was needed, got {value!r}"
        for index, item in enumerate(value):
            go_decode(item, spec[0], f"{where}[{index}]")
    elif spec is int:
        assert isinstance(value, int) and not isinstance(value, bool), f"{where}: {value!r}"
    elif spec is float:
        assert isinstance(value, int | float) and not isinstance(value, bool), f"{where}"
    else:
        assert isinstance(value, spec), f"{where}: {spec.__name__} needed, got {value!r}"


# The structs of pkg/cmd/timer/timer.go, as the CLI decodes each answer.
ACTIVE: GoSpec = {
    "data": [
        {
            "uuid": str,
            "start": str,
            "comment": str,
            "issue": {"uuid": str, "number": int, "title": str},
        }
    ]
}
RESOLVED: GoSpec = {"data": {"uuid": str, "code": str}}
STOP_ALL: GoSpec = {
    "message": str,
    "stopped": int,
    "data": [{"task_code": str, "task_title": str, "duration_formatted": str}],
}
REPORT: GoSpec = {
    "data": {
        "total_seconds": int,
        "entries": [
            {
                "task_code": str,
                "task_title": str,
                "seconds": int,
                "description": str,
                "user": {"name": str},
            }
        ],
        "by_user": [{"name": str, "seconds": int}],
    }
}
PRODUCTIVITY: GoSpec = {
    "data": {
        "total_seconds": int,
        "focus_seconds": int,
        "productivity_score": float,
        "avg_daily_hours": float,
        "most_productive_day": str,
        "tasks_completed": int,
        "by_category": [{"name": str, "seconds": int, "percent": float}],
    }
}
