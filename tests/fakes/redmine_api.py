"""FakeRedmineApi: the JSON REST API of Redmine 5.0.4 that the gateway calls, in memory."""

import base64
import binascii
import json
import re
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from http import HTTPStatus
from typing import NoReturn, TypeVar

from aiohttp import web

from tests.fakes.redmine import Canned, FakeRedmine
from tests.fakes.redmine_payloads import (
    Json,
    activities_json,
    entry_json,
    issue_json,
    project_json,
    user_json,
)
from tests.fakes.redmine_query import (
    Unmodelled,
    entry_filters,
    entry_matcher,
    issue_filters,
    issue_matcher,
    offset_and_limit,
)
from tests.fakes.redmine_ruby import is_blank, ruby_to_i
from tests.fakes.redmine_state import (
    Clock,
    Issue,
    Project,
    RedmineState,
    TimeEntry,
    User,
    UsersVisibility,
    utc_now,
)
from tests.fakes.redmine_timelog import Forbidden, Invalid, create_entry, update_entry

Row = TypeVar("Row")
JSON_TYPE = "application/json"
_NOT_FOUND_PAGE = (  # public/404.html, for a path with no route (checked before any auth)
    "<!DOCTYPE html>\n<html><head><title>Redmine 404 error</title></head>\n"
    "<body><h1>Page not found</h1></body></html>\n"
)


class _Refused(Exception):
    """Redmine's render_403/render_404 and friends: a status with an empty JSON body."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Call:
    user: User  # after X-Redmine-Switch-User
    query: Mapping[str, str]  # the last value wins, as in Rails params
    arg: str  # the id or identifier in the path, "" when there is none
    params: Mapping[str, object]  # the body's `time_entry` object, {} when absent
    base_url: str


class FakeRedmineApi(FakeRedmine):
    """A stateful Redmine. Queued canned responses (FakeRedmine.queue) still win, one per request.

    Every request is recorded in `calls`. Seed data mirrors ../shared/redmine's fixtures; change
    it through `state` (users, projects, issues, `state.add_entry` for fast bulk entries).
    """

    def __init__(
        self,
        *,
        clock: Clock = utc_now,
        seed: bool = True,
        users_visibility: UsersVisibility = "all",
    ) -> None:
        super().__init__()
        self.state = RedmineState(clock, users_visibility)
        if seed:
            self.state.seed_default()
        self._answers_to_lose = 0
        self._entry_posts_to_refuse = 0
        self._post_faults: deque[Canned] = deque()
        entry_path = re.compile(r"/time_entries/([^/]+)\.json")
        self._routes: tuple[tuple[str, re.Pattern[str], Callable[[Call], web.Response]], ...] = (
            ("GET", re.compile(r"/users/current\.json"), self._current_user),
            ("GET", re.compile(r"/users/([^/]+)\.json"), self._user),
            ("GET", re.compile(r"/projects\.json"), self._projects),
            ("GET", re.compile(r"/projects/([^/]+)\.json"), self._project),
            ("GET", re.compile(r"/issues\.json"), self._issues),
            ("GET", re.compile(r"/issues/([^/]+)\.json"), self._issue),
            ("GET", re.compile(r"/enumerations/time_entry_activities\.json"), self._activities),
            ("GET", re.compile(r"/time_entries\.json"), self._time_entries),
            ("POST", re.compile(r"/time_entries\.json"), self._create_time_entry),
            ("GET", entry_path, self._time_entry),
            ("PUT", entry_path, self._update_time_entry),
            ("PATCH", entry_path, self._update_time_entry),
            ("DELETE", entry_path, self._delete_time_entry),
        )

    # -- for tests ------------------------------------------------------------------------------

    def api_key_of(self, login: str) -> str:
        user = self.state.user_with_login(login)
        if user is None:
            raise KeyError(login)
        return user.api_key

    @property
    def entries(self) -> Mapping[int, TimeEntry]:
        """Every stored entry by id (read-only)."""
        return self.state.entries

    def entries_for(self, user_id: int) -> list[TimeEntry]:
        return sorted((e for e in self.state.entries.values() if e.user_id == user_id), key=_id)

    def lose_answers_to_next_posts(self, count: int = 1) -> None:
        """The next `count` POST /time_entries.json are processed (an entry may be stored), then
        the connection is closed without an answer, as when a reply is lost on the way back."""
        self._answers_to_lose += count

    def fail_next_entry_posts(self, count: int = 1) -> None:
        """The next `count` POST /time_entries.json that carry hours answer 503 and store
        nothing (dry runs without hours pass), as a Redmine behind a failing proxy would."""
        self._entry_posts_to_refuse += count

    # -- HTTP -----------------------------------------------------------------------------------

    def fault_next_posts(self, *faults: Canned) -> None:
        """The next POST /time_entries.json get these answers in order, unprocessed (the dry run
        of a start or manual entry is such a post too); other requests are answered as usual."""
        self._post_faults.extend(faults)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        creates = request.method == "POST" and request.path == "/time_entries.json"
        if self.queued or self.outage:
            return await super()._handle(request)
        if creates and self._post_faults:
            self.queue(self._post_faults.popleft())
            return await super()._handle(request)
        body = await self._record(request)
        if creates and self._entry_posts_to_refuse and b'"hours"' in body:
            self._entry_posts_to_refuse -= 1
            return web.Response(status=503, text="Service Unavailable")
        response = self._respond(request, body)
        if creates and self._answers_to_lose:
            self._answers_to_lose -= 1
            assert request.transport is not None
            request.transport.close()
        return response

    def _respond(self, request: web.Request, body: bytes) -> web.Response:
        verb = "GET" if request.method == "HEAD" else request.method  # as Rails routes HEAD
        route = next(
            (
                (handler, match.group(1) if pattern.groups else "")
                for method, pattern, handler in self._routes
                if method == verb and (match := pattern.fullmatch(request.path))
            ),
            None,
        )
        if route is None:
            return _rails_exception(request, 404)
        handler, arg = route
        try:
            params = _time_entry_params(request, body)  # Rails parses the body before auth
        except ValueError:
            return _rails_exception(request, 400)
        try:
            user = self._authenticate(request)
            query = dict(request.query.items())
            return handler(Call(user, query, arg, params, str(request.url.origin())))
        except _Refused as refused:
            return _empty(refused.status)
        except Forbidden:
            return _empty(403)
        except Invalid as invalid:
            return _json(422, {"errors": invalid.errors})
        except Unmodelled as exc:
            return web.Response(status=501, text=str(exc))

    def _authenticate(self, request: web.Request) -> User:
        """find_current_user: ?key=, then X-Redmine-API-Key, then HTTP Basic (login or key)."""
        key = request.query.get("key", "").strip()
        key = key or request.headers.get("X-Redmine-API-Key", "").strip()
        user = self.state.user_with_key(key) if key else self._basic_user(request)
        if user is None:
            raise _Refused(401)
        switch = request.headers.get("X-Redmine-Switch-User", "").strip()
        if user.admin and switch:  # ignored for everyone else
            user = self.state.user_with_login(switch) or _refuse(412)
        return user

    def _basic_user(self, request: web.Request) -> User | None:
        scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            login, _, password = base64.b64decode(credentials.strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user = self.state.user_with_login(login)
        if user is not None and user.password == password:
            return user
        return self.state.user_with_key(login)

    # -- endpoints ------------------------------------------------------------------------------

    def _current_user(self, call: Call) -> web.Response:
        return _json(200, {"user": user_json(call.user, call.user)})

    def _user(self, call: Call) -> web.Response:
        user = self.state.users.get(ruby_to_i(call.arg))
        if user is None or not self.state.user_visible(call.user, user):
            raise _Refused(404)
        return _json(200, {"user": user_json(user, call.user)})

    def _project(self, call: Call) -> web.Response:
        project = self._find_project(call.arg)
        if not self.state.project_visible(call.user, project):
            raise _Refused(403)
        return _json(200, {"project": project_json(project)})

    def _projects(self, call: Call) -> web.Response:
        """projects/index.api: the active projects the user may see, in tree (here: id) order."""
        _reject_sorting(call)
        rows = sorted(
            (p for p in self.state.projects.values() if self.state.project_visible(call.user, p)),
            key=_id,
        )
        # The list leaves out what only a project's own page shows (its homepage).
        return _page(
            call,
            "projects",
            rows,
            lambda p: {k: v for k, v in project_json(p).items() if k != "homepage"},
        )

    def _issue(self, call: Call) -> web.Response:
        issue = self.state.issues.get(ruby_to_i(call.arg)) or _refuse(404)
        self._require(call.user, "view_issues", self.state.projects[issue.project_id])
        return _json(200, {"issue": issue_json(self.state, issue, call.user)})

    def _issues(self, call: Call) -> web.Response:
        _reject_sorting(call)
        project = self._scope(call, "view_issues")
        filters = issue_filters(call.query, self.state.custom_fields)
        if errors := [error for f in filters if (error := f.error()) is not None]:
            raise Invalid(errors)
        keep = issue_matcher(filters)
        visible = self.state.projects_allowing(call.user, "view_issues")
        issues = sorted(self.state.issues.values(), key=_id, reverse=True)
        rows = [
            issue
            for issue in issues
            if issue.project_id in visible
            and (project is None or issue.project_id == project.id)
            and keep(issue)
        ]
        return _page(call, "issues", rows, lambda i: issue_json(self.state, i, call.user))

    def _activities(self, call: Call) -> web.Response:
        return _json(200, activities_json(self.state))

    def _time_entries(self, call: Call) -> web.Response:
        _reject_sorting(call)
        project = self._scope(call, "view_time_entries")
        filters = entry_filters(call.query, self.state.time_entry_fields)
        keep = entry_matcher(filters, call.user.id)
        visible = self.state.projects_allowing(call.user, "view_time_entries")
        if project is not None:
            visible &= {project.id}
        key = (visible, filters, call.user.id)
        rows = self.state.listing(key, lambda e: e.project_id in visible and keep(e))
        return _page(call, "time_entries", rows, lambda e: entry_json(self.state, e))

    def _time_entry(self, call: Call) -> web.Response:
        entry = self.state.entries.get(ruby_to_i(call.arg)) or _refuse(404)
        self._require(call.user, "view_time_entries", self.state.projects[entry.project_id])
        return _json(200, {"time_entry": entry_json(self.state, entry)})

    def _create_time_entry(self, call: Call) -> web.Response:
        if {"project_id", "issue_id"} & call.query.keys():
            raise Unmodelled("POST /time_entries.json?project_id=|issue_id= is not modelled")
        entry = create_entry(self.state, call.user, call.params)
        location = f"{call.base_url}/time_entries/{entry.id}"
        return _json(201, {"time_entry": entry_json(self.state, entry)}, Location=location)

    def _update_time_entry(self, call: Call) -> web.Response:
        update_entry(self.state, call.user, self._editable_entry(call), call.params)
        return web.Response(status=204)

    def _delete_time_entry(self, call: Call) -> web.Response:
        self.state.delete_entry(self._editable_entry(call).id)
        return web.Response(status=204)

    # -- lookups and permissions ----------------------------------------------------------------

    def _find_project(self, ref: str) -> Project:
        """Project.find: only digits is an id, anything else an identifier."""
        if re.fullmatch(r"\d+", ref):
            found = self.state.projects.get(int(ref))
        else:
            found = next((p for p in self.state.projects.values() if p.identifier == ref), None)
        return found or _refuse(404)

    def _scope(self, call: Call, permission: str) -> Project | None:
        """find_optional_project: ?project_id= narrows a list, if the caller may see it."""
        ref = call.query.get("project_id", "")
        if is_blank(ref):
            return None
        project = self._find_project(ref)
        self._require(call.user, permission, project)
        return project

    def _require(self, user: User, permission: str, project: Project) -> None:
        if not self.state.allowed(user, permission, project):
            raise _Refused(403)

    def _editable_entry(self, call: Call) -> TimeEntry:
        """TimeEntry#editable_by?: a visible entry, own with edit_own or anyone's with edit."""
        entry = self.state.entries.get(ruby_to_i(call.arg)) or _refuse(404)
        project = self.state.projects[entry.project_id]
        self._require(call.user, "view_time_entries", project)
        own = entry.user_id == call.user.id
        if not own or not self.state.allowed(call.user, "edit_own_time_entries", project):
            self._require(call.user, "edit_time_entries", project)
        return entry


def _time_entry_params(request: web.Request, body: bytes) -> Mapping[str, object]:
    """The `time_entry` object of a JSON body; other content types are not parsed at all."""
    if request.content_type != JSON_TYPE or not body:
        return {}
    document = json.loads(body, parse_float=Decimal, parse_constant=_no_constant)
    attributes = document.get("time_entry") if isinstance(document, dict) else None
    return attributes if isinstance(attributes, dict) else {}


def _rails_exception(request: web.Request, status: int) -> web.Response:
    """Rails' public exceptions app (no route, unparsable body). Its format is negotiated without
    params: a non-browser-like Accept header decides (`*/*` gets HTML), else the `.json` suffix."""
    accept = request.headers.get("Accept", "").strip()
    if accept and not re.search(r",\s*\*/\*|\*/\*\s*,", accept):
        wants_json = "json" in accept.split(",")[0]
    else:
        wants_json = request.path.endswith(".json")
    if wants_json:
        return _json(status, {"status": status, "error": HTTPStatus(status).phrase})
    page = _NOT_FOUND_PAGE if status == 404 else ""
    return web.Response(status=status, text=page, content_type="text/html")


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _reject_sorting(call: Call) -> None:
    if "sort" in call.query:
        raise Unmodelled("?sort= is not modelled by the fake")


def _refuse(status: int) -> NoReturn:
    raise _Refused(status)


def _page(
    call: Call, name: str, rows: Sequence[Row], render: Callable[[Row], Json]
) -> web.Response:
    offset, limit = offset_and_limit(call.query)
    shown = [render(row) for row in rows[offset : offset + limit]]
    return _json(200, {name: shown, "total_count": len(rows), "offset": offset, "limit": limit})


def listed_project_json(project: Project) -> Json:
    """projects/index.api: a project as the list shows it, without its homepage."""
    return {k: v for k, v in project_json(project).items() if k != "homepage"}


def _json(status: int, payload: Json, **headers: str) -> web.Response:
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return web.Response(
        status=status, text=text, content_type=JSON_TYPE, charset="utf-8", headers=headers
    )


def _empty(status: int) -> web.Response:
    headers = {"WWW-Authenticate": 'Basic realm="Redmine API"'} if status == 401 else {}
    return web.Response(status=status, content_type=JSON_TYPE, headers=headers)


def _id(row: Issue | TimeEntry | Project) -> int:
    return row.id
