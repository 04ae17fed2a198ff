"""What counts as the store failing: redis-py's errors and, on a cluster, its cluster client's
own, which are not RedisErrors (no node reachable, a slot no master serves mid-failover)."""

from redis.exceptions import RedisClusterException, RedisError

STORE_FAILURES: tuple[type[Exception], ...] = (RedisError, RedisClusterException)
# ... or a socket failing under redis-py (TimeoutError, a deadline of ours, is an OSError too).
STORE_OR_IO_FAILURES: tuple[type[Exception], ...] = (*STORE_FAILURES, OSError)
