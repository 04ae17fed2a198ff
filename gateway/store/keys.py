"""Redis key builders: the only place key strings exist."""

import hashlib
from dataclasses import dataclass
from enum import StrEnum

from gateway.store.buckets import bucket_of_user


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
    """Timer keys carry their bucket's hash tag (`tg:{b7}:…`, see buckets.py); the others are
    single keys that any command reaches on its own."""

    prefix: str

    def _bucket(self, bucket: int) -> str:
        return f"{self.prefix}:{{b{bucket}}}"

    def _user(self, user_id: int) -> str:
        return f"{self._bucket(bucket_of_user(user_id))}:user:{user_id}"

    def timer_ids(self, bucket: int) -> str:
        return f"{self._bucket(bucket)}:timer-ids"

    def timer(self, bucket: int, timer_id: int) -> str:
        return f"{self._bucket(bucket)}:timer:{timer_id}"

    def running(self, user_id: int) -> str:
        return f"{self._user(user_id)}:running"

    def user_timers(self, user_id: int) -> str:
        return f"{self._user(user_id)}:timers"

    def user_unrecorded(self, user_id: int) -> str:
        """The user's timers not (yet) in Redmine (running, pending, failed), by their start."""
        return f"{self._user(user_id)}:unrecorded"

    def manual_entry(self, user_id: int, fingerprint: str) -> str:
        return f"{self._user(user_id)}:manual:{fingerprint}"

    def posting(self, user_id: int) -> str:
        return f"{self._user(user_id)}:posting"

    def outbox(self, bucket: int) -> str:
        return f"{self._bucket(bucket)}:outbox"

    def outbox_since(self, bucket: int) -> str:
        """When each entry in the outbox first entered it (its score), for the oldest one's age."""
        return f"{self._bucket(bucket)}:outbox:since"

    def running_timers(self, bucket: int) -> str:
        """The ids of the timers running, so they can be counted without a scan."""
        return f"{self._bucket(bucket)}:timers:running"

    def unreadable(self, bucket: int) -> str:
        return f"{self._bucket(bucket)}:outbox:unreadable"

    def entry_timers(self, bucket: int) -> str:
        """Redmine entry id -> the timer that posted it, for the users of the bucket."""
        return f"{self._bucket(bucket)}:entry-timer"

    def settled(self, bucket: int) -> str:
        """The recorded timers by when their records expire (on the gateway's clock), so their
        indexes and entry mappings are pruned with them."""
        return f"{self._bucket(bucket)}:timers:settled"

    def legacy_buckets(self) -> str:
        """Timer id -> bucket, for the timers the migration moved from the unbucketed layout
        (their ids do not name a bucket). Never written on a cluster."""
        return f"{self.prefix}:legacy-timer-buckets"

    def analytics_generation(self, user_id: int) -> str:
        return f"{self.prefix}:analytics-generation:{user_id}"

    def page_session(self, digest: str) -> str:
        """A page session, named by a keyed hash of its id (the id itself is never stored)."""
        return f"{self.prefix}:page-session:{digest}"

    def cache(self, kind: CacheKind, name: str) -> str:
        # Names come from callers (task values, hashed keys): digest them so any value is safe.
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        return f"{self.prefix}:cache:{kind}:{digest}"


@dataclass(frozen=True)
class LegacyKeys:
    """The unbucketed layout of earlier versions, read only by the migration."""

    prefix: str

    def timer_ids(self) -> str:
        return f"{self.prefix}:timer-ids"

    def timer_pattern(self) -> str:
        return f"{self.prefix}:timer:*"

    def timer(self, timer_id: int) -> str:
        return f"{self.prefix}:timer:{timer_id}"

    def running(self, user_id: int) -> str:
        return f"{self.prefix}:running:{user_id}"

    def user_timers(self, user_id: int) -> str:
        return f"{self.prefix}:user:{user_id}:timers"

    def user_timers_pattern(self) -> str:
        return f"{self.prefix}:user:*:timers"

    def running_pattern(self) -> str:
        return f"{self.prefix}:running:*"

    def manual_entry_pattern(self) -> str:
        """`<prefix>:manual:<user id>:<fingerprint>`."""
        return f"{self.prefix}:manual:*"

    def outbox(self) -> str:
        return f"{self.prefix}:outbox"

    def outbox_since(self) -> str:
        return f"{self.prefix}:outbox:since"

    def running_timers(self) -> str:
        return f"{self.prefix}:timers:running"

    def unreadable(self) -> str:
        return f"{self.prefix}:outbox:unreadable"

    def entry_timers(self) -> str:
        return f"{self.prefix}:entry-timer"

    def settled(self) -> str:
        return f"{self.prefix}:timers:settled"

    def global_indexes(self) -> list[str]:
        return [
            self.outbox(),
            self.outbox_since(),
            self.running_timers(),
            self.unreadable(),
            self.entry_timers(),
            self.settled(),
        ]
