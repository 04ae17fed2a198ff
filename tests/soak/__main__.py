"""`python -m tests.soak`: the soak from the command line; exits 1 unless every figure passes."""

import argparse
import asyncio
import signal
import sys
import tempfile
from pathlib import Path

from tests.soak.scenario import SoakConfig, run_soak

# Past the load and settling: process starts and stops, reading Redmine, slow shutdowns.
OVERHEAD_S = 240.0


def parse(argv: list[str]) -> SoakConfig:
    parser = argparse.ArgumentParser(prog="python -m tests.soak", description=__doc__)
    parser.add_argument("--duration", type=float, default=45.0, help="seconds of load")
    parser.add_argument("--users", type=int, default=4, help="simulated users (real: at most 2)")
    parser.add_argument("--seed", type=int, default=1, help="seeds the faults and the users")
    parser.add_argument("--settle", type=float, default=40.0, help="seconds to wait for pending")
    parser.add_argument("--redmine-json", type=Path, help="JSON of redmine-up.sh: a real Redmine")
    parser.add_argument("--workdir", type=Path, help="logs and AOF (default: a new temp dir)")
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    return SoakConfig(
        workdir=workdir,
        duration_s=args.duration,
        users=args.users,
        seed=args.seed,
        settle_s=args.settle,
        redmine_json=args.redmine_json,
    )


async def soak(config: SoakConfig) -> bool:
    # SIGTERM unwinds like Ctrl-C, so every process the soak started is stopped.
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    async with asyncio.timeout(config.duration_s + config.settle_s + OVERHEAD_S):
        result = await run_soak(config, lambda line: print(line, flush=True))
    for line in result.lines:
        print(line, flush=True)
    print("PASSED" if result.figures.passed else "FAILED", flush=True)
    return result.figures.passed


def main() -> None:
    config = parse(sys.argv[1:])
    sys.exit(0 if asyncio.run(soak(config)) else 1)


if __name__ == "__main__":
    main()
