"""Measuring with wrk: one run's figures and CPU, redone while other processes add noise,
in interleaved rounds."""

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench.passthrough_children import HOST
from tests.bench.passthrough_procs import (
    busy_machine_seconds,
    children_cpu,
    cpu_seconds,
    process_tree,
)
from tests.bench.passthrough_targets import Target

TARGET_PATH = "/issues.json?project_id=1&limit=25"
REQUEST_HEADERS = ("Accept: application/json", "X-Redmine-API-Key: " + "0123456789abcdef" * 2)
THROUGHPUT_CONNECTIONS = 32
WARMUP_S = 1
MAX_TRIES = 3
QUIET_WAIT_S = 10.0
QUIET_WINDOW_S = 0.5
WRK_DONE_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "mean_us": %.2f, '
    .. '"socket_errors": %d, "bad_status": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.mean, e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    p50_us: float
    p99_us: float
    mean_us: float
    cpu_us_per_request: float  # the target process tree's own CPU
    noise_cpu: float  # CPUs' worth used meanwhile by processes other than ours

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


@dataclass
class Bench:
    wrk: str
    lua: Path
    load_cpus: set[int]
    ours: list[int]  # roots of every long-running process we started
    max_noise: float
    retried: int = 0

    def wrk_once(self, target: Target, connections: int, seconds: int) -> Run:
        threads = min(connections, len(self.load_cpus))
        argv = [
            self.wrk,
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(self.lua),
        ]
        for header in REQUEST_HEADERS:
            argv += ["-H", header]
        argv.append(f"http://{HOST}:{target.port}{TARGET_PATH}")
        ours = [pid for root in self.ours for pid in process_tree(root)]
        own = process_tree(target.pid)
        before = (cpu_seconds(own), cpu_seconds(ours), busy_machine_seconds(), children_cpu())
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            preexec_fn=lambda: os.sched_setaffinity(0, self.load_cpus),
        )
        after = (cpu_seconds(own), cpu_seconds(ours), busy_machine_seconds(), children_cpu())
        line = next((s for s in done.stdout.splitlines() if s.startswith("WRK ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed against {target.name}: {done.stdout}{done.stderr}")
        out = json.loads(line[4:])
        if out["socket_errors"] or out["bad_status"] or not out["requests"]:
            raise RuntimeError(f"{target.name} answered badly under load: {out}")
        elapsed = out["duration_us"] / 1e6
        ours_s = (after[1] - before[1]) + (after[3] - before[3])
        return Run(
            requests=out["requests"],
            seconds=elapsed,
            p50_us=out["p50_us"],
            p99_us=out["p99_us"],
            mean_us=out["mean_us"],
            cpu_us_per_request=(after[0] - before[0]) / out["requests"] * 1e6,
            noise_cpu=max(0.0, (after[2] - before[2]) - ours_s) / elapsed,
        )

    def measure(self, target: Target, connections: int, seconds: int) -> Run:
        """The quietest of up to MAX_TRIES runs, each started once the machine is idle."""
        best: Run | None = None
        for _ in range(MAX_TRIES):
            wait_for_quiet(self.max_noise)
            run = self.wrk_once(target, connections, seconds)
            best = run if best is None or run.noise_cpu < best.noise_cpu else best
            if best.noise_cpu <= self.max_noise:
                break
            self.retried += 1
        assert best is not None
        return best


def wait_for_quiet(max_noise: float) -> None:
    """Waits (a while at most) until other processes leave the CPUs alone for a moment."""
    deadline = time.monotonic() + QUIET_WAIT_S
    while time.monotonic() < deadline:
        before = busy_machine_seconds()
        time.sleep(QUIET_WINDOW_S)
        if busy_machine_seconds() - before <= max_noise * QUIET_WINDOW_S:
            return


@dataclass
class Series:
    throughput: list[Run] = field(default_factory=list)
    latency: list[Run] = field(default_factory=list)


def run_rounds(bench: Bench, targets: list[Target], rounds: int, seconds: int) -> dict[str, Series]:
    for target in targets:
        bench.wrk_once(target, THROUGHPUT_CONNECTIONS, WARMUP_S)
    results = {target.name: Series() for target in targets}
    for number in range(rounds):
        for target in targets if number % 2 == 0 else targets[::-1]:
            series = results[target.name]
            series.throughput.append(bench.measure(target, THROUGHPUT_CONNECTIONS, seconds))
            series.latency.append(bench.measure(target, 1, seconds))
            print(
                f"  round {number + 1}/{rounds} {target.name:>10}: "
                f"{series.throughput[-1].rps:8,.0f} req/s, p50 {series.latency[-1].p50_us:5.0f} µs",
                file=sys.stderr,
                flush=True,
            )
    return results
