"""Free loopback ports for the servers tests start (and for addresses nothing listens on)."""

import random
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


# A cluster node also listens on its port + 10,000 (the cluster bus), so its port is at most
# 55,535; picked at random below the kernel's ephemeral range, where free_port's ports come from.
CLUSTER_BUS_OFFSET = 10_000
CLUSTER_PORTS = range(20_000, 30_000)


def free_cluster_port() -> int:
    """A port that is free, and whose cluster bus port is free too."""
    while True:
        port = random.choice(CLUSTER_PORTS)
        if port != SHARED_REDIS_PORT and _is_free(port) and _is_free(port + CLUSTER_BUS_OFFSET):
            return port


def _is_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True
