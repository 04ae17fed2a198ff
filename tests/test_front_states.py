"""The client connection's lifecycle tables: the moves the front makes, and one it must not."""

import pytest

from gateway.front.states import PHASE_MOVES, READING_MOVES, Phase, Reading
from gateway.transitions import IllegalMove, moved


def walk(start: Reading, *steps: Reading) -> Reading:
    state = start
    for step in steps:
        state = moved(state, step, READING_MOVES)
    return state


def test_requests_one_after_another() -> None:
    one_request = (Reading.IN_HEAD, Reading.IN_BODY, Reading.BETWEEN_MESSAGES)
    assert walk(Reading.BETWEEN_MESSAGES, *one_request, *one_request) is Reading.BETWEEN_MESSAGES


@pytest.mark.parametrize("at", [Reading.BETWEEN_MESSAGES, Reading.IN_HEAD, Reading.IN_BODY])
def test_reading_can_stop_or_end_anywhere_before_it_has(at: Reading) -> None:
    assert moved(at, Reading.STOPPED, READING_MOVES) is Reading.STOPPED
    assert moved(at, Reading.ENDED, READING_MOVES) is Reading.ENDED
    assert walk(at, Reading.STOPPED, Reading.ENDED) is Reading.ENDED


@pytest.mark.parametrize(
    ("current", "to"),
    [
        (Reading.BETWEEN_MESSAGES, Reading.IN_BODY),  # a body without a head
        (Reading.IN_HEAD, Reading.BETWEEN_MESSAGES),  # a head that never completed
        (Reading.STOPPED, Reading.IN_HEAD),  # parsing again after refusing
        (Reading.ENDED, Reading.IN_HEAD),  # bytes after the client's end
    ],
)
def test_a_reading_move_the_lifecycle_does_not_have_is_a_bug(current: Reading, to: Reading) -> None:
    with pytest.raises(IllegalMove, match=f"{current.name} -> {to.name}"):
        moved(current, to, READING_MOVES)


def test_every_phase_ends_closed_and_closed_is_final() -> None:
    for phase in Phase:
        if phase is not Phase.CLOSED:
            assert Phase.CLOSED in PHASE_MOVES[phase]
    assert PHASE_MOVES[Phase.CLOSED] == frozenset()
    with pytest.raises(IllegalMove):
        moved(Phase.LINGERING, Phase.OPEN, PHASE_MOVES)
