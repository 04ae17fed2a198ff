"""The Host a request names: exactly one, and a valid host[:port], or the request is refused."""

import re

from gateway.errors import BadRequest

# RFC 3986 uri-host (IP-literal, IPv4 or reg-name) and an optional port. Stricter than the RFC on
# one point: no comma, since a comma-joined list is how two Hosts would be smuggled in as one.
VALID_HOST = re.compile(rb"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()*+;=%-]+)(:[0-9]{0,5})?")


def host_refusal(http_version: str, hosts: list[bytes]) -> BadRequest | None:
    """Why the Host of a request cannot be forwarded (RFC 9112 3.2: answer 400), or None.

    Redmine builds its links and redirects from Host, so a missing, doubled or malformed one
    would let a client choose the address in another user's page.
    """
    if len(hosts) > 1:
        return BadRequest("The request has more than one Host header.")
    if not hosts:
        if http_version == "1.0":
            return None
        return BadRequest("An HTTP/1.1 request must have a Host header.")
    if not VALID_HOST.fullmatch(hosts[0].strip(b" \t")):
        return BadRequest("The Host header is not a valid host[:port].")
    return None
