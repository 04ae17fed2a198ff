"""Pydantic models of the Redmine payloads the gateway reads and writes."""

import datetime as dt
from decimal import Decimal
from typing import NotRequired

from pydantic import AliasPath, BaseModel, ConfigDict, Field, dataclasses
from typing_extensions import TypedDict  # before 3.12, pydantic reads only this one


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


class CustomValue(RedmineModel):
    id: int
    # Redmine answers a multiple-value field with a list, and an unset one with null.
    value: str | list[str] | None = None


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
    custom_fields: tuple[CustomValue, ...] = ()

    def custom_value(self, field_id: int) -> str | list[str] | None:
        return next((f.value for f in self.custom_fields if f.id == field_id), None)


class TimeEntryDraft(RedmineModel):
    """What the gateway posts to POST /time_entries.json."""

    issue_id: int | None = None
    # Only for an entry on a project without an issue (Redmine takes the issue's otherwise).
    project_id: int | None = None
    hours: Decimal
    spent_on: dt.date
    activity_id: int | None = None
    comments: str = ""
    custom_fields: tuple[CustomValue, ...] | None = None


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class TimeEntryRow:
    """A time entry of a long list, flattened while it is parsed: no dict or model per nested
    object, so tens of thousands of them are read quickly."""

    id: int
    project_id: int = Field(validation_alias=AliasPath("project", "id"))
    issue_id: int | None = Field(default=None, validation_alias=AliasPath("issue", "id"))
    user_id: int = Field(validation_alias=AliasPath("user", "id"))
    user_name: str = Field(validation_alias=AliasPath("user", "name"))
    activity_id: int = Field(validation_alias=AliasPath("activity", "id"))
    activity: str = Field(validation_alias=AliasPath("activity", "name"))
    hours: float
    comments: str | None
    spent_on: dt.date
    created_on: dt.datetime

    def time_entry(self) -> RedmineTimeEntry:
        """The same entry as the full model (for the few rows that need it)."""
        return RedmineTimeEntry(
            id=self.id,
            project=Ref(id=self.project_id),
            issue=None if self.issue_id is None else Ref(id=self.issue_id),
            user=Ref(id=self.user_id, name=self.user_name),
            activity=Ref(id=self.activity_id, name=self.activity),
            hours=Decimal(repr(self.hours)),
            comments=self.comments,
            spent_on=self.spent_on,
            created_on=self.created_on,
        )


class TimeEntryRowPage(TypedDict):
    time_entries: list[TimeEntryRow]
    total_count: NotRequired[int]
