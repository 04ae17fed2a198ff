"""What a new timer is for: from Redmine, or while it is down, as it confirmed within the grace."""

import logging

from pydantic import BaseModel, ConfigDict

from gateway.errors import REDMINE_UNREACHABLE, RedmineUnreachable, ValidationFailed
from gateway.grace import Confirmations, NotConfirmed, project_purpose_name, purpose_name
from gateway.identity import Caller
from gateway.timers.models import StartRequest
from gateway.timers.tasks import TaskResolver, check_project_slug

log = logging.getLogger(__name__)


class Purpose(BaseModel):
    """A task and activity Redmine confirmed the user may log time on."""

    model_config = ConfigDict(frozen=True)

    issue_id: int | None
    project_id: int
    project_slug: str
    activity_id: int


def name_of(caller: Caller, request: StartRequest) -> str:
    """What a start asks to log time on, as its confirmation is remembered."""
    if request.task_uuid is None:
        assert request.project_slug is not None
        return project_purpose_name(caller.user_id, request.project_slug, request.activity_id)
    return purpose_name(caller.user_id, request.task_uuid, request.activity_id)


class PurposeResolver:
    def __init__(self, tasks: TaskResolver, confirmations: Confirmations) -> None:
        self._tasks = tasks
        self._confirmations = confirmations

    async def purpose(self, caller: Caller, request: StartRequest, *, manual: bool) -> Purpose:
        """The task, activity and dry run of a start, as Redmine answers them now.

        While Redmine cannot be asked, what it confirmed for this user within the grace stands
        in. A manual entry skips a dry run Redmine cannot answer: it is posted at once, and a
        refusal then makes it failed.
        """
        if request.task_uuid is None and request.project_slug is None:
            raise ValidationFailed(
                "A start needs a task_uuid, or a project_slug to track time on the project.",
                {"task_uuid": ["Required without project_slug."]},
            )
        try:
            if request.task_uuid is None:
                assert request.project_slug is not None
                task = await self._tasks.project_task(caller, request.project_slug)
            else:
                task = await self._tasks.task(caller, request.task_uuid, request.project_slug)
            activity_id = await self._tasks.activity_id(caller, request.activity_id)
        except REDMINE_UNREACHABLE as exc:
            return await self._confirmed(caller, request, exc)
        purpose = Purpose(
            issue_id=task.issue_id,
            project_id=task.project_id,
            project_slug=task.project_slug,
            activity_id=activity_id,
        )
        try:
            await self._tasks.check_loggable(caller, task, activity_id, request.description or "")
        except REDMINE_UNREACHABLE as exc:
            if manual:
                log.info(
                    "dry run skipped, redmine unreachable user=%s issue=%s project=%s",
                    caller.user_id,
                    task.issue_id,
                    task.project_id,
                )
                return purpose
            await self._confirmed(caller, request, exc)
            return purpose
        await self._confirmations.confirm(name_of(caller, request), purpose)
        return purpose

    async def stop_activity(self, caller: Caller, requested: int) -> int:
        """The activity a stop asks for; unchecked while Redmine cannot be asked (it checks
        the entry when it is posted, and a refusal then makes the entry failed)."""
        try:
            return await self._tasks.activity_id(caller, requested)
        except REDMINE_UNREACHABLE:
            log.info("activity left unchecked, redmine unreachable user=%s", caller.user_id)
            return requested

    async def _confirmed(
        self, caller: Caller, request: StartRequest, unreachable: Exception
    ) -> Purpose:
        name = name_of(caller, request)
        try:
            purpose = await self._confirmations.recall(name, Purpose)
        except NotConfirmed:
            raise RedmineUnreachable(
                "Redmine could not be reached, and has not recently confirmed that you may log "
                "time on this task with this activity; try again later.",
            ) from unreachable
        if request.task_uuid is not None:
            check_project_slug(request.task_uuid, request.project_slug, purpose.project_slug)
        log.info(
            "redmine unreachable; task confirmed within the grace user=%s issue=%s",
            caller.user_id,
            purpose.issue_id,
        )
        return purpose
