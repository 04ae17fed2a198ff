"""The timer page (/-/app/) in headless Chromium against the real Redmine: sign in, time an
issue, see it in Redmine, in the week and in the chart; other users and other sites kept out.

Screenshots of the main views (desktop and 360 px wide) are written to tests/e2e/screenshots/.
"""

import json
import re
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Imported at module level on purpose: without Playwright the module fails to import, which is a
# failure, never a skip.
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from .cleanup import Cleanup
from .harness import Account, Harness
from .test_browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, Traffic

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SCREENSHOTS = Path(__file__).parent / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}
PAGE_API = "/-/app/api"
TODAY_BAR = "#chart-days g.bar.today"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def contexts(chromium: Browser) -> Iterator[list[BrowserContext]]:
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def new_context(
    chromium: Browser, contexts: list[BrowserContext], traffic: Traffic | None = None
) -> BrowserContext:
    context = chromium.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(TIMEOUT_MS)
    if traffic is not None:
        traffic.watch(context)
    contexts.append(context)
    return context


def sign_in(page: Page, gateway_url: str, account: Account) -> None:
    page.goto(f"{gateway_url}/-/app/")
    expect(page.locator("#sign-in")).to_be_visible()
    page.fill("#login", account.login)
    page.fill("#password", account.password)
    page.press("#password", "Enter")  # the keyboard, as a user would
    expect(page.locator("#who")).to_contain_text(account.login)


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def at_width(page: Page, size: dict[str, int]) -> None:
    """The viewport at `size`, once the charts (if any) are drawn again for it."""
    page.set_viewport_size(size)  # type: ignore[arg-type]
    page.wait_for_function(
        "(most) => [...document.querySelectorAll('svg.bars, svg.hbars')]"
        "  .every((svg) => Number(svg.getAttribute('width')) <= most)",
        arg=size["width"],
        timeout=TIMEOUT_MS,
    )


def csrf_token(context: BrowserContext, gateway_url: str) -> str:
    answer = context.request.get(f"{gateway_url}{PAGE_API}/session")
    assert answer.ok, answer.text()
    token: str = answer.json()["data"]["csrf_token"]
    return token


def redmine_entry(redmine: Harness, entry_id: int) -> dict[str, Any]:
    request = urllib.request.Request(
        f"{redmine.base_url}/time_entries/{entry_id}.json",
        headers={"X-Redmine-API-Key": redmine.admin.api_key},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        entry: dict[str, Any] = json.load(response)["time_entry"]
        return entry


def today_hours(page: Page) -> float:
    bar = page.locator(TODAY_BAR)
    expect(bar).to_have_count(1)
    return float(bar.get_attribute("data-hours") or "nan")


def test_alice_times_an_issue_and_sees_it_recorded_listed_and_charted(
    chromium: Browser,
    contexts: list[BrowserContext],
    gateway_url: str,
    redmine: Harness,
    cleanup: Cleanup,
) -> None:
    traffic = Traffic()
    page = new_context(chromium, contexts, traffic).new_page()
    page.goto(f"{gateway_url}/-/app/")
    expect(page.locator("#sign-in")).to_be_visible()
    shoot(page, "sign-in-desktop")
    at_width(page, PHONE)
    shoot(page, "sign-in-360px")
    at_width(page, DESKTOP)
    sign_in(page, gateway_url, redmine.alice)
    before = today_hours(page)

    issue = redmine.issues[0]
    words = " ".join(issue.subject.split()[:2])
    page.fill("#issue-search", words)
    option = page.locator(f'#issue-list li[data-issue-id="{issue.id}"]')
    expect(option).to_be_visible()
    page.press("#issue-search", "ArrowDown")
    page.press("#issue-search", "Enter")
    expect(page.locator("#issue-search")).to_have_value(re.compile(rf"^#{issue.id} "))
    description = f"e2e page {uuid.uuid4().hex[:8]}"
    page.fill("#description", description)
    page.click("#start")

    clock = page.locator("#clock")
    expect(page.locator("#running")).to_be_visible()
    expect(page.locator("#running-issue")).to_have_text(f"Issue #{issue.id}")
    expect(page.locator("#running-description")).to_have_text(description)
    first = clock.inner_text()
    assert re.fullmatch(r"0:00:0\d", first), first
    expect(clock).not_to_have_text(first)  # it ticks
    running = page.locator("#week li.entry", has_text=description)
    expect(running).to_have_attribute("data-status", "running")
    shoot(page, "timer-desktop")
    at_width(page, PHONE)
    shoot(page, "timer-360px")
    at_width(page, DESKTOP)

    page.click("#stop")
    expect(page.locator("#status")).to_contain_text("recorded in Redmine")
    expect(page.locator("#running")).to_be_hidden()
    listed = page.locator("#week li.entry", has_text=description)
    expect(listed).to_have_attribute("data-status", "recorded")
    expect(listed.locator(".badge")).to_have_text("recorded")

    timer_id = listed.get_attribute("data-id")
    shown = page.context.request.get(f"{gateway_url}{PAGE_API}/time-trackings/{timer_id}")
    entry_id = shown.json()["data"]["redmine_time_entry_id"]
    cleanup.delete_later(f"/time_entries/{entry_id}.json")
    recorded = redmine_entry(redmine, entry_id)
    assert recorded["comments"] == description
    assert recorded["user"]["id"] == redmine.alice.id
    assert recorded["issue"]["id"] == issue.id
    assert float(recorded["hours"]) == 0.25

    # The day's bar grows by the entry's hours (others' entries are not in alice's chart).
    page.wait_for_function(
        "([selector, least]) => {"
        "  const bar = document.querySelector(selector);"
        "  return bar !== null && parseFloat(bar.getAttribute('data-hours')) >= least;"
        "}",
        arg=[TODAY_BAR, round(before + 0.25, 2) - 0.001],
        timeout=TIMEOUT_MS,
    )
    expect(page.locator(f"{TODAY_BAR} text.value")).to_have_text(
        page.locator(TODAY_BAR).get_attribute("data-hours") or ""
    )
    expect(page.locator("#team tbody tr").first).to_be_visible()
    expect(page.locator("#productivity dd").first).to_be_visible()
    shoot(page, "week-and-charts-desktop")

    at_width(page, PHONE)
    expect(page.locator("#week li.entry", has_text=description)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at 360 px: {width}"
    shoot(page, "page-360px")
    at_width(page, DESKTOP)

    page.click("#sign-out")
    expect(page.locator("#sign-in")).to_be_visible()
    expect(page.locator("#sign-in-error")).to_have_text("You are signed out.")
    after = page.context.request.get(f"{gateway_url}{PAGE_API}/session")
    assert after.status == 401
    page.reload()
    expect(page.locator("#sign-in")).to_be_visible()
    assert traffic.urls, "the request log is empty"
    assert traffic.outside(gateway_url) == []


def test_a_second_user_cannot_see_the_first_users_timer(
    chromium: Browser, contexts: list[BrowserContext], gateway_url: str, redmine: Harness
) -> None:
    alice = new_context(chromium, contexts)
    alice_page = alice.new_page()
    sign_in(alice_page, gateway_url, redmine.alice)
    token = csrf_token(alice, gateway_url)
    started = alice.request.post(
        f"{gateway_url}{PAGE_API}/time-trackings",
        data={"task_uuid": str(redmine.issues[0].id), "description": "e2e page: alice's"},
        headers={"X-CSRF-Token": token},
    )
    assert started.status == 201, started.text()
    timer_id = started.json()["data"]["id"]
    try:
        bob = new_context(chromium, contexts)
        bob_page = bob.new_page()
        sign_in(bob_page, gateway_url, redmine.bob)
        expect(bob_page.locator("#start-form")).to_be_visible()
        expect(bob_page.locator("#running")).to_be_hidden()
        expect(bob_page.locator("#week")).not_to_contain_text("e2e page: alice's")
        seen = bob.request.get(f"{gateway_url}{PAGE_API}/time-trackings/{timer_id}")
        assert seen.status == 404
        stop = bob.request.put(
            f"{gateway_url}{PAGE_API}/time-trackings/{timer_id}",
            data={},
            headers={"X-CSRF-Token": csrf_token(bob, gateway_url)},
        )
        assert stop.status == 404
        alice_page.reload()
        expect(alice_page.locator("#running-description")).to_have_text("e2e page: alice's")
    finally:
        # Discarded: a running timer has nothing in Redmine yet.
        discarded = alice.request.delete(
            f"{gateway_url}{PAGE_API}/time-trackings/{timer_id}", headers={"X-CSRF-Token": token}
        )
        assert discarded.status == 204


def test_a_forged_cross_site_post_without_the_csrf_token_is_refused(
    chromium: Browser, contexts: list[BrowserContext], gateway_url: str, redmine: Harness
) -> None:
    alice = new_context(chromium, contexts)
    page = alice.new_page()
    sign_in(page, gateway_url, redmine.alice)
    target = f"{gateway_url}{PAGE_API}/time-trackings"

    # A page of another origin (Redmine's own port: the same site, so the browser does send
    # the SameSite=Strict cookie) posts a form at the page's API.
    page.goto(f"{redmine.base_url}/login")
    with page.expect_response(target) as forged:
        page.evaluate(
            """(target) => {
                const form = document.createElement("form");
                form.method = "POST";
                form.action = target;
                form.enctype = "text/plain";
                const field = document.createElement("input");
                field.name = '{"task_uuid":"1","x":"';
                field.value = '"}';
                form.append(field);
                document.body.append(form);
                form.submit();
            }""",
            target,
        )
    assert forged.value.status == 403
    assert forged.value.json()["error_code"] == "CSRF_FAILED"

    # The browser's cookie without the token, as a script could send it: refused too.
    no_token = alice.request.post(target, data={"task_uuid": "1"})
    assert no_token.status == 403 and no_token.json()["error_code"] == "CSRF_FAILED"
    active = alice.request.get(f"{target}/active")
    assert active.json() == {"data": None}
