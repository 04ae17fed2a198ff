"""A real Sentinel set on free loopback ports: a master, its replicas and `redis-sentinel`s."""

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.ports import free_port
from tests.realredis import (
    HOST,
    RedisServer,
    RedisServerError,
    _answers_ping,
    _read,
    _stop,
    redis_server_binary,
)

SENTINEL_BINARY_ENV = "REDIS_SENTINEL"
MASTER_NAME = "timers"
READY_TIMEOUT_S = 20.0
POLL_INTERVAL_S = 0.05


class SentinelServer:
    """One redis-sentinel watching MASTER_NAME; it rewrites its own config file as it learns."""

    def __init__(self, binary: str, workdir: Path, port: int, settings: list[str]) -> None:
        self.port = port
        self._binary = binary
        self._workdir = workdir
        self._settings = settings
        self._process: asyncio.subprocess.Process | None = None
        self.log_path = workdir / "sentinel.log"

    async def start(self) -> None:
        config = self._workdir / "sentinel.conf"
        lines = [
            f"port {self.port}",
            f"bind {HOST}",
            "daemonize no",
            f"dir {self._workdir}",
            f"logfile {self.log_path}",
            *self._settings,
        ]
        await asyncio.to_thread(config.write_text, "\n".join(lines) + "\n")
        self._process = await asyncio.create_subprocess_exec(
            self._binary,
            str(config),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        if not await _answers_ping(self._process, self.port):
            log = await asyncio.to_thread(_read, self.log_path)
            raise RedisServerError(f"redis-sentinel did not start on {self.port}; log:\n{log}")

    async def stop(self) -> None:
        if self._process is not None:
            await _stop(self._process)
            self._process = None

    def client(self) -> Redis:
        return Redis(host=HOST, port=self.port, decode_responses=True, socket_timeout=2.0)


@dataclass
class SentinelSet:
    """The servers of one Sentinel deployment, and what a gateway's settings say about it."""

    master: RedisServer  # the first master; after a failover, the one that was
    replicas: list[RedisServer]
    sentinels: list[SentinelServer]

    @property
    def sentinels_setting(self) -> str:
        return ",".join(f"{HOST}:{s.port}" for s in self.sentinels)

    def settings(self) -> dict[str, Any]:
        return {"redis_sentinels": self.sentinels_setting, "redis_sentinel_master": MASTER_NAME}

    def env(self) -> dict[str, str]:
        return {
            "GATEWAY_REDIS_SENTINELS": self.sentinels_setting,
            "GATEWAY_REDIS_SENTINEL_MASTER": MASTER_NAME,
        }

    def server_on(self, port: int) -> RedisServer:
        [server] = [s for s in (self.master, *self.replicas) if s.port == port]
        return server

    async def master_port(self, sentinel: SentinelServer | None = None) -> int:
        """The master's port as a Sentinel tells it (the first one unless named)."""
        async with (sentinel or self.sentinels[0]).client() as client:
            address = await client.sentinel_get_master_addr_by_name(MASTER_NAME)
        assert isinstance(address, tuple), address
        return int(address[1])


def sentinel_binary() -> str:
    name = os.environ.get(SENTINEL_BINARY_ENV, "redis-sentinel")
    path = shutil.which(name)
    if path is None:
        raise RedisServerError(
            f"{name!r} is not on PATH: install redis-sentinel (apt-get install redis-sentinel) "
            f"or set {SENTINEL_BINARY_ENV}; Sentinel tests do not skip"
        )
    return path


async def eventually(probe: Callable[[], Awaitable[bool]], timeout_s: float, what: str) -> None:
    """Polls `probe` until it is true; fails naming `what` at the deadline. A probe that meets a
    Redis error (a server going down or coming up) counts as not yet."""
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                try:
                    if await probe():
                        return
                except (RedisError, OSError):
                    pass
                await asyncio.sleep(POLL_INTERVAL_S)
    except TimeoutError:
        raise AssertionError(f"not within {timeout_s} s: {what}") from None


async def online_replica_ports(server: RedisServer) -> list[int]:
    async with Redis(host=HOST, port=server.port, decode_responses=True) as client:
        info = await client.info("replication")
    return [
        int(value["port"])
        for name, value in info.items()
        if name.startswith("slave") and isinstance(value, dict) and value["state"] == "online"
    ]


async def sentinel_sees_everyone(sentinel: SentinelServer, replicas: int, others: int) -> bool:
    async with sentinel.client() as client:
        known_replicas = await client.sentinel_slaves(MASTER_NAME)
        known_sentinels = await client.sentinel_sentinels(MASTER_NAME)
    assert isinstance(known_replicas, list) and isinstance(known_sentinels, list)
    healthy = [r for r in known_replicas if not r.get("is_sdown") and r.get("is_slave")]
    return len(healthy) >= replicas and len(known_sentinels) >= others


@asynccontextmanager
async def running_sentinel_set(
    *,
    replicas: int = 1,
    sentinels: int = 1,
    down_after_ms: int = 1000,
    failover_timeout_ms: int = 3000,
) -> AsyncIterator[SentinelSet]:
    """Starts a master, `replicas` replicas of it and `sentinels` Sentinels (quorum: a
    majority); yields once the replicas are online and every Sentinel knows them and the other
    Sentinels (so a failover can be voted on). Everything is stopped after."""
    server_binary, binary = redis_server_binary(), sentinel_binary()
    root = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="realsentinel-"))
    quorum = sentinels // 2 + 1
    try:
        async with AsyncExitStack() as stack:
            master = await _started_server(stack, server_binary, root / "master", ())
            copies = [
                await _started_server(
                    stack,
                    server_binary,
                    root / f"replica-{n}",
                    ("--replicaof", HOST, str(master.port)),
                )
                for n in range(replicas)
            ]
            await eventually(
                lambda: _has_online(master, replicas), READY_TIMEOUT_S, "replicas online"
            )
            # Just after a full sync a replica may not acknowledge writes (WAIT) until its first
            # periodic ACK, about a second later: ready means it does.
            await eventually(
                partial(acknowledges_writes, master, replicas),
                READY_TIMEOUT_S,
                "writes acknowledged",
            )
            watching = [
                f"sentinel monitor {MASTER_NAME} {HOST} {master.port} {quorum}",
                f"sentinel down-after-milliseconds {MASTER_NAME} {down_after_ms}",
                f"sentinel failover-timeout {MASTER_NAME} {failover_timeout_ms}",
                f"sentinel parallel-syncs {MASTER_NAME} 1",
            ]
            watchers = []
            for n in range(sentinels):
                workdir = root / f"sentinel-{n}"
                await asyncio.to_thread(workdir.mkdir)
                sentinel = SentinelServer(binary, workdir, free_port(), watching)
                stack.push_async_callback(sentinel.stop)
                await sentinel.start()
                watchers.append(sentinel)
            for sentinel in watchers:
                await eventually(
                    partial(sentinel_sees_everyone, sentinel, replicas, sentinels - 1),
                    READY_TIMEOUT_S,
                    f"sentinel on {sentinel.port} knows the replicas and the other sentinels",
                )
            yield SentinelSet(master, copies, watchers)
    finally:
        await asyncio.to_thread(shutil.rmtree, root, True)


async def acknowledges_writes(server: RedisServer, count: int) -> bool:
    async with Redis(host=HOST, port=server.port, decode_responses=True) as client:
        pipe = client.pipeline(transaction=False)
        pipe.set("realsentinel:ready", "1")
        pipe.execute_command("WAIT", count, int(POLL_INTERVAL_S * 1000))
        pipe.delete("realsentinel:ready")
        _, acknowledged, _ = await pipe.execute()
    return int(acknowledged) >= count


async def _has_online(server: RedisServer, count: int) -> bool:
    return len(await online_replica_ports(server)) >= count


async def _started_server(
    stack: AsyncExitStack, binary: str, workdir: Path, extra_args: tuple[str, ...]
) -> RedisServer:
    await asyncio.to_thread(workdir.mkdir)
    # A master waits 5 s by default for more replicas before a (diskless) full sync: none here.
    args = ("--repl-diskless-sync-delay", "0", *extra_args)
    server = RedisServer(binary, workdir, free_port(), append_only=False, extra_args=args)
    stack.push_async_callback(server.stop)
    if not await server.start():
        log = await asyncio.to_thread(_read, server.log_path)
        raise RedisServerError(f"redis-server did not start on {server.port}; log:\n{log}")
    return server
