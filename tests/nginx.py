"""A private nginx's configuration, for the pass-through benchmark and the differential check:
its own prefix, pid, logs and temp paths, never the system's."""

from pathlib import Path


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
        listen 127.0.0.1:{port} reuseport;
        location / {{ {location} }}
    }}
}}
"""
