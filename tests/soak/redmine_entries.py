"""The run's time entries read straight from Redmine as admin (not through the gateway); cleanup."""

import asyncio
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import aiohttp

PAGE = 100
REQUEST_TIMEOUT_S = 30.0
DELETE_CONCURRENCY = 4


@dataclass(frozen=True)
class Entry:
    id: int
    user_login: str
    comments: str
    hours: Decimal


async def entries_with_prefix(
    session: aiohttp.ClientSession, redmine_url: str, admin_key: str, prefix: str
) -> list[Entry]:
    """Every entry whose comments start with `prefix`, all pages."""
    found: list[Entry] = []
    offset = 0
    while True:
        page = await _get(session, redmine_url, admin_key, offset)
        rows: list[dict[str, Any]] = page["time_entries"]
        found.extend(_entry(row) for row in rows if str(row.get("comments")).startswith(prefix))
        offset += len(rows)
        if not rows or offset >= int(page["total_count"]):
            return found


async def delete_entries(
    session: aiohttp.ClientSession, redmine_url: str, admin_key: str, entries: list[Entry]
) -> int:
    """Deletes them as admin; returns how many Redmine confirmed."""
    limit = asyncio.Semaphore(DELETE_CONCURRENCY)

    async def delete(entry: Entry) -> bool:
        async with limit:
            url = f"{redmine_url}/time_entries/{entry.id}.json"
            timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
            headers = {"X-Redmine-API-Key": admin_key}
            async with session.delete(url, headers=headers, timeout=timeout) as response:
                return response.status in (200, 204)

    return sum(await asyncio.gather(*(delete(entry) for entry in entries)))


async def _get(
    session: aiohttp.ClientSession, redmine_url: str, admin_key: str, offset: int
) -> dict[str, Any]:
    url = f"{redmine_url}/time_entries.json"
    params = {"limit": str(PAGE), "offset": str(offset)}
    headers = {"X-Redmine-API-Key": admin_key}
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    async with session.get(url, params=params, headers=headers, timeout=timeout) as response:
        response.raise_for_status()
        page: dict[str, Any] = await response.json()
        return page


def _entry(row: dict[str, Any]) -> Entry:
    return Entry(
        id=int(row["id"]),
        user_login=str(row.get("user", {}).get("name", "")),
        comments=str(row["comments"]),
        hours=Decimal(str(row["hours"])),
    )
