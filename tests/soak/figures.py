"""The soak's figures from what the users saw, what Redmine holds and the logs; the verdict."""

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from tests.soak.redmine_entries import Entry
from tests.soak.replicas import first_traceback, traceback_count, traceback_kinds
from tests.soak.settle import Settled
from tests.soak.tally import Accepted, Tally

SHOWN = 10  # how many lost, doubled or wrong items a report names
REPORTED_5XX = (500, 502, 503, 504)
ALLOWED_5XX = frozenset({503})  # with Retry-After, during outages


@dataclass(frozen=True)
class Figures:
    accepted: int
    entries: int
    lost: list[Accepted]
    duplicated: dict[str, list[Entry]]
    wrong_hours: list[tuple[Accepted, Decimal | None, list[Decimal]]]
    pending: list[tuple[Accepted, str]]
    server_errors: Counter[int]
    tracebacks: int
    not_accepted: list[Entry]  # entries of this run no accepted answer accounts for

    @property
    def bad_5xx(self) -> int:
        return sum(n for status, n in self.server_errors.items() if status not in ALLOWED_5XX)

    def failures(self) -> dict[str, int]:
        """Each way the run could have lost, doubled or mangled an hour, counted: all zero when
        every acknowledged entry is exactly once in Redmine."""
        return {
            "lost": len(self.lost),
            "duplicated": len(self.duplicated),
            "wrong hours": len(self.wrong_hours),
            "pending after settling": len(self.pending),
            "5xx other than 503": self.bad_5xx,
            "tracebacks": self.tracebacks,
            "accepted minus entries in Redmine": self.accepted - self.entries,
        }

    @property
    def passed(self) -> bool:
        return (
            not self.lost
            and not self.duplicated
            and not self.wrong_hours
            and not self.pending
            and self.bad_5xx == 0
            and self.tracebacks == 0
            and self.accepted == self.entries
        )

    def lines(self) -> list[str]:
        statuses = sorted(set(REPORTED_5XX) | set(self.server_errors))
        by_status = " ".join(f"{status}={self.server_errors[status]}" for status in statuses)
        return [
            f"accepted: {self.accepted}",
            f"entries in Redmine: {self.entries}",
            f"lost: {len(self.lost)}",
            f"duplicated: {len(self.duplicated)}",
            f"wrong hours: {len(self.wrong_hours)}",
            f"pending after settling: {len(self.pending)}",
            f"5xx by status: {by_status}",
            f"tracebacks: {self.tracebacks}",
        ]


def compute(
    tally: Tally, entries: list[Entry], settled: Settled, logs: Mapping[str, str]
) -> Figures:
    by_description: defaultdict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_description[entry.comments].append(entry)
    accepted = tally.accepted
    descriptions = {item.description for item in accepted}
    wrong: list[tuple[Accepted, Decimal | None, list[Decimal]]] = []
    for item in accepted:
        found = by_description.get(item.description, [])
        reported = item.hours if item.hours is not None else settled.hours.get(item.timer_id)
        if found and (reported is None or any(e.hours != reported for e in found)):
            wrong.append((item, reported, [e.hours for e in found]))
    return Figures(
        accepted=len(accepted),
        entries=len(entries),
        lost=[item for item in accepted if not by_description.get(item.description)],
        duplicated={d: found for d, found in by_description.items() if len(found) > 1},
        wrong_hours=wrong,
        pending=[
            (i, settled.status.get(i.timer_id, "?")) for i in accepted if _unsettled(i, settled)
        ],
        server_errors=tally.server_errors,
        tracebacks=traceback_count(logs),
        not_accepted=[e for e in entries if e.comments not in descriptions],
    )


def _unsettled(item: Accepted, settled: Settled) -> bool:
    return settled.status.get(item.timer_id) != "recorded"


def details(
    figures: Figures,
    tally: Tally,
    logs: Mapping[str, str],
    posts: Mapping[str, list[str]],
) -> list[str]:
    """What to debug a failure with: names, what became of their posts, bodies, a traceback."""
    accepted = {item.description: item for item in tally.accepted}
    out: list[str] = []
    for item in figures.lost[:SHOWN]:
        out += [f"  lost: {_accepted(item)}", *_posts(posts, item.description)]
    for description, found in list(figures.duplicated.items())[:SHOWN]:
        ids = ", ".join(f"#{e.id} {e.hours} h" for e in found)
        answer = accepted.get(description)
        seen = _accepted(answer) if answer is not None else "never accepted"
        out.append(f"  duplicated: {description!r} x{len(found)} ({ids}); {seen}")
        out += _posts(posts, description)
    for item, reported, hours in figures.wrong_hours[:SHOWN]:
        out.append(f"  wrong hours: {_accepted(item)} reported={reported} in Redmine={hours}")
    out += [f"  pending: {_accepted(item)} last status={s}" for item, s in figures.pending[:SHOWN]]
    out += [f"  entry not accepted: #{e.id} {e.comments!r}" for e in figures.not_accepted[:SHOWN]]
    for status, bodies in sorted(tally.server_error_bodies.items()):
        out += [f"  {status}: {body}" for body in bodies]
    out += [f"  other answer: {body}" for body in tally.other_bodies]
    out += [f"  gave up: {what}" for what in tally.gave_up[:SHOWN]]
    for kind, n in traceback_kinds(logs).most_common(SHOWN):
        out.append(f"  traceback x{n}: {kind}")
    traceback = first_traceback(logs)
    if traceback is not None:
        out += ["  first traceback:", *(f"    {line}" for line in traceback.splitlines())]
    return out


def counts(tally: Tally, figures: Figures) -> list[str]:
    """Context figures, not pass criteria."""
    timers = sum(1 for item in tally.accepted if item.kind == "timer")
    pending = sum(1 for item in tally.accepted if item.status == 202)
    retried = sum(1 for item in tally.accepted if item.retried_after)
    return [
        f"accepted timers/manual: {timers}/{len(tally.accepted) - timers} "
        f"(answered 202: {pending}; after a retry: {retried})",
        f"5xx by request: {_counter(tally.server_errors_by_request)}",
        f"other answers: {_counter(tally.other_answers)}",
        f"transport errors seen by clients: {_counter(tally.transport_errors)}",
        f"operations given up: {len(tally.gave_up)}",
        f"entries no accepted answer accounts for: {len(figures.not_accepted)}",
    ]


def _posts(posts: Mapping[str, list[str]], description: str) -> list[str]:
    return [f"      {event}" for event in posts.get(description, ["no post reached Redmine"])]


def _accepted(item: Accepted) -> str:
    retried = f" retried after {list(item.retried_after)}" if item.retried_after else ""
    return (
        f"{item.description!r} ({item.kind}, timer {item.timer_id}, {item.login}, "
        f"answered {item.status}, hours {item.hours}{retried})"
    )


def _counter(counter: Counter[str]) -> str:
    return " ".join(f"{name}={n}" for name, n in sorted(counter.items())) or "none"
