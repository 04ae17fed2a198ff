"""Every bound the relay puts on what it takes from Redmine, in one place."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RelayLimits:
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


RELAY_LIMITS = RelayLimits()
