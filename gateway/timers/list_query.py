"""What GET /time-trackings is asked (its query, whose entries) and how its answer is shaped."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gateway.errors import ValidationFailed
from gateway.identity import Caller
from gateway.timers.models import JsonHours, Slug, TimeTrackingView

PER_PAGE_MAX = 100


class ListQuery(BaseModel):
    """`start`/`end` (GitScrum's names) are `from`/`to`; `users` is a comma-separated list of
    logins, ids or `me`, like `user` (which names one)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    project_slug: Slug | None = None
    company_slug: Slug | None = None
    from_: dt.date | None = Field(default=None, alias="from")
    to: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    user: Slug | None = None
    users: tuple[str, ...] = ()
    task_uuid: Slug | None = None
    # GATEWAY_BILLABLE_FIELD_ID: true, only billable entries; false, the others (unset too).
    billable: bool | None = None
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=25, ge=1, le=PER_PAGE_MAX)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: object) -> object:
        # Clients fill a query template (`?project_slug=&from=...`) and leave unused ones empty.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("users", mode="before")
    @classmethod
    def _split_users(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        return tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))

    @model_validator(mode="after")
    def _one_range(self) -> "ListQuery":
        for name, given, alias in (("start", self.start, self.from_), ("end", self.end, self.to)):
            if given is not None and alias is not None and given != alias:
                raise ValidationFailed(
                    "The given data was invalid.",
                    {name: [f"{name} and {'from' if name == 'start' else 'to'} differ."]},
                )
        self.from_ = self.from_ or self.start
        self.to = self.to or self.end
        return self

    @property
    def named_users(self) -> tuple[str, ...]:
        return (*((self.user,) if self.user else ()), *self.users)


class PageMeta(BaseModel):
    total: int
    per_page: int
    current_page: int
    last_page: int


class ListMeta(PageMeta):
    # The hours of every page, and of those billable (null without GATEWAY_BILLABLE_FIELD_ID).
    total_hours: JsonHours = Decimal(0)
    billable_hours: JsonHours | None = None


class TimeTrackingPage(BaseModel):
    data: list[TimeTrackingView]
    meta: ListMeta


@dataclass(frozen=True)
class Scope:
    """Whose entries: `user_ids` and `logins` (casefolded) named; both None: everyone's."""

    issue_id: int | None
    user_ids: frozenset[int] | None = None
    logins: frozenset[str] | None = None

    def keeps(self, user_id: int, login: str | None) -> bool:
        if self.user_ids is None and self.logins is None:
            return True
        return user_id in (self.user_ids or ()) or (
            login is not None and login.casefold() in (self.logins or ())
        )

    def may_include(self, caller: Caller) -> bool:
        return self.keeps(caller.user_id, caller.owner.username)
