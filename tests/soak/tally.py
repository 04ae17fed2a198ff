"""What the simulated users saw: accepted entries, 5xx answers, other answers and give-ups."""

import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

# Kept per status so a failure report can show what the gateway said, without flooding it.
BODIES_KEPT_PER_STATUS = 3
BODY_CHARS = 400


@dataclass(frozen=True)
class Accepted:
    """A stop or manual entry the gateway answered 200, 201 or 202."""

    login: str
    timer_id: int
    description: str
    status: int
    hours: Decimal | None  # as the gateway reported it; None if the answer had none
    kind: str  # "timer" or "manual"
    attempts: int  # requests it took, the accepted one included
    retried_after: tuple[str, ...]  # why earlier attempts failed (e.g. "503", "transport")


@dataclass
class Tally:
    accepted: list[Accepted] = field(default_factory=list)
    server_errors: Counter[int] = field(default_factory=Counter)
    server_error_bodies: dict[int, list[str]] = field(default_factory=dict)
    server_errors_by_request: Counter[str] = field(default_factory=Counter)
    other_answers: Counter[str] = field(default_factory=Counter)  # "PUT 404" and the like
    other_bodies: list[str] = field(default_factory=list)
    transport_errors: Counter[str] = field(default_factory=Counter)
    gave_up: list[str] = field(default_factory=list)  # operations that ran out of attempts

    def server_error(self, status: int, what: str, body: str) -> None:
        self.server_errors[status] += 1
        self.server_errors_by_request[f"{_route(what)} {status}"] += 1
        kept = self.server_error_bodies.setdefault(status, [])
        if len(kept) < BODIES_KEPT_PER_STATUS:
            kept.append(f"{what}: {body[:BODY_CHARS]}")

    def other_answer(self, status: int, what: str, body: str) -> None:
        self.other_answers[f"{_route(what)} {status}"] += 1
        if len(self.other_bodies) < BODIES_KEPT_PER_STATUS * 3:
            self.other_bodies.append(f"{status} {what}: {body[:BODY_CHARS]}")


def _route(what: str) -> str:
    """ "PUT /time-trackings/1000000000049" -> "PUT /time-trackings/{id}"."""
    return re.sub(r"/\d+", "/{id}", what)
