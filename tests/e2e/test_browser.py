"""Redmine's web UI through the gateway in headless Chromium: the browser never leaves it."""

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin

import pytest

# Imported at module level on purpose: without Playwright the module fails to import, which is a
# failure, never a skip.
from playwright.sync_api import Browser, BrowserContext, Page, Response, expect, sync_playwright

from .cleanup import Cleanup
from .harness import Account, Harness

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

# Debian's chromium: `playwright install` cannot download browsers here.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
ISSUE_PATH = re.compile(r"/issues/(\d+)$")

# Playwright's sync API refuses to run inside an event loop, so this test is a plain function.

PageOpener = Callable[[], Page]


@dataclass
class Traffic:
    """Every URL browser contexts requested or received, and every redirect's target."""

    urls: list[str] = field(default_factory=list)
    redirect_targets: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("request", lambda request: self.urls.append(request.url))
        context.on("response", self._record_response)

    def _record_response(self, response: Response) -> None:
        self.urls.append(response.url)
        location = response.headers.get("location")
        if location is not None:
            self.redirect_targets.append(urljoin(response.url, location))

    def outside(self, origin: str) -> list[str]:
        seen = self.urls + self.redirect_targets
        return [url for url in seen if not url.startswith(f"{origin}/")]


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def traffic() -> Traffic:
    return Traffic()


@pytest.fixture
def open_page(browser: Browser, traffic: Traffic) -> Iterator[PageOpener]:
    """A page in a fresh context (its own cookies, so its own login), watched by `traffic`."""
    contexts: list[BrowserContext] = []

    def open_new_page() -> Page:
        context = browser.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        traffic.watch(context)
        contexts.append(context)
        return context.new_page()

    yield open_new_page
    for context in contexts:
        context.close()


def log_in(page: Page, gateway_url: str, account: Account) -> None:
    page.goto(f"{gateway_url}/login")
    page.fill("#username", account.login)
    page.fill("#password", account.password)
    page.click("#login-submit")
    expect(page.locator("#loggedas")).to_contain_text(account.login)


def test_log_in_browse_and_create_issue_through_gateway(
    open_page: PageOpener, traffic: Traffic, gateway_url: str, redmine: Harness, cleanup: Cleanup
) -> None:
    project_url = f"{gateway_url}/projects/{redmine.project_identifier}"
    alice = open_page()
    log_in(alice, gateway_url, redmine.alice)
    alice.goto(project_url)
    expect(alice.locator("#header h1")).to_contain_text(redmine.project_name)

    if "add_issues" in redmine.role_permissions:
        creator = alice
    else:
        # The seeded "Time Logger" role lacks add_issues: alice is refused the form, so the admin
        # creates the issue, in a context of its own.
        refused = alice.goto(f"{project_url}/issues/new")
        assert refused is not None and refused.status == 403
        creator = open_page()
        log_in(creator, gateway_url, redmine.admin)

    subject = f"e2e browser issue {uuid.uuid4().hex[:8]}"
    creator.goto(f"{project_url}/issues/new")
    creator.fill("#issue_subject", subject)
    creator.click("#issue-form input[name=commit]")
    expect(creator).to_have_url(ISSUE_PATH)
    match = ISSUE_PATH.search(creator.url)
    assert match is not None
    issue_id = match.group(1)
    cleanup.delete_later(f"/issues/{issue_id}.json")  # via REST, with the admin key

    expect(creator.locator("#flash_notice")).to_contain_text(f"#{issue_id}")
    expect(creator.locator(".subject h3")).to_have_text(subject)
    assert creator.url == f"{gateway_url}/issues/{issue_id}"
    # Logging in and creating the issue both redirect: the check below is not vacuous.
    assert len(traffic.redirect_targets) >= 3, traffic.redirect_targets
    assert traffic.outside(gateway_url) == []
