"""RedmineClient: typed calls to Redmine's REST API as a given user, over one ClientSession."""

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
from pydantic import BaseModel, TypeAdapter, ValidationError

from gateway.errors import (
    Forbidden,
    NotFound,
    RedmineRejected,
    Unauthenticated,
    UpstreamTimeout,
    UpstreamUnavailable,
)
from gateway.redmine.models import (
    Activity,
    RedmineIssue,
    RedmineProject,
    RedmineTimeEntry,
    RedmineUser,
    TimeEntryDraft,
)

log = logging.getLogger(__name__)

API_KEY_HEADER = "X-Redmine-API-Key"
PAGE_LIMIT = 100  # Redmine's own maximum for `limit`
Params = Mapping[str, str | int]

_issues = TypeAdapter(list[RedmineIssue])
_entries = TypeAdapter(list[RedmineTimeEntry])
_activities = TypeAdapter(list[Activity])


class RedmineClient:
    def __init__(self, session: aiohttp.ClientSession, base: str, page_concurrency: int) -> None:
        self._session = session
        self._base = base
        self._page_concurrency = page_concurrency

    async def current_user(self, api_key: str) -> RedmineUser:
        body = await self._get_json(api_key, "/users/current.json")
        return RedmineUser.model_validate(body["user"])

    async def user(self, api_key: str, user_id: int) -> RedmineUser:
        body = await self._get_json(api_key, f"/users/{user_id}.json")
        return RedmineUser.model_validate(body["user"])

    async def issue(self, api_key: str, issue_id: int) -> RedmineIssue:
        body = await self._get_json(api_key, f"/issues/{issue_id}.json")
        return RedmineIssue.model_validate(body["issue"])

    async def issues_with_custom_value(
        self, api_key: str, field_id: int, value: str
    ) -> list[RedmineIssue]:
        body = await self._get_json(
            api_key, "/issues.json", {f"cf_{field_id}": value, "status_id": "*", "limit": 2}
        )
        return _issues.validate_python(body["issues"])

    async def project(self, api_key: str, project_id: int | str) -> RedmineProject:
        body = await self._get_json(api_key, f"/projects/{project_id}.json")
        return RedmineProject.model_validate(body["project"])

    async def activities(self, api_key: str) -> list[Activity]:
        body = await self._get_json(api_key, "/enumerations/time_entry_activities.json")
        return _activities.validate_python(body["time_entry_activities"])

    async def time_entry(self, api_key: str, entry_id: int) -> RedmineTimeEntry:
        body = await self._get_json(api_key, f"/time_entries/{entry_id}.json")
        return RedmineTimeEntry.model_validate(body["time_entry"])

    async def time_entries(self, api_key: str, params: Params) -> list[RedmineTimeEntry]:
        """Every page of /time_entries.json; after the first, pages are fetched concurrently."""
        first = await self._get_json(
            api_key, "/time_entries.json", {**params, "limit": PAGE_LIMIT, "offset": 0}
        )
        entries = _entries.validate_python(first["time_entries"])
        total = int(first.get("total_count", len(entries)))
        offsets = range(PAGE_LIMIT, total, PAGE_LIMIT)
        gate = asyncio.Semaphore(self._page_concurrency)

        async def page(offset: int) -> list[RedmineTimeEntry]:
            async with gate:
                body = await self._get_json(
                    api_key, "/time_entries.json", {**params, "limit": PAGE_LIMIT, "offset": offset}
                )
            return _entries.validate_python(body["time_entries"])

        for rest in await asyncio.gather(*(page(offset) for offset in offsets)):
            entries.extend(rest)
        return entries

    async def create_time_entry(self, api_key: str, draft: TimeEntryDraft) -> RedmineTimeEntry:
        payload = {"time_entry": draft.model_dump(mode="json", exclude_none=True)}
        body = await self._call("POST", api_key, "/time_entries.json", json=payload)
        return RedmineTimeEntry.model_validate(body["time_entry"])

    async def probe_time_entry(
        self, api_key: str, issue_id: int, activity_id: int, comments: str
    ) -> int:
        """Posts an entry without hours, which Redmine validates and refuses (RedmineRejected).

        Returns the id of the entry when Redmine accepted it after all.
        """
        payload = {
            "time_entry": {"issue_id": issue_id, "activity_id": activity_id, "comments": comments}
        }
        body = await self._call("POST", api_key, "/time_entries.json", json=payload)
        return int(body["time_entry"]["id"])

    async def delete_time_entry(self, api_key: str, entry_id: int) -> None:
        await self._call("DELETE", api_key, f"/time_entries/{entry_id}.json")

    async def _get_json(
        self, api_key: str, path: str, params: Params | None = None
    ) -> dict[str, Any]:
        return await self._call("GET", api_key, path, params=params)

    async def _call(
        self,
        method: str,
        api_key: str,
        path: str,
        *,
        params: Params | None = None,
        json: object = None,
    ) -> dict[str, Any]:
        try:
            async with self._session.request(
                method,
                self._base + path,
                params=params,
                json=json,
                headers={API_KEY_HEADER: api_key, "Accept": "application/json"},
                allow_redirects=False,
            ) as response:
                raise_for_status(response.status, path, await response.read())
                if response.status == 204 or response.content_length == 0:
                    return {}
                body: dict[str, Any] = await response.json(content_type=None)
                return body
        except TimeoutError as exc:
            raise UpstreamTimeout("Redmine did not answer in time.") from exc
        except aiohttp.ClientError as exc:
            log.warning("redmine call failed path=%s error=%s", path, type(exc).__name__)
            raise UpstreamUnavailable("Redmine could not be reached.") from exc
        except (ValueError, ValidationError, KeyError) as exc:
            log.warning("redmine answer unreadable path=%s error=%s", path, type(exc).__name__)
            raise UpstreamUnavailable("Redmine's answer could not be read.") from exc


class RedmineErrors(BaseModel):
    errors: list[str]


def raise_for_status(status: int, path: str, body: bytes) -> None:
    if status < 300:
        return
    if status == 401:
        raise Unauthenticated("The API key was not accepted by Redmine.")
    if status == 403:
        raise Forbidden("Redmine does not allow this for your account.")
    if status == 404:
        raise NotFound("Redmine has no such resource, or it is not visible to you.")
    if status == 422:
        try:
            messages = RedmineErrors.model_validate_json(body).errors
        except ValidationError:
            messages = [body.decode("utf-8", "replace")[:500]]
        raise RedmineRejected("Redmine refused the request.", {"redmine": messages})
    log.warning("redmine answered status=%s path=%s", status, path)
    raise UpstreamUnavailable(f"Redmine answered {status}.")
