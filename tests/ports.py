"""Free loopback ports for the servers tests start (and for addresses nothing listens on)."""

import socket

LOOPBACK = "127.0.0.1"
SHARED_REDIS_PORT = 6379  # the machine's own Redis: never ours to start on


def free_port() -> int:
    while True:
        with socket.socket() as sock:
            sock.bind((LOOPBACK, 0))
            port: int = sock.getsockname()[1]
        if port != SHARED_REDIS_PORT:
            return port
