"""The gateway over the fake Redmine for the analytics wiring tests, and their small dataset.

The clock stands at Mon 2026-03-02 09:00 UTC (the gateway's zone is UTC), so the default
period, last-30-days, is 2026-02-01 .. 2026-03-02.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from tests.fakes.redmine_state import RedmineState
from tests.timers.conftest import ALICE, BOB, Gateway, Reply

TODAY = dt.date(2026, 3, 2)
ADMIN = 1
MOBILE = 3  # project: alice only
ENDPOINTS = ("analytics", "team", "reports", "productivity", "timeline")


async def ask(gw: Gateway, endpoint: str, login: str | None = "alice", **query: str | int) -> Reply:
    """GET /time-trackings/{endpoint}?{query} as `login`; the JSON answer."""
    suffix = f"?{urlencode(query)}" if query else ""
    return await gw.request("GET", f"/time-trackings/{endpoint}{suffix}", login=login)


@dataclass(frozen=True)
class TextReply:
    status: int
    content_type: str
    headers: Mapping[str, str]
    text: str


async def ask_text(
    gw: Gateway, endpoint: str, headers: Mapping[str, str] | None = None, **query: str | int
) -> TextReply:
    """Like `ask`, as alice, for answers that are not JSON."""
    url = gw.client.make_url(f"/time-trackings/{endpoint}").with_query(query)
    sent = {**gw.auth("alice"), **(headers or {})}
    async with gw.client.session.get(url, headers=sent) as response:
        return TextReply(
            response.status, response.content_type, dict(response.headers), await response.text()
        )


def seed(state: RedmineState) -> None:
    """Next to the harness's web-app (alice, bob; issues 1-3, Bug) and ops (no members):

    | issue | project | tracker | state  |      | entry | user  | issue | hours | day   |
    |-------|---------|---------|--------|      |-------|-------|-------|-------|-------|
    | 4     | web-app | Support | closed |      | 1     | alice | 1     | 2     | 03-02 |
    | 5     | mobile  | Feature | open   |      | 2     | bob   | 2     | 1.5   | 03-02 |
    | 6     | ops     | Bug     | open   |      | 3     | alice | 4     | 0.5   | 03-01 |
                                                | 4     | alice | 5     | 1     | 02-27 |
                                                | 5     | alice | -     | 0.25  | 02-28 |
                                                | 6     | admin | 6     | 3     | 03-02 |
                                                | 7     | bob   | 1     | 4     | 01-15 |

    Entry 6 is in ops, which neither alice nor bob can see; entry 7 is before the period.
    """
    state.add_project("mobile", "Mobile", members=(ALICE,), id=MOBILE)
    state.add_issue(1, "Write the docs", tracker_id=3, status_id=5, id=4)
    state.add_issue(MOBILE, "Offline mode", tracker_id=2, id=5)
    state.add_issue(2, "Rotate logs", id=6)
    state.add_entries(
        [
            {"user_id": ALICE, "hours": Decimal(2), "spent_on": TODAY, "issue_id": 1},
            {"user_id": BOB, "hours": Decimal("1.5"), "spent_on": TODAY, "issue_id": 2},
            {"user_id": ALICE, "hours": Decimal("0.5"), "spent_on": day(-1), "issue_id": 4},
            {"user_id": ALICE, "hours": Decimal(1), "spent_on": day(-3), "issue_id": 5},
            {"user_id": ALICE, "hours": Decimal("0.25"), "spent_on": day(-2), "project_id": 1},
            {"user_id": ADMIN, "hours": Decimal(3), "spent_on": TODAY, "issue_id": 6},
            {"user_id": BOB, "hours": Decimal(4), "spent_on": dt.date(2026, 1, 15), "issue_id": 1},
        ]
    )


def day(offset: int) -> dt.date:
    return TODAY + dt.timedelta(days=offset)
