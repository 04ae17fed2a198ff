"""Finding the Redmine entries an unconfirmed post made, so they are adopted, never posted again."""

import datetime as dt
import logging
from decimal import Decimal

from gateway.redmine.client import RedmineClient
from gateway.redmine.models import CustomValue, RedmineTimeEntry, TimeEntryDraft
from gateway.store.redis import RedisStore
from gateway.timers.models import Portion, Timer
from gateway.timers.outbox_policy import CLOCK_SKEW

log = logging.getLogger(__name__)


def draft(
    timer: Timer,
    portion: Portion,
    entry_field_id: int | None,
    billable_field_id: int | None = None,
) -> TimeEntryDraft:
    fields: list[CustomValue] = []
    if entry_field_id is not None:
        fields.append(CustomValue(id=entry_field_id, value=str(timer.id)))
    if billable_field_id is not None and timer.billable is not None:
        # A boolean field takes "1"/"0": Redmine keeps `true` as "true", which no filter matches.
        fields.append(CustomValue(id=billable_field_id, value="1" if timer.billable else "0"))
    return TimeEntryDraft(
        issue_id=timer.issue_id,
        project_id=timer.project_id if timer.issue_id is None else None,
        hours=portion.hours,
        spent_on=portion.spent_on,
        activity_id=timer.activity_id,
        comments=timer.description,
        custom_fields=tuple(fields) or None,
    )


def is_on_its_target(entry: RedmineTimeEntry, timer: Timer) -> bool:
    """Whether an entry is on the timer's issue, or (for time on a project) on its project
    without an issue."""
    if timer.issue_id is None:
        return entry.issue is None and entry.project.id == timer.project_id
    return entry.issue is not None and entry.issue.id == timer.issue_id


class EntryFinder:
    """With an entry field, an entry is the timer's when it carries the timer's id there. Without
    one, the entry itself is the marker: this user, issue, day, hours, activity and comments,
    created no earlier than the first unconfirmed post, and not claimed by another timer."""

    def __init__(
        self, redmine: RedmineClient, store: RedisStore, entry_field_id: int | None
    ) -> None:
        self._redmine = redmine
        self._store = store
        self._field_id = entry_field_id

    async def made_earlier(
        self, key: str, timer: Timer, unconfirmed_since: dt.datetime
    ) -> dict[dt.date, int]:
        """Entries already in Redmine for the timer's unposted portions, by spent_on."""
        wanted = {p.spent_on: p.hours for p in timer.unposted}
        if not wanted:
            return {}
        params: dict[str, str | int] = {
            "user_id": "me",
            "from": min(wanted).isoformat(),
            "to": max(wanted).isoformat(),
        }
        if self._field_id is not None:
            params[f"cf_{self._field_id}"] = str(timer.id)
        elif timer.issue_id is not None:
            params["issue_id"] = timer.issue_id
        else:
            params["project_id"] = timer.project_id
        entries = await self._redmine.time_entries(key, params)
        claimed = await self._store.timer_ids_of_entries({e.id: e.user.id for e in entries})
        found: dict[dt.date, int] = {}
        for entry in sorted(entries, key=lambda e: e.id):
            hours = wanted.get(entry.spent_on)
            if (
                hours is not None
                and entry.spent_on not in found
                and claimed.get(entry.id, timer.id) == timer.id
                and self._is_ours(entry, timer, hours, unconfirmed_since)
            ):
                found[entry.spent_on] = entry.id
        if found:
            log.info("found entries of an unconfirmed post timer=%s entries=%s", timer.id, found)
        return found

    def _is_ours(
        self,
        entry: RedmineTimeEntry,
        timer: Timer,
        hours: Decimal,
        unconfirmed_since: dt.datetime,
    ) -> bool:
        if self._field_id is not None:
            return entry.custom_value(self._field_id) == str(timer.id)
        return (
            is_on_its_target(entry, timer)
            and entry.user.id == timer.user.id
            and entry.hours.quantize(Decimal("0.01")) == hours
            and (timer.activity_id is None or entry.activity.id == timer.activity_id)
            and (entry.comments or "") == timer.description
            and entry.created_on >= unconfirmed_since - CLOCK_SKEW
        )
