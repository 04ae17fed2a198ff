"""The fixture description that redmine-up.sh writes, as typed objects."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self


@dataclass(frozen=True)
class Account:
    id: int
    login: str
    password: str
    api_key: str


@dataclass(frozen=True)
class SeededIssue:
    id: int
    subject: str
    task_uuid: str


@dataclass(frozen=True)
class Harness:
    """The seeded Redmine: where it listens, who can log in, and what exists."""

    base_url: str
    admin: Account
    alice: Account
    bob: Account
    project_id: int
    project_identifier: str
    project_name: str
    issues: tuple[SeededIssue, ...]
    task_uuid_param: str
    default_activity_id: int
    inactive_activity_id: int
    role_permissions: frozenset[str]
    # Time-entry custom fields by name ("Timer id", "Billable"), as REDMINE_TIME_ENTRY_FIELDS=1
    # makes them.
    time_entry_fields: dict[str, int]

    @classmethod
    def load(cls, path: Path) -> Self:
        raw = json.loads(path.read_text())
        project = raw["projects"]["web-app"]
        return cls(
            base_url=raw["base_url"].rstrip("/"),
            admin=_account(raw["admin"]),
            alice=_account(raw["users"]["alice"]),
            bob=_account(raw["users"]["bob"]),
            project_id=project["id"],
            project_identifier=project["identifier"],
            project_name=project["name"],
            issues=tuple(
                SeededIssue(id=issue["id"], subject=issue["subject"], task_uuid=issue["task_uuid"])
                for issue in raw["issues"]
            ),
            task_uuid_param=raw["custom_field"]["query_param"],
            default_activity_id=raw["default_activity_id"],
            inactive_activity_id=next(a["id"] for a in raw["activities"] if not a["active"]),
            role_permissions=frozenset(raw["role"]["permissions"]),
            time_entry_fields={
                field["name"]: field["id"] for field in raw.get("time_entry_fields", {}).values()
            },
        )


def _account(raw: dict[str, Any]) -> Account:
    return Account(
        id=raw["id"], login=raw["login"], password=raw["password"], api_key=raw["api_key"]
    )
