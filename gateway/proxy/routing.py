"""Where one request goes: the front's own liveness answer, the gateway's app, or Redmine."""

import enum
from dataclasses import dataclass

from gateway.front.paths import is_liveness, is_ops, is_own, is_own_search, routed_path
from gateway.front.request import IncomingRequest
from gateway.relay.pool import ConnectionPool


@dataclass(frozen=True)
class Upstream:
    """Where requests go: its pool, the base path prefixed to every target, the Host to send when
    the client sent none, the total time one request may take (None: unbounded), and whether it
    is the gateway's own app rather than Redmine."""

    pool: ConnectionPool
    base_path: bytes
    host: bytes
    timeout_s: float | None
    is_own: bool = False


class Destination(enum.Enum):
    LIVENESS = "liveness"  # answered by the front itself: nothing behind it is asked
    OPS = "ops"  # the app's other /-/ endpoints (readiness, metrics)
    OWN = "own"
    REDMINE = "redmine"


# What one listener serves: everything, or (with GATEWAY_ADMIN_PORT) the public port all but
# /-/ and the admin port /-/ alone; anything else there is 404.
EVERYTHING = frozenset(Destination)
PUBLIC = frozenset({Destination.OWN, Destination.REDMINE})
ADMIN = frozenset({Destination.LIVENESS, Destination.OPS})


def destination(request: IncomingRequest) -> Destination:
    path = routed_path(request.method, request.target)
    if is_liveness(request.method, path):
        return Destination.LIVENESS
    if is_ops(path):
        return Destination.OPS
    if is_own(path) or is_own_search(path, request.target):
        return Destination.OWN
    return Destination.REDMINE
