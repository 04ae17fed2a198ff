"""200 MB through the gateway process each way, byte-exact, while its memory stays flat."""

import asyncio
import hashlib
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from tests.gateway_process import GatewayProcess, running_gateway
from tests.procfs import memory, reset_peak_memory

MIB = 1024 * 1024
TOTAL_BYTES = 200 * MIB
CHUNK_BYTES = MIB
WARM_UP_BYTES = 8 * MIB
# A streaming proxy holds a few chunks per direction (64 KiB relay chunks, the request body's
# StreamReader high-water mark, the transports' write buffers): a few MB at most, plus allocator
# slack. A proxy that buffered the body would grow by at least the 200 MB it holds. 50 MiB leaves
# ample margin for allocator noise while still failing if even a quarter of the body stayed.
MAX_PEAK_GROWTH_KIB = 50 * 1024
SAMPLE_INTERVAL_S = 0.01
TRANSFER_TIMEOUT_S = 120.0

# Random bytes, so no layer can compress them; each chunk also carries its index, so a chunk that
# is lost, repeated or reordered changes the checksum.
BLOCK = random.Random(20240501).randbytes(CHUNK_BYTES)


def chunk(index: int) -> bytes:
    return index.to_bytes(8, "big") + BLOCK[8:]


def chunks(total: int) -> Iterator[bytes]:
    for index in range(total // CHUNK_BYTES):
        yield chunk(index)


def expected_sha256(total: int) -> str:
    digest = hashlib.sha256()
    for data in chunks(total):
        digest.update(data)
    return digest.hexdigest()


class Upstream:
    """Redmine's stand-in: counts and hashes uploads chunk by chunk, streams generated downloads."""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/uploads.json", self.upload)
        app.router.add_get("/attachments/download/{size}/blob.bin", self.download)
        return app

    async def upload(self, request: web.Request) -> web.Response:
        received = 0
        digest = hashlib.sha256()
        async for data in request.content.iter_any():
            received += len(data)
            digest.update(data)
        return web.json_response(
            {
                "bytes": received,
                "sha256": digest.hexdigest(),
                "content_length": request.content_length,
                "content_type": request.content_type,
            },
            status=201,
        )

    async def download(self, request: web.Request) -> web.StreamResponse:
        total = int(request.match_info["size"])
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = total
        await response.prepare(request)
        for data in chunks(total):
            await response.write(data)
        await response.write_eof()
        return response


@pytest.fixture
async def upstream_url(aiohttp_server: AiohttpServer) -> str:
    server = await aiohttp_server(Upstream().app())
    return str(server.make_url("/"))


@pytest.fixture
async def gateway(upstream_url: str, tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    settings = {
        "GATEWAY_REDMINE_URL": upstream_url,
        # Generous, so a slow CI machine fails on memory or bytes, never on a timeout.
        "GATEWAY_UPSTREAM_TIMEOUT_S": str(TRANSFER_TIMEOUT_S),
    }
    async with running_gateway(settings, tmp_path / "gateway.log") as gateway:
        yield gateway


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    timeout = aiohttp.ClientTimeout(total=TRANSFER_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        yield session


@dataclass(frozen=True)
class Transfer:
    size: int
    sha256: str


async def upload(session: aiohttp.ClientSession, url: str, total: int) -> dict[str, object]:
    async def body() -> AsyncIterator[bytes]:
        for data in chunks(total):
            yield data

    async with session.post(
        f"{url}/uploads.json?key=upload-test",
        data=body(),
        headers={"Content-Type": "application/octet-stream", "Content-Length": str(total)},
    ) as response:
        assert response.status == 201, await response.text()
        result: dict[str, object] = await response.json()
        return result


async def download(session: aiohttp.ClientSession, url: str, total: int) -> Transfer:
    async with session.get(f"{url}/attachments/download/{total}/blob.bin") as response:
        assert response.status == 200
        assert response.content_length == total, "Content-Length passes through"
        received = 0
        digest = hashlib.sha256()
        async for data in response.content.iter_chunked(CHUNK_BYTES):
            received += len(data)
            digest.update(data)
        return Transfer(received, digest.hexdigest())


@dataclass
class MemoryWatch:
    baseline_kib: int
    sampled_peak_kib: int = 0
    samples: int = 0


@asynccontextmanager
async def watched_memory(pid: int) -> AsyncIterator[MemoryWatch]:
    """Samples the process's RSS while the block runs; the kernel's VmHWM catches the rest."""
    reset_peak_memory(pid)
    watch = MemoryWatch(baseline_kib=memory(pid).rss_kib)

    async def sample() -> None:
        while True:
            watch.sampled_peak_kib = max(watch.sampled_peak_kib, memory(pid).rss_kib)
            watch.samples += 1
            await asyncio.sleep(SAMPLE_INTERVAL_S)

    sampler = asyncio.create_task(sample())
    try:
        yield watch
    finally:
        sampler.cancel()
        await asyncio.gather(sampler, return_exceptions=True)
        watch.sampled_peak_kib = max(watch.sampled_peak_kib, memory(pid).peak_rss_kib)


def assert_flat(watch: MemoryWatch, what: str, log: str) -> None:
    growth_kib = watch.sampled_peak_kib - watch.baseline_kib
    assert watch.samples > 10, "the transfer was sampled while it ran"
    assert growth_kib < MAX_PEAK_GROWTH_KIB, (
        f"{what}: peak RSS grew by {growth_kib / 1024:.1f} MiB "
        f"(from {watch.baseline_kib / 1024:.1f} MiB); limit {MAX_PEAK_GROWTH_KIB / 1024:.0f} MiB"
        f"\n{log}"
    )


async def test_upload_streams_through_with_flat_memory(
    gateway: GatewayProcess, session: aiohttp.ClientSession
) -> None:
    # Warm up the same code path first, so imports and first-use buffers count in the baseline.
    await upload(session, gateway.url, WARM_UP_BYTES)
    async with watched_memory(gateway.pid) as watch:
        result = await upload(session, gateway.url, TOTAL_BYTES)
    log = await gateway.log_text()
    assert result == {
        "bytes": TOTAL_BYTES,
        "sha256": expected_sha256(TOTAL_BYTES),
        "content_length": TOTAL_BYTES,
        "content_type": "application/octet-stream",
    }
    assert_flat(watch, "upload", log)


async def test_download_streams_through_with_flat_memory(
    gateway: GatewayProcess, session: aiohttp.ClientSession
) -> None:
    await download(session, gateway.url, WARM_UP_BYTES)
    async with watched_memory(gateway.pid) as watch:
        transfer = await download(session, gateway.url, TOTAL_BYTES)
    log = await gateway.log_text()
    assert transfer == Transfer(TOTAL_BYTES, expected_sha256(TOTAL_BYTES))
    assert_flat(watch, "download", log)
