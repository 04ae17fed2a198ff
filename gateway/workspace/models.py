"""The queries and answers of /workspaces and of /search with categories (pydantic)."""

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from gateway.timers.list_query import PageMeta
from gateway.timers.models import Slug

PER_PAGE_MAX = 100
SEARCH_LIMIT_MAX = 50
# GitScrum's search categories (gitscrum-core/mcp-server, GitScrumClient.search); of these,
# Redmine has projects: the others are answered empty.
Category = Literal["tasks", "projects", "user_stories", "sprints", "wiki", "notes"]
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


def without_blanks(data: object) -> object:
    """A parameter sent empty (`?company_slug=`) counts as not sent."""
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
    return data


class WorkspacesQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    _blank_is_absent = model_validator(mode="before")(without_blanks)

    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=25, ge=1, le=PER_PAGE_MAX)
    search: Annotated[str, StringConstraints(strip_whitespace=True, max_length=255)] | None = None


class Workspace(BaseModel):
    """The one workspace: GATEWAY_COMPANY_SLUG; `projects_count` counts the projects the
    caller can see in Redmine."""

    slug: str
    name: str
    projects_count: int


class WorkspacesAnswer(BaseModel):
    """GET /workspaces."""

    data: list[Workspace]
    meta: PageMeta


class SearchQuery(BaseModel):
    """GET /search?q=&categories= (GitScrum's search; without `categories`, /search is
    Redmine's and never reaches this model)."""

    model_config = ConfigDict(extra="ignore")

    _blank_is_absent = model_validator(mode="before")(without_blanks)

    q: SearchText
    categories: tuple[Category, ...] = Field(min_length=1)
    limit: int = Field(default=5, ge=1, le=SEARCH_LIMIT_MAX)
    company_slug: Slug | None = None

    @field_validator("categories", mode="before")
    @classmethod
    def _split_categories(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        return tuple(dict.fromkeys(name.strip() for name in value.split(",") if name.strip()))


class SearchItem(BaseModel):
    """One project found: `route` is /{company_slug}/projects/{project_slug}."""

    id: int
    title: str
    slug: str
    company_slug: str
    route: str


class SearchCategory(BaseModel):
    items: list[SearchItem]
    total: int


def absent(value: object) -> bool:
    return value is None


class SearchResults(BaseModel):
    """The categories asked for, and only those."""

    tasks: SearchCategory | None = Field(default=None, exclude_if=absent)
    projects: SearchCategory | None = Field(default=None, exclude_if=absent)
    user_stories: SearchCategory | None = Field(default=None, exclude_if=absent)
    sprints: SearchCategory | None = Field(default=None, exclude_if=absent)
    wiki: SearchCategory | None = Field(default=None, exclude_if=absent)
    notes: SearchCategory | None = Field(default=None, exclude_if=absent)


class SearchAnswer(BaseModel):
    """GET /search?categories=…."""

    data: SearchResults
