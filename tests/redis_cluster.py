"""A real Redis Cluster on free loopback ports: masters with their replicas, made by
`redis-cli --cluster create`; a test may kill a master (kill -9) or move slots between masters."""

import asyncio
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from tests.ports import free_cluster_port
from tests.realredis import HOST, RedisServer, RedisServerError, _read, redis_server_binary
from tests.realsentinel import eventually

CLI_BINARY = "redis-cli"
# A master unreachable this long is failed over by its replica (kept short for the tests).
NODE_TIMEOUT_MS = 1000
CREATE_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 30.0
PROMOTION_TIMEOUT_S = 20.0
MIGRATE_TIMEOUT_MS = 5000
KEYS_PER_MIGRATE = 100


@dataclass(frozen=True)
class NodeLine:
    """One line of CLUSTER NODES."""

    node_id: str
    port: int
    flags: frozenset[str]
    master_id: str
    slots: tuple[int, ...]

    @property
    def is_live_master(self) -> bool:
        return "master" in self.flags and not self.flags & {"fail", "fail?"}


def parsed_nodes(text: str) -> list[NodeLine]:
    lines = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 8:
            continue
        port = int(fields[1].split("@")[0].rpartition(":")[2])
        slots: list[int] = []
        for part in fields[8:]:
            if part.startswith("["):
                continue  # a slot being migrated or imported
            first, _, last = part.partition("-")
            slots.extend(range(int(first), int(last or first) + 1))
        lines.append(
            NodeLine(fields[0], port, frozenset(fields[2].split(",")), fields[3], tuple(slots))
        )
    return lines


async def ask(port: int, *command: Any, password: str | None = None) -> Any:
    async with Redis(host=HOST, port=port, password=password, decode_responses=True) as client:
        pipe = client.pipeline(transaction=False)
        pipe.execute_command(*command)
        [answer] = await pipe.execute()
        return answer


async def commands_run(port: int, *names: str, password: str | None = None) -> int:
    """How often the node ran these commands since it started."""
    async with Redis(host=HOST, port=port, password=password, decode_responses=True) as client:
        stats = await client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in names)


async def errors_answered(port: int, kind: str) -> int:
    """How often the node answered with this error (INFO errorstats) since it started."""
    async with Redis(host=HOST, port=port, decode_responses=True) as client:
        stats = await client.info("errorstats")
    return int(stats.get(f"errorstat_{kind}", {}).get("count", 0))


class RedisClusterServers:
    def __init__(self, servers: list[RedisServer]) -> None:
        self.servers = {server.port: server for server in servers}
        self._killed: set[int] = set()
        self.password: str | None = None  # once `require_password` has set one

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}{HOST}:{self.live_ports()[0]}/0"

    async def require_password(self, password: str) -> None:
        """Every node asks its clients for `password` from now on, replicas their masters too
        (set after the cluster is made: redis-cli and the start-up PING stay plain)."""
        for port in self.live_ports():
            await ask(port, "CONFIG", "SET", "masterauth", password)
        for port in self.live_ports():
            await ask(port, "CONFIG", "SET", "requirepass", password)
        self.password = password

    def settings(self) -> dict[str, Any]:
        return {"redis_url": self.url, "redis_cluster": True}

    def env(self) -> dict[str, str]:
        return {"GATEWAY_REDIS_URL": self.url, "GATEWAY_REDIS_CLUSTER": "true"}

    def live_ports(self) -> list[int]:
        return [port for port in self.servers if port not in self._killed]

    async def nodes(self) -> list[NodeLine]:
        """CLUSTER NODES as a live node sees it."""
        return parsed_nodes(
            await ask(self.live_ports()[0], "CLUSTER", "NODES", password=self.password)
        )

    async def masters(self) -> list[NodeLine]:
        return [node for node in await self.nodes() if node.is_live_master]

    async def master_of_slot(self, slot: int) -> NodeLine:
        [owner] = [node for node in await self.masters() if slot in node.slots]
        return owner

    async def is_ok(self) -> bool:
        """Every live node says the cluster is ok and sees the same roles (a node just made a
        replica is listed as a master by the others until gossip catches up), every live master
        serves slots and they cover all, and every live replica's link to its master is up."""
        try:
            views = set()
            for port in self.live_ports():
                info = await ask(port, "CLUSTER", "INFO", password=self.password)
                if "cluster_state:ok" not in str(info):
                    return False
                seen = parsed_nodes(await ask(port, "CLUSTER", "NODES", password=self.password))
                views.add(frozenset((n.node_id, n.is_live_master) for n in seen))
            nodes = await self.nodes()
        except RedisError:
            return False
        masters = [node for node in nodes if node.is_live_master]
        covered = sum(len(node.slots) for node in masters)
        return (
            len(views) == 1
            and all(node.slots for node in masters)
            and covered == 16384
            and await self._replicas_linked(nodes)
        )

    async def _replicas_linked(self, nodes: list[NodeLine]) -> bool:
        for node in nodes:
            if "slave" in node.flags and node.port not in self._killed:
                replication = await ask(node.port, "INFO", "replication", password=self.password)
                if replication.get("master_link_status") != "up":
                    return False
        return True

    async def kill(self, port: int) -> None:
        """kill -9: no goodbye to its clients or replicas."""
        self._killed.add(port)
        await self.servers[port].kill()

    async def wait_for_promotion(self, old_port: int, slot: int) -> NodeLine:
        """Waits until a replica of the killed master serves `slot` and the cluster is ok."""

        async def promoted() -> bool:
            try:
                owner = await self.master_of_slot(slot)
            except (ValueError, RedisError):
                return False
            return owner.port != old_port and await self.is_ok()

        await eventually(promoted, PROMOTION_TIMEOUT_S, f"a replica took over slot {slot}")
        return await self.master_of_slot(slot)

    async def reshard(self, slots: Iterable[int], to_port: int, *, pace_s: float = 0.0) -> int:
        """Moves each slot, with its keys, to the master at `to_port` while clients go on (the
        documented MIGRATING/IMPORTING procedure); returns how many keys moved. `pace_s`: a
        pause after each key, so that clients meet slots half-moved (a big slot's move)."""
        nodes = await self.nodes()
        by_port = {node.port: node for node in nodes}
        target, moved = by_port[to_port], 0
        for slot in slots:
            [source] = [n for n in nodes if n.is_live_master and slot in n.slots]
            if source.port == to_port:
                continue
            await ask(to_port, "CLUSTER", "SETSLOT", slot, "IMPORTING", source.node_id)
            await ask(source.port, "CLUSTER", "SETSLOT", slot, "MIGRATING", target.node_id)
            batch = 1 if pace_s else KEYS_PER_MIGRATE
            while keys := await ask(source.port, "CLUSTER", "GETKEYSINSLOT", slot, batch):
                await ask(
                    source.port, "MIGRATE", HOST, to_port, "", 0, MIGRATE_TIMEOUT_MS, "KEYS", *keys
                )
                moved += len(keys)
                if pace_s:
                    await asyncio.sleep(pace_s)  # pacing the move, not waiting for anything
            # The documented order: the importing master first, then the source, then the rest,
            # so no client is sent back and forth between the two meanwhile.
            others = [n for n in nodes if n.is_live_master and n.port not in (to_port, source.port)]
            for node in (target, source, *others):
                await ask(node.port, "CLUSTER", "SETSLOT", slot, "NODE", target.node_id)
        return moved


@asynccontextmanager
async def running_cluster(
    masters: int = 3, replicas_per_master: int = 1
) -> AsyncIterator[RedisClusterServers]:
    """Starts the servers, makes them a cluster and yields it once it is ok; stops them after
    (on failure too). A missing redis-server or redis-cli fails the test (no skip)."""
    binary, cli = redis_server_binary(), shutil.which(CLI_BINARY)
    if cli is None:
        raise RedisServerError(f"{CLI_BINARY!r} is not on PATH (apt-get install redis-tools)")
    workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="rediscluster-"))
    async with AsyncExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        servers = []
        for _ in range(masters * (1 + replicas_per_master)):
            server = await _started_node(binary, workdir)
            stack.push_async_callback(server.stop)
            servers.append(server)
        await _create(cli, servers, replicas_per_master)
        cluster = RedisClusterServers(servers)
        await eventually(cluster.is_ok, READY_TIMEOUT_S, "the cluster is ok")
        yield cluster


async def _started_node(binary: str, workdir: Path) -> RedisServer:
    port = free_cluster_port()
    home = workdir / str(port)
    await asyncio.to_thread(home.mkdir)
    server = RedisServer(
        binary,
        home,
        port,
        append_only=False,
        extra_args=(
            *("--cluster-enabled", "yes"),
            *("--cluster-config-file", str(home / "nodes.conf")),
            *("--cluster-node-timeout", str(NODE_TIMEOUT_MS)),
            # A master syncs a new replica at once instead of waiting 5 s for others to join.
            *("--repl-diskless-sync-delay", "0"),
        ),
    )
    if not await server.start():
        log = await asyncio.to_thread(_read, server.log_path)
        raise RedisServerError(f"cluster node did not start on {port}; log:\n{log}")
    return server


async def _create(cli: str, servers: list[RedisServer], replicas_per_master: int) -> None:
    process = await asyncio.create_subprocess_exec(
        cli,
        "--cluster",
        "create",
        *(f"{HOST}:{server.port}" for server in servers),
        *("--cluster-replicas", str(replicas_per_master)),
        "--cluster-yes",
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with asyncio.timeout(CREATE_TIMEOUT_S):
            output, _ = await process.communicate()
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RedisServerError("redis-cli --cluster create did not finish") from None
    if process.returncode != 0:
        raise RedisServerError(f"redis-cli --cluster create failed:\n{output.decode()}")
