"""Redmine calls of the page: signing in with a login and password, and finding open issues."""

import base64
import logging
from typing import Any

import aiohttp
from pydantic import BaseModel, TypeAdapter
from yarl import URL

from gateway.errors import Unauthenticated
from gateway.redmine.client import API_KEY_HEADER, Params, raise_for_status, upstream_errors
from gateway.redmine.models import RedmineIssue, RedmineUser

log = logging.getLogger(__name__)

CURRENT_USER = "/users/current.json"
ISSUES = "/issues.json"
_issues = TypeAdapter(list[RedmineIssue])


class SignedInUser(RedmineUser):
    """/users/current.json as its own user sees it: with their API key."""

    api_key: str = ""


class CurrentUserAnswer(BaseModel):
    user: SignedInUser


class RedmineAccounts:
    def __init__(self, session: aiohttp.ClientSession, base: str) -> None:
        self._session = session
        self._base = base

    async def sign_in(self, login: str, password: str) -> SignedInUser:
        """The user with this login and password, and their API key (Redmine answers it to the
        user themselves); 401 for a wrong pair."""
        credentials = base64.b64encode(f"{login}:{password}".encode()).decode()
        headers = {"Authorization": f"Basic {credentials}", "Accept": "application/json"}
        try:
            body = await self._get(CURRENT_USER, headers)
        except Unauthenticated as exc:
            raise Unauthenticated("Redmine did not accept this login and password.") from exc
        with upstream_errors(CURRENT_USER):
            user = CurrentUserAnswer.model_validate(body).user
        if not user.login or not user.api_key:
            # Anonymous (Redmine lets some requests through without a user), or no key given.
            raise Unauthenticated("Redmine did not accept this login and password.")
        return user

    async def open_issues(self, api_key: str, text: str, limit: int) -> list[RedmineIssue]:
        """Open issues the key's user can see: the one numbered `text` ("42" or "#42"), or those
        whose subject contains `text`; newest first."""
        number = text.strip().removeprefix("#")
        params: Params = {"status_id": "open", "limit": limit}
        if number.isdigit():
            params = {**params, "issue_id": int(number)}
        elif text.strip():
            params = {**params, "subject": f"~{text.strip()}"}
        headers = {API_KEY_HEADER: api_key, "Accept": "application/json"}
        body = await self._get(ISSUES, headers, params)
        with upstream_errors(ISSUES):
            return _issues.validate_python(body["issues"])

    async def _get(
        self, path: str, headers: dict[str, str], params: Params | None = None
    ) -> dict[str, Any]:
        with upstream_errors(path):
            async with self._session.get(
                URL(self._base + path), params=params, headers=headers, allow_redirects=False
            ) as response:
                raise_for_status(response.status, path, await response.read())
                body: dict[str, Any] = await response.json(content_type=None)
                return body
