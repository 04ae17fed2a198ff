"""RedmineClient: typed calls to Redmine's REST API as a given user, over one ClientSession."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, NotRequired, TypeVar
from urllib.parse import urlencode

import aiohttp
from pydantic import BaseModel, TypeAdapter, ValidationError
from typing_extensions import TypedDict
from yarl import URL

from gateway.errors import (
    Forbidden,
    NotFound,
    RedmineAnswerInvalid,
    RedmineRejected,
    RedmineTooSlow,
    RedmineUnreachable,
    Unauthenticated,
)
from gateway.logs import request_id_header
from gateway.redmine.models import (
    Activity,
    RedmineIssue,
    RedmineProject,
    RedmineTimeEntry,
    RedmineUser,
    TimeEntryDraft,
    TimeEntryRow,
    TimeEntryRowPage,
)

log = logging.getLogger(__name__)

API_KEY_HEADER = "X-Redmine-API-Key"
PAGE_LIMIT = 100  # Redmine's own maximum for `limit`
Params = Mapping[str, str | int]
T = TypeVar("T")
# Reads one page: its items and the list's total_count.
PageParser = Callable[[bytes], tuple[list[T], int]]
# Takes one page's items and their offset, as soon as that page has arrived and been read.
PageConsumer = Callable[[int, list[T]], Awaitable[None]]


class EntryPage(TypedDict):
    time_entries: list[RedmineTimeEntry]
    total_count: NotRequired[int]


class IssuePage(TypedDict):
    issues: list[RedmineIssue]


_issues = TypeAdapter(list[RedmineIssue])
_issue_page = TypeAdapter(IssuePage)
_entry_page = TypeAdapter(EntryPage)
# Parses the raw bytes straight into plain dicts: ~5x faster than a model per entry, which
# matters for lists of tens of thousands of entries.
_entry_row_page = TypeAdapter(TimeEntryRowPage)
_activities = TypeAdapter(list[Activity])


def read_entries(raw: bytes) -> tuple[list[RedmineTimeEntry], int]:
    page = _entry_page.validate_json(raw)
    entries = page["time_entries"]
    return entries, page.get("total_count", len(entries))


def read_entry_rows(raw: bytes) -> tuple[list[TimeEntryRow], int]:
    page = _entry_row_page.validate_json(raw)
    rows = page["time_entries"]
    return rows, page.get("total_count", len(rows))


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
        pages: dict[int, list[RedmineTimeEntry]] = {}

        async def keep(offset: int, entries: list[RedmineTimeEntry]) -> None:
            pages[offset] = entries

        await self.each_page(api_key, "/time_entries.json", params, read_entries, keep)
        return [entry for offset in sorted(pages) for entry in pages[offset]]

    async def time_entry_window(
        self, api_key: str, params: Params, offset: int, count: int
    ) -> tuple[list[RedmineTimeEntry], int]:
        """The entries at Redmine's places [offset, offset + count) of /time_entries.json (its
        own order, newest first) and the list's total_count: only the requests that window
        needs (one per PAGE_LIMIT entries), one after the other, stopping where the list ends."""
        path = "/time_entries.json"
        entries: list[RedmineTimeEntry] = []
        total = offset + count
        at = offset
        while at < min(offset + count, total):
            limit = min(PAGE_LIMIT, offset + count - at)
            query = urlencode({**params, "limit": limit, "offset": at})
            url = URL(f"{self._base}{path}?{query}", encoded=True)
            raw = await self._get_bytes(api_key, path, url)
            page, total = self._read(path, read_entries, raw)
            entries.extend(page)
            if len(page) < limit:
                break
            at += limit
        return entries, total

    async def time_entry_rows(
        self, api_key: str, params: Params, consume: PageConsumer[TimeEntryRow]
    ) -> None:
        """Every page of /time_entries.json as slim rows, each handed to `consume` on arrival.

        For long lists: pages are read while later ones are still downloading, and no page
        outlives its consumer.
        """
        await self.each_page(api_key, "/time_entries.json", params, read_entry_rows, consume)

    async def each_page(
        self,
        api_key: str,
        path: str,
        params: Params,
        read: PageParser[T],
        consume: PageConsumer[T],
    ) -> None:
        """Reads the first page for the total, then the others concurrently (at most
        `page_concurrency` requests at once); `consume` runs outside that bound."""
        # One query string for all pages: yarl would quote every parameter again for each.
        prefix = f"{self._base}{path}?{urlencode({**params, 'limit': PAGE_LIMIT})}&offset="

        def url(offset: int) -> URL:
            return URL(f"{prefix}{offset}", encoded=True)

        first, total = self._read(path, read, await self._get_bytes(api_key, path, url(0)))
        gate = asyncio.Semaphore(self._page_concurrency)

        async def page(offset: int) -> None:
            async with gate:
                raw = await self._get_bytes(api_key, path, url(offset))
            items, _ = self._read(path, read, raw)
            await consume(offset, items)

        rest = (page(offset) for offset in range(PAGE_LIMIT, total, PAGE_LIMIT))
        await gather_or_cancel([consume(0, first), *rest])

    async def issues_by_id(self, api_key: str, issue_ids: Sequence[int]) -> list[RedmineIssue]:
        """The issues among `issue_ids` the caller may see, closed ones too: one request per
        PAGE_LIMIT ids, concurrently (at most `page_concurrency` at once)."""
        gate = asyncio.Semaphore(self._page_concurrency)
        path = "/issues.json"

        async def batch(ids: Sequence[int]) -> list[RedmineIssue]:
            params: Params = {
                "issue_id": ",".join(map(str, ids)),
                "status_id": "*",
                "limit": PAGE_LIMIT,
            }
            async with gate:
                raw = await self._get_bytes(api_key, path, URL(self._base + path) % params)
            with upstream_errors(path):
                return _issue_page.validate_json(raw)["issues"]

        batches = await gather_or_cancel(
            batch(issue_ids[start : start + PAGE_LIMIT])
            for start in range(0, len(issue_ids), PAGE_LIMIT)
        )
        return [issue for found in batches for issue in found]

    async def create_time_entry(self, api_key: str, draft: TimeEntryDraft) -> RedmineTimeEntry:
        payload = {"time_entry": draft.model_dump(mode="json", exclude_none=True)}
        body = await self._call("POST", api_key, "/time_entries.json", json=payload)
        return RedmineTimeEntry.model_validate(body["time_entry"])

    async def probe_time_entry(
        self,
        api_key: str,
        issue_id: int | None,
        activity_id: int,
        comments: str,
        project_id: int | None = None,
    ) -> int:
        """Posts an entry without hours, which Redmine validates and refuses (RedmineRejected).

        Returns the id of the entry when Redmine accepted it after all.
        """
        target = {"issue_id": issue_id} if issue_id is not None else {"project_id": project_id}
        payload = {"time_entry": {**target, "activity_id": activity_id, "comments": comments}}
        body = await self._call("POST", api_key, "/time_entries.json", json=payload)
        return int(body["time_entry"]["id"])

    async def delete_time_entry(self, api_key: str, entry_id: int) -> None:
        await self._call("DELETE", api_key, f"/time_entries/{entry_id}.json")

    async def _get_json(
        self, api_key: str, path: str, params: Params | None = None
    ) -> dict[str, Any]:
        return await self._call("GET", api_key, path, params=params)

    async def _get_bytes(self, api_key: str, path: str, url: URL) -> bytes:
        """The raw body of a successful GET, for callers that parse it themselves."""
        with upstream_errors(path):
            async with self._session.get(
                url, headers=headers(api_key), allow_redirects=False
            ) as response:
                body = await response.read()
                raise_for_status(response.status, path, body)
                return body

    @staticmethod
    def _read(path: str, read: PageParser[T], raw: bytes) -> tuple[list[T], int]:
        with upstream_errors(path):
            return read(raw)

    async def _call(
        self,
        method: str,
        api_key: str,
        path: str,
        *,
        params: Params | None = None,
        json: object = None,
    ) -> dict[str, Any]:
        with upstream_errors(path):
            async with self._session.request(
                method,
                self._base + path,
                params=params,
                json=json,
                headers=headers(api_key),
                allow_redirects=False,
            ) as response:
                raise_for_status(response.status, path, await response.read())
                if response.status == 204 or response.content_length == 0:
                    return {}
                body: dict[str, Any] = await response.json(content_type=None)
                return body


def headers(api_key: str) -> dict[str, str]:
    """Each call names the request it is made for, so Redmine's log and the gateway's match."""
    return {API_KEY_HEADER: api_key, "Accept": "application/json", **request_id_header()}


@contextlib.contextmanager
def upstream_errors(path: str) -> Iterator[None]:
    """Transport failures (try again later) and unreadable answers, as the gateway's own errors."""
    try:
        yield
    except TimeoutError as exc:
        raise RedmineTooSlow("Redmine did not answer in time; try again later.") from exc
    except aiohttp.ClientError as exc:
        log.warning("redmine call failed path=%s error=%s", path, type(exc).__name__)
        raise RedmineUnreachable("Redmine could not be reached; try again later.") from exc
    except (ValueError, KeyError) as exc:  # ValidationError is a ValueError
        log.warning("redmine answer unreadable path=%s error=%s", path, type(exc).__name__)
        raise RedmineAnswerInvalid("Redmine's answer was invalid: it could not be read.") from exc


async def gather_or_cancel(calls: Iterable[Awaitable[T]]) -> list[T]:
    """asyncio.gather, but the first failure cancels the calls still running (and is raised
    as itself, not wrapped in an ExceptionGroup the error middleware would not know)."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


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
    if status >= 500:
        raise RedmineUnreachable(f"Redmine answered {status}; try again later.")
    raise RedmineAnswerInvalid(f"Redmine's answer was invalid: an unexpected {status}.")
