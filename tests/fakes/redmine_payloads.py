"""The JSON shapes of Redmine 5.0.4's *.api.rsb views for the objects the fake serves."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from tests.fakes.redmine_ruby import ruby_round
from tests.fakes.redmine_state import Issue, Project, RedmineState, TimeEntry, User

Json = dict[str, Any]


class _Referable(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...


def stamp(moment: datetime) -> str:
    """Rails' JSON timestamps: UTC, whole seconds (isoformat: listings render thousands)."""
    if moment.utcoffset() != timedelta(0):
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


@lru_cache(maxsize=4096)
def shown_hours(hours: Decimal) -> float:
    """What TimeEntry#hours shows: the stored value rounded to 2 decimals, as Ruby rounds."""
    return ruby_round(float(hours), 2)


def ref(thing: _Referable) -> Json:
    return {"id": thing.id, "name": thing.name}


def user_json(user: User, viewer: User) -> Json:
    """users/show.api.rsb: admin flag, 2FA and key for admins and oneself; mail for admins."""
    privileged = viewer.admin or viewer.id == user.id
    created = stamp(user.created_on)
    body: Json = {"id": user.id, "login": user.login}
    body |= {"admin": user.admin} if privileged else {}
    body |= {"firstname": user.firstname, "lastname": user.lastname}
    body |= {"mail": user.mail} if viewer.admin else {}
    body |= {"created_on": created, "updated_on": created, "last_login_on": None}
    body |= {"passwd_changed_on": created}
    body |= {"twofa_scheme": None, "api_key": user.api_key} if privileged else {}
    body |= {"status": 1} if viewer.admin else {}
    return body


def project_json(project: Project) -> Json:
    created = stamp(project.created_on)
    body: Json = {"id": project.id, "name": project.name, "identifier": project.identifier}
    body |= {"description": None, "homepage": "", "status": 1, "is_public": project.is_public}
    body |= {"inherit_members": False, "created_on": created, "updated_on": created}
    return body


def issue_json(state: RedmineState, issue: Issue, viewer: User) -> Json:
    """issues/show.api.rsb without the optional includes (journals, relations, ...)."""
    project = state.projects[issue.project_id]
    author = state.users.get(issue.author_id)
    assignee = state.users.get(issue.assigned_to_id) if issue.assigned_to_id else None
    body: Json = {"id": issue.id, "project": ref(project), "tracker": ref(issue.tracker)}
    body["status"] = {**ref(issue.status), "is_closed": issue.status.is_closed}
    body["priority"] = {"id": 2, "name": "Normal"}
    body |= {"author": ref(author)} if author else {}
    body |= {"assigned_to": ref(assignee)} if assignee else {}
    body |= {"subject": issue.subject, "description": None, "start_date": None}
    body |= {"due_date": None, "done_ratio": 0, "is_private": False}
    body |= {"estimated_hours": None, "total_estimated_hours": None}
    if state.allowed(viewer, "view_time_entries", project):
        spent = state.spent_hours(issue.id)
        body |= {"spent_hours": spent, "total_spent_hours": spent}
    body["custom_fields"] = [
        {"id": field_id, "name": name, "value": issue.custom_values.get(field_id, "")}
        for field_id, name in state.custom_fields.items()
    ]
    body |= {"created_on": stamp(issue.created_on), "updated_on": stamp(issue.updated_on)}
    body["closed_on"] = stamp(issue.updated_on) if issue.status.is_closed else None
    return body


def entry_json(state: RedmineState, entry: TimeEntry) -> Json:
    """timelog/show.api.rsb: hours rounded to 2 decimals, no "issue" key without an issue."""
    body: Json = {"id": entry.id, "project": ref(state.projects[entry.project_id])}
    if entry.issue_id is not None:
        body["issue"] = {"id": entry.issue_id}
    body.update(
        user=ref(state.users[entry.user_id]),
        activity=ref(state.activities[entry.activity_id]),
        hours=shown_hours(entry.hours),
        comments=entry.comments,
        spent_on=entry.spent_on.isoformat(),
        created_on=stamp(entry.created_on),
        updated_on=stamp(entry.updated_on),
    )
    if state.time_entry_fields:  # once any exists, every entry lists them all
        body["custom_fields"] = [
            # null until a value is given; a value given blank (or null) shows as "".
            {"id": field_id, "name": name, "value": dict(entry.custom_values).get(field_id)}
            for field_id, name in state.time_entry_fields.items()
        ]
    return body


def activities_json(state: RedmineState) -> Json:
    """enumerations/index.api.rsb: every system activity, inactive ones included."""
    return {
        "time_entry_activities": [
            {"id": a.id, "name": a.name, "is_default": a.is_default, "active": a.active}
            for a in state.activities.values()
        ]
    }
