"""The page in Chromium over the fake Redmine (a gateway process): while Redmine is slow, then
unreachable, then back; an entry Redmine refuses; a manual entry in the gateway's time zone."""

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

# Imported at module level on purpose: without Playwright the module fails to import, which is a
# failure, never a skip.
from playwright.async_api import Browser, Page, async_playwright, expect
from pytest_aiohttp import AiohttpServer

from tests.e2e.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.fakes.redmine import Canned
from tests.fakes.redmine_api import FakeRedmineApi
from tests.gateway_process import GatewayProcess, running_gateway

pytestmark = [pytest.mark.browser]

ALICE = 5
# Longer than the page's 2.5 s before it says it is waiting; shorter than the gateway's bound.
SLOW_S = 4.0
# The outbox retries after 5 s, the page after Retry-After (5 s): both well within this.
RECOVERY_MS = 30_000
# The browser's own zone: never the gateway's (below), so times shown come from the gateway's.
BROWSER_ZONE = "America/Los_Angeles"


def zone_at_noon(now: dt.datetime) -> str:
    """A fixed-offset zone where it is now between 12:00 and 13:00: there, 01:00-02:00 today is
    in the past and in this week, whenever the test runs."""
    offset = (12 - now.hour) % 24
    offset = offset - 24 if offset > 14 else offset
    # POSIX signs: Etc/GMT-3 is UTC+3.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


@pytest.fixture
async def fake_redmine(aiohttp_server: AiohttpServer) -> FakeRedmineApi:
    fake = FakeRedmineApi()
    server = await aiohttp_server(fake.app)
    fake.url = str(server.make_url("/"))
    return fake


@pytest.fixture
async def gateway(fake_redmine: FakeRedmineApi, tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    settings = {
        "GATEWAY_REDMINE_URL": fake_redmine.url,
        "GATEWAY_UPSTREAM_TIMEOUT_S": "10",
        "GATEWAY_TIMEZONE": zone_at_noon(dt.datetime.now(dt.UTC)),
    }
    async with running_gateway(settings, tmp_path / "gateway.log") as running:
        yield running


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


async def signed_in_page(chromium: Browser, gateway: GatewayProcess) -> Page:
    page = await chromium.new_page(timezone_id=BROWSER_ZONE)
    await page.goto(f"{gateway.url}/-/app/")
    await page.fill("#login", "alice")
    await page.fill("#password", "alice-password")
    await page.click("#password-form button[type=submit]")
    await expect(page.locator("#who")).to_contain_text("alice")
    return page


async def test_a_slow_then_unreachable_redmine_is_explained_and_loses_nothing(
    chromium: Browser, gateway: GatewayProcess, fake_redmine: FakeRedmineApi
) -> None:
    page = await signed_in_page(chromium, gateway)
    await page.fill("#issue-search", "1")  # a number typed as is, without the list
    await page.click("#start")
    await expect(page.locator("#running")).to_be_visible()

    fake_redmine.outage = Canned(delay_s=SLOW_S, drop_connection=True)
    await page.click("#stop")
    status = page.locator("#status")
    await expect(status).to_have_text("Waiting for Redmine to answer…")
    await expect(status).to_contain_text(
        "Redmine cannot be reached now: the hours will be posted when it is back",
        timeout=RECOVERY_MS,
    )
    entry = page.locator("#week li.entry").first
    await expect(entry).to_have_attribute("data-status", "pending")
    await expect(entry.locator(".badge")).to_have_text("pending: waiting for Redmine")
    # The list itself comes from Redmine: it says it is not up to date.
    await expect(page.locator("#week-error")).to_contain_text(
        "Not up to date: Redmine could not be reached", timeout=RECOVERY_MS
    )
    # The charts ask Redmine too: their error says so, with the retry.
    await expect(page.locator("#charts-error")).to_contain_text(
        "Retrying in 5 s", timeout=RECOVERY_MS
    )
    assert fake_redmine.entries_for(ALICE) == []

    fake_redmine.outage = None
    # The outbox posts it; the page, retrying after Retry-After, shows it recorded.
    await expect(entry).to_have_attribute("data-status", "recorded", timeout=RECOVERY_MS)
    await expect(page.locator("#chart-days g.bar.today")).to_have_attribute(
        "data-hours", "0.25", timeout=RECOVERY_MS
    )
    await expect(page.locator("#week-error")).to_have_text("")
    # The average of the days with entries is the hours' (analytics), not the timed seconds'.
    await expect(page.locator("#productivity dd").nth(1)).to_have_text("0.25 h")
    assert len(fake_redmine.entries_for(ALICE)) == 1
    assert "Traceback" not in await gateway.log_text()


async def test_an_entry_redmine_refuses_shows_redmines_reason(
    chromium: Browser, gateway: GatewayProcess, fake_redmine: FakeRedmineApi
) -> None:
    page = await signed_in_page(chromium, gateway)
    await page.fill("#issue-search", "#2")
    await page.fill("#description", "to be refused")
    await page.click("#start")
    await expect(page.locator("#running")).to_be_visible()
    refusal = b'{"errors":["Comment is too long"]}'
    fake_redmine.fault_next_posts(Canned(status=422, body=refusal))
    await page.click("#stop")
    await expect(page.locator("#timer-error")).to_have_text(
        "Redmine refused it: Comment is too long"
    )
    entry = page.locator("#week li.entry", has_text="to be refused")
    await expect(entry).to_have_attribute("data-status", "failed")
    await expect(entry.locator(".reason")).to_have_text("Redmine: Comment is too long")
    await expect(page.locator("#start-form")).to_be_visible()
    assert fake_redmine.entries_for(ALICE) == []


async def test_a_manual_entry_is_read_and_shown_in_the_gateways_time_zone(
    chromium: Browser, gateway: GatewayProcess, fake_redmine: FakeRedmineApi
) -> None:
    page = await signed_in_page(chromium, gateway)
    await page.click("#manual summary")
    await expect(page.locator("#manual-zone")).to_contain_text("Times are in Etc/GMT")
    await page.fill("#manual-issue", "csv")
    option = page.locator('#manual-issue-list li[data-issue-id="2"]')
    await expect(option).to_have_text("#2 Add CSV export (Web App)")
    await option.click()
    await page.fill("#manual-from", "01:00")
    await page.fill("#manual-to", "02:00")
    await page.fill("#manual-description", "written by hand")
    await page.click("#manual-form button[type=submit]")
    await expect(page.locator("#status")).to_have_text("Entry recorded: 1 h.")
    entry = page.locator("#week li.entry", has_text="written by hand")
    await expect(entry).to_have_attribute("data-status", "recorded")
    await expect(entry.locator(".what")).to_have_text("01:00\u201302:00 #2 written by hand")
    await expect(entry.locator(".hours")).to_have_text("1.00 h")
    (posted,) = fake_redmine.entries_for(ALICE)
    assert posted.issue_id == 2 and posted.hours == 1
    assert posted.spent_on == dt.date.fromisoformat(
        await page.locator("#manual-date").input_value()
    )


async def test_sign_in_errors_are_said_on_the_form(
    chromium: Browser, gateway: GatewayProcess, fake_redmine: FakeRedmineApi
) -> None:
    page = await chromium.new_page()
    await page.goto(f"{gateway.url}/-/app/")
    await page.fill("#login", "alice")
    await page.fill("#password", "not-her-password")
    await page.press("#password", "Enter")
    error = page.locator("#sign-in-error")
    await expect(error).to_have_text("Redmine did not accept this login and password.")
    fake_redmine.outage = Canned(drop_connection=True)
    await page.fill("#password", "alice-password")
    await page.press("#password", "Enter")
    await expect(error).to_have_text("Redmine could not be reached; try again later.")
    fake_redmine.outage = None
    await page.press("#password", "Enter")
    await expect(page.locator("#who")).to_contain_text("alice")
    await expect(error).to_have_text("")


async def test_pause_holds_the_clock_and_resume_runs_it_again(
    chromium: Browser, gateway: GatewayProcess
) -> None:
    page = await signed_in_page(chromium, gateway)
    await page.fill("#issue-search", "1")
    await page.click("#start")
    await expect(page.locator("#running-state")).to_have_text("Running")
    await expect(page.locator("#resume")).to_be_hidden()
    clock = page.locator("#clock")
    await expect(clock).not_to_have_text("0:00:00")  # it ticks
    await page.click("#pause")
    await expect(page.locator("#running-state")).to_have_text("Paused")
    await expect(page.locator("#pause")).to_be_hidden()
    # Paused, the clock shows the time worked as the gateway counted it, and holds it there.
    held = await clock.text_content()
    answer = await page.request.get(f"{gateway.url}/-/app/api/time-trackings/active")
    worked_s = sum(
        (
            dt.datetime.fromisoformat(s["ended_at"]) - dt.datetime.fromisoformat(s["started_at"])
        ).total_seconds()
        for s in (await answer.json())["data"]["segments"]
    )
    whole = int(worked_s)
    assert held == f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    await page.click("#resume")
    await expect(page.locator("#running-state")).to_have_text("Running")
    await expect(clock).not_to_have_text(held or "")  # it ticks again
