"""The people and issues behind entries, looked up while later pages are still downloading."""

import asyncio
from collections.abc import Coroutine, Iterable, Sequence
from types import TracebackType
from typing import Any, Self

from pydantic import BaseModel, ConfigDict

from gateway.analytics.records import NO_ISSUE, Person
from gateway.identity import Caller, UserDirectory
from gateway.redmine.client import PAGE_LIMIT, RedmineClient, gather_or_cancel
from gateway.redmine.models import RedmineIssue
from gateway.store.keys import CacheKind
from gateway.store.redis import RedisStore

# An issue's tracker, subject and state change rarely; a closed one shows as closed within this.
ISSUE_TTL_S = 300
# The tracker of an entry whose issue Redmine does not show the caller.
HIDDEN_ISSUE = "(hidden issue)"


class IssueFacts(BaseModel):
    """What analytics read of an issue; cached per viewer, since it is what Redmine showed them."""

    model_config = ConfigDict(frozen=True)

    subject: str | None
    tracker: str
    is_closed: bool


HIDDEN = IssueFacts(subject=None, tracker=HIDDEN_ISSUE, is_closed=False)
NO_ISSUE_FACTS = IssueFacts(subject=None, tracker=NO_ISSUE, is_closed=False)


class FactFinder:
    """Looks up each person once, as they first appear, and issues in batches of PAGE_LIMIT ids,
    each batch as soon as that many unseen ids have appeared (the rest: on `settle`). So there
    are at most ceil(issues / PAGE_LIMIT) issue requests, most of them under way while pages
    still arrive. Lookups run as tasks, at most `concurrency` at once; use it as an async
    context manager, which cancels them if the request fails.
    """

    def __init__(
        self,
        redmine: RedmineClient,
        store: RedisStore,
        users: UserDirectory,
        caller: Caller,
        concurrency: int,
    ) -> None:
        self._redmine = redmine
        self._store = store
        self._users = users
        self._caller = caller
        self._gate = asyncio.Semaphore(concurrency)
        self.people: dict[int, Person] = {}
        self.issues: dict[int, IssueFacts] = {}
        self._seen_users: set[int] = set()
        self._seen_issues: set[int] = set()
        self._waiting: list[int] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def see_person(self, user_id: int, name: str) -> None:
        if user_id not in self._seen_users:
            self._seen_users.add(user_id)
            self._spawn(self._person(user_id, name))

    def see_issues(self, issue_ids: Iterable[int]) -> None:
        for issue_id in issue_ids:
            if issue_id not in self._seen_issues:
                self._seen_issues.add(issue_id)
                self._waiting.append(issue_id)
        while len(self._waiting) >= PAGE_LIMIT:
            batch, self._waiting = self._waiting[:PAGE_LIMIT], self._waiting[PAGE_LIMIT:]
            self._spawn(self._issue_batch(batch))

    def look_up_waiting(self) -> None:
        """Looks up the issues waiting for a full batch now, for entries that cannot wait."""
        if self._waiting:
            self._spawn(self._issue_batch(self._waiting))
            self._waiting = []

    def issue(self, issue_id: int | None) -> IssueFacts | None:
        return NO_ISSUE_FACTS if issue_id is None else self.issues.get(issue_id)

    async def settle(self) -> None:
        """Looks up what is still waiting; returns once every lookup is done (or raises the
        first failure)."""
        self.look_up_waiting()
        await gather_or_cancel(self._tasks)

    def _spawn(self, lookup: Coroutine[Any, Any, None]) -> None:
        self._tasks.append(asyncio.create_task(lookup))

    async def _person(self, user_id: int, name: str) -> None:
        async with self._gate:
            owner = await self._users.user(self._caller, user_id, name)
        self.people[user_id] = Person(user_id, owner.username or None, owner.name)

    async def _issue_batch(self, issue_ids: Sequence[int]) -> None:
        names = [issue_cache_name(self._caller, issue_id) for issue_id in issue_ids]
        cached = await self._store.caches.cached_many(CacheKind.ISSUE, names)
        missing = []
        for issue_id, value in zip(issue_ids, cached, strict=True):
            if value is None:
                missing.append(issue_id)
            else:
                self.issues[issue_id] = IssueFacts.model_validate_json(value)
        if not missing:
            return
        async with self._gate:
            shown = await self._redmine.issues_by_id(self._caller.api_key, missing)
        found = {issue.id: facts_of(issue) for issue in shown}
        # Remembered too when hidden, so that such an issue is not asked for on every request.
        fresh = {issue_id: found.get(issue_id, HIDDEN) for issue_id in missing}
        self.issues.update(fresh)
        await self._store.caches.remember_many(
            CacheKind.ISSUE,
            {issue_cache_name(self._caller, i): f.model_dump_json() for i, f in fresh.items()},
            ISSUE_TTL_S,
        )


def issue_cache_name(caller: Caller, issue_id: int) -> str:
    return f"{caller.user_id}:{issue_id}"


def facts_of(issue: RedmineIssue) -> IssueFacts:
    return IssueFacts(
        subject=issue.subject,
        tracker=issue.tracker.name if issue.tracker else HIDDEN_ISSUE,
        is_closed=bool(issue.status and issue.status.is_closed),
    )
