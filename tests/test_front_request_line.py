"""Spotting a request line without a version in the reads of an unfinished head (with no field
yet: the connection stops asking once one has been parsed)."""

import pytest

from gateway.front.request_line import RequestLineWatch


@pytest.mark.parametrize(
    ("reads", "is_versionless"),
    [
        ([b"GET /p\r\n"], True),
        ([b"GET /p\n"], True),
        ([b"GET /p", b"\r\n"], True),
        ([b"GE", b"T /", b"p\r", b"\n"], True),
        ([b"\r\nGET /p\r\n"], True),
        # The first read of a head can start with the end of the previous request's body.
        ([b"abcGET /p\r\n"], True),
        ([b"a\nbGET /p\r\n"], True),
        ([b"GET /p\r\nGET /p\r\n"], True),
        ([b"xyz", b"GET /p", b"\r\n"], True),
        ([b"GET /p HTTP/1.1\r\n"], False),
        ([b"GET /p HTTP/1.1", b"\r\n"], False),
        ([b"abcGET /p HTTP/1.1\r\n"], False),
        ([b"GET /p\r\nGET /p HTTP/1.1\r\n"], False),
        ([b"GET /p"], False),
        ([b"GET /p\r"], False),
    ],
)
def test_a_versionless_request_line_is_spotted_once_complete(
    reads: list[bytes], is_versionless: bool
) -> None:
    watch = RequestLineWatch(max_line_bytes=64 * 1024)
    watch.begin()
    answers = [watch.is_versionless(data, b"GET", b"/p") for data in reads]
    assert answers[-1] is is_versionless
    assert not any(answers[:-1])


def test_what_is_kept_of_a_long_head_is_bounded() -> None:
    watch = RequestLineWatch(max_line_bytes=16)
    watch.begin()
    assert not watch.is_versionless(b"x" * 1000, b"GET", b"/p")
    assert watch.is_versionless(b"GET /p\r\n", b"GET", b"/p")
    assert not watch.is_versionless(b"y" * 1000 + b"\r\n", b"GET", b"/p")
