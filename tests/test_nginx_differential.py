"""The same malformed requests to the gateway and to nginx (each in front of a recording
upstream): whatever nginx refuses, the gateway refuses too. Where the gateway is stricter, it is
on purpose, and the list below (and the README's) says so; any drift fails this test."""

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fuzz.harness import EdgeHarness
from tests.fuzz.upstream import RecordingUpstream
from tests.malformed_requests import CASES
from tests.nginx import nginx_conf
from tests.ports import free_port

READ_TIMEOUT_S = 5.0
START_TIMEOUT_S = 10.0

# Requests nginx 1.22 relays and the gateway refuses, each for a reason (README: "Stricter
# than nginx").
STRICTER = {
    "absolute-form": "an absolute-form target is for forward proxies; this is an origin's front",
    "absolute-form-https": "the same",
    "absolute-form-other-host": "the same; nginx relays it to Redmine as if it named Redmine",
    "bare-lf-lines": "a bare LF ends no line in RFC 9112 (llhttp strict); nginx accepts it",
    "chunk-bare-lf": "the same, in a chunked body",
    "chunk-ext-nul": "a NUL in a chunk extension; nginx skips extensions unread",
    "chunk-size-space": "whitespace after a chunk size is not in the grammar",
    "chunk-trailer-bad": "a trailer field whose name is not a token",
    "ctl-in-value": "control bytes in a field value (RFC 9110 §5.5); nginx passes them on",
    "del-in-value": "the same, DEL",
    "fields-200": "more than GATEWAY_CLIENT_MAX_HEADER_FIELDS (100) fields: 431",
    "fragment": "a # is not allowed in a request target (HAProxy's CVE-2023-45539)",
    "fragment-after-path": "the same",
    "high-byte-in-name": "a field name that is not a token; nginx drops the field and relays",
    "high-byte-in-target": "bytes outside RFC 3986 in a target; Redmine would get them raw",
    "host-bad-port": "a Host port that is not digits",
    "host-with-userinfo": "userinfo is not part of Host (uri-host[:port])",
    "http-0.9": "an HTTP/0.9 request line: 400, not an answer without a head",
    "http-1.2": "only HTTP/1.0 and 1.1 are spoken (505); nginx takes any 1.x",
    "long-method": "a method llhttp does not know (it knows the registered ones, WebDAV's too)",
    "slash-in-name": "a field name that is not a token; nginx drops the field and relays",
    "unknown-method": "the same as long-method",
    "upgrade-websocket-with-body": "a protocol-switch request with a body: llhttp skips the body",
}


@pytest.fixture
def harness() -> Iterator[EdgeHarness]:
    with EdgeHarness() as edge:
        yield edge


@pytest.fixture
def nginx(harness: EdgeHarness, tmp_path: Path) -> Iterator[tuple[int, RecordingUpstream]]:
    """A private nginx relaying to a recording upstream of its own, as a Redmine front would."""
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/bin")
    assert binary is not None, "nginx is missing: .ci/run installs Debian's nginx package"
    upstream = RecordingUpstream()
    harness.run(upstream.start())
    port = free_port()
    pool = f"upstream redmine {{ server 127.0.0.1:{upstream.port}; keepalive 16; }}"
    location = (
        "proxy_pass http://redmine; proxy_http_version 1.1; "
        'proxy_set_header Connection ""; proxy_set_header Host $http_host; '
        "proxy_ignore_client_abort on;"  # a half-closed client still has its request relayed
    )
    (tmp_path / "nginx.conf").write_text(nginx_conf(tmp_path, 1, port, location, pool))
    argv = [binary, "-p", f"{tmp_path}/", "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        harness.run(until_listening(port))
        yield port, upstream
    finally:
        process.terminate()
        process.wait(timeout=START_TIMEOUT_S)
        harness.run(upstream.close())


async def until_listening(port: int) -> None:
    async with asyncio.timeout(START_TIMEOUT_S):
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            return


async def relayed(port: int, upstream: RecordingUpstream, data: bytes) -> int:
    """How many requests (or unparseable byte runs) of `data` reached the upstream."""
    upstream.reset()
    upstream.unparseable = 0
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        writer.write_eof()  # a half-close: each proxy answers what it read, then closes
        async with asyncio.timeout(READ_TIMEOUT_S):
            while await reader.read(65536):
                pass
    except ConnectionError:
        pass
    finally:
        writer.transport.abort()
    return len(upstream.requests) + upstream.unparseable


def test_the_gateway_refuses_everything_nginx_refuses(
    harness: EdgeHarness, nginx: tuple[int, RecordingUpstream]
) -> None:
    nginx_port, nginx_upstream = nginx
    looser: list[str] = []
    stricter: dict[str, tuple[int, int]] = {}
    for name, data in CASES.items():
        by_nginx = harness.run(relayed(nginx_port, nginx_upstream, data))
        by_gateway = harness.run(relayed(harness.port, harness.upstream, data))
        if by_gateway > by_nginx:
            looser.append(f"{name}: gateway relayed {by_gateway}, nginx {by_nginx}")
        elif by_gateway < by_nginx:
            stricter[name] = (by_gateway, by_nginx)
    assert looser == [], "the gateway relays requests nginx refuses"
    assert sorted(stricter) == sorted(STRICTER), stricter
