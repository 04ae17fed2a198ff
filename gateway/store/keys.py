"""Redis key builders: the only place key strings exist."""

import hashlib
from dataclasses import dataclass
from enum import StrEnum


class CacheKind(StrEnum):
    IDENTITY = "identity"
    TASK = "task"
    ISSUE = "issue"
    PROJECT = "project"
    USER = "user"
    ACTIVITIES = "activities"
    ANALYTICS = "analytics"
    CONFIRMED = "confirmed"


@dataclass(frozen=True)
class Keys:
    prefix: str

    def timer_ids(self) -> str:
        return f"{self.prefix}:timer-ids"

    def timer(self, timer_id: int) -> str:
        return f"{self.prefix}:timer:{timer_id}"

    def running(self, user_id: int) -> str:
        return f"{self.prefix}:running:{user_id}"

    def user_timers(self, user_id: int) -> str:
        return f"{self.prefix}:user:{user_id}:timers"

    def manual_entry(self, user_id: int, fingerprint: str) -> str:
        return f"{self.prefix}:manual:{user_id}:{fingerprint}"

    def posting(self, user_id: int) -> str:
        return f"{self.prefix}:posting:{user_id}"

    def outbox(self) -> str:
        return f"{self.prefix}:outbox"

    def outbox_since(self) -> str:
        """When each entry in the outbox first entered it (its score), for the oldest one's age."""
        return f"{self.prefix}:outbox:since"

    def running_timers(self) -> str:
        """The ids of the timers running, so they can be counted without a scan."""
        return f"{self.prefix}:timers:running"

    def unreadable(self) -> str:
        return f"{self.prefix}:outbox:unreadable"

    def entry_timers(self) -> str:
        return f"{self.prefix}:entry-timer"

    def settled(self) -> str:
        """The recorded timers by when their records expire (on the gateway's clock), so their
        indexes and entry mappings are pruned with them."""
        return f"{self.prefix}:timers:settled"

    def analytics_generation(self, user_id: int) -> str:
        return f"{self.prefix}:analytics-generation:{user_id}"

    def page_session(self, digest: str) -> str:
        """A page session, named by a keyed hash of its id (the id itself is never stored)."""
        return f"{self.prefix}:page-session:{digest}"

    def cache(self, kind: CacheKind, name: str) -> str:
        # Names come from callers (task values, hashed keys): digest them so any value is safe.
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        return f"{self.prefix}:cache:{kind}:{digest}"
