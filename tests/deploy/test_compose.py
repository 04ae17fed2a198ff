"""deploy/compose.yaml: valid against the Compose Specification's JSON schema, and what it must
hold (Redmine's official image and its database, Redis with AOF, two gateways sharing it).

compose-spec.json here is the Compose Specification's schema (schema/compose-spec.json of the
compose-spec/compose-spec repository, draft-07, with `include`, `models` and `develop`) as the
npm package dclint 3.1.0 ships it in schemas/compose.schema.json, unchanged (sha256 46b7d35f...).
"""

import copy
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from gateway import __version__
from gateway.cli import build_parser
from gateway.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "deploy" / "compose.yaml"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
SCHEMA_SHA256_PREFIX = "46b7d35f"
# ${NAME}, ${NAME:-default}, ${NAME:?error}: Compose's interpolation.
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?][^}]*)?\}")


def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(document, dict)
    return document


def services() -> dict[str, dict[str, Any]]:
    found = compose()["services"]
    assert isinstance(found, dict)
    return found


def schema_errors(document: dict[str, Any]) -> list[str]:
    schema = json.loads(SCHEMA_FILE.read_text())
    # Its $schema spells draft-07 as https://json-schema.org/draft-07/schema, which jsonschema
    # does not look up as the draft-07 metaschema: name the draft here.
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    return [
        f"{'.'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def gateways() -> dict[str, dict[str, Any]]:
    """The serving gateway services (those running the image's default `serve`)."""
    return {
        name: service
        for name, service in services().items()
        if service.get("image", "").startswith("timer-gateway:") and "command" not in service
    }


def resolved(value: str) -> str:
    """A value with each ${NAME...} replaced by a stand-in, as `docker compose config` would."""
    return VARIABLE.sub(lambda match: f"<{match.group(1)}>", value)


def test_the_vendored_schema_is_the_compose_specification() -> None:
    digest = hashlib.sha256(SCHEMA_FILE.read_bytes()).hexdigest()
    assert digest.startswith(SCHEMA_SHA256_PREFIX), "compose-spec.json differs from its source"
    schema = json.loads(SCHEMA_FILE.read_text())
    assert schema["title"] == "Compose Specification"


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    assert schema_errors(compose()) == []


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d["services"]["redis"].update(imagee="redis:7"), "imagee"),
        (lambda d: d["services"]["redis"].update(restart=["always"]), "restart"),
        (lambda d: d["services"]["redis"].update(healthcheck={"test": 7}), "healthcheck"),
    ],
)
def test_the_schema_refuses_what_compose_would(
    change: Callable[[dict[str, Any]], None], complaint: str
) -> None:
    # The control: a misspelt key, a wrong type and a bad nested value are each caught.
    document = copy.deepcopy(compose())
    change(document)
    errors = schema_errors(document)
    assert errors and any(complaint in error for error in errors), errors


def test_redmine_is_the_official_image_on_its_own_database() -> None:
    redmine = services()["redmine"]
    assert redmine["image"] == "redmine:5.0"
    database_host = redmine["environment"]["REDMINE_DB_POSTGRES"]
    database = services()[database_host]
    assert database["image"].split(":")[0] == "postgres"
    assert resolved(redmine["environment"]["REDMINE_DB_PASSWORD"]) == resolved(
        database["environment"]["POSTGRES_PASSWORD"]
    )
    assert redmine["depends_on"][database_host] == {"condition": "service_healthy"}
    assert "healthcheck" in database


def test_redis_keeps_an_append_only_file_on_a_volume() -> None:
    redis = services()["redis"]
    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--appendonly") + 1] == "yes"
    [volume] = redis["volumes"]
    name, _, path = volume.partition(":")
    assert path == "/data", "the redis image keeps its files (and the AOF) in /data"
    assert name in compose()["volumes"], "a named volume outlives the container"


def test_two_gateway_replicas_share_redis_and_the_secret() -> None:
    replicas = gateways()
    assert len(replicas) == 2, sorted(replicas)
    environments = [service["environment"] for service in replicas.values()]
    assert environments[0] == environments[1]
    env = environments[0]
    assert env["GATEWAY_REDIS_URL"] == "redis://redis:6379/0"
    assert env["GATEWAY_REDMINE_URL"] == "http://redmine:3000"
    # From deploy/.env (or the environment), required: never a default written here.
    assert re.fullmatch(r"\$\{GATEWAY_SECRET_KEY:\?[^}]+\}", env["GATEWAY_SECRET_KEY"])
    host_ports = [service["ports"][0].split(":")[0] for service in replicas.values()]
    assert len(set(host_ports)) == 2
    assert all(service["ports"][0].endswith(":8080") for service in replicas.values())
    for service in replicas.values():
        assert service["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
        assert (COMPOSE_FILE.parent / service["build"]["context"] / "deploy/Dockerfile").exists()
        assert service["image"] == f"timer-gateway:{__version__}"
        assert service["read_only"] is True
        # Other settings from the same file the one-liner writes (environment wins over it).
        assert service["env_file"] == ".env"


def test_the_gateways_settings_are_valid_settings() -> None:
    env = next(iter(gateways().values()))["environment"]
    fields = {name.removeprefix("GATEWAY_").lower(): resolved(value) for name, value in env.items()}
    fields["secret_key"] = "s" * 32
    settings = Settings.model_validate(fields)
    assert settings.redis_url is not None and settings.redis_url.host == "redis"
    assert settings.redmine_url.host == "redmine"


def test_the_gateways_start_after_the_preflight_passed() -> None:
    check = services()["gateway-check"]
    args = build_parser().parse_args(check["command"])
    assert args.command == "check"
    assert args.skip == ["redmine"], "a fresh Redmine has its REST API off: checked later"
    replica = next(iter(gateways().values()))
    assert (check["environment"], check["env_file"]) == (replica["environment"], ".env")
    assert check["image"] == replica["image"]
    assert check["depends_on"]["redis"] == {"condition": "service_healthy"}
    for service in gateways().values():
        assert service["depends_on"]["gateway-check"] == {
            "condition": "service_completed_successfully"
        }


def test_the_one_line_start_is_at_the_top_and_in_the_readme() -> None:
    header = COMPOSE_FILE.read_text().split("\nname:", 1)[0]
    [line] = [line for line in header.splitlines() if "docker compose" in line and " up " in line]
    command = line.removeprefix("#").strip()
    assert command.endswith("docker compose -f deploy/compose.yaml up -d --build")
    assert "deploy/.env" in command
    assert command in (REPO_ROOT / "README.md").read_text()
    assert "deploy/.env" in (REPO_ROOT / ".gitignore").read_text().splitlines()
