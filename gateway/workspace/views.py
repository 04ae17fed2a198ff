"""Handlers of GET /workspaces and of GET /search with categories (GitScrum's search)."""

import math

from aiohttp import web

from gateway.appkeys import REDMINE, SETTINGS
from gateway.timers.list_query import PageMeta
from gateway.timers.views import caller_of, json_answer
from gateway.workspace.models import (
    SearchAnswer,
    SearchCategory,
    SearchItem,
    SearchQuery,
    SearchResults,
    Workspace,
    WorkspacesAnswer,
    WorkspacesQuery,
)
from gateway.workspace.projects import matching, visible_projects


async def workspaces(request: web.Request) -> web.Response:
    """The one workspace (GATEWAY_COMPANY_SLUG), paginated and searched as GitScrum's list is."""
    caller = await caller_of(request)
    query = WorkspacesQuery.model_validate(dict(request.query))
    slug = request.app[SETTINGS].company_slug
    projects = await visible_projects(request.app[REDMINE], caller)
    found = [Workspace(slug=slug, name=slug, projects_count=len(projects))]
    if query.search and query.search.casefold() not in slug.casefold():
        found = []
    first = (query.page - 1) * query.per_page
    meta = PageMeta(
        total=len(found),
        per_page=query.per_page,
        current_page=query.page,
        last_page=max(1, math.ceil(len(found) / query.per_page)),
    )
    return json_answer(WorkspacesAnswer(data=found[first : first + query.per_page], meta=meta))


async def search(request: web.Request) -> web.Response:
    """Projects the caller can see whose name or identifier contains `q`; the categories
    Redmine has nothing for (tasks, user stories, sprints, wiki, notes) are answered empty."""
    caller = await caller_of(request)
    query = SearchQuery.model_validate(dict(request.query))
    slug = request.app[SETTINGS].company_slug
    results = {name: SearchCategory(items=[], total=0) for name in query.categories}
    if "projects" in results and query.company_slug in (None, slug):
        found = matching(await visible_projects(request.app[REDMINE], caller), query.q)
        items = [
            SearchItem(
                id=project.id,
                title=project.name,
                slug=project.identifier,
                company_slug=slug,
                route=f"/{slug}/projects/{project.identifier}",
            )
            for project in found[: query.limit]
        ]
        results["projects"] = SearchCategory(items=items, total=len(found))
    return json_answer(SearchAnswer(data=SearchResults.model_validate(results)))
