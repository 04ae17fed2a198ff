"""The page's static files: read once at start-up, answered with their type and strict headers."""

import hashlib
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

from gateway.errors import NotFound

TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
}
INDEX = "index.html"
# Nothing but the gateway itself: no inline script or style, no other origin, no framing.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# The files change only with the gateway: revalidated each time (a cheap 304 by ETag).
CACHE_CONTROL = "no-cache"


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    content_type: str
    etag: str


class PageFiles:
    def __init__(self, files: dict[str, StaticFile]) -> None:
        self._files = files

    @classmethod
    def load(cls) -> "PageFiles":
        """Blocking (reads the package's files): called through asyncio.to_thread."""
        folder = resources.files("gateway.page") / "static"
        files = {}
        for item in folder.iterdir():
            suffix = "." + item.name.rpartition(".")[2]
            if item.is_file() and suffix in TYPES:
                body = item.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
                files[item.name] = StaticFile(body, TYPES[suffix], etag)
        return cls(files)

    def names(self) -> list[str]:
        return sorted(self._files)

    def answer_body(self, name: str) -> bytes:
        found = self._files.get(name)
        if found is None:
            raise NotFound(f"No {name} on the page.")
        return found.body

    def answer(self, request: web.Request, name: str) -> web.Response:
        found = self._files.get(name)
        if found is None:
            raise NotFound(f"No {name} on the page.")
        headers = {**SECURITY_HEADERS, "Cache-Control": CACHE_CONTROL, "ETag": found.etag}
        if request.headers.get("If-None-Match") == found.etag:
            return web.Response(status=304, headers=headers)
        charset = "utf-8" if found.content_type.startswith("text/") else None
        return web.Response(
            body=found.body, content_type=found.content_type, charset=charset, headers=headers
        )
