"""Whether a request's Host fields name one valid authority (RFC 9112 §3.2, RFC 3986 §3.2.2)."""

import ipaddress
import re

from gateway.relay.headers import Fields

# reg-name = *( unreserved / pct-encoded / sub-delims ), less "," : X-Forwarded-Host is a list,
# and Rails (Redmine) takes its last element, so "gw.test,evil.test" would choose the host.
_REG_NAME = re.compile(rb"(?:[A-Za-z0-9\-._~!$&'()*+;=]|%[0-9A-Fa-f]{2})+")
_IPV_FUTURE = re.compile(rb"v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+;=:]+")
_PORT = re.compile(rb"[0-9]*")
_OWS = b" \t"


def host_refusal(http_version: str, fields: Fields) -> str | None:
    """Why the Host fields of a request cannot be forwarded, or None.

    HTTP/1.1 requires exactly one Host; HTTP/1.0 may leave it out. Its value must be a
    uri-host with an optional port: Redmine builds links and redirects from it. An empty value
    is refused too, as nginx does: an origin-form target always has an authority.
    """
    hosts = fields.values(b"host")
    if len(hosts) > 1:
        return "A request may carry only one Host header."
    if not hosts:
        return "An HTTP/1.1 request must carry a Host header." if http_version == "1.1" else None
    if not is_valid_authority(hosts[0].strip(_OWS)):
        return "The Host header is not a valid host name with an optional port."
    return None


def is_valid_authority(value: bytes) -> bool:
    """Whether `value` is uri-host [ ":" port ] with a non-empty host."""
    if value.startswith(b"["):
        literal, bracket, rest = value[1:].partition(b"]")
        if not bracket or not is_ip_literal(literal):
            return False
    else:
        host = value.partition(b":")[0]
        if not _REG_NAME.fullmatch(host):
            return False
        rest = value[len(host) :]
    if not rest:
        return True
    return rest.startswith(b":") and _PORT.fullmatch(rest[1:]) is not None


def is_ip_literal(literal: bytes) -> bool:
    """IPv6address / IPvFuture, the inside of an IP-literal (no zone identifier)."""
    if _IPV_FUTURE.fullmatch(literal):
        return True
    if not literal or not literal.isascii() or b"%" in literal:
        return False
    try:
        ipaddress.IPv6Address(literal.decode("ascii"))
    except ValueError:
        return False
    return True
