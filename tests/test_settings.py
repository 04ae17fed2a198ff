"""Settings validation: what start-up accepts and refuses."""

import pytest
from pydantic import ValidationError

from gateway.settings import Settings

REDMINE = "http://127.0.0.1:3000"


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
        ("http://host/redmine", "http://host/redmine"),
        ("https://host/redmine/", "https://host/redmine"),
    ],
)
def test_redmine_base_has_no_trailing_slash(url: str, base: str) -> None:
    assert Settings(redmine_url=url).redmine_base == base


def test_environment_supplies_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_REDMINE_URL", REDMINE)
    monkeypatch.setenv("GATEWAY_PORT", "9001")
    monkeypatch.setenv("GATEWAY_LOG_LEVEL", "debug")
    monkeypatch.setenv("GATEWAY_LOG_FORMAT", "JSON")
    monkeypatch.setenv("GATEWAY_REDIS_URL", "rediss://cache.example:6380/2")
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "s" * 32)
    settings = Settings()
    assert settings.port == 9001
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "json"
    assert str(settings.redis_url) == "rediss://cache.example:6380/2"


def test_defaults() -> None:
    settings = Settings(redmine_url=REDMINE)
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8080, 1)
    assert (settings.upstream_timeout_s, settings.upstream_connect_timeout_s) == (30.0, 5.0)
    assert settings.redis_url is None


def test_the_client_limits_default_to_nginxs() -> None:
    settings = Settings(redmine_url=REDMINE)
    assert settings.client_idle_timeout_s == 75.0  # keepalive_timeout
    assert settings.client_head_timeout_s == 60.0  # client_header_timeout
    assert settings.client_body_timeout_s == 60.0  # client_body_timeout
    assert settings.client_send_timeout_s == 60.0  # send_timeout
    assert (settings.client_max_head_bytes, settings.client_max_header_fields) == (65536, 100)
    assert settings.max_client_connections == 10_000


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("port", 70000),
        ("upstream_timeout_s", 0),
        ("upstream_connect_timeout_s", -1),
        ("log_format", "xml"),
        ("log_level", "LOUD"),
        ("redis_url", "http://not-redis"),
        ("workers", 0),
        ("client_max_head_bytes", 100),
        ("client_max_header_fields", 0),
        ("client_idle_timeout_s", 0),
        ("client_head_timeout_s", -1),
        ("client_body_timeout_s", 0),
        ("client_send_timeout_s", 0),
        ("max_client_connections", 0),
    ],
)
def test_bad_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({"redmine_url": REDMINE, field: value})
    assert caught.value.errors()[0]["loc"] == (field,)


def test_several_workers_need_a_shared_redis() -> None:
    with pytest.raises(ValidationError, match="GATEWAY_REDIS_URL"):
        Settings(redmine_url=REDMINE, workers=2)
    shared = Settings(
        redmine_url=REDMINE, workers=2, redis_url="redis://r:6379/0", secret_key="k" * 16
    )
    assert shared.workers == 2


def test_a_shared_redis_needs_a_secret() -> None:
    with pytest.raises(ValidationError, match="GATEWAY_SECRET_KEY"):
        Settings(redmine_url=REDMINE, redis_url="redis://r:6379/0")


@pytest.mark.parametrize("increment", [5, 10, 20, 241, 2])
def test_increments_that_do_not_survive_two_decimals_are_refused(increment: int) -> None:
    with pytest.raises(ValidationError):
        Settings(redmine_url=REDMINE, rounding_increment_min=increment)


def test_minimum_must_be_a_multiple_of_the_increment() -> None:
    with pytest.raises(ValidationError, match="GATEWAY_ROUNDING_MIN_MIN"):
        Settings(redmine_url=REDMINE, rounding_increment_min=15, rounding_min_min=20)
    settings = Settings(redmine_url=REDMINE, rounding_increment_min=15, rounding_min_min=30)
    assert settings.rounding_minimum_min == 30
    assert Settings(redmine_url=REDMINE, rounding_increment_min=6).rounding_minimum_min == 6


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        Settings(redmine_url=REDMINE, timezone="Mars/Olympus")
    assert Settings(redmine_url=REDMINE, timezone="Europe/Berlin").zone.key == "Europe/Berlin"


SENTINELS = "s1.example:26379, s2.example:26380,[::1]:26381"


def test_sentinels_are_parsed_into_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_REDMINE_URL", REDMINE)
    monkeypatch.setenv("GATEWAY_REDIS_SENTINELS", SENTINELS)
    monkeypatch.setenv("GATEWAY_REDIS_SENTINEL_MASTER", "timers")
    monkeypatch.setenv("GATEWAY_REDIS_PASSWORD", "hunter2")
    monkeypatch.setenv("GATEWAY_REDIS_DB", "2")
    monkeypatch.setenv("GATEWAY_SECRET_KEY", "s" * 32)
    settings = Settings()
    assert settings.sentinel_addresses == [
        ("s1.example", 26379),
        ("s2.example", 26380),
        ("::1", 26381),
    ]
    assert settings.redis_sentinel_master == "timers"
    assert settings.redis_password is not None
    assert settings.redis_password.get_secret_value() == "hunter2"
    assert (settings.redis_db, settings.is_redis_shared, settings.redis_url) == (2, True, None)


@pytest.mark.parametrize(
    "sentinels", ["", "s1.example", "s1.example:", ":26379", "s1:26379,s2", "s1:0", "s1:65536"]
)
def test_a_sentinel_that_is_not_host_port_is_refused(sentinels: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(
            redmine_url=REDMINE,
            redis_sentinels=sentinels,
            redis_sentinel_master="timers",
            secret_key="k" * 16,
        )
    [error] = caught.value.errors()
    assert error["loc"] == ("redis_sentinels",)
    assert "is not host:port" in error["msg"]


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"redis_sentinels": SENTINELS}, "GATEWAY_REDIS_SENTINEL_MASTER"),
        ({"redis_sentinel_master": "timers"}, "GATEWAY_REDIS_SENTINELS"),
        (
            {
                "redis_sentinels": SENTINELS,
                "redis_sentinel_master": "timers",
                "redis_url": "redis://r:6379/0",
            },
            "excludes GATEWAY_REDIS_URL",
        ),
        ({"redis_url": "redis://r:6379/0", "redis_password": "x"}, "GATEWAY_REDIS_PASSWORD"),
        ({"redis_url": "redis://r:6379/0", "redis_db": 1}, "GATEWAY_REDIS_DB"),
        ({"redis_sentinel_master": "two words", "redis_sentinels": SENTINELS}, "pattern"),
        ({"redis_wait_replicas_ms": -1}, "greater than or equal to 0"),
    ],
)
def test_sentinel_settings_that_do_not_fit_together_are_refused(
    given: dict[str, object], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings.model_validate({"redmine_url": REDMINE, "secret_key": "k" * 16, **given})


def test_sentinel_is_a_shared_redis_for_workers_and_needs_the_secret() -> None:
    sentinel = {"redis_sentinels": SENTINELS, "redis_sentinel_master": "timers"}
    with pytest.raises(ValidationError, match="GATEWAY_SECRET_KEY"):
        Settings.model_validate({"redmine_url": REDMINE, **sentinel})
    settings = Settings.model_validate(
        {"redmine_url": REDMINE, "workers": 2, "secret_key": "k" * 16, **sentinel}
    )
    assert settings.workers == 2


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"redis_cluster": True}, "GATEWAY_REDIS_CLUSTER needs GATEWAY_REDIS_URL"),
        (
            {
                "redis_cluster": True,
                "redis_sentinels": SENTINELS,
                "redis_sentinel_master": "timers",
            },
            "GATEWAY_REDIS_CLUSTER needs GATEWAY_REDIS_URL",
        ),
        ({"redis_cluster": True, "redis_url": "redis://r:6379/3"}, "database 0 or none"),
    ],
)
def test_cluster_settings_that_do_not_fit_together_are_refused(
    given: dict[str, object], named: str
) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings.model_validate({"redmine_url": REDMINE, "secret_key": "k" * 16, **given})


@pytest.mark.parametrize("url", ["redis://r:7000", "redis://r:7000/0"])
def test_a_cluster_is_named_by_any_node_and_is_a_shared_store(url: str) -> None:
    settings = Settings.model_validate(
        {"redmine_url": REDMINE, "secret_key": "k" * 16, "redis_url": url, "redis_cluster": True}
    )
    assert (settings.is_redis_shared, settings.store_kind) == (True, "cluster")
