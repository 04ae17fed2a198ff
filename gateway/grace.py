"""Confirmations: what Redmine confirmed recently, recalled within the grace while it is down."""

import datetime as dt
import json
import logging
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from gateway.clock import Clock
from gateway.store.keys import CacheKind
from gateway.store.redis import RedisStore

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


class NotConfirmed(LookupError):
    """Nothing was confirmed under that name within the grace (or it was withdrawn)."""


class Confirmation(BaseModel):
    confirmed_at: dt.datetime
    # None: withdrawn (Redmine refused since); nothing may stand in for it any more.
    payload: str | None


def identity_name(fingerprint: str) -> str:
    """A key's user, named by the key's fingerprint (never the key itself)."""
    return json.dumps(["identity", fingerprint])


def purpose_name(user_id: int, task_uuid: str, activity_id: int | None) -> str:
    """A task and activity a user may log time on (activity None: the default one)."""
    return json.dumps(["purpose", user_id, task_uuid, activity_id])


def project_purpose_name(user_id: int, project_slug: str, activity_id: int | None) -> str:
    """Time on a project itself (no issue) with an activity, that a user may log."""
    return json.dumps(["project-purpose", user_id, project_slug, activity_id])


class Confirmations:
    def __init__(self, store: RedisStore, clock: Clock, grace: dt.timedelta) -> None:
        self._store = store
        self._clock = clock
        self._grace = grace

    async def confirm(self, name: str, what: BaseModel) -> None:
        await self._write(name, what.model_dump_json())

    async def withdraw(self, name: str) -> None:
        # Overwritten rather than deleted: the store keeps cache entries until they expire.
        await self._write(name, None)

    async def recall(self, name: str, model: type[M]) -> M:
        """What was confirmed under `name` within the grace; NotConfirmed otherwise."""
        raw = await self._store.caches.cached(CacheKind.CONFIRMED, name)
        if raw is None:
            raise NotConfirmed(name)
        try:
            confirmation = Confirmation.model_validate_json(raw)
            if confirmation.payload is None:
                raise NotConfirmed(name)
            # Measured on the gateway's clock too, so the grace ends exactly when it says.
            if self._clock.now() - confirmation.confirmed_at > self._grace:
                raise NotConfirmed(name)
            return model.model_validate_json(confirmation.payload)
        except ValidationError as exc:
            log.warning("unreadable confirmation ignored kind=%s", CacheKind.CONFIRMED)
            raise NotConfirmed(name) from exc

    async def _write(self, name: str, payload: str | None) -> None:
        confirmation = Confirmation(confirmed_at=self._clock.now(), payload=payload)
        ttl_s = int(self._grace.total_seconds())
        await self._store.caches.remember(
            CacheKind.CONFIRMED, name, confirmation.model_dump_json(), ttl_s
        )
