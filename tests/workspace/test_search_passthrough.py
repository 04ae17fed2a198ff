"""Redmine's own /search (the page, /search.json, a project's search) still passes unchanged;
only /search with a `categories` parameter is the gateway's."""

import pytest
from multidict import CIMultiDict

from gateway.front.paths import is_own_search
from tests.conftest import GatewayClient
from tests.fakes.redmine import Canned, FakeRedmine
from tests.gitscrum_wire import exchange

PAGE = b'<!DOCTYPE html>\n<html><body><div id="search-results">caf\xc3\xa9</div></body></html>\n'


@pytest.mark.parametrize(
    "raw_target",
    [
        "/search",
        "/search?q=login",
        "/search?utf8=%E2%9C%93&q=caf%C3%A9+bug&scope=all&all_words=1&titles_only=&issues=1",
        "/search.json?q=login&projects=1&limit=5",
        "/search.json?q=web&categories=projects",
        "/search.xml?q=web&offset=25",
        "/projects/web-app/search?q=web&categories=projects",
        "/search/?q=web&categories=projects",
        "/search?q=web&category=projects",
        "/search?q=web&xcategories=projects",
        "/search?q=categories",
    ],
)
async def test_redmines_search_reaches_redmine_and_comes_back_byte_for_byte(
    client: GatewayClient, redmine: FakeRedmine, raw_target: str
) -> None:
    headers = CIMultiDict({"Content-Type": "text/html; charset=utf-8", "X-Request-Id": "s1"})
    redmine.queue(Canned(status=200, body=PAGE, headers=headers))
    port = client.server.port
    assert port is not None
    request = (
        f"GET {raw_target} HTTP/1.1\r\nHost: redmine.test\r\nX-Redmine-API-Key: k1\r\n"
        "Accept: text/html\r\nCookie: _redmine_session=abc\r\n\r\n"
    ).encode()
    answer = await exchange("127.0.0.1", port, request)
    assert answer.status == 200
    assert answer.body == PAGE
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert answer.headers["x-request-id"] == "s1"
    [call] = redmine.calls
    assert (call.method, call.raw_path) == ("GET", raw_target)
    assert call.headers["X-Redmine-API-Key"] == "k1"
    assert call.headers["Cookie"] == "_redmine_session=abc"


async def test_gitscrums_search_never_reaches_redmine_as_such(
    client: GatewayClient, redmine: FakeRedmine
) -> None:
    port = client.server.port
    assert port is not None
    request = b"GET /search?q=web&categories=projects HTTP/1.1\r\nHost: gw\r\n\r\n"
    answer = await exchange("127.0.0.1", port, request)
    assert answer.status == 401 and answer.json()["error_code"] == "UNAUTHENTICATED"
    assert redmine.calls == []


@pytest.mark.parametrize(
    ("path", "target", "own"),
    [
        ("/search", b"/search?q=a&categories=projects", True),
        ("/search", b"/search?categories", True),
        ("/search", b"/search?q=a&%63ategories=projects", True),
        ("/search", b"/%73earch?categories=projects&q=a", True),
        ("/search", b"/search?q=a", False),
        ("/search", b"/search?q=categories%3Dx", False),
        ("/search", b"/search", False),
        ("/search.json", b"/search.json?categories=projects", False),
        ("/projects/x/search", b"/projects/x/search?categories=projects", False),
    ],
)
def test_which_searches_are_the_gateways(path: str, target: bytes, own: bool) -> None:
    assert is_own_search(path, target) is own
