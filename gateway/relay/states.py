"""An upstream connection's lifecycle as explicit states: the exchange it carries, and its link."""

import enum

from gateway.transitions import Lifecycle


class Exchange(Lifecycle):
    """Where one request and its answer are."""

    NONE = enum.auto()  # none under way: a fresh connection, or the last answer has ended
    AWAITING_HEAD = enum.auto()  # the request went out (its body may still be going)
    INTERIM = enum.auto()  # inside a 1xx answer (100 Continue, say): the real one follows
    BODY = enum.auto()  # the final head has arrived; its body is coming


class Link(Lifecycle):
    """The connection itself."""

    OPEN = enum.auto()
    CLOSED_BY_GATEWAY = enum.auto()  # the gateway dropped it: an exchange on it is never resent
    CLOSED = enum.auto()


EXCHANGE_MOVES: dict[Exchange, frozenset[Exchange]] = {
    Exchange.NONE: frozenset({Exchange.AWAITING_HEAD}),
    Exchange.AWAITING_HEAD: frozenset({Exchange.INTERIM, Exchange.BODY, Exchange.NONE}),
    Exchange.INTERIM: frozenset({Exchange.AWAITING_HEAD, Exchange.NONE}),
    Exchange.BODY: frozenset({Exchange.NONE}),
}

LINK_MOVES: dict[Link, frozenset[Link]] = {
    Link.OPEN: frozenset({Link.CLOSED_BY_GATEWAY, Link.CLOSED}),
    Link.CLOSED_BY_GATEWAY: frozenset({Link.CLOSED}),
    Link.CLOSED: frozenset(),
}
