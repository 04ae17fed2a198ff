"""What the relay reports as it answers (metrics), without knowing who listens."""

from collections.abc import Callable
from typing import Literal, Protocol

from gateway.front.request import IncomingRequest
from gateway.proxy.routing import Destination
from gateway.relay.pool import ConnectionPool

# How an exchange with Redmine can fail (an answer that is a 5xx is an answer).
UpstreamFailure = Literal["connect", "timeout", "closed"]


class RelayObserver(Protocol):
    def finished(self, where: Destination | None, request: IncomingRequest, status: int) -> None:
        """Called where the access line is logged: once per request, with the status sent
        (499 when the client left first); `where` is None when the request was refused before
        it was routed."""

    def refused(self, status: int) -> None:
        """A request refused before it could be parsed (no method, path or start is known)."""

    def upstream_answered(self, status: int, seconds: float) -> None:
        """Redmine's answer began; `seconds` since the relay asked the pool for a connection."""

    def upstream_failed(self, kind: UpstreamFailure, *, answered: bool) -> None:
        """An exchange with Redmine failed; `answered`: after its answer had begun."""

    def watch_edge(self, client_connections: Callable[[], int], pool: ConnectionPool) -> None:
        """The front's open client connections and Redmine's pool, for gauges."""
