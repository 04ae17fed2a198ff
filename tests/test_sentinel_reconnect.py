"""redis-py issue #3874: a Sentinel-managed connection whose connect fails must ask the Sentinels
for the master again on its retry, not try the old address again. Guarded here against the
redis-py the gateway is installed with."""

from dataclasses import dataclass, field

from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import SentinelManagedConnection
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError

from tests.ports import free_port
from tests.realredis import HOST, running_redis


@dataclass
class FailingOverPool:
    """What SentinelManagedConnection asks of its pool: the master moves after the first answer."""

    addresses: list[tuple[str, int]]
    asked: list[tuple[str, int]] = field(default_factory=list)
    is_master: bool = True
    check_connection: bool = False

    async def get_master_address(self) -> tuple[str, int]:
        address = self.addresses[min(len(self.asked), len(self.addresses) - 1)]
        self.asked.append(address)
        return address


class CountingConnection(SentinelManagedConnection):
    """Notes every address a socket connect is tried at."""

    tried: list[tuple[str, int]]

    async def _connect(self) -> None:
        self.tried.append((self.host, self.port))
        await super()._connect()  # type: ignore[no-untyped-call]


async def test_a_retried_connect_asks_for_the_master_again_and_reaches_the_new_one() -> None:
    async with running_redis() as new_master:
        old = (HOST, free_port())  # the killed master: nothing listens there
        pool = FailingOverPool([old, (HOST, new_master.port)])
        # redis-py's connection classes are untyped.
        connection = CountingConnection(  # type: ignore[no-untyped-call]
            connection_pool=pool,
            retry=Retry(NoBackoff(), 3),
            retry_on_error=[ConnectionError],
            socket_connect_timeout=1.0,
        )
        connection.tried = []
        try:
            await connection.connect()  # type: ignore[no-untyped-call]
            await connection.send_command("PING")
            assert await connection.read_response() in ("PONG", b"PONG")
            assert (connection.host, connection.port) == (HOST, new_master.port)
            # One connect per answer: the refused old address was not tried again (#3874).
            assert pool.asked == connection.tried == [old, (HOST, new_master.port)]
        finally:
            await connection.disconnect()
