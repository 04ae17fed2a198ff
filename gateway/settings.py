"""Settings(BaseSettings): every GATEWAY_* setting, validated once at start-up."""

from typing import Literal, Self

from pydantic import Field, HttpUrl, RedisDsn, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "GATEWAY_"


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
    key_prefix: str = Field(
        default="tg", min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="Redis key prefix."
    )
    upstream_timeout_s: float = Field(
        default=30.0, gt=0, description="Total time allowed for one upstream request."
    )
    upstream_connect_timeout_s: float = Field(
        default=5.0, gt=0, description="Time allowed to connect to Redmine."
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

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _workers_need_shared_store(self) -> Self:
        if self.workers > 1 and self.redis_url is None:
            raise ValueError(
                "GATEWAY_WORKERS > 1 needs GATEWAY_REDIS_URL: with the embedded store each "
                "process would keep its own timers"
            )
        return self

    @property
    def redmine_base(self) -> str:
        """Redmine's base URL without a trailing slash, ready to prefix a raw request path."""
        return str(self.redmine_url).rstrip("/")
