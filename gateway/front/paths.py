"""Which request targets the gateway refuses, and which paths are its own rather than Redmine's."""

from urllib.parse import unquote

from gateway.errors import BadRequest, MethodNotAllowed

OWN_PATH = "/time-trackings"
OWN_PREFIXES = (OWN_PATH + "/", "/-/")


def is_own(path: str) -> bool:
    """Paths the gateway answers itself: /time-trackings, all under it, and the /-/ endpoints."""
    return path == OWN_PATH or path.startswith(OWN_PREFIXES)


def routed_path(method: str, target: bytes) -> str:
    """The path a target names once percent-decoded and rid of dot-segments, as aiohttp's router
    reads it; raises the gateway's error for targets it never forwards."""
    if method == "CONNECT":
        raise MethodNotAllowed("CONNECT is not supported: the gateway only forwards to Redmine.")
    # Origin-form targets start with "/"; absolute-form ("http://host/...") and asterisk-form
    # ("*") would name something other than Redmine.
    if not target.startswith(b"/"):
        raise BadRequest("Only origin-form request targets (a path) are accepted.")
    raw_path = target.partition(b"?")[0].partition(b"#")[0]
    return without_dot_segments(unquote(raw_path.decode("latin-1"), errors="surrogateescape"))


def without_dot_segments(path: str) -> str:
    """RFC 3986 dot-segment removal; a path that climbs above the root is refused."""
    kept: list[str] = []
    segments = path.split("/")[1:]
    for position, segment in enumerate(segments):
        is_last = position == len(segments) - 1
        if segment == "..":
            if not kept:
                raise BadRequest("The request path climbs above the gateway's root.")
            kept.pop()
            if is_last:
                kept.append("")
        elif segment == ".":
            if is_last:
                kept.append("")
        else:
            kept.append(segment)
    return "/" + "/".join(kept)
