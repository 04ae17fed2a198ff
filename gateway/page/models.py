"""Pydantic models of the page's own endpoints and of a stored page session."""

import datetime as dt
import re
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from gateway.timers.models import Owner

API_KEY_CHARACTERS = re.compile(r"[!-~]+")


class SignInRequest(BaseModel):
    """Either a Redmine login and password, or a Redmine API key."""

    model_config = ConfigDict(extra="forbid")

    login: str | None = Field(default=None, min_length=1, max_length=255)
    password: SecretStr | None = Field(default=None, min_length=1, max_length=1024)
    api_key: SecretStr | None = Field(default=None, min_length=1, max_length=255)

    @field_validator("api_key")
    @classmethod
    def _a_key_a_header_can_carry(cls, value: SecretStr | None) -> SecretStr | None:
        # It is sent to Redmine in X-Redmine-API-Key: visible ASCII only (a Redmine key is hex).
        if value is not None and not API_KEY_CHARACTERS.fullmatch(value.get_secret_value()):
            raise ValueError("An API key is letters, digits and punctuation, without spaces.")
        return value

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        by_password = self.login is not None or self.password is not None
        if by_password == (self.api_key is not None):
            raise ValueError("Send either login and password, or api_key.")
        if by_password and (self.login is None or self.password is None):
            raise ValueError("Send both login and password.")
        return self


class SessionRecord(BaseModel):
    """What Redis keeps of a session: never its id, and the API key only encrypted."""

    sealed_key: str
    csrf_token: str
    user: Owner
    seen_at: dt.datetime


class Features(BaseModel):
    """What the time-tracking API offers beyond start and stop (pause/resume arrive later)."""

    pause: bool
    resume: bool


class SessionInfo(BaseModel):
    user: Owner
    csrf_token: str = Field(description="Send as X-CSRF-Token with every POST, PUT, DELETE.")
    idle_minutes: int
    timezone: str
    today: dt.date = Field(description="Today in the gateway's time zone.")
    features: Features


class SessionAnswer(BaseModel):
    data: SessionInfo


class IssueQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    q: str = Field(default="", max_length=255, description="An issue number, or subject words.")


class IssueChoice(BaseModel):
    id: int
    subject: str
    project: str
    tracker: str | None


class IssuesAnswer(BaseModel):
    data: list[IssueChoice]
