"""What a timer is for: task_uuid to Redmine issue and project, the activity, a dry-run check."""

import logging
import re
from dataclasses import dataclass

from pydantic import BaseModel

from gateway.errors import NotFound, RedmineRejected, ValidationFailed
from gateway.identity import Caller
from gateway.redmine.client import RedmineClient
from gateway.redmine.models import RedmineProject
from gateway.store.keys import CacheKind
from gateway.store.redis import RedisStore

log = logging.getLogger(__name__)

ISSUE_NUMBER = re.compile(r"#?(\d{1,18})")
# What Redmine allows in a project identifier; anything else never reaches a Redmine path.
PROJECT_IDENTIFIER = re.compile(r"[a-z][a-z0-9_\-]{0,99}")
# Which task a custom-field value names, and an issue's project, change rarely.
LOOKUP_TTL_S = 300
# Messages of a dry-run post that only say the hours are missing: the check itself omits them.
HOURS_MISSING = frozenset({"Hours cannot be blank", "Hours is invalid"})


@dataclass(frozen=True)
class Task:
    # None: time on the project itself.
    issue_id: int | None
    project_id: int
    project_slug: str


def check_project_slug(task_uuid: str, requested: str | None, actual: str) -> None:
    if requested is not None and requested != actual:
        raise ValidationFailed(
            "The task belongs to another project.",
            {"project_slug": [f"Task {task_uuid} is in project {actual!r}."]},
        )


class CachedIssueId(BaseModel):
    issue_id: int


class TaskResolver:
    def __init__(
        self,
        redmine: RedmineClient,
        store: RedisStore,
        task_field_id: int | None,
        default_activity_id: int | None,
    ) -> None:
        self._redmine = redmine
        self._store = store
        self._task_field_id = task_field_id
        self._default_activity_id = default_activity_id

    async def task(self, caller: Caller, task_uuid: str, project_slug: str | None) -> Task:
        """The issue a task_uuid names, checked as the caller (404/403 when not theirs to see)."""
        issue_id = await self.issue_id(caller, task_uuid)
        issue = await self._redmine.issue(caller.api_key, issue_id)
        project = await self.project(caller, issue.project.id)
        check_project_slug(task_uuid, project_slug, project.identifier)
        return Task(issue_id=issue.id, project_id=project.id, project_slug=project.identifier)

    async def project_task(self, caller: Caller, project_slug: str) -> Task:
        """Time on a project without an issue, checked as the caller (404/403 when not theirs to
        see). Not cached across users: nothing else proved this caller may see it."""
        if not PROJECT_IDENTIFIER.fullmatch(project_slug):
            raise ValidationFailed(
                "project_slug is not a Redmine project identifier.",
                {"project_slug": ["Lower-case letters, digits, - and _, starting with a letter."]},
            )
        project = await self._redmine.project(caller.api_key, project_slug)
        return Task(issue_id=None, project_id=project.id, project_slug=project.identifier)

    async def activity_id(self, caller: Caller, requested: int | None) -> int:
        activities = await self._redmine.activities(caller.api_key)
        if requested is not None:
            if not any(a.id == requested and a.active for a in activities):
                raise ValidationFailed(
                    "Unknown or inactive activity.",
                    {"activity_id": [f"{requested} is not an active time entry activity."]},
                )
            return requested
        if self._default_activity_id is not None:
            return self._default_activity_id
        defaults = [a.id for a in activities if a.is_default and a.active]
        if not defaults:
            raise ValidationFailed(
                "Redmine has no default time entry activity.",
                {
                    "activity_id": [
                        "Pass activity_id, set GATEWAY_DEFAULT_ACTIVITY_ID, or mark an activity "
                        "as default in Redmine (Administration > Enumerations)."
                    ]
                },
            )
        return defaults[0]

    async def check_loggable(
        self, caller: Caller, task: Task, activity_id: int, comments: str
    ) -> None:
        """Asks Redmine whether the caller may log this, before any hour is tracked.

        A post without hours is refused by Redmine's validation and creates nothing, yet is
        authorised (403) and validated (closed issue, inactive activity...) like the real one.
        """
        try:
            made = await self._redmine.probe_time_entry(
                caller.api_key, task.issue_id, activity_id, comments, project_id=task.project_id
            )
        except RedmineRejected as exc:
            messages = [m for m in exc.field_errors.get("redmine", ()) if m not in HOURS_MISSING]
            if messages:
                raise RedmineRejected(
                    "Redmine would refuse time on this task.", {"redmine": messages}
                ) from exc
            return
        log.warning("redmine accepted an entry without hours entry=%s; deleting it", made)
        await self._redmine.delete_time_entry(caller.api_key, made)

    async def issue_id(self, caller: Caller, task_uuid: str) -> int:
        number = ISSUE_NUMBER.fullmatch(task_uuid)
        if number:
            return int(number.group(1))
        if self._task_field_id is None:
            raise ValidationFailed(
                "task_uuid must be a Redmine issue number.",
                {"task_uuid": ["Use an issue number, or set GATEWAY_TASK_FIELD_ID."]},
            )
        cached = await self._store.caches.cached(CacheKind.TASK, task_uuid)
        if cached is not None:
            return CachedIssueId.model_validate_json(cached).issue_id
        issues = await self._redmine.issues_with_custom_value(
            caller.api_key, self._task_field_id, task_uuid
        )
        if not issues:
            raise NotFound(f"No task {task_uuid!r} is visible to you.")
        if len(issues) > 1:
            raise ValidationFailed(
                "task_uuid names several issues.",
                {"task_uuid": [f"{task_uuid!r} is on more than one issue."]},
            )
        await self._store.caches.remember(
            CacheKind.TASK,
            task_uuid,
            CachedIssueId(issue_id=issues[0].id).model_dump_json(),
            LOOKUP_TTL_S,
        )
        return issues[0].id

    async def project(self, caller: Caller, project_id: int) -> RedmineProject:
        # Cached across users: the caller already proved they may see the issue in it.
        cached = await self._store.caches.cached(CacheKind.PROJECT, str(project_id))
        if cached is not None:
            return RedmineProject.model_validate_json(cached)
        project = await self._redmine.project(caller.api_key, project_id)
        await self._store.caches.remember(
            CacheKind.PROJECT, str(project_id), project.model_dump_json(), LOOKUP_TTL_S
        )
        return project
