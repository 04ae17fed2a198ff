"""The gateway's key names as a test knows them: by a timer's id or a user's id (the bucket
follows from either, as gateway/store/buckets.py says)."""

import re

from gateway.store.buckets import bucket_of_timer, bucket_of_user
from gateway.store.keys import Keys


class Keyspace:
    def __init__(self, prefix: str) -> None:
        self.keys = Keys(prefix)

    def timer(self, timer_id: int) -> str:
        bucket = bucket_of_timer(timer_id)
        assert bucket is not None, f"{timer_id} is not an id of the bucketed layout"
        return self.keys.timer(bucket, timer_id)

    def outbox(self, user_id: int) -> str:
        return self.keys.outbox(bucket_of_user(user_id))

    def settled(self, user_id: int) -> str:
        return self.keys.settled(bucket_of_user(user_id))

    def entry_timers(self, user_id: int) -> str:
        return self.keys.entry_timers(bucket_of_user(user_id))

    def unreadable(self, user_id: int) -> str:
        return self.keys.unreadable(bucket_of_user(user_id))


def any_ids(key: str, *ids: int) -> str:
    """A regex for `key` with any bucket in place of its own and any number for each of `ids`."""
    pattern = re.sub(r"\\\{b\d+\\\}", r"\\{b\\d+\\}", re.escape(key))
    for some_id in ids:
        pattern = pattern.replace(str(some_id), r"\d+")
    return pattern
