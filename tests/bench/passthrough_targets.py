"""The servers the pass-through benchmark measures: the nginx upstream, the nginx proxy, the
gateway, and the private Redis that gateways with several workers share."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.bench.passthrough_children import HOST, START_TIMEOUT_S, Children, free_port


def require(tool: str, package: str) -> str:
    """Path of tool, installing Debian's package first when it is missing."""
    found = shutil.which(tool) or shutil.which(tool, path="/usr/sbin:/usr/bin")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        sys.exit(f"passthrough: {tool} is missing: install Debian's {package} package")
    print(f"installing {package} with apt-get ...", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in (["update"], ["install", "-y", "--no-install-recommends", package]):
        subprocess.run(["apt-get", "-q", *step], check=True, stdout=subprocess.DEVNULL, env=env)
    return shutil.which(tool, path="/usr/sbin:/usr/bin") or sys.exit(f"no {tool} after install")


def upstream_body() -> str:
    """A Redmine-like issue list; no `$` or `'`, so it can sit in an nginx `return` string."""
    issues = [
        {
            "id": 1000 + n,
            "project": {"id": 1, "name": "Timer"},
            "tracker": {"id": 2, "name": "Feature"},
            "status": {"id": 1, "name": "New"},
            "subject": f"Issue number {n}",
            "created_on": "2024-01-01T10:00:00Z",
        }
        for n in range(8)
    ]
    return json.dumps({"issues": issues, "total_count": 8, "offset": 0, "limit": 25})


def nginx_conf(prefix: Path, workers: int, port: int, location: str, http_extra: str = "") -> str:
    temp = " ".join(
        f"{kind}_temp_path {prefix / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
worker_processes {workers};
pid {prefix / "nginx.pid"};
lock_file {prefix / "nginx.lock"};
error_log {prefix / "error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    {temp}
    keepalive_requests 100000000;
    default_type application/json;
    {http_extra}
    server {{
        listen {HOST}:{port} reuseport;
        location / {{ {location} }}
    }}
}}
"""


def start_nginx(
    children: Children, nginx: str, name: str, conf: str, cpus: set[int]
) -> subprocess.Popen[bytes]:
    prefix = children.log_dir / name
    prefix.mkdir()
    (prefix / "nginx.conf").write_text(conf)
    argv = [nginx, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"]
    return children.start(name, argv, cpus)


@dataclass(frozen=True)
class Target:
    name: str
    port: int
    proc: subprocess.Popen[bytes]  # its tree's CPU time is the target's own

    @property
    def pid(self) -> int:
        return self.proc.pid


def start_upstream(children: Children, nginx: str, cpus: set[int]) -> Target:
    port = free_port()
    body = upstream_body()
    assert "'" not in body and "$" not in body
    prefix = children.log_dir / "upstream"
    conf = nginx_conf(prefix, 1, port, f"return 200 '{body}';")
    return Target("direct", port, start_nginx(children, nginx, "upstream", conf, cpus))


def start_nginx_proxy(
    children: Children, nginx: str, upstream_port: int, workers: int, cpus: set[int]
) -> Target:
    port = free_port()
    pool = (
        f"upstream redmine {{ server {HOST}:{upstream_port}; keepalive 64; "
        "keepalive_requests 100000000; }"
    )
    location = (
        "proxy_pass http://redmine; proxy_http_version 1.1; "
        'proxy_set_header Connection ""; proxy_set_header Host $http_host; '
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; "
        "proxy_set_header X-Forwarded-Proto $scheme; proxy_set_header X-Forwarded-Host $host;"
    )
    conf = nginx_conf(children.log_dir / "nginx", workers, port, location, pool)
    return Target("nginx", port, start_nginx(children, nginx, "nginx", conf, cpus))


def start_gateway(
    children: Children,
    name: str,
    source: Path,
    upstream_port: int,
    workers: int,
    redis_url: str | None,
    cpus: set[int],
    metrics: bool = True,
    access_log: bool = False,
) -> Target:
    """A gateway from `source`; with `access_log`, one access line per request goes to its log
    file (in the children's log directory), as GATEWAY_ACCESS_LOG's default would to stderr."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GATEWAY_")}
    env.update(
        PYTHONPATH=str(source),
        GATEWAY_REDMINE_URL=f"http://{HOST}:{upstream_port}",
        GATEWAY_HOST=HOST,
        GATEWAY_PORT=str(port),
        GATEWAY_WORKERS=str(workers),
        GATEWAY_ACCESS_LOG="true" if access_log else "false",
        GATEWAY_LOG_LEVEL="INFO" if access_log else "WARNING",
        GATEWAY_METRICS_ENABLED="true" if metrics else "false",
    )
    if redis_url:
        # A shared store needs a shared secret; a fresh one per run is all a benchmark needs.
        env.update(GATEWAY_REDIS_URL=redis_url, GATEWAY_SECRET_KEY=secrets.token_urlsafe(32))
    venv_python = source / ".venv" / "bin" / "python"
    python = str(venv_python) if venv_python.exists() else sys.executable
    proc = children.start(name, [python, "-m", "gateway", "serve"], cpus, env=env, cwd=source)
    return Target(name, port, proc)


def start_redis(children: Children, cpus: set[int]) -> str:
    """A private redis-server (never the shared one) for gateways with more than one worker."""
    redis = require("redis-server", "redis-server")
    port = free_port()
    argv = [
        redis,
        "--bind",
        HOST,
        "--port",
        str(port),
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(children.log_dir),
    ]
    proc = children.start("redis", argv, cpus)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection((HOST, port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(64).startswith(b"+PONG"):
                    return f"redis://{HOST}:{port}/0"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"redis-server did not start:\n{children.log_tail('redis')}")
