"""Timer records as the store keeps them, for tests that write them to Redis directly."""

import datetime as dt
from typing import Any

from gateway.timers.models import Owner, Timer


def a_timer(timer_id: int, user_id: int, started_at: dt.datetime, **fields: Any) -> Timer:
    """A running timer of `user_id` on issue 1 of project 1, started (and created) then; `fields`
    change any part of it (its status, end, portions...)."""
    defaults: dict[str, Any] = {
        "id": timer_id,
        "user": Owner(id=user_id, username=f"user{user_id}", name=f"User {user_id}"),
        "task_uuid": "1",
        "issue_id": 1,
        "project_id": 1,
        "project_slug": "p",
        "started_at": started_at,
        "created_at": started_at,
    }
    return Timer(**{**defaults, **fields})
