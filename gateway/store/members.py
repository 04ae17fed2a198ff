"""How timers are written into sorted sets: scores, and the settled timers' members."""

import datetime as dt

from gateway.timers.models import Timer


def score(moment: dt.datetime) -> float:
    return moment.timestamp()


def settled_member(timer: Timer) -> str:
    """A recorded timer in the settled timers: its id, its user's and its entries' ids, so it
    can be pruned from every index without its record."""
    entries = ",".join(str(e) for e in timer.redmine_time_entry_ids)
    return f"{timer.id}:{timer.user.id}:{entries}"


def parsed_member(member: str) -> tuple[int, int, list[int]]:
    timer_id, user_id, entries = member.split(":")
    return int(timer_id), int(user_id), [int(e) for e in entries.split(",") if e]
