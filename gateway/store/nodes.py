"""The Redis server a key's write goes to, as a client of its own, so that a write and the WAIT
for its replica are sent on one connection (WAIT covers only its own connection's writes).

One Redis (standalone or a Sentinel master) is its own node. On a cluster, the node is the
master of the key's slot, reached directly with the cluster client's own connection settings.
"""

from typing import Any, Protocol

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ClusterDownError, RedisError

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
    def __init__(self, cluster: RedisCluster) -> None:
        self._cluster = cluster
        self._clients: dict[str, Redis] = {}

    async def node_for(self, key: str) -> tuple[str, Redis]:
        await self._cluster.initialize()
        node = self._cluster.get_node_from_key(key)
        if node is None:
            # No master holds its slot now (mid-failover): a retryable failure (503).
            raise ClusterDownError(f"no master holds the slot of {key}")
        return node.name, self._client(node.name, node.connection_class, node.connection_kwargs)

    def node_at(self, host: str, port: int) -> tuple[str, Redis]:
        # Any known node serves as the model for the connection settings (they are the same).
        model = self._cluster.get_default_node()
        kwargs = {**model.connection_kwargs, "host": host, "port": port}
        name = f"{host}:{port}"
        return name, self._client(name, model.connection_class, kwargs)

    async def moved(self, key: str) -> None:
        # A keyed read through the cluster client follows the redirect and refreshes its map
        # of slots (or, with the master gone, fails until a replica has taken over).
        try:
            await self._cluster.exists(key)
        except RedisError:
            pass

    def _client(self, name: str, connection_class: type, kwargs: dict[str, Any]) -> Redis:
        client = self._clients.get(name)
        if client is None:
            pool = ConnectionPool(connection_class=connection_class, **kwargs)
            client = self._clients[name] = Redis(connection_pool=pool)
        return client

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
            await client.connection_pool.disconnect()
        self._clients.clear()


def write_nodes(client: StoreClient) -> WriteNodes:
    return ClusterNodes(client) if isinstance(client, RedisCluster) else OneNode(client)
