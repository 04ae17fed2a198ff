"""A Redis Cluster under load: one master's buckets are resharded to another master, then that
master is killed (kill -9) and its replica takes over, while two gateway processes start and
stop timers; every acknowledged stop is one entry in Redmine, and answers are 503 at worst."""

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

from redis.crc import key_slot

from gateway.store.buckets import BUCKETS
from gateway.store.keys import Keys
from tests.redis_cluster import commands_run, errors_answered, running_cluster
from tests.soak.figures import counts
from tests.timers.failover_load import PER_PHASE, Outcome, assert_nothing_lost, loaded_gateways

DEADLINE_S = 170.0
# A pause after each key moved: the load meets its slots half-moved (TRYAGAIN, ASK).
RESHARD_PACE_S = 0.05


def bucket_slots(prefix: str) -> set[int]:
    """The slots the gateway's buckets hash to (every key of a bucket shares its slot)."""
    keys = Keys(prefix)
    return {key_slot(keys.timer_ids(bucket).encode()) for bucket in range(BUCKETS)}


async def run_cluster_failover(workdir: Path, say: Callable[[str], None]) -> Outcome:
    prefix = f"cluster-{uuid.uuid4().hex[:8]}"
    outcome: list[Outcome] = []
    async with running_cluster(masters=3, replicas_per_master=1) as cluster:
        async with loaded_gateways(cluster.env(), workdir, prefix, outcome) as load:
            await load.reaches(PER_PHASE, "before the reshard")
            source, target, *_ = await cluster.masters()
            moving = sorted(bucket_slots("tg") & set(source.slots))
            load.mark("reshard started")
            keys_moved = await cluster.reshard(moving, target.port, pace_s=RESHARD_PACE_S)
            load.mark("resharded")
            await load.another_phase("resharded", "after the reshard")
            await cluster.kill(target.port)
            load.mark("killed")
            promoted = await cluster.wait_for_promotion(target.port, moving[0])
            load.mark("promoted")
            await load.another_phase("promoted", "on the promoted replica")
            load.mark("acknowledged after the failover")
        [done] = outcome
        # Every write waited for its master's replica, on every master (the killed one's too).
        waits = {port: await commands_run(port, "wait") for port in cluster.live_ports()}
        redirects = {
            kind: sum([await errors_answered(port, kind) for port in cluster.live_ports()])
            for kind in ("TRYAGAIN", "ASK", "MOVED")
        }
    timeline = load.timeline
    lines = [
        *done.figures.lines(),
        *counts(done.tally, done.figures),
        f"resharded {len(moving)} bucket slots ({keys_moved} keys) from :{source.port} to "
        f":{target.port} in {timeline.seconds('reshard started', 'resharded'):.2f} s",
        f"kill -9 of :{target.port} to :{promoted.port} serving its slots: "
        f"{timeline.seconds('killed', 'promoted'):.1f} s; to {PER_PHASE} acknowledged after: "
        f"{timeline.seconds('killed', 'acknowledged after the failover'):.1f} s",
        f"acknowledged by phase: {timeline.accepted_at}",
        f"WAITs run by the live nodes: {waits}",
        f"answered by the live nodes (the killed one's not counted): {redirects}",
        f"settled in {timeline.seconds('load stopped', 'settled'):.1f} s",
    ]
    for line in lines:
        say(line)
    assert moving, "the first master held none of the buckets"
    assert sum(waits.values()) > 0, "\n".join(lines)
    return done


async def test_a_reshard_and_a_killed_master_lose_and_double_no_acknowledged_stop(
    tmp_path: Path,
) -> None:
    report: list[str] = []
    async with asyncio.timeout(DEADLINE_S):
        outcome = await run_cluster_failover(tmp_path, report.append)
    assert_nothing_lost(outcome, report)
