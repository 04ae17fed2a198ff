"""Command line: parse arguments, configure logging, build Settings and run the app."""

import argparse
import asyncio
import logging
import multiprocessing
import os
import re
import shutil
import signal
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn, get_args

from pydantic import SecretStr, ValidationError
from pydantic.fields import FieldInfo

from gateway import __version__
from gateway.app import create_app, relay_observer
from gateway.front.server import serving
from gateway.logs import configure_logging
from gateway.logwriter import written_off_the_loop
from gateway.metrics.process import no_count
from gateway.preflight import SKIPPABLE, run_checks
from gateway.settings import ENV_PREFIX, Settings

log = logging.getLogger(__name__)

PROG = "timer-gateway"
# user:password@ in a URL: a Redis or Redmine URL may carry credentials.
URL_USERINFO = re.compile(r"(//)[^/@\s]*@")


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def flag_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def describe(name: str, info: FieldInfo) -> str:
    default = "required" if info.is_required() else f"default: {info.get_default()!r}"
    return f"{info.description} [{env_name(name)}; {default}]"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="A GitScrum-style /time-trackings API in front of Redmine.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_setting_flags(
        commands.add_parser(
            "serve",
            help="run the gateway",
            description="Run the gateway. Every setting comes from its GATEWAY_* environment "
            "variable; a flag given here overrides it.",
        )
    )
    check = commands.add_parser(
        "check",
        help="check settings, Redis and Redmine, then exit (0: all passed)",
        description="Check what `serve` would use, with the same settings: prints a line "
        "per check and exits 0 when none failed, 1 otherwise (an init container's job).",
    )
    check.add_argument(
        "--skip",
        action="append",
        choices=SKIPPABLE,
        default=[],
        help="leave this part out (repeatable), e.g. redmine in an init container of Redmine's "
        "own pod, where Redmine starts only after it; a skipped part prints a skip line",
    )
    add_setting_flags(check)
    return parser


def add_setting_flags(serve: argparse.ArgumentParser) -> None:
    env_only = []
    for name, info in Settings.model_fields.items():
        if is_secret(info):
            env_only.append(describe(name, info))
        elif info.annotation is bool:
            serve.add_argument(
                flag_name(name),
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=None,
                help=describe(name, info),
            )
        else:
            serve.add_argument(
                flag_name(name), dest=name, default=None, metavar="VALUE", help=describe(name, info)
            )
    serve.epilog = "Only from the environment (a flag would show in `ps`): " + " ".join(env_only)


def is_secret(info: FieldInfo) -> bool:
    return info.annotation is SecretStr or SecretStr in get_args(info.annotation)


def settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {
        name: getattr(args, name)
        for name in Settings.model_fields
        if getattr(args, name, None) is not None
    }
    return Settings(**overrides)


def shown_input(field: str, value: object) -> str:
    """The rejected value for an error line, without the secrets it may carry."""
    info = Settings.model_fields.get(field)
    if info is not None and is_secret(info):
        return ""
    if isinstance(value, str):
        value = URL_USERINFO.sub(r"\1***@", value)
    return f" (got {value!r})"


def setting_problems(exc: ValidationError) -> list[str]:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        message = "is required" if error["type"] == "missing" else error["msg"]
        if field:
            shown = "" if error["type"] == "missing" else shown_input(field, error["input"])
            lines.append(f"{env_name(field)}: {message}{shown}")
        else:
            lines.append(message.removeprefix("Value error, "))
    return lines


def run_worker(settings: Settings, *, reuse_port: bool, metrics_group: Path | None = None) -> None:
    with (
        written_off_the_loop() as log_queue,
        asyncio.Runner(loop_factory=new_event_loop) as runner,
    ):
        runner.run(
            serve_until_stopped(
                settings,
                reuse_port=reuse_port,
                metrics_group=metrics_group,
                dropped_logs=lambda: log_queue.dropped,
                write_access_line=log_queue.write_line,
            )
        )


async def serve_until_stopped(
    settings: Settings,
    *,
    reuse_port: bool,
    metrics_group: Path | None = None,
    dropped_logs: Callable[[], int] = no_count,
    write_access_line: Callable[[str], None] | None = None,
) -> None:
    """Serves until SIGTERM or SIGINT, then lets in-flight requests finish before returning."""
    app = create_app(settings, metrics_group=metrics_group, dropped_logs=dropped_logs)
    stopped = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopped.set)
    async with serving(
        settings,
        app,
        reuse_port=reuse_port,
        observer=relay_observer(app),
        write_access_line=write_access_line,
    ):
        log.info("listening host=%s port=%s pid=%s", settings.host, settings.port, os.getpid())
        await stopped.wait()
        log.info("stopping: answering in-flight requests first")


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it is installed: its C event loop takes about a sixth off the CPU each
    pass-through request costs; the standard loop otherwise."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def worker_process(settings: Settings, metrics_group: Path | None) -> None:
    # Its own session, so a terminal's Ctrl-C reaches only the parent, which forwards one SIGTERM.
    os.setsid()
    run_worker(settings, reuse_port=True, metrics_group=metrics_group)


def run_workers(settings: Settings) -> int:
    """Pre-fork parent: N processes share the port through SO_REUSEPORT, and (with metrics on)
    a private directory where each leaves its metrics for the one answering a scrape."""
    if not settings.metrics_enabled:
        return supervise_workers(settings, None)
    metrics_group = Path(tempfile.mkdtemp(prefix="timer-gateway-metrics-"))
    try:
        return supervise_workers(settings, metrics_group)
    finally:
        shutil.rmtree(metrics_group, ignore_errors=True)


def supervise_workers(settings: Settings, metrics_group: Path | None) -> int:
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=worker_process, args=(settings, metrics_group), name=f"worker-{n}")
        for n in range(settings.workers)
    ]
    for worker in workers:
        worker.start()
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        if not stopping:
            stopping = True
            log.info("stopping workers signal=%s", signal.Signals(signum).name)
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    exit_code = 0
    while any(worker.is_alive() for worker in workers):
        for worker in workers:
            worker.join(timeout=0.5)
            if worker.exitcode not in (None, 0) and not stopping:
                log.error("worker died name=%s exitcode=%s", worker.name, worker.exitcode)
                exit_code = 1
                stop(signal.SIGTERM, None)
    return exit_code


def main(argv: Sequence[str] | None = None) -> NoReturn:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
    except ValidationError as exc:
        for line in setting_problems(exc):
            if args.command == "check":
                print(f"FAIL  settings: {line}")
            else:
                print(f"{PROG}: error: {line}", file=sys.stderr)
        sys.exit(1 if args.command == "check" else 2)
    if args.command == "check":
        sys.exit(asyncio.run(run_checks(settings, print, skip=args.skip)))
    configure_logging(settings.log_level, settings.log_format)
    log.info(
        "starting version=%s listen=%s:%s workers=%s redmine_host=%s store=%s",
        __version__,
        settings.host,
        settings.port,
        settings.workers,
        settings.redmine_url.host,
        settings.store_kind,
    )
    try:
        if settings.workers == 1:
            run_worker(settings, reuse_port=False)
            sys.exit(0)
        sys.exit(run_workers(settings))
    except OSError as exc:
        log.error(
            "cannot listen host=%s port=%s error=%s", settings.host, settings.port, exc.strerror
        )
        sys.exit(1)
