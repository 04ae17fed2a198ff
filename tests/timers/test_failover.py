"""A Sentinel failover under load: the master is killed (kill -9) while two gateway processes
start and stop timers; every acknowledged stop is one entry in Redmine, and the gateways follow
the new master (never the old one, redis-py issue #3874)."""

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

from redis.asyncio import Redis

from gateway.store.connection import CLIENT_NAME
from tests.realredis import HOST, RedisServer
from tests.realsentinel import eventually, running_sentinel_set
from tests.soak.figures import counts
from tests.timers.failover_load import PER_PHASE, Outcome, assert_nothing_lost, loaded_gateways

PROMOTION_TIMEOUT_S = 20.0  # down-after 1 s, then a vote and the promotion
REJOIN_TIMEOUT_S = 25.0  # a Sentinel re-reads a returning server's role every 10 s at most
DEADLINE_S = 170.0


async def commands_run(server: RedisServer, *names: str) -> int:
    """How often the server ran these commands since it (last) started."""
    async with Redis(host=HOST, port=server.port, decode_responses=True) as client:
        stats = await client.info("commandstats")
    return sum(int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in names)


async def gateway_clients(server: RedisServer) -> int:
    async with Redis(host=HOST, port=server.port, decode_responses=True) as client:
        listed = await client.client_list()
    return sum(1 for item in listed if item.get("name") == CLIENT_NAME)


async def role_of(server: RedisServer) -> tuple[str, int | None]:
    async with Redis(host=HOST, port=server.port, decode_responses=True) as client:
        info = await client.info("replication")
    is_linked = info.get("master_link_status") == "up"
    return str(info["role"]), int(info["master_port"]) if is_linked else None


async def run_failover(workdir: Path, say: Callable[[str], None]) -> Outcome:
    prefix = f"failover-{uuid.uuid4().hex[:8]}"
    outcome: list[Outcome] = []
    async with running_sentinel_set(
        replicas=1, sentinels=3, down_after_ms=1000, failover_timeout_ms=3000
    ) as servers:
        old, [new] = servers.master, servers.replicas
        async with loaded_gateways(servers.env(), workdir, prefix, outcome) as load:
            await load.reaches(PER_PHASE, "before the kill")
            await old.kill()
            load.mark("killed")

            async def promoted() -> bool:
                ports = [await servers.master_port(s) for s in servers.sentinels]
                return ports == [new.port] * len(ports) and (await role_of(new))[0] == "master"

            await eventually(promoted, PROMOTION_TIMEOUT_S, "the Sentinels promoted the replica")
            load.mark("promoted")
            await load.another_phase("promoted", "on the new master")
            load.mark("acknowledged on the new master")
            # The old master comes back empty, as a master, until a Sentinel makes it a replica:
            # a client still aiming at its address would write there (issue #3874).
            assert await old.start()
            load.mark("old master restarted")

            async def rejoined() -> bool:
                return await role_of(old) == ("slave", new.port)

            await eventually(rejoined, REJOIN_TIMEOUT_S, "the old master replicates the new one")
            load.mark("old master rejoined")
            await load.another_phase("old master rejoined", "after the rejoin")
            clients_on_old, clients_on_new = await gateway_clients(old), await gateway_clients(new)
        [done] = outcome
        scripts_on_old = await commands_run(old, "evalsha", "eval", "wait")
        # Once the old master replicates the new one, writes wait for it again.
        waits_on_new = await commands_run(new, "wait")
    read_only = sum(text.count("ReadOnly") + text.count("READONLY") for text in done.logs.values())
    timeline = load.timeline
    lines = [
        *done.figures.lines(),
        *counts(done.tally, done.figures),
        f"kill -9 to promotion: {timeline.seconds('killed', 'promoted'):.1f} s; to "
        f"{PER_PHASE} acknowledged on the new master: "
        f"{timeline.seconds('killed', 'acknowledged on the new master'):.1f} s",
        f"acknowledged by phase: {timeline.accepted_at}",
        f"settled in {timeline.seconds('load stopped', 'settled'):.1f} s",
        f"old master after its return: scripts/WAITs run {scripts_on_old}, gateway connections "
        f"{clients_on_old}; new master: gateway connections {clients_on_new}, "
        f"WAITs {waits_on_new}",
        f"ReadOnly errors in the gateways' logs: {read_only}",
    ]
    for line in lines:
        say(line)
    assert scripts_on_old == 0 and clients_on_old == 0, "\n".join(lines)
    assert clients_on_new >= len(load.replicas) and waits_on_new > 0, "\n".join(lines)
    assert read_only == 0, "\n".join(lines)
    return done


async def test_a_killed_master_loses_and_doubles_no_acknowledged_stop(tmp_path: Path) -> None:
    report: list[str] = []
    async with asyncio.timeout(DEADLINE_S):
        outcome = await run_failover(tmp_path, report.append)
    assert_nothing_lost(outcome, report)
