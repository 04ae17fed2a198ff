"""`timer-gateway check`: whether this gateway's settings, Redis and Redmine will work, one line
each, before it serves (a Kubernetes init container, a deploy script)."""

import enum
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.asyncio.sentinel import MasterNotFoundError
from redis.exceptions import ResponseError
from yarl import URL

from gateway.logs import request_id_header
from gateway.redmine.client import API_KEY_HEADER
from gateway.settings import Settings
from gateway.store.connection import connected_redis
from gateway.store.failures import STORE_FAILURES
from gateway.store.keys import Keys
from gateway.store.nodes import StoreClient, write_nodes
from gateway.store.replication import online_replicas

# Each question to Redis or Redmine gets this long at most: a preflight must not hang a deploy.
CALL_TIMEOUT_S = 5.0
# The parts `--skip` may leave out, e.g. Redmine for an init container in Redmine's own pod
# (Redmine starts only after the init containers have finished).
SKIPPABLE = ("redis", "redmine")


class Outcome(enum.Enum):
    OK = "ok"
    WARN = "warn"  # works, but not as production would want it
    FAIL = "FAIL"
    SKIP = "skip"  # not checked, as asked


@dataclass(frozen=True)
class Finding:
    outcome: Outcome
    subject: str
    detail: str

    def line(self) -> str:
        return f"{self.outcome.value:<4}  {self.subject}: {self.detail}"


async def findings(settings: Settings, skip: Collection[str] = ()) -> AsyncIterator[Finding]:
    """Settings are always checked (every other check reads them); Redis and Redmine unless
    named in `skip`."""
    yield Finding(Outcome.OK, "settings", "valid")
    parts = {"redis": redis_findings, "redmine": redmine_findings}
    for part, part_findings in parts.items():
        if part in skip:
            yield Finding(Outcome.SKIP, part, "not checked (--skip)")
            continue
        async for finding in part_findings(settings):
            yield finding


async def redis_findings(settings: Settings) -> AsyncIterator[Finding]:
    if not settings.is_redis_shared:
        yield Finding(
            Outcome.WARN,
            "redis",
            "GATEWAY_REDIS_URL unset: the embedded store keeps timers in memory only, and one "
            "process only",
        )
        return
    # The client `serve` builds (Sentinel or URL), each question bounded.
    async with connected_redis(settings, timeout_s=CALL_TIMEOUT_S) as client:
        nodes = write_nodes(client, CALL_TIMEOUT_S)
        try:
            # On a cluster, the master of the first bucket answers for its kind.
            _, node = await nodes.node_for(Keys(settings.key_prefix).timer_ids(0))
            server = await node.info("server")
            persistence = await node.info("persistence")
            replication = await node.info("replication")
            snapshots = await snapshot_schedule(node)
            shape = await cluster_shape(client)
        except STORE_FAILURES as exc:
            where = redis_target(settings)
            # redis-py's own message lists every Sentinel client's repr: too long for a line.
            reason = "no Sentinel names it" if isinstance(exc, MasterNotFoundError) else exc
            yield Finding(Outcome.FAIL, "redis", f"not reachable at {where}: {reason}")
            return
        finally:
            await nodes.aclose()
        where = redis_address(settings, client)
    yield Finding(Outcome.OK, "redis", f"reachable at {where}, version {server['redis_version']}")
    if shape is not None:
        yield shape
    if persistence.get("aof_enabled") == 1:
        yield Finding(Outcome.OK, "redis persistence", "on (append-only file)")
    elif snapshots:
        yield Finding(
            Outcome.WARN,
            "redis persistence",
            f"snapshots only (save {snapshots}): timers started since the last one are lost "
            "with Redis; appendonly yes keeps them",
        )
    else:
        yield Finding(
            Outcome.WARN,
            "redis persistence",
            "off (or not visible to CONFIG): a Redis restart loses running timers and the "
            "outbox; appendonly yes keeps them",
        )
    yield replicas_finding(settings, online_replicas(replication))


def redis_target(settings: Settings) -> str:
    if settings.redis_sentinels is not None:
        master, sentinels = settings.redis_sentinel_master, settings.redis_sentinels
        return f"the master {master!r} of the Sentinels {sentinels}"
    url = URL(str(settings.redis_url))
    return f"{url.host}:{url.port or 6379}"


async def cluster_shape(client: StoreClient) -> Finding | None:
    """On a cluster, its state and whether every master has a replica to fail over to."""
    if not isinstance(client, RedisCluster):
        return None
    state = (await client.cluster_info()).get("cluster_state")
    # CLUSTER NODES, not the client's map of slots: CLUSTER SLOTS leaves out a replica that has
    # not received a byte yet (an empty new cluster's).
    flags = [str(node["flags"]).split(",") for node in (await client.cluster_nodes()).values()]
    live = [f for f in flags if "fail" not in f and "fail?" not in f]
    masters = sum("master" in f for f in live)
    replicas = sum("slave" in f for f in live)
    detail = f"state {state}, {masters} masters, {replicas} replicas"
    if state != "ok":
        return Finding(Outcome.FAIL, "redis cluster", detail)
    if replicas < masters:
        return Finding(Outcome.WARN, "redis cluster", f"{detail}: a master may have no replica")
    return Finding(Outcome.OK, "redis cluster", detail)


def redis_address(settings: Settings, client: StoreClient) -> str:
    if settings.redis_sentinels is not None:
        # Where the Sentinels said the master is when this connection was made.
        pool = getattr(client, "connection_pool", None)
        host, port = getattr(pool, "master_address", None) or ("?", "?")
        return f"{host}:{port} (master {settings.redis_sentinel_master!r} of the Sentinels)"
    return redis_target(settings)


def replicas_finding(settings: Settings, online: int) -> Finding:
    wait_ms = settings.redis_wait_replicas_ms
    if online and wait_ms:
        detail = f"{online} online; timer writes wait for one (up to {wait_ms} ms)"
        return Finding(Outcome.OK, "redis replicas", detail)
    if online:
        detail = (
            f"{online} online, but GATEWAY_REDIS_WAIT_REPLICAS_MS=0: a failover can lose "
            "writes the gateway acknowledged"
        )
        return Finding(Outcome.WARN, "redis replicas", detail)
    if settings.redis_sentinels is not None:
        detail = "none online: Sentinel has no replica to promote if the master fails"
        return Finding(Outcome.WARN, "redis replicas", detail)
    return Finding(Outcome.OK, "redis replicas", "none: writes are not waited for")


async def snapshot_schedule(client: Redis) -> str:
    """Redis's `save` points, or "" when there are none or CONFIG is not allowed (managed
    Redis services often forbid it)."""
    try:
        config = await client.config_get("save")
    except ResponseError:
        return ""
    return str(config.get("save") or "")


async def redmine_findings(settings: Settings) -> AsyncIterator[Finding]:
    base = URL(settings.redmine_base)
    admin_key = settings.check_api_key.get_secret_value() if settings.check_api_key else None
    timeout = aiohttp.ClientTimeout(total=CALL_TIMEOUT_S)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        try:
            status, _ = await get_json(session, base / "users/current.json", admin_key)
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
            yield Finding(Outcome.FAIL, "redmine", f"not reachable at {base}: {reason}")
            return
        yield Finding(Outcome.OK, "redmine", f"reachable at {base}")
        # Redmine answers its API with 403 while "Enable REST web service" is off, whoever asks.
        if status == 403:
            yield Finding(
                Outcome.FAIL,
                "redmine REST API",
                "disabled: Administration > Settings > API > Enable REST web service",
            )
            return
        yield Finding(Outcome.OK, "redmine REST API", "enabled")
        yield Finding(
            Outcome.OK,
            "redmine version",
            "not published by Redmine's REST API; Administration > Information shows it",
        )
        async for finding in named_ids(settings, session, base, admin_key, status):
            yield finding


async def named_ids(
    settings: Settings,
    session: aiohttp.ClientSession,
    base: URL,
    admin_key: str | None,
    key_status: int,
) -> AsyncIterator[Finding]:
    """The custom fields and the activity the settings name exist in Redmine."""
    fields = {
        "GATEWAY_TASK_FIELD_ID": (settings.task_field_id, "issue"),
        "GATEWAY_ENTRY_FIELD_ID": (settings.entry_field_id, "time_entry"),
        "GATEWAY_BILLABLE_FIELD_ID": (settings.billable_field_id, "time_entry"),
    }
    named = {name: value for name, (value, _) in fields.items() if value is not None}
    if settings.default_activity_id is not None:
        named["GATEWAY_DEFAULT_ACTIVITY_ID"] = settings.default_activity_id
    if not named:
        return
    if admin_key is None or key_status != 200:
        why = "unset" if admin_key is None else f"refused by Redmine ({key_status})"
        for name, value in named.items():
            yield Finding(
                Outcome.FAIL, name, f"{value} not checked: GATEWAY_CHECK_API_KEY is {why}"
            )
        return
    if any(value is not None for value, _ in fields.values()):
        _, document = await get_json(session, base / "custom_fields.json", admin_key)
        known = {item["id"]: item for item in document.get("custom_fields", [])}
        for name, (field_id, kind) in fields.items():
            if field_id is not None:
                finding = field_finding(name, field_id, kind, known.get(field_id))
                if name == "GATEWAY_BILLABLE_FIELD_ID" and finding.outcome is Outcome.OK:
                    finding = boolean_finding(name, field_id, known[field_id])
                yield finding
    if settings.default_activity_id is not None:
        path = base / "enumerations/time_entry_activities.json"
        _, document = await get_json(session, path, admin_key)
        activities = {item["id"]: item for item in document.get("time_entry_activities", [])}
        yield activity_finding(settings.default_activity_id, activities)


def field_finding(name: str, value: int, kind: str, field: Mapping[str, Any] | None) -> Finding:
    if field is None:
        return Finding(Outcome.FAIL, name, f"{value}: no such custom field in Redmine")
    if field.get("customized_type") != kind:
        found = field.get("customized_type")
        return Finding(Outcome.FAIL, name, f"{value} is a custom field for {found}, not {kind}")
    return Finding(Outcome.OK, name, f"{value} is the {kind} custom field {field.get('name')!r}")


def boolean_finding(name: str, value: int, field: Mapping[str, Any]) -> Finding:
    """`billable` is posted as "1"/"0": only a boolean field reads that as yes and no."""
    if field.get("field_format") != "bool":
        found = field.get("field_format")
        return Finding(Outcome.FAIL, name, f"{value} is a {found} field, not a boolean one")
    return Finding(Outcome.OK, name, f"{value} is the boolean custom field {field.get('name')!r}")


def activity_finding(value: int, activities: Mapping[int, Mapping[str, Any]]) -> Finding:
    name = "GATEWAY_DEFAULT_ACTIVITY_ID"
    activity = activities.get(value)
    if activity is None:
        return Finding(Outcome.FAIL, name, f"{value}: no such time-entry activity in Redmine")
    if activity.get("active") is False:
        return Finding(Outcome.FAIL, name, f"{value} ({activity.get('name')!r}) is inactive")
    return Finding(Outcome.OK, name, f"{value} is the activity {activity.get('name')!r}")


async def get_json(
    session: aiohttp.ClientSession, url: URL, api_key: str | None
) -> tuple[int, dict[str, Any]]:
    headers = {"Accept": "application/json", **request_id_header()}
    if api_key is not None:
        headers[API_KEY_HEADER] = api_key
    async with session.get(url, headers=headers, allow_redirects=False) as answer:
        if answer.status != 200 or answer.content_type != "application/json":
            return answer.status, {}
        document = await answer.json()
        return answer.status, document if isinstance(document, dict) else {}


async def run_checks(
    settings: Settings, write: Callable[[str], None], skip: Collection[str] = ()
) -> int:
    """Writes a line per finding; 0 when nothing failed, 1 otherwise."""
    unknown = set(skip) - set(SKIPPABLE)
    if unknown:
        raise ValueError(f"cannot skip {sorted(unknown)}: only {', '.join(SKIPPABLE)}")
    failed = False
    async for finding in findings(settings, skip):
        write(finding.line())
        failed = failed or finding.outcome is Outcome.FAIL
    return 1 if failed else 0
