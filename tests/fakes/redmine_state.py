"""The fake Redmine's data: harness fixtures, role permissions and an indexed time-entry store."""

import hashlib
import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Literal, Required, TypedDict

Clock = Callable[[], datetime]
UsersVisibility = Literal["all", "members_of_visible_projects"]

# The harness's "Time Logger" role; it lacks log_time_for_other_users and edit_time_entries.
TIME_LOGGER = frozenset({"view_issues", "log_time", "view_time_entries", "edit_own_time_entries"})
# Redmine's built-in "Non member" role (default data); it only applies to public projects.
NON_MEMBER = frozenset({"view_issues", "view_time_entries"})
TASK_UUID_FIELD_ID = 1


def harness_api_key(login: str) -> str:
    """The deterministic key redmine-up.sh gives every harness user."""
    return hashlib.sha1(f"redmine-harness/{login}".encode()).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class User:
    id: int
    login: str
    firstname: str
    lastname: str
    api_key: str
    password: str
    mail: str
    created_on: datetime
    admin: bool = False

    @property
    def name(self) -> str:
        return f"{self.firstname} {self.lastname}"


@dataclass
class Project:
    id: int
    identifier: str
    name: str
    created_on: datetime
    members: dict[int, frozenset[str]] = field(default_factory=dict)  # user id -> permissions
    is_public: bool = False


@dataclass(frozen=True)
class Named:
    id: int
    name: str


@dataclass(frozen=True)
class Status(Named):
    is_closed: bool = False


@dataclass
class Issue:
    id: int
    project_id: int
    subject: str
    tracker: Named
    status: Status
    custom_values: dict[int, str]
    assigned_to_id: int | None
    author_id: int
    created_on: datetime
    updated_on: datetime


@dataclass(frozen=True)
class Activity(Named):
    is_default: bool = False
    active: bool = True


@dataclass(frozen=True)
class TimeEntry:
    id: int
    project_id: int
    issue_id: int | None
    user_id: int
    author_id: int
    activity_id: int
    hours: Decimal  # as given; the API shows it rounded to 2 decimals
    comments: str | None
    spent_on: date
    created_on: datetime
    updated_on: datetime
    # Values of time-entry custom fields, by field id (only fields that exist are kept).
    custom_values: tuple[tuple[int, str], ...] = ()

    def custom_value(self, field_id: int) -> str:
        return dict(self.custom_values).get(field_id, "")


class EntryFields(TypedDict, total=False):
    """The keyword arguments of RedmineState.add_entry, for add_entries."""

    user_id: Required[int]
    hours: Required[Decimal | int | str]
    spent_on: Required[date]
    issue_id: int | None
    project_id: int | None
    activity_id: int | None
    comments: str | None
    created_on: datetime | None


STATUSES = (
    Status(1, "New"),
    Status(2, "In Progress"),
    Status(3, "Resolved"),
    Status(4, "Feedback"),
    Status(5, "Closed", is_closed=True),
    Status(6, "Rejected", is_closed=True),
)
TRACKERS = (Named(1, "Bug"), Named(2, "Feature"), Named(3, "Support"))
ACTIVITIES = (
    Activity(8, "Design"),
    Activity(9, "Development", is_default=True),
    Activity(10, "Testing"),
    Activity(11, "Legacy (inactive)", active=False),
)
HARNESS_ISSUES = (
    ("Login page returns 500", 5),
    ("Add CSV export", 6),
    ("Upgrade database driver", None),
)


class RedmineState:
    """Everything the fake serves. Change it through these methods: they keep the indexes right."""

    def __init__(self, clock: Clock = utc_now, users_visibility: UsersVisibility = "all") -> None:
        self.clock = clock
        self.users_visibility = users_visibility  # the role setting; the harness keeps "all"
        self.accept_zero_hours = False  # timelog_accept_0_hours=0, as the harness sets it
        self.users: dict[int, User] = {}
        self.projects: dict[int, Project] = {}
        self.issues: dict[int, Issue] = {}
        self.activities = {a.id: a for a in ACTIVITIES}
        self.statuses = {s.id: s for s in STATUSES}
        self.trackers = {t.id: t for t in TRACKERS}
        self.custom_fields = {TASK_UUID_FIELD_ID: "Task UUID"}
        # Time-entry custom fields (string, filterable), as REDMINE_TIME_ENTRY_FIELDS=1 makes.
        self.time_entry_fields: dict[int, str] = {}
        self._entries: dict[int, TimeEntry] = {}
        self._max_entry_id = 0
        self._by_user_day: defaultdict[tuple[int, date], set[int]] = defaultdict(set)
        self._by_issue: defaultdict[int | None, set[int]] = defaultdict(set)
        self._version = 0
        self._listings: dict[Hashable, list[TimeEntry]] = {}
        self._listings_version = 0
        self.listings_built = 0  # how often a listing was filtered and sorted (cache misses)

    def seed_default(self) -> None:
        """The fixtures redmine-up.sh seeds, with the ids a fresh harness database gets."""
        self.add_user(
            "admin", firstname="Redmine", lastname="Admin", admin=True, password="admin", id=1
        )
        self.add_user("alice", id=5)
        self.add_user("bob", id=6)
        self.add_project("web-app", "Web App", members=(5, 6), id=1)
        self.add_project("ops", "Ops", id=2)
        for number, (subject, assignee) in enumerate(HARNESS_ISSUES, start=1):
            uuid = f"6f1c2a9e-{number:04d}-4b7a-9c1d-{number:012d}"
            self.add_issue(1, subject, assigned_to_id=assignee, custom_values={1: uuid}, id=number)

    # -- fixtures -------------------------------------------------------------------------------

    def add_user(
        self,
        login: str,
        *,
        firstname: str | None = None,
        lastname: str = "Tester",
        admin: bool = False,
        password: str | None = None,
        api_key: str | None = None,
        id: int | None = None,
    ) -> User:
        if any(u.login == login for u in self.users.values()):
            raise ValueError(f"login {login!r} is taken")
        user = User(
            id=self._new_id(self.users, id),
            login=login,
            firstname=login.capitalize() if firstname is None else firstname,
            lastname=lastname,
            api_key=harness_api_key(login) if api_key is None else api_key,
            password=f"{login}-password" if password is None else password,
            mail=f"{login}@example.test",
            created_on=self.clock(),
            admin=admin,
        )
        self.users[user.id] = user
        return user

    def add_project(
        self,
        identifier: str,
        name: str | None = None,
        *,
        members: Iterable[int] = (),
        permissions: frozenset[str] = TIME_LOGGER,
        is_public: bool = False,
        id: int | None = None,
    ) -> Project:
        project = Project(
            id=self._new_id(self.projects, id),
            identifier=identifier,
            name=identifier.title() if name is None else name,
            created_on=self.clock(),
            members={user_id: permissions for user_id in members},
            is_public=is_public,
        )
        self.projects[project.id] = project
        return project

    def add_issue(
        self,
        project_id: int,
        subject: str,
        *,
        custom_values: Mapping[int, str] | None = None,
        status_id: int = 1,
        tracker_id: int = 1,
        assigned_to_id: int | None = None,
        id: int | None = None,
    ) -> Issue:
        now = self.clock()
        issue = Issue(
            id=self._new_id(self.issues, id),
            project_id=self.projects[project_id].id,
            subject=subject,
            tracker=self.trackers[tracker_id],
            status=self.statuses[status_id],
            custom_values=dict(custom_values or {}),
            assigned_to_id=assigned_to_id,
            author_id=1,
            created_on=now,
            updated_on=now,
        )
        self.issues[issue.id] = issue
        return issue

    def add_entry(
        self,
        *,
        user_id: int,
        hours: Decimal | int | str,
        spent_on: date,
        issue_id: int | None = None,
        project_id: int | None = None,
        activity_id: int | None = None,
        comments: str | None = None,
        created_on: datetime | None = None,
    ) -> TimeEntry:
        """Store an entry directly (no validation, O(1)); the project defaults to the issue's."""
        if project_id is None:
            project_id = self.issues[issue_id].project_id if issue_id is not None else None
        if project_id not in self.projects or user_id not in self.users:
            raise ValueError("an entry needs a known user and a project or issue")
        stamp = self.clock() if created_on is None else created_on
        entry = TimeEntry(
            id=self._max_entry_id + 1,
            project_id=project_id,
            issue_id=issue_id,
            user_id=user_id,
            author_id=user_id,
            activity_id=self.default_activity_id() if activity_id is None else activity_id,
            hours=Decimal(hours),
            comments=comments,
            spent_on=spent_on,
            created_on=stamp,
            updated_on=stamp,
        )
        self._store(entry)
        return entry

    def add_entries(self, rows: Iterable[EntryFields]) -> list[TimeEntry]:
        """Bulk add_entry; 50,000 rows take well under a second."""
        return [self.add_entry(**row) for row in rows]

    @staticmethod
    def _new_id(table: Mapping[int, object], wanted: int | None) -> int:
        if wanted is not None and wanted in table:
            raise ValueError(f"id {wanted} is taken")
        return wanted if wanted is not None else max(table, default=0) + 1

    # -- lookups and permissions ----------------------------------------------------------------

    def user_with_key(self, api_key: str) -> User | None:
        return next((u for u in self.users.values() if u.api_key == api_key), None)

    def user_with_login(self, login: str) -> User | None:
        return next((u for u in self.users.values() if u.login == login), None)

    def default_activity_id(self) -> int:
        return next(a.id for a in self.activities.values() if a.is_default)

    def allowed(self, user: User, permission: str, project: Project) -> bool:
        """User#allowed_to? for one project: admins may do anything."""
        if user.admin:
            return True
        granted = project.members.get(user.id, NON_MEMBER if project.is_public else frozenset())
        return permission in granted

    def project_visible(self, user: User, project: Project) -> bool:
        return user.admin or project.is_public or user.id in project.members

    def projects_allowing(self, user: User, permission: str) -> frozenset[int]:
        return frozenset(p.id for p in self.projects.values() if self.allowed(user, permission, p))

    def user_visible(self, viewer: User, user: User) -> bool:
        """Principal.visible: with the default users_visibility "all", everyone sees everyone."""
        if viewer.admin or viewer.id == user.id or self.users_visibility == "all":
            return True
        shared = (p for p in self.projects.values() if self.project_visible(viewer, p))
        return any(user.id in p.members for p in shared)

    # -- time entries ---------------------------------------------------------------------------

    @property
    def entries(self) -> Mapping[int, TimeEntry]:
        return MappingProxyType(self._entries)

    def insert_entry(self, draft: TimeEntry) -> TimeEntry:
        """Store a copy with SQLite's next rowid, max(id) + 1, so a deleted newest id is reused."""
        entry = replace(draft, id=self._max_entry_id + 1)
        self._store(entry)
        return entry

    def replace_entry(self, entry: TimeEntry) -> None:
        self._unindex(self._entries[entry.id])
        self._store(entry)

    def delete_entry(self, entry_id: int) -> None:
        self._unindex(self._entries.pop(entry_id))
        if entry_id == self._max_entry_id:
            self._max_entry_id = max(self._entries, default=0)
        self._version += 1

    def hours_logged(self, user_id: int, spent_on: date, excluding: int | None) -> float:
        """What TimeEntry#other_hours_with_same_user_and_day sums: the stored, unrounded hours."""
        ids = self._by_user_day.get((user_id, spent_on), set())
        return math.fsum(float(self._entries[i].hours) for i in ids if i != excluding)

    def spent_hours(self, issue_id: int) -> float:
        """Issue#spent_hours: the unrounded sum over the issue's entries."""
        return math.fsum(float(self._entries[i].hours) for i in self._by_issue.get(issue_id, ()))

    def listing(self, key: Hashable, keep: Callable[[TimeEntry], bool]) -> list[TimeEntry]:
        """Entries passing `keep` in Redmine's order, cached per key until the entries change.

        TimeEntryQuery sorts by spent_on DESC, created_on DESC, then id ASC as the tie-break.
        """
        if self._listings_version != self._version:
            self._listings.clear()
            self._listings_version = self._version
        rows = self._listings.get(key)
        if rows is None:
            rows = sorted((e for e in self._entries.values() if keep(e)), key=lambda e: e.id)
            rows.sort(key=lambda e: (e.spent_on, e.created_on), reverse=True)
            self._listings[key] = rows
            self.listings_built += 1
        return rows

    def _store(self, entry: TimeEntry) -> None:
        self._entries[entry.id] = entry
        self._by_user_day[(entry.user_id, entry.spent_on)].add(entry.id)
        self._by_issue[entry.issue_id].add(entry.id)
        self._max_entry_id = max(self._max_entry_id, entry.id)
        self._version += 1

    def _unindex(self, entry: TimeEntry) -> None:
        self._by_user_day[(entry.user_id, entry.spent_on)].discard(entry.id)
        self._by_issue[entry.issue_id].discard(entry.id)
