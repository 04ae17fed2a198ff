"""The gateway's /time-trackings API as callers use it, and Redmine read with the admin key."""

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .endpoints import Answer, Call, Endpoint, api_key, json_call

TIMERS = "/time-trackings"
GONE = 404


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def data_of(answer: Answer) -> dict[str, Any]:
    """The time-tracking item an answer holds; its status was checked by the caller."""
    data = answer.json()["data"]
    assert isinstance(data, dict), answer.body
    return data


@dataclass
class TimeTrackings:
    """Calls to one gateway's /time-trackings; every timer started is deleted in `discard_all`."""

    endpoint: Endpoint
    started: list[tuple[str, int]] = field(default_factory=list)

    async def start(self, key: str, payload: dict[str, Any], *, use_bearer: bool = True) -> Answer:
        return await self.post(bearer(key) if use_bearer else api_key(key), payload)

    async def post(self, credentials: dict[str, str], payload: dict[str, Any]) -> Answer:
        """POST /time-trackings with the given credential headers (or none)."""
        headers = {**credentials, "Content-Type": "application/json"}
        answer = await self.endpoint.send(
            Call("POST", TIMERS, headers, json.dumps(payload).encode())
        )
        created = answer.json().get("data") if answer.body else None
        if isinstance(created, dict) and "id" in created:
            key = credentials.get("X-Redmine-API-Key") or credentials["Authorization"].split()[-1]
            self.started.append((key, int(created["id"])))
        return answer

    async def stop(self, key: str, timer_id: int, payload: dict[str, Any] | None = None) -> Answer:
        headers = {**bearer(key), "Content-Type": "application/json"}
        body = json.dumps(payload or {}).encode()
        return await self.endpoint.send(Call("PUT", f"{TIMERS}/{timer_id}", headers, body))

    async def show(self, key: str, timer_id: int) -> Answer:
        return await self.endpoint.send(Call("GET", f"{TIMERS}/{timer_id}", bearer(key)))

    async def delete(self, key: str, timer_id: int) -> Answer:
        return await self.endpoint.send(Call("DELETE", f"{TIMERS}/{timer_id}", bearer(key)))

    async def active(self, key: str) -> dict[str, Any] | None:
        answer = await self.endpoint.send(Call("GET", f"{TIMERS}/active", bearer(key)))
        assert answer.status == 200, answer.body
        data: dict[str, Any] | None = answer.json()["data"]
        return data

    async def listing(self, key: str, query: dict[str, str]) -> list[dict[str, Any]]:
        """Every item of GET /time-trackings?<query>, all pages."""
        items: list[dict[str, Any]] = []
        page, last_page = 1, 1
        while page <= last_page:
            target = f"{TIMERS}?{urlencode({**query, 'per_page': '100', 'page': str(page)})}"
            answer = await self.endpoint.send(Call("GET", target, bearer(key)))
            assert answer.status == 200, answer.body
            body = answer.json()
            items.extend(body["data"])
            last_page = body["meta"]["last_page"]
            page += 1
        return items

    async def page(self, key: str, query: dict[str, str]) -> dict[str, Any]:
        """One page of GET /time-trackings?<query>: its body, `data` and `meta`."""
        answer = await self.endpoint.send(Call("GET", f"{TIMERS}?{urlencode(query)}", bearer(key)))
        assert answer.status == 200, answer.body
        body: dict[str, Any] = answer.json()
        return body

    async def discard_all(self) -> None:
        """Deletes what the test left behind (a recorded timer takes its Redmine entry along)."""
        for key, timer_id in reversed(self.started):
            answer = await self.delete(key, timer_id)
            assert answer.status in (204, GONE), f"DELETE timer {timer_id}: {answer.body!r}"
        self.started.clear()


@dataclass(frozen=True)
class RedmineReader:
    """Redmine itself, read (and written where a test needs it) around the gateway."""

    endpoint: Endpoint
    admin_key: str

    async def time_entry(self, entry_id: int) -> Answer:
        return await self.endpoint.send(
            Call("GET", f"/time_entries/{entry_id}.json", api_key(self.admin_key))
        )

    async def existing_entry(self, entry_id: int) -> dict[str, Any]:
        answer = await self.time_entry(entry_id)
        assert answer.status == 200, f"time entry {entry_id}: {answer.status} {answer.body!r}"
        entry: dict[str, Any] = answer.json()["time_entry"]
        return entry

    async def entries(self, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every time entry matching `params`, as the admin sees them, all pages."""
        found: list[dict[str, Any]] = []
        total = 1
        while len(found) < total:
            query = urlencode({**params, "limit": "100", "offset": str(len(found))})
            answer = await self.endpoint.send(
                Call("GET", f"/time_entries.json?{query}", api_key(self.admin_key))
            )
            assert answer.status == 200, answer.body
            body = answer.json()
            if not body["time_entries"]:
                break
            found.extend(body["time_entries"])
            total = body["total_count"]
        return found

    async def marked_entry_ids(self, issue_id: int, comments: str) -> set[int]:
        """Entries on the issue with exactly these (unique) comments: what one test created."""
        found = await self.entries({"issue_id": str(issue_id)})
        return {e["id"] for e in found if e.get("comments") == comments}

    async def create_entry(self, key: str, fields: dict[str, Any]) -> Answer:
        return await self.endpoint.send(
            json_call("POST", "/time_entries.json", key, {"time_entry": fields})
        )

    async def set_issue_status(self, issue_id: int, status_id: int) -> None:
        answer = await self.endpoint.send(
            json_call(
                "PUT",
                f"/issues/{issue_id}.json",
                self.admin_key,
                {"issue": {"status_id": status_id}},
            )
        )
        assert answer.status == 204, f"issue {issue_id} status: {answer.status} {answer.body!r}"
        # Redmine answers 204 even when its workflow ignored the new status: read it back.
        now = await self.issue_status_id(issue_id)
        assert now == status_id, f"issue {issue_id} has status {now}, not {status_id}"

    async def issue_status_id(self, issue_id: int) -> int:
        answer = await self.endpoint.send(
            Call("GET", f"/issues/{issue_id}.json", api_key(self.admin_key))
        )
        assert answer.status == 200, answer.body
        return int(answer.json()["issue"]["status"]["id"])

    async def other_active_activity_id(self) -> int:
        """An active activity that is not the default one (Testing on the seed)."""
        answer = await self.endpoint.send(
            Call("GET", "/enumerations/time_entry_activities.json", api_key(self.admin_key))
        )
        assert answer.status == 200, answer.body
        return next(
            int(a["id"])
            for a in answer.json()["time_entry_activities"]
            if a.get("active", True) and not a["is_default"]
        )

    async def closed_status_id(self) -> int:
        answer = await self.endpoint.send(
            Call("GET", "/issue_statuses.json", api_key(self.admin_key))
        )
        assert answer.status == 200, answer.body
        return next(int(s["id"]) for s in answer.json()["issue_statuses"] if s["is_closed"])
