"""How ReplicaAcks follows a write's slot, with the node and the script answering as a cluster
would: MOVED makes it learn the new owner (MOVED is a kind of AskError in redis-py, but not an
ASK), ASK goes once to the importing master, TRYAGAIN is retried within the store's timeout."""

from typing import Any

import pytest
from redis.asyncio import Redis
from redis.exceptions import AskError, MovedError, TryAgainError

from gateway.store import replication
from gateway.store.replication import ReplicaAcks, SlotKeptMoving

KEY = "tg:{b5}:timer:2000000000069"


class Nodes:
    """Two masters, "a" (the slot's owner as the client believes) and "b"."""

    def __init__(self) -> None:
        self.moved_keys: list[str] = []
        self.asked: list[tuple[str, int]] = []

    async def node_for(self, key: str) -> tuple[str, Redis]:
        return ("b" if self.moved_keys else "a"), Redis()

    def node_at(self, host: str, port: int) -> tuple[str, Redis]:
        self.asked.append((host, port))
        return f"{host}:{port}", Redis()

    async def moved(self, key: str) -> None:
        self.moved_keys.append(key)

    async def aclose(self) -> None:
        return None


def scripted(acks: ReplicaAcks, answers: list[Exception | str]) -> list[tuple[str, bool]]:
    """Each try of the write answers the next of `answers`; returns where each try went."""
    tries: list[tuple[str, bool]] = []

    async def acknowledged(
        script: Any,
        keys: Any,
        args: Any,
        name: str,
        node: Redis,
        *,
        asking: bool = False,
    ) -> Any:
        tries.append((name, asking))
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def has_replicas(name: str, node: Redis, *, fresh: bool = False) -> bool:
        return True

    acks._acknowledged = acknowledged  # type: ignore[method-assign]
    acks._has_replicas = has_replicas  # type: ignore[method-assign]
    return tries


def acks_over(nodes: Nodes, moving_s: float = 1.0) -> ReplicaAcks:
    acks = ReplicaAcks(Redis(), wait_ms=1000, moving_s=moving_s)
    acks._nodes = nodes
    return acks


async def test_moved_learns_the_new_owner_and_sends_the_write_there() -> None:
    nodes = Nodes()
    acks = acks_over(nodes)
    tries = scripted(acks, [MovedError("866 127.0.0.1:7001"), "written"])
    assert await acks.run(object(), keys=[KEY], args=[]) == "written"  # type: ignore[arg-type]
    assert nodes.moved_keys == [KEY]
    assert nodes.asked == []  # not sent ASKING: the slot is the new owner's for good
    assert tries == [("a", False), ("b", False)]


async def test_ask_goes_once_to_the_importing_master() -> None:
    nodes = Nodes()
    acks = acks_over(nodes)
    tries = scripted(acks, [AskError("866 127.0.0.1:7002"), "written"])
    assert await acks.run(object(), keys=[KEY], args=[]) == "written"  # type: ignore[arg-type]
    assert nodes.asked == [("127.0.0.1", 7002)]
    assert nodes.moved_keys == []
    assert tries == [("a", False), ("127.0.0.1:7002", True)]


async def test_tryagain_is_retried_until_the_store_timeout_then_503(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(replication, "TRY_AGAIN_FIRST_S", 0.001)
    monkeypatch.setattr(replication, "TRY_AGAIN_MAX_S", 0.001)
    nodes = Nodes()
    acks = acks_over(nodes, moving_s=0.05)
    tries = scripted(acks, [TryAgainError("split")] * 10_000)
    with pytest.raises(SlotKeptMoving):
        await acks.run(object(), keys=[KEY], args=[])  # type: ignore[arg-type]
    assert len(tries) > 1
    assert all(where == ("a", False) for where in tries)
