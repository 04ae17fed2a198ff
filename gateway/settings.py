"""Settings(BaseSettings): every GATEWAY_* setting, validated once at start-up."""

from typing import Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, HttpUrl, RedisDsn, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "GATEWAY_"
# Between tries of a Redis command (GATEWAY_REDIS_RETRIES): 0.1 s, 0.2 s, ... never over 1 s.
REDIS_BACKOFF_BASE_S = 0.1
REDIS_BACKOFF_CAP_S = 1.0


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="ignore")

    redmine_url: HttpUrl = Field(
        description="Base URL of Redmine, may include a path prefix (http://host/redmine)."
    )
    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    port: int = Field(default=8080, ge=0, le=65535, description="Port to listen on.")
    redis_url: RedisDsn | None = Field(
        default=None,
        description="redis:// or rediss:// URL; unset: an embedded in-process store "
        "(timers do not survive a restart).",
    )
    redis_sentinels: str | None = Field(
        default=None,
        description="host:port,host:port,... of Redis Sentinels: the master named by "
        "GATEWAY_REDIS_SENTINEL_MASTER is asked of them (and again after a failover); "
        "excludes GATEWAY_REDIS_URL.",
    )
    redis_sentinel_master: str | None = Field(
        default=None,
        min_length=1,
        pattern=r"^[^\s]+$",
        description="The name the Sentinels monitor the master under (their `sentinel monitor "
        "<name> ...`); required with GATEWAY_REDIS_SENTINELS.",
    )
    redis_cluster: bool = Field(
        default=False,
        description="GATEWAY_REDIS_URL names any node of a Redis Cluster; the others are "
        "found from it (and again when slots move or a master fails over).",
    )
    redis_password: SecretStr | None = Field(
        default=None,
        description="Password (AUTH) of the master and replicas under Sentinel; with "
        "GATEWAY_REDIS_URL the URL carries it instead. The Sentinels themselves are asked "
        "without one.",
    )
    redis_db: int = Field(
        default=0,
        ge=0,
        le=15,
        description="Database number under Sentinel; with GATEWAY_REDIS_URL its path names it.",
    )
    redis_wait_replicas_ms: int = Field(
        default=1000,
        ge=0,
        le=30_000,
        description="When the master has replicas, a start, stop or manual entry (every write of "
        "a timer) answers only once one replica has it (WAIT 1 <ms>); past this the answer is "
        "503 STORE_UNAVAILABLE, safe to repeat. 0: never wait.",
    )
    key_prefix: str = Field(
        default="tg", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="Redis key prefix."
    )
    redis_timeout_s: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="Time to connect to Redis, and for Redis to answer one command; past it the "
        "command is tried again (GATEWAY_REDIS_RETRIES), then the request answers 503 "
        "STORE_UNAVAILABLE.",
    )
    redis_retries: int = Field(
        default=1,
        ge=0,
        le=5,
        description="Further tries of a Redis command whose connection dropped or timed out, "
        "after a short exponential back-off. redis-py also retries the connect and handshake "
        "within each try, so a silent (hung) Redis holds a request for at most about "
        "(1 + retries) x (2 + retries) x GATEWAY_REDIS_TIMEOUT_S plus back-off (12 s with the "
        "defaults); a stopped one (connection refused) fails at once.",
    )
    redis_health_check_interval_s: int = Field(
        default=5,
        ge=1,
        le=3600,
        description="A pooled Redis connection idle this long is checked (PING) before use, so one "
        "a Redis restart left dead is replaced instead of failing a request.",
    )
    upstream_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Total time Redmine may take over one request (time spent on a slow client "
        "does not count).",
    )
    upstream_connect_timeout_s: float = Field(
        default=5.0, gt=0, description="Time allowed to connect to Redmine."
    )
    max_client_connections: int = Field(
        default=10_000,
        ge=1,
        description="Client connections one serving process keeps open; beyond it a new one is "
        "answered 503 (Retry-After) and closed.",
    )
    client_max_head_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Largest request head (request line and fields) a client may send; over "
        "it: 431.",
    )
    client_max_header_fields: int = Field(
        default=100,
        ge=8,
        le=10_000,
        description="Most header fields in one request head; over it: 431.",
    )
    client_idle_timeout_s: float = Field(
        default=75.0,
        gt=0,
        description="How long a kept-alive client connection may wait for its next request.",
    )
    client_head_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Time a client has to send a whole request head; then 408 and close.",
    )
    client_body_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Time a client may pause mid-body; then 408 (or a cut if the answer began).",
    )
    client_send_timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Time a client may take nothing of its answer; then the connection is cut.",
    )
    upstream_max_connections: int = Field(
        default=100, ge=1, description="Size of the shared keep-alive pool to Redmine."
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Processes serving one port (> 1 needs a real Redis).",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="DEBUG, INFO, WARNING or ERROR."
    )
    log_format: Literal["text", "json"] = Field(default="text", description="text or json.")
    access_log: bool = Field(default=True, description="Log one line per request (no secrets).")
    secret_key: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Secret (16+ characters, shared by all replicas) that encrypts API keys of "
        "entries waiting to be posted and keys the hashes of API keys; required with "
        "GATEWAY_REDIS_URL or GATEWAY_REDIS_SENTINELS, random per process otherwise.",
    )
    identity_ttl_s: int = Field(
        default=60, ge=0, le=3600, description="How long an API key's Redmine user is cached."
    )
    identity_grace_h: float = Field(
        default=24,
        ge=0,
        le=24 * 30,
        description="While Redmine cannot be asked, a key it confirmed this recently is still "
        "accepted for its user's own timers, and a task and activity confirmed for that user "
        "this recently may be timed (0: never; a key Redmine refused is never accepted).",
    )
    task_field_id: int | None = Field(
        default=None,
        ge=1,
        description="Id of the issue custom field that holds non-numeric task_uuid values.",
    )
    company_slug: str = Field(
        default="redmine",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$",
        description="The slug of the one workspace GitScrum clients see (GET /workspaces, "
        "the routes /search answers with).",
    )
    on_start_when_running: Literal["reject", "stop_previous"] = Field(
        default="reject",
        description="A start while a timer runs: reject (409) or stop_previous (record it first).",
    )
    rounding_increment_min: int = Field(
        default=15, ge=3, le=240, description="Posted durations are multiples of this (3|n)."
    )
    max_timer_hours: float = Field(
        default=12,
        ge=0,
        le=24 * 7,
        description="A timer that has worked longer is shown over_limit in active, and stopping "
        "it without an explicit end posts this many hours (the entry marked capped); 0: off.",
    )
    rounding_mode: Literal["up", "nearest", "down"] = Field(
        default="nearest", description="up, nearest or down."
    )
    rounding_min_min: int | None = Field(
        default=None, ge=1, description="The least ever posted (default: one increment)."
    )
    timezone: str = Field(default="UTC", description="IANA zone of spent_on dates and days.")
    split_at_midnight: bool = Field(
        default=False, description="Post a timer that crosses midnight as one entry per day."
    )
    default_activity_id: int | None = Field(
        default=None, ge=1, description="Activity when a request names none (else Redmine's)."
    )
    upstream_page_concurrency: int = Field(
        default=4, ge=1, le=32, description="Pages of a Redmine list fetched at once."
    )
    app_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="Total time the gateway's own answers (timers, analytics, /-/readyz) may "
        "take, Redis and Redmine calls included, before the client gets 504 GATEWAY_TIMEOUT; "
        "keep it above GATEWAY_UPSTREAM_TIMEOUT_S.",
    )
    analytics_cache_ttl_s: int = Field(
        default=30,
        ge=0,
        le=3600,
        description="How long an analytics answer is reused for the same caller and query "
        "(0: never); a start, stop or delete through the gateway drops the caller's at once.",
    )
    check_api_key: SecretStr | None = Field(
        default=None,
        description="An admin's Redmine API key for `timer-gateway check` only: with it, the "
        "check also confirms the custom fields and activity named here exist.",
    )
    entry_field_id: int | None = Field(
        default=None,
        ge=1,
        description="Id of a time-entry custom field the gateway fills with the timer's id, so "
        "an entry whose answer was lost is found exactly.",
    )
    billable_field_id: int | None = Field(
        default=None,
        ge=1,
        description="Id of a boolean time-entry custom field: `billable` on a start, manual "
        'entry or stop sets it ("1"/"0"); items show it, and the list and reports filter '
        "and total by it.",
    )
    outbox_max_attempts: int = Field(
        default=20,
        ge=1,
        description="Posts of one entry before it is marked failed (redmine_unavailable).",
    )
    outbox_max_age_h: float = Field(
        default=72,
        gt=0,
        description="Hours an entry may wait in the outbox before it is marked failed.",
    )
    outbox_retry_max_s: int = Field(
        default=300,
        ge=1,
        le=3600,
        description="The longest wait between two posts of an entry (they back off from 5 s).",
    )
    record_retention_days: int = Field(
        default=400,
        ge=1,
        description="Days a recorded timer's record is kept after it is recorded (its start and "
        "end times for analytics); pending and failed entries are kept until they are recorded.",
    )
    analytics_concurrency: int = Field(
        default=2,
        ge=1,
        le=64,
        description="Analytics answers computed at once by one process; more wait for a turn "
        "(within GATEWAY_APP_TIMEOUT_S, then 504). Answers from the cache never wait.",
    )
    analytics_timeline_max_entries: int = Field(
        default=20_000,
        ge=1,
        description="The most entries one timeline answer covers; a range with more answers "
        "422 (ask for a shorter range, a project or fewer users).",
    )
    focus_min_min: int = Field(
        default=25, ge=1, description="The shortest timed stretch that counts as focus time."
    )
    metrics_enabled: bool = Field(
        default=True,
        description="Count requests, Redmine exchanges and timer posts, and answer GET /-/metrics "
        "(Prometheus text format); off: /-/metrics answers 404.",
    )
    admin_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="When set, everything under /-/ (health, readiness, metrics) is served on "
        "this port of GATEWAY_HOST only, and answers 404 on GATEWAY_PORT (the page, /-/app/, "
        "stays on GATEWAY_PORT).",
    )
    session_idle_min: int = Field(
        default=60,
        ge=1,
        le=7 * 24 * 60,
        description="A page session (/-/app/) unused this long ends; its user signs in again.",
    )

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("rounding_increment_min")
    @classmethod
    def _exact_in_hours(cls, value: int) -> int:
        # Redmine shows hours with two decimals: only multiples of 3 minutes (0.05 h) round-trip.
        if value % 3:
            raise ValueError("must be a multiple of 3 minutes (Redmine keeps 2 decimals of hours)")
        return value

    @model_validator(mode="after")
    def _minimum_fits_increment(self) -> Self:
        if (
            self.rounding_min_min is not None
            and self.rounding_min_min % self.rounding_increment_min
        ):
            raise ValueError(
                "GATEWAY_ROUNDING_MIN_MIN must be a multiple of GATEWAY_ROUNDING_INCREMENT_MIN"
            )
        return self

    @field_validator("redis_sentinels")
    @classmethod
    def _sentinel_addresses(cls, value: str | None) -> str | None:
        if value is not None:
            sentinel_addresses(value)
        return value

    @model_validator(mode="after")
    def _one_redis_deployment(self) -> Self:
        if self.redis_sentinels is not None and self.redis_url is not None:
            raise ValueError(
                "GATEWAY_REDIS_SENTINELS excludes GATEWAY_REDIS_URL: set the Sentinels "
                "(with GATEWAY_REDIS_SENTINEL_MASTER) or one Redis's URL, not both"
            )
        if (self.redis_sentinels is None) != (self.redis_sentinel_master is None):
            raise ValueError(
                "GATEWAY_REDIS_SENTINELS and GATEWAY_REDIS_SENTINEL_MASTER go together: the "
                "Sentinels' addresses and the name they monitor the master under"
            )
        if self.redis_cluster and self.redis_url is None:
            raise ValueError(
                "GATEWAY_REDIS_CLUSTER needs GATEWAY_REDIS_URL naming one node of the cluster "
                "(not the Sentinels: a cluster fails over by itself)"
            )
        cluster_url = self.redis_url if self.redis_cluster else None
        if cluster_url is not None and (cluster_url.path or "/") not in ("/", "/0"):
            raise ValueError(
                "GATEWAY_REDIS_URL of a cluster names database 0 or none: a cluster has no other"
            )
        if self.redis_url is not None and (self.redis_password is not None or self.redis_db):
            raise ValueError(
                "GATEWAY_REDIS_PASSWORD and GATEWAY_REDIS_DB are for Sentinel only: "
                "GATEWAY_REDIS_URL carries its own (redis://:password@host:port/db)"
            )
        return self

    @model_validator(mode="after")
    def _shared_store_needs_secret(self) -> Self:
        if self.is_redis_shared and self.secret_key is None:
            raise ValueError(
                "GATEWAY_REDIS_URL and GATEWAY_REDIS_SENTINELS need GATEWAY_SECRET_KEY: it "
                "encrypts the API keys of entries waiting in Redis and must be the same on "
                "every replica"
            )
        return self

    @model_validator(mode="after")
    def _workers_need_shared_store(self) -> Self:
        if self.workers > 1 and not self.is_redis_shared:
            raise ValueError(
                "GATEWAY_WORKERS > 1 needs GATEWAY_REDIS_URL or GATEWAY_REDIS_SENTINELS: with "
                "the embedded store each process would keep its own timers"
            )
        return self

    @model_validator(mode="after")
    def _admin_port_differs(self) -> Self:
        if self.admin_port is not None and self.admin_port == self.port and self.port != 0:
            raise ValueError("GATEWAY_ADMIN_PORT must differ from GATEWAY_PORT")
        return self

    @property
    def is_redis_shared(self) -> bool:
        """A real Redis (standalone or under Sentinel), not the embedded store."""
        return self.redis_url is not None or self.redis_sentinels is not None

    @property
    def store_kind(self) -> str:
        """How timers are stored, as the start-up line names it."""
        if self.redis_cluster:
            return "cluster"
        if self.redis_sentinels is not None:
            return "sentinel"
        return "redis" if self.redis_url is not None else "embedded"

    @property
    def sentinel_addresses(self) -> list[tuple[str, int]]:
        return [] if self.redis_sentinels is None else sentinel_addresses(self.redis_sentinels)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def max_timer_s(self) -> int:
        """GATEWAY_MAX_TIMER_HOURS in whole seconds (0: no limit)."""
        return int(self.max_timer_hours * 3600)

    @property
    def rounding_minimum_min(self) -> int:
        return self.rounding_min_min or self.rounding_increment_min

    @property
    def redmine_base(self) -> str:
        """Redmine's base URL without a trailing slash, ready to prefix a raw request path."""
        return str(self.redmine_url).rstrip("/")


def sentinel_addresses(value: str) -> list[tuple[str, int]]:
    """`host:port,host:port,...` (an IPv6 host in brackets: `[::1]:26379`) as pairs."""
    addresses = []
    for item in value.split(","):
        host, _, port = item.strip().rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{item.strip()!r} is not host:port (e.g. sentinel-1:26379)")
        addresses.append((host, int(port)))
    return addresses
