"""Which request targets the gateway refuses, and which paths are its own rather than Redmine's."""

from urllib.parse import unquote, unquote_plus

from gateway.errors import BadRequest, MethodNotAllowed

OWN_PATH = "/time-trackings"
# The operational endpoints (health, readiness, metrics): with GATEWAY_ADMIN_PORT, only there.
OPS_PREFIX = "/-/"
OWN_PREFIXES = (OWN_PATH + "/", OPS_PREFIX)
# GitScrum's workspace list: Redmine has no such path.
WORKSPACES_PATH = "/workspaces"
# GitScrum's search is Redmine's path with a parameter Redmine does not know; only a request
# that carries it is the gateway's, every other /search (the page, its query) stays Redmine's.
SEARCH_PATH = "/search"
SEARCH_PARAMETER = "categories"
# The timer page: under /-/ (never Redmine's), yet served where the public API is.
PAGE_PATH = "/-/app"
# Answered by the front itself: a liveness probe never waits on the app or a pool.
LIVENESS_PATH = "/-/healthz"


def is_own(path: str) -> bool:
    """Paths the gateway answers itself: /time-trackings, all under it, /workspaces and the
    /-/ endpoints."""
    return path in (OWN_PATH, WORKSPACES_PATH) or path.startswith(OWN_PREFIXES)


def is_own_search(path: str, target: bytes) -> bool:
    """Whether a request is GitScrum's search: /search with a `categories` parameter."""
    if path != SEARCH_PATH:
        return False
    query = target.partition(b"?")[2].decode("latin-1")
    return any(
        unquote_plus(pair.partition("=")[0]) == SEARCH_PARAMETER for pair in query.split("&")
    )


def is_ops(path: str) -> bool:
    """The operational /-/ endpoints: everything under /-/ but the page."""
    return path.startswith(OPS_PREFIX) and not is_page(path)


def is_page(path: str) -> bool:
    return path == PAGE_PATH or path.startswith(PAGE_PATH + "/")


def is_liveness(method: str, path: str) -> bool:
    return path == LIVENESS_PATH and method in ("GET", "HEAD")


def routed_path(method: str, target: bytes) -> str:
    """The percent-decoded path of a target, as aiohttp's router reads it (dot-segments stay);
    raises the gateway's error for targets it never forwards."""
    if method == "CONNECT":
        raise MethodNotAllowed("CONNECT is not supported: the gateway only forwards to Redmine.")
    # Origin-form targets start with "/"; absolute-form ("http://host/...") and asterisk-form
    # ("*") would name something other than Redmine.
    if not target.startswith(b"/"):
        raise BadRequest("Only origin-form request targets (a path) are accepted.")
    # A fragment is never part of a request target (RFC 9112 §3.2.1); cutting the path at it
    # would let "/#/../../x" past the dot-segment check below (as in CVE-2023-45539).
    if b"#" in target:
        raise BadRequest("A request target cannot carry a fragment (#).")
    raw_path = target.partition(b"?")[0]
    path = unquote(raw_path.decode("latin-1"), errors="surrogateescape")
    if escapes_root(path):
        raise BadRequest("The request path climbs above the gateway's root.")
    return path


def escapes_root(path: str) -> bool:
    """Whether dot-segments in a (decoded) path climb above its first segment."""
    depth = 0
    for segment in path.split("/"):
        if segment == "..":
            depth -= 1
            if depth < 0:
                return True
        elif segment not in ("", "."):
            depth += 1
    return False
