"""Which Host values name one authority (RFC 3986 uri-host with an optional port)."""

import pytest

from gateway.front.host import host_refusal, is_valid_authority
from gateway.relay.headers import Fields


@pytest.mark.parametrize(
    "value",
    [
        b"gw.test",
        b"gw.test:8080",
        b"gw.test:",
        b"GW-1_x~y.test",
        b"192.0.2.7:80",
        b"[::1]",
        b"[2001:db8::1]:443",
        b"[::ffff:192.0.2.7]",
        b"[v1.fe80::a+en1]",
        b"xn--bcher-kva.test",
        b"gw%2Etest",
    ],
)
def test_valid_authorities(value: bytes) -> None:
    assert is_valid_authority(value)


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b":80",
        b"gw.test/evil",
        b"gw test",
        b"gw.test, evil.test",
        b"gw.test,evil.test",
        b"user@gw.test",
        b"gw.test:80x",
        b"gw.test:80:81",
        b"gw.test:-1",
        b"gw\\test",
        b"gw.test?x",
        b"gw.test#x",
        b"gw%zztest",
        b"[::1",
        b"[::1]x",
        b"[::1]:8o",
        b"[gw.test]",
        b"[fe80::1%25eth0]",
        b"[]",
        b"gw\xfftest",
        b"gw\ttest",
    ],
)
def test_invalid_authorities(value: bytes) -> None:
    assert not is_valid_authority(value)


def test_http_1_1_needs_exactly_one_host_and_http_1_0_may_have_none() -> None:
    assert host_refusal("1.1", Fields([])) is not None
    assert host_refusal("1.0", Fields([])) is None
    assert host_refusal("1.0", Fields([(b"Host", b"a"), (b"host", b"a")])) is not None
    assert host_refusal("1.1", Fields([(b"Host", b" gw.test ")])) is None
