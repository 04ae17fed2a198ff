"""Instructions a pass-through request costs the gateway, counted by callgrind: unlike seconds,
the count is the same on a busy machine as on a quiet one, so small changes can be compared.

Run from anywhere:  .venv/bin/python tests/bench/passthrough_instructions.py
                    [--gateway DIR ...] [--requests 2000] [--access-log] [--metrics on|off]

Each gateway (`python -m gateway serve` from DIR, the first one being the baseline) runs under
`valgrind --tool=callgrind` with counting off, in front of the same nginx `return 200` upstream
as passthrough.py. After 200 warm-up requests counting is switched on (`callgrind_control`),
N keep-alive requests are sent over 4 connections, and counting is switched off again, so start-up
and shutdown are not counted. Prints instructions per request and each gateway's ratio to the
first. valgrind is installed from Debian's packages when missing.
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.bench.passthrough_children import (  # noqa: E402
    HOST,
    Children,
    free_port,
    wait_until_ready,
)
from tests.bench.passthrough_targets import require, start_upstream  # noqa: E402

REQUEST = (
    b"GET /issues.json?project_id=1&limit=25 HTTP/1.1\r\nHost: gw.test\r\n"
    b"Accept: application/json\r\nX-Redmine-API-Key: 0123456789abcdef0123456789abcdef\r\n\r\n"
)
CONNECTIONS = 4
WARM_UP_REQUESTS = 200
# valgrind runs the gateway ~50x slower than usual: start-up alone takes many seconds.
START_TIMEOUT_S = 180.0
IO_TIMEOUT_S = 60.0


def answer_end(buffer: bytes) -> int | None:
    """Where the first whole answer in `buffer` ends (Content-Length framing), or None."""
    head, blank, _ = buffer.partition(b"\r\n\r\n")
    if not blank:
        return None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            end = len(head) + 4 + int(value)
            return end if len(buffer) >= end else None
    raise RuntimeError(f"an answer without Content-Length: {head!r}")


def send_requests(port: int, count: int) -> None:
    """`count` requests, one at a time on each of CONNECTIONS kept-alive connections."""
    conns = [socket.create_connection((HOST, port), IO_TIMEOUT_S) for _ in range(CONNECTIONS)]
    try:
        for _ in range(count // CONNECTIONS):
            for conn in conns:
                conn.sendall(REQUEST)
            for conn in conns:
                buffer = b""
                while (end := answer_end(buffer)) is None:
                    if not (data := conn.recv(65536)):
                        raise RuntimeError("the gateway closed a kept-alive connection")
                    buffer += data
                if not buffer[: buffer.index(b"\r\n")].endswith(b" 200 OK") or end != len(buffer):
                    raise RuntimeError(f"unexpected answer: {buffer[:200]!r}")
    finally:
        for conn in conns:
            conn.close()


def count_instructions(
    children: Children, source: Path, upstream_port: int, args: argparse.Namespace
) -> float:
    port = free_port()
    out = children.log_dir / f"callgrind.{source.name}.{port}.out"
    env = {key: value for key, value in os.environ.items() if not key.startswith("GATEWAY_")}
    env.update(
        PYTHONPATH=str(source),
        GATEWAY_REDMINE_URL=f"http://{HOST}:{upstream_port}",
        GATEWAY_HOST=HOST,
        GATEWAY_PORT=str(port),
        GATEWAY_ACCESS_LOG="true" if args.access_log else "false",
        GATEWAY_LOG_LEVEL="INFO" if args.access_log else "WARNING",
        GATEWAY_METRICS_ENABLED="true" if args.metrics == "on" else "false",
    )
    venv_python = source / ".venv" / "bin" / "python"
    python = str(venv_python) if venv_python.exists() else sys.executable
    argv = [
        require("valgrind", "valgrind"),
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        python,
        "-m",
        "gateway",
        "serve",
    ]
    gateway = children.start(
        f"gateway-{source.name}", argv, set(range(os.cpu_count() or 1)), env, source
    )
    wait_until_ready(children, "gateway", gateway, port, "/-/healthz", START_TIMEOUT_S)
    send_requests(port, WARM_UP_REQUESTS)
    control = require("callgrind_control", "valgrind")
    subprocess.run([control, "-i", "on", str(gateway.pid)], check=True, capture_output=True)
    send_requests(port, args.requests)
    subprocess.run([control, "-i", "off", str(gateway.pid)], check=True, capture_output=True)
    gateway.send_signal(signal.SIGTERM)
    gateway.wait(START_TIMEOUT_S)
    totals = [
        int(line.split()[1])
        for dump in children.log_dir.glob(out.name + "*")
        for line in dump.read_text().splitlines()
        if line.startswith(("summary:", "totals:"))
    ]
    instructions: float = max(totals) / args.requests
    return instructions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", action="append", type=Path, metavar="DIR")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--access-log", action="store_true")
    parser.add_argument("--metrics", choices=("on", "off"), default="on")
    args = parser.parse_args()
    sources = [path.resolve() for path in args.gateway or [REPO]]
    with tempfile.TemporaryDirectory(prefix="bench-instructions-") as tmp:
        children = Children(Path(tmp))
        try:
            upstream = start_upstream(children, require("nginx", "nginx"), {0})
            wait_until_ready(children, "upstream", upstream.proc, upstream.port, "/")
            counts = [
                count_instructions(children, source, upstream.port, args) for source in sources
            ]
        finally:
            children.stop_all()
    print(
        f"instructions per pass-through request ({args.requests} requests, metrics "
        f"{args.metrics}, access log {'on' if args.access_log else 'off'}):"
    )
    for source, count in zip(sources, counts, strict=True):
        print(f"  {source!s:40} {count:12,.0f}   x{count / counts[0]:.3f} of the first")


if __name__ == "__main__":
    main()
