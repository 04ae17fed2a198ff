"""Checked moves between the states of an explicit lifecycle (front and relay connections)."""

import enum
from typing import TypeVar

State = TypeVar("State", bound=enum.Enum)


class Lifecycle(enum.Enum):
    """The states of one lifecycle. Members are singletons, so they hash by identity: Enum's own
    hash is a Python call, paid on every checked move of every request."""

    __hash__ = object.__hash__


class IllegalMove(AssertionError):
    """A state change the lifecycle does not allow: a bug in the gateway, never a peer's doing."""


def moved(current: State, to: State, moves: dict[State, frozenset[State]]) -> State:
    if to not in moves[current]:
        raise IllegalMove(f"{current.name} -> {to.name}")
    return to
