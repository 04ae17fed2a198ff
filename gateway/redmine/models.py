"""Pydantic models of the Redmine payloads the gateway reads and writes."""

import datetime as dt
from decimal import Decimal

from pydantic import BaseModel, ConfigDict


class RedmineModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Ref(RedmineModel):
    id: int
    name: str = ""


class IssueStatus(Ref):
    is_closed: bool = False


class RedmineUser(RedmineModel):
    id: int
    login: str = ""
    firstname: str = ""
    lastname: str = ""

    @property
    def name(self) -> str:
        return f"{self.firstname} {self.lastname}".strip() or self.login


class RedmineIssue(RedmineModel):
    id: int
    project: Ref
    tracker: Ref | None = None
    status: IssueStatus | None = None
    subject: str = ""


class RedmineProject(RedmineModel):
    id: int
    identifier: str
    name: str = ""


class Activity(RedmineModel):
    id: int
    name: str
    is_default: bool = False
    active: bool = True


class RedmineTimeEntry(RedmineModel):
    id: int
    project: Ref
    issue: Ref | None = None
    user: Ref
    activity: Ref
    hours: Decimal
    comments: str | None = ""
    spent_on: dt.date
    created_on: dt.datetime
    updated_on: dt.datetime | None = None


class TimeEntryDraft(RedmineModel):
    """What the gateway posts to POST /time_entries.json."""

    issue_id: int
    hours: Decimal
    spent_on: dt.date
    activity_id: int | None = None
    comments: str = ""
