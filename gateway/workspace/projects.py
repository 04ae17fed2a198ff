"""The projects a caller can see in Redmine, and those a search text names (matching is pure)."""

from collections.abc import Sequence

from pydantic import TypeAdapter
from typing_extensions import TypedDict

from gateway.identity import Caller
from gateway.redmine.client import RedmineClient
from gateway.redmine.models import RedmineProject

PROJECTS_PATH = "/projects.json"


class ProjectPage(TypedDict):
    projects: list[RedmineProject]
    total_count: int


_project_page = TypeAdapter(ProjectPage)


def read_projects(raw: bytes) -> tuple[list[RedmineProject], int]:
    page = _project_page.validate_json(raw)
    return page["projects"], page["total_count"]


async def visible_projects(redmine: RedmineClient, caller: Caller) -> list[RedmineProject]:
    """Every project Redmine lists for the caller (every page), in Redmine's order."""
    pages: dict[int, list[RedmineProject]] = {}

    async def keep(offset: int, projects: list[RedmineProject]) -> None:
        pages[offset] = projects

    await redmine.each_page(caller.api_key, PROJECTS_PATH, {}, read_projects, keep)
    return [project for offset in sorted(pages) for project in pages[offset]]


def matching(projects: Sequence[RedmineProject], text: str) -> list[RedmineProject]:
    """Projects whose name or identifier contains `text` (case-insensitively): exact matches
    first, then those that start with it, then the rest; by name within each."""
    wanted = text.casefold()

    def rank(project: RedmineProject) -> int:
        names = (project.name.casefold(), project.identifier.casefold())
        if wanted in names:
            return 0
        return 1 if any(name.startswith(wanted) for name in names) else 2

    found = [
        p for p in projects if wanted in p.name.casefold() or wanted in p.identifier.casefold()
    ]
    return sorted(found, key=lambda p: (rank(p), p.name.casefold(), p.identifier))
