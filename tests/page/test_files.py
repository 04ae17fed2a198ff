"""The page's static files: types, strict headers, caching, nothing from another origin."""

from html.parser import HTMLParser

import pytest

from gateway.page.files import CSP, PageFiles

from .conftest import PageGateway, assert_error


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_script = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_script += data.strip()


async def test_the_page_is_html_under_a_strict_policy(page: PageGateway) -> None:
    async with page.client.get("/-/app/") as response:
        assert response.status == 200
        assert response.content_type == "text/html" and response.charset == "utf-8"
        assert response.headers["Content-Security-Policy"] == CSP
        assert "default-src 'self'" in CSP and "script-src 'self';" in CSP
        assert "unsafe-inline" not in CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-cache"
        etag = response.headers["ETag"]
        assert "<title>Timers</title>" in await response.text()
    async with page.client.get("/-/app/", headers={"If-None-Match": etag}) as again:
        assert again.status == 304
        assert await again.read() == b""


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("app.js", "text/javascript"),
        ("api.js", "text/javascript"),
        ("charts.js", "text/javascript"),
        ("picker.js", "text/javascript"),
        ("week.js", "text/javascript"),
        ("analytics.js", "text/javascript"),
        ("app.css", "text/css"),
        ("icon.svg", "image/svg+xml"),
    ],
)
async def test_each_file_has_its_type(page: PageGateway, name: str, content_type: str) -> None:
    async with page.client.get(f"/-/app/{name}") as response:
        assert response.status == 200
        assert response.content_type == content_type
        assert response.headers["Content-Security-Policy"] == CSP
        assert len(await response.read()) > 100


@pytest.mark.parametrize("path", ["/-/app/nothing.js", "/-/app/../app.js", "/-/app/x/y"])
async def test_anything_else_under_the_page_is_404(page: PageGateway, path: str) -> None:
    reply = await page.user().request("GET", path)
    assert_error(reply, 404, "NOT_FOUND")


async def test_the_page_without_its_slash_redirects(page: PageGateway) -> None:
    async with page.client.get("/-/app", allow_redirects=False) as response:
        assert response.status == 308
        assert response.headers["Location"] == "/-/app/"


def test_the_html_loads_only_files_of_its_own_without_inline_script_or_style() -> None:
    files = PageFiles.load()
    html = files.answer_body("index.html").decode()
    parser = Tags()
    parser.feed(html)
    scripts = [attrs for tag, attrs in parser.tags if tag == "script"]
    assert parser.inline_script == ""
    assert {attrs["src"] for attrs in scripts} == {n for n in files.names() if n.endswith(".js")}
    referenced = [
        attrs.get("src") or attrs.get("href")
        for tag, attrs in parser.tags
        if tag in ("script", "link")
    ]
    assert referenced and all(ref in files.names() for ref in referenced), referenced
    for _, attrs in parser.tags:
        assert "style" not in attrs
        assert not [name for name in attrs if name.startswith("on")]
    for name in files.names():
        text = files.answer_body(name).decode()
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")
        assert "https://" not in text and "//cdn" not in text
