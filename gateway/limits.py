"""Every bound the front and the relay hold a connection to, in one place.

The bounds an operator may want to change are settings (`GATEWAY_CLIENT_*`,
`GATEWAY_MAX_CLIENT_CONNECTIONS`); `edge_limits` builds the rest around them. nginx's defaults
are the reference where it has one.
"""

from dataclasses import dataclass, field

from gateway.settings import Settings


@dataclass(frozen=True)
class FrontLimits:
    """How far the front lets one client connection go."""

    # Settings (README): the head's size and field count, and the four waits on a client.
    max_head_bytes: int = 64 * 1024
    max_header_fields: int = 100
    idle_timeout_s: float = 75.0  # between requests (nginx keepalive_timeout)
    head_timeout_s: float = 60.0  # for a whole request head (nginx client_header_timeout)
    body_timeout_s: float = 60.0  # between two pieces of a body (nginx client_body_timeout)
    send_timeout_s: float = 60.0  # for a client to take more of its answer (nginx send_timeout)
    max_connections: int | None = 10_000

    # Beyond these, the socket is not read until the backlog clears: a client that pipelines
    # requests or uploads faster than Redmine takes them never fills the gateway's memory.
    max_queued_requests: int = 8
    body_high_water_bytes: int = 256 * 1024
    body_low_water_bytes: int = 64 * 1024

    # A connection closed while its client may still be sending (an early answer, a refusal
    # with body bytes unread) shuts its write side and reads and drops what comes for at most
    # lingering_time_s in all, until lingering_timeout_s pass without a byte, or until
    # lingering_max_bytes arrived: closing over unread bytes would send a reset that can destroy
    # the answer before the client reads it. nginx's lingering_time and lingering_timeout; the
    # byte bound keeps a fast uploader from holding the connection for the whole time.
    lingering_time_s: float = 30.0
    lingering_timeout_s: float = 5.0
    lingering_max_bytes: int = 64 * 1024 * 1024


@dataclass(frozen=True)
class RelayLimits:
    """How far the relay lets one answer from Redmine (or the gateway's app) go."""

    # An answer's head (status line and header fields, interim 1xx heads included) as the
    # front bounds a request's head; nginx stops at its 4-8 KiB proxy buffer, HAProxy at its
    # 16 KiB buffer. Over it: 502, and the connection is dropped unread.
    max_head_bytes: int = 64 * 1024
    # Header fields in one answer head (trailers too); HAProxy's tune.http.maxhdr is 101.
    max_header_fields: int = 100
    # Above this many unread answer bytes the socket stops being read, so a slow client never
    # makes the gateway hold a whole download in memory; reading resumes below the low mark.
    read_high_water_bytes: int = 256 * 1024
    read_low_water_bytes: int = 64 * 1024
    # Redmine's server ends idle keep-alive connections on its own (Puma after 20 s); a request
    # sent just as it does would fail, and a POST cannot be resent. Idle longer: a fresh one.
    idle_expiry_s: float = 15.0


@dataclass(frozen=True)
class EdgeLimits:
    front: FrontLimits = field(default_factory=FrontLimits)
    relay: RelayLimits = field(default_factory=RelayLimits)
    # Connections to the gateway's own app: health never waits on them (the front answers
    # liveness itself), and GATEWAY_APP_TIMEOUT_S bounds each request.
    own_app_connections: int = 100
    # On a stop, how long in-flight answers may take before their connections are cut.
    shutdown_timeout_s: float = 60.0


def edge_limits(settings: Settings) -> EdgeLimits:
    return EdgeLimits(
        front=FrontLimits(
            max_head_bytes=settings.client_max_head_bytes,
            max_header_fields=settings.client_max_header_fields,
            idle_timeout_s=settings.client_idle_timeout_s,
            head_timeout_s=settings.client_head_timeout_s,
            body_timeout_s=settings.client_body_timeout_s,
            send_timeout_s=settings.client_send_timeout_s,
            max_connections=settings.max_client_connections,
        )
    )
