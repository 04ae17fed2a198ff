"""The time-tracking API behind the page's session: the caller, CSRF, what reaches Redmine."""

from tests.fakes.redmine_state import harness_api_key

from .conftest import API, PageGateway, assert_error

TRACKINGS = f"{API}/time-trackings"


async def test_a_timer_started_on_the_page_is_the_users_own(page: PageGateway) -> None:
    alice = await page.signed_in()
    started = await alice.request("POST", TRACKINGS, {"task_uuid": "1", "description": "review"})
    assert started.status == 201, started.body
    assert started.data["user"]["username"] == "alice"
    active = await alice.request("GET", f"{TRACKINGS}/active")
    assert active.data["id"] == started.data["id"]
    # The same timer through the plain API, with alice's key.
    bearer = {"Authorization": f"Bearer {harness_api_key('alice')}"}
    async with page.client.get("/time-trackings/active", headers=bearer) as response:
        assert (await response.json())["data"]["id"] == started.data["id"]
    page.clock.advance(minutes=20)
    stopped = await alice.request("PUT", f"{TRACKINGS}/{started.data['id']}", {})
    assert stopped.status == 200, stopped.body
    assert stopped.data["status"] == "recorded" and stopped.data["hours"] == 0.25
    week = await alice.request("GET", f"{TRACKINGS}?user=me&from=2026-03-02&to=2026-03-08")
    assert [item["id"] for item in week.data] == [started.data["id"]]


async def test_a_change_without_the_csrf_token_is_refused_and_changes_nothing(
    page: PageGateway,
) -> None:
    alice = await page.signed_in()
    refused = await alice.request("POST", TRACKINGS, {"task_uuid": "1"}, csrf=False)
    assert_error(refused, 403, "CSRF_FAILED")
    wrong = await alice.request(
        "POST", TRACKINGS, {"task_uuid": "1"}, csrf=False, headers={"X-CSRF-Token": "guess"}
    )
    assert_error(wrong, 403, "CSRF_FAILED")
    assert (await alice.request("GET", f"{TRACKINGS}/active")).body == {"data": None}
    assert not [c for c in page.redmine.calls if c.method == "POST"]


async def test_a_change_from_another_origin_is_refused_even_with_the_token(
    page: PageGateway,
) -> None:
    alice = await page.signed_in()
    alice.origin = "http://evil.example"
    assert_error(await alice.request("POST", TRACKINGS, {"task_uuid": "1"}), 403, "CSRF_FAILED")
    alice.origin = None
    alice.extra["Sec-Fetch-Site"] = "cross-site"
    assert_error(await alice.request("GET", f"{TRACKINGS}/active"), 403, "CSRF_FAILED")


async def test_reads_need_the_session_but_not_the_token(page: PageGateway) -> None:
    alice = await page.signed_in()
    assert (await alice.request("GET", f"{TRACKINGS}/active", csrf=False)).status == 200
    anonymous = page.user()
    assert_error(await anonymous.request("GET", f"{TRACKINGS}/active"), 401, "UNAUTHENTICATED")


async def test_the_session_decides_the_caller_not_a_key_sent_beside_it(page: PageGateway) -> None:
    alice = await page.signed_in()
    bob_key = {"Authorization": f"Bearer {harness_api_key('bob')}"}
    started = await alice.request("POST", TRACKINGS, {"task_uuid": "1"}, headers=bob_key)
    assert started.status == 201 and started.data["user"]["username"] == "alice"


async def test_a_second_user_cannot_see_the_first_users_timer(page: PageGateway) -> None:
    alice = await page.signed_in()
    bob = await page.signed_in("bob")
    started = await alice.request("POST", TRACKINGS, {"task_uuid": "1"})
    assert started.status == 201
    timer_id = started.data["id"]
    assert (await bob.request("GET", f"{TRACKINGS}/active")).body == {"data": None}
    assert_error(await bob.request("GET", f"{TRACKINGS}/{timer_id}"), 404, "NOT_FOUND")
    assert_error(await bob.request("PUT", f"{TRACKINGS}/{timer_id}", {}), 404, "NOT_FOUND")
    assert (await alice.request("GET", f"{TRACKINGS}/{timer_id}")).data["status"] == "running"


async def test_the_session_cookie_never_reaches_redmine_and_is_no_key_elsewhere(
    page: PageGateway,
) -> None:
    alice = await page.signed_in()
    await alice.request("POST", TRACKINGS, {"task_uuid": "1"})
    await alice.request("GET", f"{API}/issues?q=login")
    assert page.redmine.calls
    for call in page.redmine.calls:
        assert "Cookie" not in call.headers
    # On the API clients use, the cookie stands for nobody.
    reply = await alice.request("GET", "/time-trackings/active")
    assert_error(reply, 401, "UNAUTHENTICATED")


async def test_the_analytics_answer_behind_the_session(page: PageGateway) -> None:
    alice = await page.signed_in()
    started = await alice.request("POST", TRACKINGS, {"task_uuid": "1"})
    page.clock.advance(minutes=25)  # within the session's idle time (30 minutes here)
    await alice.request("PUT", f"{TRACKINGS}/{started.data['id']}", {})
    summary = await alice.request("GET", f"{TRACKINGS}/analytics?period=this-week&users=alice")
    assert summary.status == 200, summary.body
    assert summary.data["trend"][0] == {"date": "2026-03-02", "hours": 0.5}
    for path in ("team", "productivity"):
        assert (await alice.request("GET", f"{TRACKINGS}/{path}?period=this-week")).status == 200


async def test_unknown_paths_under_the_page_api_are_404_not_redmines(page: PageGateway) -> None:
    alice = await page.signed_in()
    for path in (f"{API}/nothing", f"{TRACKINGS}/1/unknown", "/-/app/api"):
        assert_error(await alice.request("GET", path), 404, "NOT_FOUND")
    assert not [c for c in page.redmine.calls if "nothing" in c.raw_path]


async def test_issues_by_number_or_subject_words(page: PageGateway) -> None:
    alice = await page.signed_in()
    by_number = await alice.request("GET", f"{API}/issues?q=%232")
    assert by_number.status == 200, by_number.body
    assert [issue["id"] for issue in by_number.data] == [2]
    assert by_number.data[0]["subject"] == "Add CSV export"
    by_words = await alice.request("GET", f"{API}/issues?q=LOGIN")
    assert [issue["id"] for issue in by_words.data] == [1]
    assert set(by_words.data[0]) == {"id", "subject", "project", "tracker"}
    mark = len(page.redmine.calls)
    await alice.request("GET", f"{API}/issues?q=login")
    asked = page.redmine.calls[mark]
    assert asked.headers["X-Redmine-API-Key"] == harness_api_key("alice")
    assert "status_id=open" in asked.raw_path


async def test_issues_need_a_session_and_a_short_query(page: PageGateway) -> None:
    assert_error(await page.user().request("GET", f"{API}/issues?q=1"), 401, "UNAUTHENTICATED")
    alice = await page.signed_in()
    assert_error(
        await alice.request("GET", f"{API}/issues?q={'x' * 300}"), 422, "VALIDATION_FAILED"
    )


async def test_pause_and_resume_are_offered_and_work_behind_the_session(
    page: PageGateway,
) -> None:
    alice = await page.signed_in()
    session = await alice.request("GET", f"{API}/session")
    assert session.data["features"] == {"pause": True, "resume": True}
    started = await alice.request("POST", TRACKINGS, {"task_uuid": "1"})
    timer = f"{TRACKINGS}/{started.data['id']}"
    page.clock.advance(minutes=10)
    assert_error(await alice.request("POST", f"{timer}/pause", csrf=False), 403, "CSRF_FAILED")
    paused = await alice.request("POST", f"{timer}/pause")
    assert paused.status == 200, paused.body
    assert (paused.data["is_paused"], paused.data["duration_minutes"]) == (True, 10)
    page.clock.advance(minutes=5)
    resumed = await alice.request("POST", f"{timer}/resume")
    assert resumed.status == 200, resumed.body
    assert (resumed.data["is_paused"], resumed.data["duration_minutes"]) == (False, 10)
