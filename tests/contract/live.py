"""Schemathesis against a running gateway: the checks, the schema it serves, what was answered.

Shared by the CI run (real Redis, the fake Redmine) and the e2e run (the real Redmine). Each
operation gets schemathesis's coverage phase (boundary values, missing and wrong-typed members,
undeclared methods) and its fuzzing phase (Hypothesis), positive and negative.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import BaseSchema, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import NO_FEEDBACK
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from gateway import routes
from gateway.contract.document import openapi_document
from gateway.front.paths import SEARCH_PARAMETER, SEARCH_PATH
from gateway.page.guard import COOKIE
from gateway.redmine.client import API_KEY_HEADER
from tests.gateway_process import GatewayProcess

# 0 server errors; every answer as the document says (status, media type, headers, body); a
# secured operation without the key, or with a wrong one, refused (401); an undeclared method
# answered 405 with an Allow header naming the declared ones. Left out: negative_data_rejection
# (a blank query value is read as absent, on purpose) and positive_data_acceptance (422 is also
# the answer to rules a JSON schema cannot say: an end without a start, an unknown activity).
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    ignored_auth,
    unsupported_method,
    allow_header_conformance,
]
# deadline=None: a case's time is the gateway's and Redmine's, not Hypothesis's business;
# derandomize: every run sends the same cases; the gateway is shared by every case.
FUZZ = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
REQUEST_TIMEOUT_S = 30
AnyCase = Case[Any]


@dataclass
class Tally:
    """What the run got, per operation: statuses counted, to tell it reached the gateway's code."""

    statuses: dict[str, Counter[int]] = field(default_factory=dict)

    def count(self, label: str, status: int) -> None:
        self.statuses.setdefault(label, Counter())[status] += 1

    def successes(self, label: str) -> int:
        counter = self.statuses.get(label, Counter())
        return sum(n for status, n in counter.items() if 200 <= status < 300)

    @property
    def cases(self) -> int:
        return sum(sum(counter.values()) for counter in self.statuses.values())

    def summary(self) -> str:
        lines = [f"schemathesis: {self.cases} cases over {len(self.statuses)} operations"]
        for label, counter in sorted(self.statuses.items()):
            lines.append(f"  {label}: {dict(sorted(counter.items()))}")
        return "\n".join(lines)


# The paths that start a timer (the GitScrum CLI's is the same operation under its own path).
STARTS = frozenset({"/time-trackings", "/time-trackings/start"})


@dataclass(frozen=True)
class Known:
    """What cases may name besides random values: a task of the caller's, seeded trackings."""

    task_uuid: str
    ids: Sequence[int]
    # The cookie of a page session signed in with the caller's key.
    page_session: str
    # Where the seeded gateway answers, and as whom: a pause or resume needs a timer running
    # when its cases run, whatever the cases of other operations did to the seeded one.
    url: str = ""
    api_key: str = ""

    def with_task(self, case: AnyCase) -> AnyCase:
        """The case on the caller's task. A start's task_uuid is optional (project time), so it
        is set whenever the body is an object, and what the seeded gateway cannot take at random
        leaves: billable (no Billable field there), a typed duration, another project."""
        if isinstance(case.body, dict) and (
            "task_uuid" in case.body or case.operation.path in STARTS
        ):
            case.body["task_uuid"] = self.task_uuid
            for name in ("billable", "duration", "date", "project_slug"):
                case.body.pop(name, None)
        return case


async def seed(url: str, api_key: str, task_uuid: str) -> Known:
    """Time trackings the cases can name: a timer stopped and recorded, a manual entry, a timer
    left running (so that listings and analytics have rows to answer)."""
    manual = {
        "task_uuid": task_uuid,
        "started_at": "2026-01-05T09:00:00Z",
        "ended_at": "2026-01-05T10:30:00Z",
        "description": "contract seed",
    }
    ids = []
    async with aiohttp.ClientSession(headers={API_KEY_HEADER: api_key}) as session:
        for body in ({"task_uuid": task_uuid}, manual, {"task_uuid": task_uuid}):
            async with session.post(f"{url}/time-trackings", json=body) as started:
                assert started.status in (201, 202), await started.text()
                ids.append((await started.json())["data"]["id"])
            if len(ids) == 1:
                async with session.put(f"{url}/time-trackings/{ids[0]}", json={}) as stopped:
                    assert stopped.status in (200, 202), await stopped.text()
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as page,
        page.post(f"{url}{routes.PAGE_API}/session", json={"api_key": api_key}) as signed_in,
    ):
        assert signed_in.status == 201, await signed_in.text()
        page_session = signed_in.cookies[COOKIE].value
    return Known(task_uuid, ids, page_session, url, api_key)


def served_schema(gateway_url: str, api_key: str, page_session: str) -> BaseSchema:
    """The document as the gateway serves it, aimed at that gateway, with the caller's key for
    its X-Redmine-API-Key scheme and the page's session for its cookie scheme (so ignored_auth
    knows them, and tries without)."""
    schemes = {
        "redmineApiKey": {"api_key": api_key},
        "pageSession": {"api_key": page_session},
    }
    config = schemathesis.Config.from_dict({"auth": {"openapi": schemes}})
    schema = schemathesis.openapi.from_url(f"{gateway_url}/-/openapi.json", config=config)
    schema.config.update(base_url=gateway_url)
    return schema


def operation_labels() -> list[str]:
    """'GET /time-trackings' and so on: every operation of the document the gateway builds."""
    document = openapi_document(routes.TABLE)
    return [
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    ]


def is_the_gateways(case: AnyCase) -> bool:
    """Whether the gateway answers the case itself (the front's rule for /search)."""
    return case.operation.path != SEARCH_PATH or SEARCH_PARAMETER in (case.query or {})


# Cases carry the page's session cookie (seeded) but never its CSRF token or a password:
# signing in and out are fuzzed for server errors and answers as documented; tests/page and
# tests/e2e/test_page.py have their successes.
NEVER_SUCCEED = frozenset({f"POST {routes.PAGE_API}/session", f"DELETE {routes.PAGE_API}/session"})


def can_succeed(label: str) -> bool:
    return label not in NEVER_SUCCEED


@dataclass(frozen=True)
class Run:
    """One operation's cases, sent through one session, checked and counted."""

    schema: BaseSchema
    session: requests.Session
    tally: Tally
    known: Known

    def check(self, label: str, case: AnyCase) -> None:
        # A /search without `categories` is Redmine's own search, passed through: the document
        # does not describe it, so only "no server error" applies to it.
        if is_the_gateways(case):
            response = case.call_and_validate(
                session=self.session, checks=CHECKS, timeout=REQUEST_TIMEOUT_S
            )
        else:
            response = case.call_and_validate(
                session=self.session, checks=[not_a_server_error], timeout=REQUEST_TIMEOUT_S
            )
        self.tally.count(label, response.status_code)

    def cover(self, label: str) -> None:
        """The coverage phase: schemathesis's deterministic cases at and past every bound."""
        operation = self._operation(label)
        cases = CoverageGenerator(
            operation=operation,
            generation_modes=list(GenerationMode),
            generation_config=self.schema.config.generation_for(operation=operation),
            auth_storage=None,
            override=Override(),
            feedback=NO_FEEDBACK,
        )
        for case in cases:
            self.check(label, case)

    def fuzz(self, label: str, examples: int) -> None:
        """The fuzzing phase: `examples` Hypothesis cases, valid and not. Random ids and
        task_uuids name nothing (404), so some cases name what `known` holds."""
        operation = self._operation(label)
        strategies = [operation.as_strategy(mode) for mode in GenerationMode]
        if "{timer_id}" in operation.path:
            ids = [*self.known.ids, *self._running_ids(operation.path)]
            strategies += [operation.as_strategy(path_parameters={"timer_id": i}) for i in ids]
        if "{code}" in operation.path:
            strategies.append(operation.as_strategy(path_parameters={"code": self.known.task_uuid}))
        if operation.body:
            strategies.append(operation.as_strategy().map(self.known.with_task))

        @settings(FUZZ, max_examples=examples)
        @given(case=st.one_of(strategies))
        def run(case: AnyCase) -> None:
            self.check(label, case)

        run()

    def _running_ids(self, path: str) -> list[int]:
        """For pause and resume: a timer running now (a switch: one already running is
        recorded first), paused for resume, so that some of their cases find one."""
        if not path.endswith(("/pause", "/resume")):
            return []
        body: dict[str, str | bool] = {"task_uuid": self.known.task_uuid, "stop_running": True}
        started = self.session.post(
            f"{self.known.url}/time-trackings",
            json=body,
            headers={API_KEY_HEADER: self.known.api_key},
            timeout=REQUEST_TIMEOUT_S,
        )
        assert started.status_code == 201, started.text
        timer_id = int(started.json()["data"]["id"])
        if path.endswith("/resume"):
            paused = self.session.post(
                f"{self.known.url}/time-trackings/{timer_id}/pause",
                headers={API_KEY_HEADER: self.known.api_key},
                timeout=REQUEST_TIMEOUT_S,
            )
            assert paused.status_code == 200, paused.text
        return [timer_id]

    def _operation(self, label: str) -> Any:
        method, _, path = label.partition(" ")
        return self.schema[path][method]


@dataclass(frozen=True)
class Live:
    """A gateway serving the contract, the seeded caller's key, and what was seeded."""

    gateway: GatewayProcess
    api_key: str
    known: Known


def schema_of(live: Live) -> BaseSchema:
    return served_schema(live.gateway.url, live.api_key, live.known.page_session)


def check_operation(
    operation: str,
    live: Live,
    schema: BaseSchema,
    http: requests.Session,
    tally: Tally,
    max_examples: int,
) -> None:
    """Schemathesis's coverage and fuzzing phases on one operation; one that can succeed must
    have succeeded at least once (so the checks saw its documented answer)."""
    run = Run(schema, http, tally, live.known)
    run.cover(operation)
    run.fuzz(operation, max_examples)
    if can_succeed(operation):
        assert tally.successes(operation) > 0, tally.summary()


def report(config: pytest.Config, tally: Tally) -> None:
    """The tally on the terminal after the run (past pytest's capture of fixture output)."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("\n" + tally.summary())
