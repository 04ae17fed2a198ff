"""Redmine 5.0.4's rules for creating and updating a time entry: assignment, permission, checks."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal

from tests.fakes.redmine_ruby import (
    cast_date,
    cast_id,
    format_hours,
    is_blank,
    is_malformed_date,
    ruby_round,
    ruby_to_f,
    to_hours,
)
from tests.fakes.redmine_state import Project, RedmineState, TimeEntry, User

MAX_HOURS_PER_DAY = 999.0  # Setting.timelog_max_hours_per_day
MAX_COMMENTS = 1024
_IDS = ("project_id", "issue_id", "user_id", "activity_id")
_PRESENCE = (  # validates_presence_of, in declaration order, with the attribute labels
    ("user_id", "User"),
    ("activity_id", "Activity"),
    ("project_id", "Project"),
    ("hours", "Hours"),
    ("spent_on", "Date"),
)


class Forbidden(Exception):
    """The caller may not log time in the entry's project: Redmine answers 403."""


class Invalid(Exception):
    """Validation failed: Redmine answers 422 with these messages, in its order."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass
class _Form:
    """The entry as ActiveRecord holds it while validating: cast values plus the raw inputs."""

    original: TimeEntry | None
    author_id: int
    project_id: int | None
    issue_id: int | None
    user_id: int | None
    activity_id: int | None
    hours_raw: object
    spent_on_raw: object
    comments: str | None
    custom_values: tuple[tuple[int, str], ...] = ()
    invalid_ids: set[str] = field(default_factory=set)

    @property
    def hours(self) -> float | None:
        """The cast value; TimeEntry#hours then rounds it to 2 decimals."""
        raw = self.hours_raw
        if isinstance(raw, bool):
            return 1.0  # seen on 5.0.4: a JSON boolean is reported once, as "Hours is invalid"
        if isinstance(raw, int | float | Decimal):
            return float(raw)
        if isinstance(raw, str) and not is_blank(raw):
            parsed = to_hours(raw)
            return ruby_to_f(raw) if parsed is None else parsed
        return None

    @property
    def spent_on(self) -> date | None:
        raw = self.spent_on_raw
        return raw if isinstance(raw, date) else cast_date(raw)

    def changed(self, name: str) -> bool:
        """ActiveRecord's attribute_changed?: against the stored entry, or nil for a new one."""
        value: object = getattr(self, name)
        before: object = getattr(self.original, name) if self.original else None
        return value != (float(before) if isinstance(before, Decimal) else before)

    def stored_hours(self) -> Decimal:
        """The value as given, like the database keeps it."""
        raw, hours = self.hours_raw, self.hours
        if isinstance(raw, Decimal | int) and not isinstance(raw, bool):
            return Decimal(raw)
        return Decimal(repr(hours))


def create_entry(state: RedmineState, actor: User, params: Mapping[str, object]) -> TimeEntry:
    """TimelogController#create, from a parsed `time_entry` object."""
    form = _Form(
        original=None,
        author_id=actor.id,
        project_id=None,
        issue_id=None,
        user_id=actor.id,
        activity_id=state.default_activity_id(),
        hours_raw=None,
        spent_on_raw=state.clock().astimezone(UTC).date(),  # the harness runs in UTC
        comments=None,
    )
    _assign(state, actor, form, params)
    project = state.projects.get(form.project_id) if form.project_id is not None else None
    if project is not None and not state.allowed(actor, "log_time", project):
        raise Forbidden
    _validate(state, actor, form)
    now = state.clock()
    return state.insert_entry(_entry(form, 0, now, now))


def update_entry(
    state: RedmineState, actor: User, entry: TimeEntry, params: Mapping[str, object]
) -> TimeEntry:
    """TimelogController#update; the caller has checked that `actor` may edit the entry."""
    form = _Form(
        original=entry,
        author_id=entry.author_id,
        project_id=entry.project_id,
        issue_id=entry.issue_id,
        user_id=entry.user_id,
        activity_id=entry.activity_id,
        hours_raw=entry.hours,
        spent_on_raw=entry.spent_on,
        comments=entry.comments,
        custom_values=entry.custom_values,
    )
    _assign(state, actor, form, params)
    _validate(state, actor, form)
    updated = _entry(form, entry.id, entry.created_on, entry.updated_on)
    if updated != entry:  # ActiveRecord only touches updated_on when something changed
        updated = replace(updated, updated_on=state.clock())
        state.replace_entry(updated)
    return updated


def _entry(form: _Form, entry_id: int, created_on: datetime, updated_on: datetime) -> TimeEntry:
    assert form.project_id is not None and form.user_id is not None
    assert form.activity_id is not None and form.spent_on is not None
    return TimeEntry(
        id=entry_id,
        project_id=form.project_id,
        issue_id=form.issue_id,
        user_id=form.user_id,
        author_id=form.author_id,
        activity_id=form.activity_id,
        hours=form.stored_hours(),
        comments=form.comments,
        spent_on=form.spent_on,
        created_on=created_on,
        updated_on=updated_on,
        custom_values=form.custom_values,
    )


def _assign(state: RedmineState, actor: User, form: _Form, params: Mapping[str, object]) -> None:
    """TimeEntry#safe_attributes=: cast the values, then vet the issue and the user."""
    for name in _IDS:
        if name in params:
            setattr(form, name, cast_id(params[name]))
    if "hours" in params:
        form.hours_raw = params["hours"]
    if "spent_on" in params:
        form.spent_on_raw = params["spent_on"]
    if "comments" in params:
        raw = params["comments"]
        form.comments = raw if isinstance(raw, str) or raw is None else json.dumps(raw)
    if "custom_fields" in params:
        form.custom_values = _custom_values(state, form.custom_values, params["custom_fields"])
    issue = state.issues.get(form.issue_id) if form.issue_id is not None else None
    if form.changed("issue_id") and issue is not None:
        home = state.projects[issue.project_id]
        if state.allowed(actor, "view_issues", home) and state.allowed(actor, "log_time", home):
            if is_blank(params.get("project_id")):
                form.project_id = issue.project_id
        else:
            form.invalid_ids.add("issue_id")
    project = state.projects.get(form.project_id) if form.project_id is not None else None
    others_allowed = project is not None and state.allowed(
        actor, "log_time_for_other_users", project
    )
    if form.changed("user_id") and form.user_id != form.author_id and not others_allowed:
        form.invalid_ids.add("user_id")


def _validate(state: RedmineState, actor: User, form: _Form) -> None:
    """The validators of TimeEntry, in the order Rails runs them."""
    errors = [
        f"{label} cannot be blank" for name, label in _PRESENCE if getattr(form, name) is None
    ]
    if not _is_number(form.hours_raw):
        errors.append("Hours is invalid")
    if form.comments is not None and len(form.comments) > MAX_COMMENTS:
        errors.append(f"Comment is too long (maximum is {MAX_COMMENTS} characters)")
    if is_malformed_date(form.spent_on_raw):
        errors.append("Date is not a valid date")
    errors += _hours_errors(state, form)
    project = state.projects.get(form.project_id) if form.project_id is not None else None
    if project is None:
        errors.append("Project is invalid")
    if "user_id" in form.invalid_ids or (
        form.changed("user_id")
        and form.user_id != form.author_id
        and form.user_id not in _assignable(state, actor, project)
    ):
        errors.append("User is invalid")
    issue = state.issues.get(form.issue_id) if form.issue_id is not None else None
    wrong_issue = issue is not None and form.project_id != issue.project_id
    if (
        (form.issue_id is not None and issue is None)
        or wrong_issue
        or "issue_id" in form.invalid_ids
    ):
        errors.append("Issue is invalid")
    activity = state.activities.get(form.activity_id) if form.activity_id is not None else None
    if form.changed("activity_id") and project and not (activity and activity.active):
        errors.append("Activity is not included in the list")
    if errors:
        raise Invalid(errors)


def _hours_errors(state: RedmineState, form: _Form) -> list[str]:
    """TimeEntry#validate_time_entry's checks of hours, which see them rounded to 2 decimals."""
    if form.hours is None:
        return []
    hours, changed = ruby_round(form.hours, 2), form.changed("hours")
    errors = ["Hours is invalid"] if hours < 0 else []
    if hours == 0 and changed and not state.accept_zero_hours:
        errors.append("Hours is invalid")
    if changed and form.user_id is not None and form.spent_on is not None:
        entry_id = form.original.id if form.original else None
        logged = state.hours_logged(form.user_id, form.spent_on, excluding=entry_id)
        if logged + hours > MAX_HOURS_PER_DAY:
            errors.append(
                f"Cannot log more than {format_hours(MAX_HOURS_PER_DAY)} hours on the same day"
                f" ({format_hours(logged)} hours have already been logged)"
            )
    return errors


def _assignable(state: RedmineState, actor: User, project: Project | None) -> set[int]:
    """TimeEntry#assignable_users: members who may log time, plus the caller."""
    if project is None:
        return {actor.id}
    members = (state.users[i] for i in project.members if i in state.users)
    return {user.id for user in members if state.allowed(user, "log_time", project)} | {actor.id}


def _is_number(raw: object) -> bool:
    """validates_numericality_of on the value before cast (nil and blank are allowed)."""
    if isinstance(raw, str):
        return is_blank(raw) or to_hours(raw) is not None
    return raw is None or (isinstance(raw, int | float | Decimal) and not isinstance(raw, bool))


def ruby_string(value: object) -> str:
    """A custom value as Redmine keeps it: to_s of what was sent, unvalidated (a boolean field
    stores `true` as "true", which its filters never match as "1"); null becomes ""."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def _custom_values(
    state: RedmineState, current: tuple[tuple[int, str], ...], raw: object
) -> tuple[tuple[int, str], ...]:
    """custom_fields: [{"id", "value"}]; ids of fields that do not exist are ignored."""
    values = dict(current)
    for item in raw if isinstance(raw, list) else []:
        field_id = cast_id(item.get("id")) if isinstance(item, dict) else None
        if field_id in state.time_entry_fields and isinstance(item, dict):
            values[field_id] = ruby_string(item.get("value"))
    return tuple(sorted(values.items()))
