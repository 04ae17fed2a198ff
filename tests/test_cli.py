"""The command line in-process: help text, start-up refusal of bad settings, flag precedence."""

import os
import re
from typing import get_args

import pytest
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from gateway.cli import build_parser, main, settings_from
from gateway.settings import Settings

REDMINE_URL = "http://redmine.test/redmine"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Only what a test sets: a developer's GATEWAY_* variables must not leak in."""
    for name in list(os.environ):
        if name.startswith("GATEWAY_"):
            monkeypatch.delenv(name)
    # argparse wraps help to the terminal width; fix it so the layout is the same everywhere.
    monkeypatch.setenv("COLUMNS", "100")
    return monkeypatch


def exit_code_of(argv: list[str]) -> int | str | None:
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    return stopped.value.code


def squashed(text: str) -> str:
    """Text without whitespace: argparse may wrap lines anywhere there is a space or a hyphen."""
    return re.sub(r"\s+", "", text)


def option_blocks(help_text: str) -> dict[str, str]:
    """Each option's help entry, keyed by every flag it lists (--access-log, --no-access-log)."""
    blocks: dict[str, str] = {}
    entry: list[str] = []
    for line in [*help_text.splitlines(), ""]:
        if line.startswith("    ") and entry:
            entry.append(line)  # the entry's help continues
            continue
        if entry:
            flags = re.findall(r"-{1,2}[a-z][\w-]*", entry[0].strip().split("  ")[0])
            blocks.update(dict.fromkeys(flags, "\n".join(entry)))
        entry = [line] if line.startswith("  -") else []
    return blocks


def serve_help(capsys: pytest.CaptureFixture[str]) -> str:
    assert exit_code_of(["serve", "--help"]) == 0
    return capsys.readouterr().out


def is_secret(info: FieldInfo) -> bool:
    return SecretStr in (info.annotation, *get_args(info.annotation))


def test_serve_help_documents_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    help_text = serve_help(capsys)
    blocks = option_blocks(help_text)
    for name, info in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        env = "GATEWAY_" + name.upper()
        assert info.description, f"Settings.{name} has no description, so --help cannot explain it"
        if is_secret(info):
            # A secret given as a flag would show in `ps`: it is documented, but env-only.
            assert flag not in blocks, f"secret {name} must not be a command-line flag"
            entry = squashed(help_text)
        else:
            assert flag in blocks, f"serve --help has no {flag}"
            entry = squashed(blocks[flag])
        assert squashed(info.description) in entry, f"--help does not describe {env}"
        assert env in entry, f"--help does not name {env} with its description"
        shown_default = "required" if info.is_required() else f"default:{info.get_default()!r}"
        assert f"{env};{squashed(shown_default)}" in entry, f"--help does not show {env}'s default"
    assert "--no-access-log" in blocks, "booleans can be switched off from the command line"


def test_top_level_help_lists_serve(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code_of(["--help"]) == 0
    assert "serve" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("env", "variable", "detail"),
    [
        ({"GATEWAY_REDMINE_URL": REDMINE_URL, "GATEWAY_PORT": "abc"}, "GATEWAY_PORT", "'abc'"),
        ({}, "GATEWAY_REDMINE_URL", "required"),
        (
            {"GATEWAY_REDMINE_URL": REDMINE_URL, "GATEWAY_UPSTREAM_TIMEOUT_S": "-1"},
            "GATEWAY_UPSTREAM_TIMEOUT_S",
            "greater than 0",
        ),
        (
            {"GATEWAY_REDMINE_URL": REDMINE_URL, "GATEWAY_LOG_FORMAT": "xml"},
            "GATEWAY_LOG_FORMAT",
            "'xml'",
        ),
        (
            {"GATEWAY_REDMINE_URL": REDMINE_URL, "GATEWAY_WORKERS": "2"},
            "GATEWAY_WORKERS",
            "GATEWAY_REDIS_URL",
        ),
        ({"GATEWAY_REDMINE_URL": "not a url"}, "GATEWAY_REDMINE_URL", "'not a url'"),
        (
            {
                "GATEWAY_REDMINE_URL": REDMINE_URL,
                "GATEWAY_REDIS_SENTINELS": "sentinel-1:26379,sentinel-2",
                "GATEWAY_REDIS_SENTINEL_MASTER": "timers",
                "GATEWAY_SECRET_KEY": "s" * 32,
            },
            "GATEWAY_REDIS_SENTINELS",
            "'sentinel-2' is not host:port",
        ),
        (
            {
                "GATEWAY_REDMINE_URL": REDMINE_URL,
                "GATEWAY_REDIS_SENTINELS": "sentinel-1:26379",
                "GATEWAY_SECRET_KEY": "s" * 32,
            },
            "GATEWAY_REDIS_SENTINELS",
            "GATEWAY_REDIS_SENTINEL_MASTER",
        ),
        ({"GATEWAY_REDMINE_URL": REDMINE_URL, "GATEWAY_PORT": "70000"}, "GATEWAY_PORT", "65535"),
    ],
)
def test_bad_setting_stops_start_up_with_one_line(
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    variable: str,
    detail: str,
) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    assert exit_code_of(["serve"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith(f"timer-gateway: error: {variable}"), line
    assert detail in line
    assert "Traceback" not in err


def test_every_bad_setting_gets_its_own_line(
    clean_env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("GATEWAY_PORT", "abc")
    clean_env.setenv("GATEWAY_LOG_FORMAT", "xml")
    assert exit_code_of(["serve"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert sorted(line.split()[2] for line in lines) == [
        "GATEWAY_LOG_FORMAT:",
        "GATEWAY_PORT:",
        "GATEWAY_REDMINE_URL:",
    ]


def test_bad_flag_value_is_refused_like_the_variable(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code_of(["serve", "--redmine-url", REDMINE_URL, "--port", "abc"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("timer-gateway: error: GATEWAY_PORT")


def test_flags_override_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("GATEWAY_REDMINE_URL", "http://from-env.test/")
    clean_env.setenv("GATEWAY_PORT", "8000")
    clean_env.setenv("GATEWAY_ACCESS_LOG", "true")
    clean_env.setenv("GATEWAY_LOG_LEVEL", "warning")
    args = build_parser().parse_args(
        ["serve", "--redmine-url", "http://from-flag.test/", "--port", "9000", "--no-access-log"]
    )
    settings = settings_from(args)
    assert str(settings.redmine_url) == "http://from-flag.test/"
    assert settings.port == 9000
    assert settings.access_log is False
    # A setting given only in the environment still applies.
    assert settings.log_level == "WARNING"


def test_flag_fills_in_a_missing_variable(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("GATEWAY_WORKERS", "2")
    clean_env.setenv("GATEWAY_SECRET_KEY", "0123456789abcdef")
    args = build_parser().parse_args(
        ["serve", "--redmine-url", REDMINE_URL, "--redis-url", "redis://127.0.0.1:1/0"]
    )
    settings = settings_from(args)
    assert settings.workers == 2
    assert str(settings.redis_url) == "redis://127.0.0.1:1/0"


def test_without_flags_the_environment_decides(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("GATEWAY_REDMINE_URL", REDMINE_URL)
    clean_env.setenv("GATEWAY_ACCESS_LOG", "false")
    settings = settings_from(build_parser().parse_args(["serve"]))
    assert settings.access_log is False
    assert settings.port == Settings.model_fields["port"].default


def test_check_takes_skip_repeatedly(clean_env: pytest.MonkeyPatch) -> None:
    args = build_parser().parse_args(["check", "--skip", "redmine", "--skip", "redis"])
    assert args.skip == ["redmine", "redis"]
    assert build_parser().parse_args(["check"]).skip == []


def test_check_refuses_to_skip_an_unknown_part(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code_of(["check", "--skip", "nginx"]) == 2
    assert "invalid choice: 'nginx'" in capsys.readouterr().err


def test_only_check_has_skip(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code_of(["serve", "--skip", "redis"]) == 2
    assert "unrecognized arguments: --skip" in capsys.readouterr().err


def test_command_is_required(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code_of([]) == 2
    assert "COMMAND" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("env", "variable", "secret"),
    [
        (
            {"GATEWAY_REDMINE_URL": REDMINE_URL, "GATEWAY_SECRET_KEY": "hunter2-short"},
            "GATEWAY_SECRET_KEY",
            "hunter2",
        ),
        (
            {
                "GATEWAY_REDMINE_URL": REDMINE_URL,
                "GATEWAY_SECRET_KEY": "0123456789abcdef",
                "GATEWAY_REDIS_URL": "redis://:hunter2@redis.test:notaport/0",
            },
            "GATEWAY_REDIS_URL",
            "hunter2",
        ),
        (
            {"GATEWAY_REDMINE_URL": "http://admin:hunter2@redmine.test:99999/"},
            "GATEWAY_REDMINE_URL",
            "hunter2",
        ),
    ],
)
def test_rejected_secret_is_not_echoed(
    clean_env: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    env: dict[str, str],
    variable: str,
    secret: str,
) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    assert exit_code_of(["serve"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"timer-gateway: error: {variable}")
    assert secret not in line
