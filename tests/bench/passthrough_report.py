"""The pass-through benchmark's report: the table over rounds, the ratios to nginx against
the targets, and the noise left."""

import statistics
from collections.abc import Callable, Sequence

from tests.bench.passthrough_wrk import Bench, Series

TARGET_RPS_RATIO = 0.2
TARGET_ADDED_LATENCY_RATIO = 6.0
# Issue #10: with metrics on, the pass-through keeps at least 90% of its requests/s.
TARGET_METRICS_RPS_RATIO = 0.9
# Issue #10: the access log (on by default) costs at most this share of requests/s.
ACCESS_LOG_COST = 0.15


def spread(values: Sequence[float], fmt: Callable[[float], str]) -> str:
    return f"{fmt(statistics.median(values))} [{fmt(min(values))}..{fmt(max(values))}]"


def report(results: dict[str, Series], bench: Bench) -> None:
    direct = results["direct"]
    rounds = range(len(direct.throughput))

    def added(name: str) -> list[float]:
        return [results[name].latency[r].p50_us - direct.latency[r].p50_us for r in rounds]

    print(
        f"\n{'':10} {'requests/s, 32 conn':>24} {'p50 µs, 1 conn':>20} "
        f"{'added µs':>18} {'CPU µs/req':>11}"
    )
    print(f"{'':10} {'median [min..max] over rounds':>71}")
    for name, series in results.items():
        rps = spread([run.rps for run in series.throughput], lambda v: f"{v:,.0f}")
        p50 = spread([run.p50_us for run in series.latency], lambda v: f"{v:.0f}")
        extra = spread(added(name), lambda v: f"{v:.0f}") if name != "direct" else ""
        cpu = statistics.median(run.cpu_us_per_request for run in series.throughput)
        print(f"{name:10} {rps:>24} {p50:>20} {extra:>18} {cpu:>11.1f}")
    nginx_rps = [run.rps for run in results["nginx"].throughput]
    for name in results:
        if name in ("direct", "nginx") or name.endswith("+log"):
            continue
        rps_ratio = [run.rps / nginx_rps[r] for r, run in enumerate(results[name].throughput)]
        lat_ratio = [g / n for g, n in zip(added(name), added("nginx"), strict=True)]
        rps_ok = statistics.median(rps_ratio) >= TARGET_RPS_RATIO
        lat_ok = statistics.median(lat_ratio) <= TARGET_ADDED_LATENCY_RATIO
        print(f"\n{name} / nginx, per-round ratios, median [min..max]:")
        print(
            f"  requests/s     {spread(rps_ratio, lambda v: f'{v:.3f}'):>24}   "
            f"target ≥ {TARGET_RPS_RATIO}: {'met' if rps_ok else 'not met'}"
        )
        print(
            f"  added latency  {spread(lat_ratio, lambda v: f'{v:.2f}x'):>24}   "
            f"target ≤ {TARGET_ADDED_LATENCY_RATIO:g}x: {'met' if lat_ok else 'not met'}"
        )
    print_noise(results, bench)


def report_metrics_cost(results: dict[str, Series], gateways: Sequence[str]) -> None:
    """Each gateway with metrics on ("+m") against itself with metrics off ("-m"), round by
    round (the two ran in the same interleaved rounds)."""
    for name in gateways:
        on, off = results[name + "+m"], results[name + "-m"]
        rps_ratio = [a.rps / b.rps for a, b in zip(on.throughput, off.throughput, strict=True)]
        cpu_ratio = [
            a.cpu_us_per_request / b.cpu_us_per_request
            for a, b in zip(on.throughput, off.throughput, strict=True)
        ]
        rps_ok = statistics.median(rps_ratio) >= TARGET_METRICS_RPS_RATIO
        print(f"\n{name} metrics on / off, per-round ratios, median [min..max]:")
        print(
            f"  requests/s     {spread(rps_ratio, lambda v: f'{v:.3f}'):>24}   "
            f"target ≥ {TARGET_METRICS_RPS_RATIO}: {'met' if rps_ok else 'not met'}"
        )
        print(f"  CPU µs/req     {spread(cpu_ratio, lambda v: f'{v:.3f}'):>24}")


def report_access_log_cost(results: dict[str, Series]) -> None:
    """Each gateway with its access log on ("+log") against itself without, round by round."""
    for name in results:
        if not name.endswith("+log"):
            continue
        base = name.removesuffix("+log")
        plain = [run.rps for run in results[base].throughput]
        cost = [1 - run.rps / plain[r] for r, run in enumerate(results[name].throughput)]
        ok = statistics.median(cost) <= ACCESS_LOG_COST
        print(f"\n{name} against {base}, access log cost per round, median [min..max]:")
        print(
            f"  requests/s     {spread(cost, lambda v: f'{v:.1%}'):>24}   "
            f"target ≤ {ACCESS_LOG_COST:.0%}: {'met' if ok else 'not met'}"
        )


def print_noise(results: dict[str, Series], bench: Bench) -> None:
    noise = max(run.noise_cpu for s in results.values() for run in s.throughput + s.latency)
    print(
        f"\nnoise: {bench.retried} run(s) redone because other processes were busy; "
        f"highest foreign load in a kept run: {noise:.0%} of a CPU"
    )
