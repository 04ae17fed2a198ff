"""Page: what the page's handlers need, built once in the app factory."""

from dataclasses import dataclass

from gateway.page.files import PageFiles
from gateway.page.sessions import PageSessions
from gateway.redmine.accounts import RedmineAccounts

# How many issues the picker offers for one query.
ISSUE_CHOICES = 20


@dataclass(frozen=True)
class Page:
    sessions: PageSessions
    accounts: RedmineAccounts
    files: PageFiles
    # Where the page lives (the cookie's Path): the cookie never goes to Redmine's paths.
    root: str
    # Where the time-tracking API is mirrored behind the session.
    api_root: str
