"""Pass-through benchmark: requests/s and added latency of the gateway and of nginx, at equal CPU.

Run from anywhere:  .venv/bin/python tests/bench/passthrough.py [--rounds 4] [--duration 5]
                    [--metrics on|off|both] [--access-log]

Every process runs on loopback as a child of this one, and is stopped on exit, error or Ctrl-C:

- upstream: nginx answering every request with one fixed ~1.6 KB JSON body (`return 200`,
  Content-Length, keep-alive), one worker. Chosen over an aiohttp stand-in because it costs ~8 µs
  of CPU a request (printed as direct's CPU µs/req): with two cores it has to share one, and an
  aiohttp upstream would cost about as much CPU as the gateway itself, so it would be the
  bottleneck and would take half of whatever it shares.
- nginx: a reverse proxy to it with a keep-alive pool (`keepalive 64`, HTTP/1.1, `Connection ""`),
  setting the same X-Forwarded-* headers as the gateway, access log off; `nginx -p <tmp>`, never
  the system nginx.
- gateway: `python -m gateway serve` from the checkout this file is in (or each --gateway DIR),
  access log off, warnings only; metrics on (the default), off, or both as two targets of the
  same run (--metrics both: "<name>+m" and "<name>-m", and their ratio against the issue's 10%).
- wrk (Debian's; installed with apt-get when missing), whose Lua `done` hook prints exact figures.

Placement: nginx and the gateway get the same CPUs (--proxy-cpus, core 0) and the same number of
workers; wrk has the other CPUs (--load-cpus, core 1) to itself, so it is never the bottleneck.
The upstream shares the proxies' CPUs. That way the direct and the proxied path cross between
cores equally often (on this VM a wake-up across cores costs tens of µs, more than nginx's whole
hop), so "added latency" is the proxy's own hop; and with the upstream beside wrk instead, wrk and
upstream together would cap nginx near their own limit (~60k requests/s on one core). The
upstream's ~8 µs a request is then in both proxies' requests/s alike; this placement reproduces
the issue's reference figures (nginx ~30k requests/s, +35 µs).

Rounds are interleaved (D N G, G N D, ...) so drift hits every target alike. The machine may be
shared: each run waits for a quiet moment, and a run during which other processes used more than
--max-noise of a CPU is run again (at most twice); the noise left is reported.
"""

import argparse
import itertools
import json
import os
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from types import FrameType
from typing import NoReturn

REPO = Path(__file__).resolve().parents[2]
# Run as a script: its parts beside it are imported as tests.bench.*, from this checkout.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.bench.passthrough_children import Children, wait_until_ready  # noqa: E402
from tests.bench.passthrough_report import (  # noqa: E402
    report,
    report_access_log_cost,
    report_metrics_cost,
)
from tests.bench.passthrough_targets import (  # noqa: E402
    require,
    start_gateway,
    start_nginx_proxy,
    start_redis,
    start_upstream,
    upstream_body,
)
from tests.bench.passthrough_wrk import (  # noqa: E402
    REQUEST_HEADERS,
    TARGET_PATH,
    WRK_DONE_LUA,
    Bench,
    run_rounds,
)


def cpu_list(text: str) -> set[int]:
    return {int(part) for part in text.split(",") if part.strip()}


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    cpus = sorted(os.sched_getaffinity(0))
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds (default 4)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per run (default 5)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="nginx worker_processes and gateway workers (default 1)",
    )
    parser.add_argument(
        "--proxy-cpus",
        type=cpu_list,
        default={cpus[0]},
        help=f"CPUs for nginx, the gateway and the upstream (default {cpus[0]})",
    )
    parser.add_argument(
        "--load-cpus",
        type=cpu_list,
        default=set(cpus[1:] or cpus),
        help="CPUs for wrk (default: the others)",
    )
    parser.add_argument(
        "--gateway",
        type=Path,
        action="append",
        metavar="DIR",
        help=f"checkout to run the gateway from; repeat to compare several (default {REPO})",
    )
    parser.add_argument(
        "--max-noise",
        type=float,
        default=0.1,
        help="redo a run during which other processes used more than this share "
        "of a CPU (default 0.1)",
    )
    parser.add_argument(
        "--access-log",
        action="store_true",
        help="also run each gateway with its access log on (a target named <gateway>+log) and "
        "report what the log costs",
    )
    parser.add_argument(
        "--metrics",
        choices=("on", "off", "both"),
        default="on",
        help="GATEWAY_METRICS_ENABLED of the gateway(s); both: each gateway twice, with and "
        "without, in the same interleaved rounds (default on)",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every run here")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.duration < 1 or args.workers < 1:
        parser.error("--rounds, --duration and --workers must be at least 1")
    return args


def metrics_variants(choice: str) -> list[tuple[str, bool]]:
    """(name suffix, GATEWAY_METRICS_ENABLED) of each gateway target."""
    if choice == "both":
        return [("+m", True), ("-m", False)]
    return [("", choice == "on")]


def raise_exit(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)


def benchmark(args: argparse.Namespace, children: Children) -> None:
    wrk, nginx = require("wrk", "wrk"), require("nginx", "nginx-light")
    lua = children.log_dir / "done.lua"
    lua.write_text(WRK_DONE_LUA)
    proxy_cpus, load_cpus = args.proxy_cpus, args.load_cpus
    sources = [path.resolve() for path in args.gateway or [REPO]]
    names = ["gateway"] if len(sources) == 1 else [f"gw:{path.name}" for path in sources]
    print(
        f"pass-through benchmark: {args.rounds} rounds x {args.duration} s per run; "
        f"{args.workers} worker(s) each for nginx and the gateway on CPU "
        f"{sorted(proxy_cpus)}; wrk on CPU {sorted(load_cpus)}"
    )
    print(
        f"upstream: nginx `return 200` with a {len(upstream_body())}-byte JSON body, "
        f"on the proxies' CPU {sorted(proxy_cpus)}"
    )
    print(f"request: GET {TARGET_PATH} with headers {', '.join(REQUEST_HEADERS)}")
    print("latency: wrk's median (p50) per run; added = proxied p50 - direct p50, same round")
    sys.stdout.flush()
    upstream = start_upstream(children, nginx, proxy_cpus)
    wait_until_ready(children, "upstream", upstream.proc, upstream.port, "/")
    redis_url = start_redis(children, load_cpus) if args.workers > 1 else None
    targets = [
        upstream,
        start_nginx_proxy(children, nginx, upstream.port, args.workers, proxy_cpus),
    ]
    for name, source in zip(names, sources, strict=True):
        logs = (False, True) if args.access_log else (False,)
        for (suffix, metrics), logged in itertools.product(metrics_variants(args.metrics), logs):
            targets.append(
                start_gateway(
                    children,
                    name + suffix + ("+log" if logged else ""),
                    source,
                    upstream.port,
                    args.workers,
                    redis_url,
                    proxy_cpus,
                    metrics,
                    access_log=logged,
                )
            )
    for target in targets[1:]:
        probe = "/-/healthz" if target.name != "nginx" else TARGET_PATH
        wait_until_ready(children, target.name, target.proc, target.port, probe)
    bench = Bench(wrk, lua, load_cpus, [t.pid for t in targets], args.max_noise)
    results = run_rounds(bench, targets, args.rounds, args.duration)
    report(results, bench)
    if args.metrics == "both":
        report_metrics_cost(results, names)
    if args.access_log:
        report_access_log_cost(results)
    if args.json:
        raw = {name: asdict(series) for name, series in results.items()}
        args.json.write_text(json.dumps(raw, indent=1))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Also when started in the background by a shell, which leaves SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, raise_exit)
    signal.signal(signal.SIGHUP, raise_exit)
    tmp = Path(tempfile.mkdtemp(prefix="passthrough-bench-"))
    children = Children(tmp)
    try:
        benchmark(args, children)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"passthrough: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup
        children.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
