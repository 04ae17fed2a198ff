"""Which Redmine the soak runs against: its URL, users' keys, issue and admin key."""

import json
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.redmine_state import harness_api_key

FAKE_ISSUE_ID = 1
FAKE_FIRST_USER_ID = 5  # alice and bob as seeded; the fake process adds soak3, soak4, ...


@dataclass(frozen=True)
class SoakUser:
    login: str
    api_key: str


@dataclass(frozen=True)
class Target:
    url: str  # Redmine itself, not the fault proxy
    users: tuple[SoakUser, ...]
    admin_key: str
    issue_id: int
    is_fake: bool


def fake_logins(count: int) -> tuple[str, ...]:
    """alice, bob, then soak3, soak4, ...: the fake Redmine process adds the extra ones."""
    return ("alice", "bob", *(f"soak{n}" for n in range(3, count + 1)))[:count]


def fake_target(url: str, user_count: int) -> Target:
    users = tuple(SoakUser(login, harness_api_key(login)) for login in fake_logins(user_count))
    return Target(url, users, harness_api_key("admin"), FAKE_ISSUE_ID, is_fake=True)


def real_target(path: Path, user_count: int) -> Target:
    """From the JSON redmine-up.sh writes; the real harness has two users (alice and bob)."""
    harness = json.loads(path.read_text())
    logins = ("alice", "bob")[: max(1, min(user_count, 2))]
    users = tuple(SoakUser(login, harness["users"][login]["api_key"]) for login in logins)
    return Target(
        url=str(harness["base_url"]).rstrip("/"),
        users=users,
        admin_key=harness["admin"]["api_key"],
        issue_id=int(harness["issues"][0]["id"]),
        is_fake=False,
    )
