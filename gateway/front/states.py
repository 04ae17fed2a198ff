"""A client connection's lifecycle as explicit states: its input side and the connection itself."""

import enum

from gateway.transitions import Lifecycle


class Reading(Lifecycle):
    """Where the front is in what the client sends."""

    BETWEEN_MESSAGES = enum.auto()  # waiting for the first byte of a request
    IN_HEAD = enum.auto()  # a request has begun; its head is not complete
    IN_BODY = enum.auto()  # its head is complete; its body (if any) is not
    STOPPED = enum.auto()  # bytes it will not parse came: nothing more is read
    ENDED = enum.auto()  # the client half-closed: it sends nothing more


class Phase(Lifecycle):
    """The connection as a whole."""

    OPEN = enum.auto()
    CLOSING = enum.auto()  # shutdown: the answer in hand is finished, then the connection closes
    LINGERING = enum.auto()  # answered and shut for writing; late request bytes are dropped
    CLOSED = enum.auto()


READING_MOVES: dict[Reading, frozenset[Reading]] = {
    Reading.BETWEEN_MESSAGES: frozenset({Reading.IN_HEAD, Reading.STOPPED, Reading.ENDED}),
    Reading.IN_HEAD: frozenset({Reading.IN_BODY, Reading.STOPPED, Reading.ENDED}),
    Reading.IN_BODY: frozenset({Reading.BETWEEN_MESSAGES, Reading.STOPPED, Reading.ENDED}),
    Reading.STOPPED: frozenset({Reading.ENDED}),
    Reading.ENDED: frozenset(),
}

PHASE_MOVES: dict[Phase, frozenset[Phase]] = {
    Phase.OPEN: frozenset({Phase.CLOSING, Phase.LINGERING, Phase.CLOSED}),
    Phase.CLOSING: frozenset({Phase.LINGERING, Phase.CLOSED}),
    Phase.LINGERING: frozenset({Phase.CLOSED}),
    Phase.CLOSED: frozenset(),
}
