"""`timer-gateway check`: a line per check, against real Redis servers and a Redmine stand-in
that answers as Redmine 5 does (403 from its API while REST is off, 401 without a key)."""

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from pytest_aiohttp import AiohttpServer

from gateway.preflight import run_checks
from gateway.settings import Settings
from tests.ports import free_port
from tests.realredis import running_redis
from tests.realsentinel import running_sentinel_set
from tests.redis_cluster import running_cluster

ADMIN_KEY = "a" * 40
PROCESS_TIMEOUT_S = 30.0


@dataclass
class Redmine:
    """A Redmine 5 stand-in for the checks' questions."""

    rest_enabled: bool = True
    custom_fields: list[dict[str, Any]] = field(default_factory=list)
    activities: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""
    request_ids: list[str | None] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/users/current.json", self.current)
        app.router.add_get("/custom_fields.json", self.listing("custom_fields"))
        app.router.add_get(
            "/enumerations/time_entry_activities.json", self.listing("time_entry_activities")
        )
        return app

    def refusal(self, request: web.Request) -> web.Response | None:
        self.request_ids.append(request.headers.get("X-Request-Id"))
        if not self.rest_enabled:
            return web.Response(status=403)
        if request.headers.get("X-Redmine-API-Key") != ADMIN_KEY:
            return web.Response(status=401)
        return None

    async def current(self, request: web.Request) -> web.Response:
        return self.refusal(request) or web.json_response({"user": {"id": 1, "admin": True}})

    def listing(self, name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            items = self.custom_fields if name == "custom_fields" else self.activities
            return self.refusal(request) or web.json_response({name: items})

        return handler


@pytest.fixture
async def redmine(aiohttp_server: AiohttpServer) -> Redmine:
    stand_in = Redmine(
        custom_fields=[
            {"id": 1, "name": "Task UUID", "customized_type": "issue"},
            {"id": 2, "name": "Timer", "customized_type": "time_entry", "field_format": "string"},
            {"id": 3, "name": "Billable", "customized_type": "time_entry", "field_format": "bool"},
        ],
        activities=[
            {"id": 9, "name": "Development", "active": True},
            {"id": 11, "name": "Legacy", "active": False},
        ],
    )
    server = await aiohttp_server(stand_in.app())
    stand_in.url = str(server.make_url("/"))
    return stand_in


async def check(**settings: Any) -> tuple[int, list[str]]:
    return await check_skipping((), **settings)


async def check_skipping(skip: tuple[str, ...], **settings: Any) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = await run_checks(Settings.model_validate(settings), lines.append, skip=skip)
    return code, lines


def line_of(lines: list[str], subject: str) -> str:
    [line] = [line for line in lines if line.split(maxsplit=1)[1].startswith(subject + ":")]
    return line


async def test_an_embedded_store_and_a_working_redmine_pass_with_a_warning(
    redmine: Redmine,
) -> None:
    code, lines = await check(redmine_url=redmine.url)
    assert code == 0
    assert lines[0] == "ok    settings: valid"
    assert line_of(lines, "redis").startswith("warn  redis: GATEWAY_REDIS_URL unset")
    assert line_of(lines, "redmine").startswith("ok    redmine: reachable at http://127.0.0.1:")
    assert line_of(lines, "redmine REST API") == "ok    redmine REST API: enabled"
    assert line_of(lines, "redmine version").startswith("ok    redmine version: not published")


async def test_every_question_to_redmine_carries_a_request_id(redmine: Redmine) -> None:
    code, _ = await check(redmine_url=redmine.url, check_api_key=ADMIN_KEY, task_field_id=1)
    assert code == 0
    assert len(redmine.request_ids) >= 2
    assert all(re.fullmatch(r"[0-9a-f]{16}", str(sent)) for sent in redmine.request_ids)


async def test_redis_with_an_append_only_file_is_reported_with_its_version(
    redmine: Redmine,
) -> None:
    async with running_redis(append_only=True) as server:
        code, lines = await check(
            redmine_url=redmine.url, redis_url=server.url, secret_key="s" * 16
        )
    assert code == 0
    assert line_of(lines, "redis").startswith("ok    redis: reachable at 127.0.0.1:")
    assert ", version " in line_of(lines, "redis")
    assert line_of(lines, "redis persistence") == ("ok    redis persistence: on (append-only file)")


async def test_redis_without_persistence_is_a_warning_not_a_failure(redmine: Redmine) -> None:
    async with running_redis() as server:
        code, lines = await check(
            redmine_url=redmine.url, redis_url=server.url, secret_key="s" * 16
        )
    assert code == 0
    assert line_of(lines, "redis persistence").startswith("warn  redis persistence: off")


async def test_a_redis_nobody_answers_at_fails(redmine: Redmine) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    code, lines = await check(redmine_url=redmine.url, redis_url=url, secret_key="s" * 16)
    assert code == 1
    assert line_of(lines, "redis").startswith("FAIL  redis: not reachable at 127.0.0.1:")


async def test_redis_under_sentinel_is_checked_at_the_master_the_sentinels_name(
    redmine: Redmine,
) -> None:
    async with running_sentinel_set(replicas=1, sentinels=1) as servers:
        code, lines = await check(
            redmine_url=redmine.url, secret_key="s" * 16, **servers.settings()
        )
        standalone_code, standalone = await check(
            redmine_url=redmine.url, secret_key="s" * 16, redis_url=servers.master.url
        )
    assert code == 0, lines
    master = f"127.0.0.1:{servers.master.port} (master 'timers' of the Sentinels)"
    assert line_of(lines, "redis").startswith(f"ok    redis: reachable at {master}, version ")
    assert line_of(lines, "redis replicas") == (
        "ok    redis replicas: 1 online; timer writes wait for one (up to 1000 ms)"
    )
    # The same master by its URL: its replica is waited for all the same.
    assert standalone_code == 0
    assert line_of(standalone, "redis replicas").startswith("ok    redis replicas: 1 online")


async def test_a_cluster_is_checked_with_its_shape(redmine: Redmine) -> None:
    async with running_cluster(masters=3, replicas_per_master=1) as servers:
        code, lines = await check(
            redmine_url=redmine.url, secret_key="s" * 16, **servers.settings()
        )
    assert code == 0, lines
    assert line_of(lines, "redis").startswith("ok    redis: reachable at 127.0.0.1:")
    assert line_of(lines, "redis cluster") == (
        "ok    redis cluster: state ok, 3 masters, 3 replicas"
    )
    assert line_of(lines, "redis replicas").startswith("ok    redis replicas: 1 online")


async def test_a_cluster_whose_masters_lack_replicas_is_a_warning(redmine: Redmine) -> None:
    async with running_cluster(masters=3, replicas_per_master=0) as servers:
        code, lines = await check(
            redmine_url=redmine.url, secret_key="s" * 16, **servers.settings()
        )
    assert code == 0, lines
    assert line_of(lines, "redis cluster").startswith(
        "warn  redis cluster: state ok, 3 masters, 0 replicas: a master may have no replica"
    )


async def test_sentinels_nobody_answers_at_fail(redmine: Redmine) -> None:
    sentinels = f"127.0.0.1:{free_port()},127.0.0.1:{free_port()}"
    code, lines = await check(
        redmine_url=redmine.url,
        secret_key="s" * 16,
        redis_sentinels=sentinels,
        redis_sentinel_master="timers",
    )
    assert code == 1
    assert line_of(lines, "redis") == (
        f"FAIL  redis: not reachable at the master 'timers' of the Sentinels {sentinels}: "
        "no Sentinel names it"
    )


async def test_a_sentinel_master_without_replicas_is_a_warning(redmine: Redmine) -> None:
    async with running_sentinel_set(replicas=0, sentinels=1) as servers:
        code, lines = await check(
            redmine_url=redmine.url, secret_key="s" * 16, **servers.settings()
        )
    assert code == 0
    assert line_of(lines, "redis replicas") == (
        "warn  redis replicas: none online: Sentinel has no replica to promote if the master fails"
    )


async def test_a_redmine_nobody_answers_at_fails() -> None:
    code, lines = await check(redmine_url=f"http://127.0.0.1:{free_port()}")
    assert code == 1
    assert line_of(lines, "redmine").startswith("FAIL  redmine: not reachable at")


async def test_a_redmine_with_rest_off_fails(redmine: Redmine) -> None:
    redmine.rest_enabled = False
    code, lines = await check(redmine_url=redmine.url, check_api_key=ADMIN_KEY)
    assert code == 1
    assert line_of(lines, "redmine REST API").startswith("FAIL  redmine REST API: disabled")


async def test_the_fields_and_activity_the_settings_name_are_found(redmine: Redmine) -> None:
    code, lines = await check(
        redmine_url=redmine.url,
        check_api_key=ADMIN_KEY,
        task_field_id=1,
        entry_field_id=2,
        billable_field_id=3,
        default_activity_id=9,
    )
    assert code == 0, lines
    assert line_of(lines, "GATEWAY_TASK_FIELD_ID") == (
        "ok    GATEWAY_TASK_FIELD_ID: 1 is the issue custom field 'Task UUID'"
    )
    assert line_of(lines, "GATEWAY_ENTRY_FIELD_ID").startswith("ok ")
    assert line_of(lines, "GATEWAY_BILLABLE_FIELD_ID") == (
        "ok    GATEWAY_BILLABLE_FIELD_ID: 3 is the boolean custom field 'Billable'"
    )
    assert line_of(lines, "GATEWAY_DEFAULT_ACTIVITY_ID") == (
        "ok    GATEWAY_DEFAULT_ACTIVITY_ID: 9 is the activity 'Development'"
    )
    assert all(ADMIN_KEY not in line for line in lines)


@pytest.mark.parametrize(
    ("named", "subject", "reason"),
    [
        ({"task_field_id": 7}, "GATEWAY_TASK_FIELD_ID", "7: no such custom field"),
        (
            {"task_field_id": 2},
            "GATEWAY_TASK_FIELD_ID",
            "2 is a custom field for time_entry, not issue",
        ),
        (
            {"entry_field_id": 1},
            "GATEWAY_ENTRY_FIELD_ID",
            "1 is a custom field for issue, not time_entry",
        ),
        (
            {"billable_field_id": 1},
            "GATEWAY_BILLABLE_FIELD_ID",
            "1 is a custom field for issue, not time_entry",
        ),
        ({"billable_field_id": 2}, "GATEWAY_BILLABLE_FIELD_ID", "2 is a string field, not a bool"),
        ({"default_activity_id": 3}, "GATEWAY_DEFAULT_ACTIVITY_ID", "3: no such time-entry"),
        ({"default_activity_id": 11}, "GATEWAY_DEFAULT_ACTIVITY_ID", "11 ('Legacy') is inactive"),
    ],
)
async def test_a_field_or_activity_redmine_does_not_have_fails(
    redmine: Redmine, named: dict[str, int], subject: str, reason: str
) -> None:
    code, lines = await check(redmine_url=redmine.url, check_api_key=ADMIN_KEY, **named)
    assert code == 1
    assert line_of(lines, subject).startswith(f"FAIL  {subject}: {reason}")


@pytest.mark.parametrize(("key", "why"), [(None, "unset"), ("b" * 40, "refused by Redmine (401)")])
async def test_named_ids_without_an_admin_key_redmine_takes_fail(
    redmine: Redmine, key: str | None, why: str
) -> None:
    code, lines = await check(redmine_url=redmine.url, check_api_key=key, task_field_id=1)
    assert code == 1
    assert line_of(lines, "GATEWAY_TASK_FIELD_ID") == (
        f"FAIL  GATEWAY_TASK_FIELD_ID: 1 not checked: GATEWAY_CHECK_API_KEY is {why}"
    )


async def test_a_skipped_redmine_is_not_asked_and_prints_a_skip_line() -> None:
    code, lines = await check_skipping(("redmine",), redmine_url=f"http://127.0.0.1:{free_port()}")
    assert code == 0, lines
    assert line_of(lines, "redmine") == "skip  redmine: not checked (--skip)"
    assert not any(line.split(maxsplit=1)[1].startswith("redmine ") for line in lines)
    assert line_of(lines, "redis").startswith("warn  redis: GATEWAY_REDIS_URL unset")


async def test_a_skipped_redis_is_not_asked_and_redmine_still_is(redmine: Redmine) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    code, lines = await check_skipping(
        ("redis",), redmine_url=redmine.url, redis_url=url, secret_key="s" * 16
    )
    assert code == 0, lines
    assert line_of(lines, "redis") == "skip  redis: not checked (--skip)"
    assert not any("redis persistence" in line for line in lines)
    assert line_of(lines, "redmine").startswith("ok    redmine: reachable at")


async def test_skipping_both_still_checks_the_settings() -> None:
    code, lines = await check_skipping(
        ("redis", "redmine"), redmine_url=f"http://127.0.0.1:{free_port()}"
    )
    assert code == 0
    assert lines == [
        "ok    settings: valid",
        "skip  redis: not checked (--skip)",
        "skip  redmine: not checked (--skip)",
    ]


async def test_skipping_a_part_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot skip"):
        await check_skipping(("nginx",), redmine_url="http://127.0.0.1:1")


async def run_cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "check",
        *args,
        env={"PATH": "/usr/bin:/bin", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(PROCESS_TIMEOUT_S):
        output, _ = await process.communicate()
    assert process.returncode is not None
    return process.returncode, output.decode()


async def test_the_command_exits_0_when_all_pass_and_1_when_one_fails(redmine: Redmine) -> None:
    code, output = await run_cli({"GATEWAY_REDMINE_URL": redmine.url})
    assert code == 0, output
    assert output.splitlines()[0] == "ok    settings: valid"
    code, output = await run_cli({"GATEWAY_REDMINE_URL": f"http://127.0.0.1:{free_port()}"})
    assert code == 1
    assert "FAIL  redmine: not reachable" in output


async def test_the_command_reports_bad_settings_as_a_failed_check() -> None:
    code, output = await run_cli({"GATEWAY_REDMINE_URL": "not a url", "GATEWAY_CHECK_API_KEY": "k"})
    assert code == 1
    assert output.startswith("FAIL  settings: GATEWAY_REDMINE_URL:")


async def test_the_command_skips_what_skip_names_and_passes_without_redmine() -> None:
    # An init container in Redmine's pod: Redmine is not up yet, Redis is (here: unreachable too,
    # skipped as well, so only the settings are checked).
    env = {"GATEWAY_REDMINE_URL": f"http://127.0.0.1:{free_port()}"}
    code, output = await run_cli(env, "--skip", "redmine", "--skip", "redis")
    assert code == 0, output
    assert output.splitlines() == [
        "ok    settings: valid",
        "skip  redis: not checked (--skip)",
        "skip  redmine: not checked (--skip)",
    ]
    code, output = await run_cli(env, "--skip", "redis")
    assert code == 1
    assert "FAIL  redmine: not reachable" in output
