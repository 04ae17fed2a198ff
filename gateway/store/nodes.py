"""The Redis server a key's write goes to, as a client of its own, so that a write and the WAIT
for its replica are sent on one connection (WAIT covers only its own connection's writes).

One Redis (standalone or a Sentinel master) is its own node. On a cluster, the node is the
master of the key's slot, reached directly with the cluster client's own connection settings.
"""

import asyncio
from typing import Protocol

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.exceptions import ClusterDownError, SlotNotCoveredError

from gateway.store.failures import STORE_OR_IO_FAILURES

StoreClient = Redis | RedisCluster


class WriteNodes(Protocol):
    async def node_for(self, key: str) -> tuple[str, Redis]:
        """The name and a client of the master that holds `key` now."""

    def node_at(self, host: str, port: int) -> tuple[str, Redis]:
        """The node an ASK redirect named."""

    async def moved(self, key: str) -> None:
        """Where `key` lives changed (MOVED, or its master stopped answering): learn anew."""

    async def aclose(self) -> None: ...


class OneNode:
    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def node_for(self, key: str) -> tuple[str, Redis]:
        return "", self._redis

    def node_at(self, host: str, port: int) -> tuple[str, Redis]:
        return "", self._redis

    async def moved(self, key: str) -> None:
        return None

    async def aclose(self) -> None:
        return None  # the client is its owner's


class ClusterNodes:
    def __init__(self, cluster: RedisCluster, refresh_s: float) -> None:
        self._cluster = cluster
        self._refresh_s = refresh_s
        self._clients: dict[str, Redis] = {}

    async def node_for(self, key: str) -> tuple[str, Redis]:
        await self._cluster.initialize()
        try:
            node = self._cluster.get_node_from_key(key)
        except SlotNotCoveredError as exc:
            # No master serves its slot now (mid-failover): a retryable failure (503).
            raise ClusterDownError(f"no master serves the slot of {key}") from exc
        if node is None:
            raise ClusterDownError(f"no master serves the slot of {key}")
        return node.name, self._client(node, node.host, int(node.port))

    def node_at(self, host: str, port: int) -> tuple[str, Redis]:
        # Any known node serves as the model for the connection settings (they are the same).
        return f"{host}:{port}", self._client(self._cluster.get_default_node(), host, port)

    async def moved(self, key: str) -> None:
        # A keyed read through the cluster client follows the redirect and refreshes its map
        # of slots (or, with the master gone, fails until a replica has taken over).
        try:
            async with asyncio.timeout(self._refresh_s):
                await self._cluster.exists(key)
        except STORE_OR_IO_FAILURES:
            pass
        known = {node.name for node in self._cluster.get_nodes()}
        for name in [name for name in self._clients if name not in known]:
            # A node that left the cluster (failed and forgotten): its connections go.
            await _closed(self._clients.pop(name))

    def _client(self, model: ClusterNode, host: str, port: int) -> Redis:
        name = f"{host}:{port}"
        client = self._clients.get(name)
        if client is None:
            # The cluster client's own settings for its nodes, its bound on connections too.
            pool = ConnectionPool(
                connection_class=model.connection_class,
                max_connections=model.max_connections,
                **{**model.connection_kwargs, "host": host, "port": port},
            )
            client = self._clients[name] = Redis(connection_pool=pool)
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await _closed(client)
        self._clients.clear()


async def _closed(client: Redis) -> None:
    await client.aclose()
    await client.connection_pool.disconnect()  # a pool given to a client is not its to close


def write_nodes(client: StoreClient, refresh_s: float) -> WriteNodes:
    """`refresh_s`: how long learning where a key moved may take (GATEWAY_REDIS_TIMEOUT_S)."""
    if isinstance(client, RedisCluster):
        return ClusterNodes(client, refresh_s)
    return OneNode(client)
