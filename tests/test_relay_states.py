"""The upstream connection's lifecycle tables: the exchanges it carries and its link's end."""

import pytest

from gateway.relay.states import EXCHANGE_MOVES, LINK_MOVES, Exchange, Link
from gateway.transitions import IllegalMove, moved


def walk(*steps: Exchange) -> Exchange:
    state = Exchange.NONE
    for step in steps:
        state = moved(state, step, EXCHANGE_MOVES)
    return state


@pytest.mark.parametrize(
    "steps",
    [
        (Exchange.AWAITING_HEAD, Exchange.BODY, Exchange.NONE),  # an answer
        (Exchange.AWAITING_HEAD, Exchange.INTERIM, Exchange.AWAITING_HEAD, Exchange.BODY),
        (Exchange.AWAITING_HEAD, Exchange.NONE),  # failed before any head
        (Exchange.AWAITING_HEAD, Exchange.INTERIM, Exchange.NONE),  # failed after a 100
    ],
)
def test_the_moves_an_exchange_makes(steps: tuple[Exchange, ...]) -> None:
    assert walk(*steps) is steps[-1]


@pytest.mark.parametrize(
    ("current", "to"),
    [
        (Exchange.BODY, Exchange.AWAITING_HEAD),  # a second request before the answer ended
        (Exchange.NONE, Exchange.BODY),  # an answer nobody asked for
        (Exchange.BODY, Exchange.INTERIM),  # a 1xx after the final head
    ],
)
def test_an_exchange_move_the_lifecycle_does_not_have_is_a_bug(
    current: Exchange, to: Exchange
) -> None:
    with pytest.raises(IllegalMove):
        moved(current, to, EXCHANGE_MOVES)


def test_a_link_closes_once() -> None:
    assert moved(Link.OPEN, Link.CLOSED_BY_GATEWAY, LINK_MOVES) is Link.CLOSED_BY_GATEWAY
    assert moved(Link.CLOSED_BY_GATEWAY, Link.CLOSED, LINK_MOVES) is Link.CLOSED
    with pytest.raises(IllegalMove):
        moved(Link.CLOSED, Link.OPEN, LINK_MOVES)
